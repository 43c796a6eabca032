#!/bin/bash
# SPDX-License-Identifier: MIT
# The Cockpit page (built from cockpit/ into $BUILDDIR/cockpit/harper-sysops) end to end: headless Chromium (Debian's, driven by
# playwright-core, tests/e2e/cockpit.js) -> real cockpit-ws on 127.0.0.1 without TLS ->
# cockpit-session (PAM password login of the test users) -> cockpit-bridge -> the harness's
# private system bus -> the real harper-sysopsd -> real polkitd and the harness's systemd
# manager with the stand-in units; then with two more nodes for the cluster's part (see "the
# cluster" below: what is real there and what stands in); then once more with the real Harper
# (tests/lib/harper.sh) for Harper's own figures and its being in no cluster. The browser
# test's checks become this script's TAP lines.
#
# What it touches outside the harness:
#   - nothing in /etc: cockpit-ws runs in a private mount namespace (util-linux unshare) where
#       - /etc is an overlay of the host's /etc with three files of our own: /etc/passwd and
#         /etc/shadow, where the test users hsops-admin and hsops-user have a random password
#         for this run (PAM login needs one) and the shell /bin/sh (cockpit-session starts the
#         bridge through the login shell, and theirs is /usr/sbin/nologin: "This account is
#         currently not available"), and /etc/environment, which sets XDG_DATA_DIRS (read by
#         pam_env) so that the bridge finds the package in a copy under $H_T;
#       - a tmpfs on /run/dbus holds our bus socket as /run/dbus/system_bus_socket
#         (cockpit-session gives the bridge a clean environment, so DBUS_SYSTEM_BUS_ADDRESS
#         would not reach it);
#   - cockpit-ws, the sessions and bridges, their helpers and the browser live in a cgroup of
#     their own, killed and removed at teardown;
#   - playwright-core (pinned, tests/e2e/package-lock.json) is installed once into
#     /var/cache/harper-sysops-test (tests/e2e/playwright.sh); the German test translation
#     (tests/e2e/po/de.po) is built with the page's own build.js and its npm cache (-Dnpm_cache);
#   - screenshots, the cockpit-ws log and the browser test's log go to $BUILDDIR/e2e-artifacts.
. "$(dirname "$0")/../lib/harness.sh"
. "$(dirname "$0")/../lib/sysops.sh"
. "$(dirname "$0")/../lib/harper.sh"
H_UNITS_DIR=$SRCDIR/tests/units
ARTIFACTS=$BUILDDIR/e2e-artifacts
T0=$(_h_usec)

# --------------------------------------------------------------- what the test needs
need=()
[ -x /usr/lib/cockpit/cockpit-ws ] || need+=("cockpit-ws (apt: cockpit-ws cockpit-bridge cockpit-system)")
command -v cockpit-bridge >/dev/null || need+=("cockpit-bridge")
[ -f /usr/share/cockpit/systemd/manifest.json ] || need+=("cockpit-system (the shell's Overview)")
command -v msgcmp >/dev/null || need+=("gettext")
PAGE=$BUILDDIR/cockpit/harper-sysops
[ -f "$PAGE/index.js" ] || skip_all "the page is not built here (-Dcockpit=disabled, or no node or xgettext)"
[ -x /usr/bin/chromium ] || need+=("chromium")
[ ${#need[@]} = 0 ] || bail_out "missing: ${need[*]} (tools/install-deps.sh installs them)"
NODE_MODULES=$("$SRCDIR/tests/e2e/playwright.sh") || bail_out "playwright-core could not be installed (see above)"

h_users && harper_user || bail_out "test users"
PASSWORD=$(head -c 18 /dev/urandom | base64 | tr '+/' 'xy')

# --------------------------------------------------------------- the stack
WS_PID='' CG=''
declare -A NODE_PID=()
stop_nodes() {
    local n
    for n in "${!NODE_PID[@]}"; do kill -TERM "${NODE_PID[$n]}" 2>/dev/null; done
    for n in "${!NODE_PID[@]}"; do wait "${NODE_PID[$n]}" 2>/dev/null; done
    NODE_PID=()
}
e2e_down() {
    [ -n "$WS_PID" ] && kill "$WS_PID" 2>/dev/null
    stop_nodes
    if [ -n "$H_T" ] && [ -d "$ARTIFACTS" ]; then
        sed -e '/invalid or unusable locale/d' "$H_T/ws.log" >"$ARTIFACTS/cockpit-ws.log" 2>/dev/null
        cp "$H_T/e2e.log" "$ARTIFACTS/browser.log" 2>/dev/null
    fi
    harper_down  # Harper stopped in order, then h_down (which kills and removes our cgroup, H_CGROUPS)
}
h_up || bail_out "stack did not come up"
trap e2e_down EXIT

MARKS=$H_T/marks
mkdir -p "$MARKS" && chmod 777 "$MARKS"
h_systemctl set-environment HSOPS_MARKS="$MARKS"
# workers that take a second to start, so the page's progress of a rolling restart is visible
mkdir -p "$H_T/units/harperdb-http@.service.d"
printf '[Service]\nExecStartPre=/bin/sleep 1\n' >"$H_T/units/harperdb-http@.service.d/e2e-slow.conf"
h_systemctl daemon-reload || bail_out "daemon-reload"
h_systemctl start harperdb.service harperdb-clustering.service \
    harperdb-http@1.service harperdb-http@2.service harperdb-http@3.service || bail_out "the test units did not start"
h_daemon_start || bail_out "harper-sysopsd did not start"

# the package as built, where the bridge (running as the test user) can read it, with the
# German test translation built by the page's own build.js
npm_cache=$(python3 -c 'import json, sys; print(next(o["value"] for o in json.load(open(sys.argv[1])) if o["name"] == "npm_cache"))' \
            "$BUILDDIR/meson-info/intro-buildoptions.json")
node "$SRCDIR/cockpit/build.js" --cache "$npm_cache" --offline --out "$H_T/page-de" "$SRCDIR/tests/e2e/po/de.po" >&2 ||
    bail_out "cannot build the test translation"
mkdir -p "$H_T/share/cockpit" && cp -r "$PAGE" "$H_T/share/cockpit/" && cp "$H_T/page-de/po.de.js" "$H_T/share/cockpit/harper-sysops/" &&
    chmod -R a+rX "$H_T/share" || bail_out "cannot copy the package"
# the accounts as cockpit-ws's namespace sees them (see the top)
hash=$(P=$PASSWORD perl -e 'my @c = ("a".."z", "A".."Z", 0..9, ".", "/");
    print crypt($ENV{P}, "\$6\$" . join("", map { $c[rand @c] } 1..16) . "\$")')
[[ $hash = '$6$'* ]] || bail_out "cannot hash the test password"
# /etc in that namespace is an overlay: these three files over the host's /etc. (Not bind
# mounts of single files: the kernel drops those as soon as another test's useradd or usermod
# renames a new /etc/passwd or /etc/shadow into place on the host.)
up=$H_T/etc/upper
# shellcheck disable=SC2174 # $H_T exists: -m is for the one directory made
mkdir -p -m 700 "$H_T/etc" && mkdir -p "$up" "$H_T/etc/work" && chmod 755 "$up" &&
    awk -F: -v OFS=: '$1 == "hsops-admin" || $1 == "hsops-user" { $7 = "/bin/sh" } 1' /etc/passwd >"$up/passwd" &&
    awk -F: -v OFS=: -v h="$hash" '$1 == "hsops-admin" || $1 == "hsops-user" { $2 = h } 1' /etc/shadow >"$up/shadow" &&
    printf 'XDG_DATA_DIRS=%s/share:/usr/local/share:/usr/share\n' "$H_T" >"$up/environment" &&
    chmod 644 "$up/passwd" "$up/environment" && chmod 640 "$up/shadow" && chgrp shadow "$up/shadow" ||
    bail_out "cannot prepare the accounts"

cg2=/sys/fs/cgroup
[ -e /sys/fs/cgroup/unified/cgroup.procs ] && cg2=/sys/fs/cgroup/unified
CG=$cg2/${H_T##*/}-cockpit
mkdir "$CG" && H_CGROUPS+=("$CG") || bail_out "cannot create cgroup $CG"

PORT=$(h_free_ports 1)
mkdir -p /run/dbus    # mount point for the private tmpfs (exists wherever a system bus runs)
cat >"$H_T/ws.sh" <<EOF
echo \$\$ >$CG/cgroup.procs || exit 1
mount -t tmpfs -o mode=755 tmpfs /run/dbus && touch /run/dbus/system_bus_socket &&
    mount --bind $H_T/bus.sock /run/dbus/system_bus_socket &&
    mount -t overlay overlay -o lowerdir=/etc,upperdir=$up,workdir=$H_T/etc/work /etc || exit 1
exec env -u DBUS_SYSTEM_BUS_ADDRESS /usr/lib/cockpit/cockpit-ws --no-tls --address=127.0.0.1 --port=$PORT
EOF
(cd / && exec unshare -m --propagation private sh "$H_T/ws.sh" </dev/null >"$H_T/ws.log" 2>&1) &
WS_PID=$!
h_wait 10 curl -sf -o /dev/null "http://127.0.0.1:$PORT/" ||
    { diag "$(cat "$H_T/ws.log")"; bail_out "cockpit-ws did not answer on 127.0.0.1:$PORT"; }
diag "stack, daemon and cockpit-ws up after $(( ($(_h_usec) - T0) / 1000 )) ms"

# --------------------------------------------------------------- the package as installed
check "meson install puts the built package into \$datadir/cockpit/harper-sysops" python3 - "$BUILDDIR" <<'PY'
import json, os, sys
installed = json.load(open(os.path.join(sys.argv[1], "meson-info", "intro-installed.json")))
page = os.path.join(sys.argv[1], "cockpit", "harper-sysops")
print("installed as:", installed.get(page))
sys.exit(0 if installed.get(page, "").endswith("/share/cockpit/harper-sysops") else 1)
PY
check "the package has its page, bundle, styles and manifest" \
    test -f "$PAGE/index.html" -a -f "$PAGE/index.js" -a -f "$PAGE/index.css" -a -f "$PAGE/manifest.json"
check "manifest.json is valid JSON with a menu entry and the Cockpit version it needs" python3 -c \
    'import json,sys; m=json.load(open(sys.argv[1])); sys.exit(not (m["menu"]["index"]["label"] and int(m["requires"]["cockpit"]) >= 287))' \
    "$PAGE/manifest.json"
check "no inline scripts or style attributes (Cockpit's content policy)" \
    sh -c '! grep -nE "<script>|<script [^>]*>[^<]|on[a-z]+=\"|style=\"" "$1"/*.html' sh "$PAGE"
check "the page refers to no other package's files but Cockpit's API (../base1/cockpit.js)" \
    sh -c '! grep -noE "\.\./[a-z0-9_-]+/[^\"]*" "$1"/index.html "$1"/index.js "$1"/index.css | grep -v "\.\./base1/cockpit\.js"' sh "$PAGE"
# translations: the template holds every string of the page, po/harper-sysops.pot is current,
# and the test translation's strings are the page's
pot=$BUILDDIR/cockpit/harper-sysops.pot
check "the template (.pot) is extracted at build time: $(grep -c '^msgid "[^"]' "$pot") strings" \
    test "$(grep -c '^msgid "[^"]' "$pot")" -gt 100
# msgcmp prints each msgid of $2 that $1 lacks ("used but not defined")
missing_msgids() { msgcmp --use-untranslated "$1" "$2" 2>&1 | grep 'not defined' | head -n 5; }
is "cockpit/po/harper-sysops.pot is current (meson compile -C build cockpit-update-pot)" \
   "$(missing_msgids "$pot" "$SRCDIR/cockpit/po/harper-sysops.pot"; missing_msgids "$SRCDIR/cockpit/po/harper-sysops.pot" "$pot")" ""
check "every string of the test translation is a string of the page" \
    msgcmp --use-untranslated "$pot" "$SRCDIR/tests/e2e/po/de.po" 2>/dev/null

# the page's calls carry the interactive flag; without it a plain user gets this (the browser
# test below sees AccessDenied instead, polkit having no agent to ask here)
out=$(dcall -u hsops-user ListStatuses)
is "without the interactive flag a plain user's call is InteractiveAuthorizationRequired" \
   "$(dbus_error "$out")" org.freedesktop.DBus.Error.InteractiveAuthorizationRequired

# --------------------------------------------------------------- the browser test
# browser_test [VAR=VALUE...]: tests/e2e/cockpit.js with these in its environment. Its stdout
# has one line per check: PASS<TAB>what, FAIL<TAB>what<TAB>why, NOTE<TAB>text.
browser_test() {
    local t kind what why node_rc=
    t=$(_h_usec)
    exec 3< <(
        env URL="http://127.0.0.1:$PORT" PASSWORD="$PASSWORD" ADMIN_USER=hsops-admin PLAIN_USER=hsops-user \
            ARTIFACTS="$ARTIFACTS" SYSTEMD_RT="$H_T/rt" NODE_PATH="$NODE_MODULES" "$@" \
            sh -c 'echo $$ >"$1/cgroup.procs" && exec node "$2"' sh "$CG" "$SRCDIR/tests/e2e/cockpit.js" 2>>"$H_T/e2e.log"
        echo "EXIT	$?"
    )
    while IFS=$'\t' read -r kind what why <&3; do
        case $kind in
        PASS) check "$what" true ;;
        FAIL) check "$what" false; diag "$why" ;;
        NOTE) diag "$what" ;;
        EXIT) node_rc=$what ;;
        esac
    done
    exec 3<&-
    is "the browser test ran to its end (node exit status)" "$node_rc" 0 ||
        diag "$(tail -n 40 "$H_T/e2e.log")"
    diag "browser test: $(( ($(_h_usec) - t) / 1000 )) ms; screenshots in $ARTIFACTS"
}
mkdir -p "$ARTIFACTS" && rm -f "$ARTIFACTS"/*.png
browser_test

# --------------------------------------------------------------- the cluster
# Real: the page, cockpit-ws, the bridge, this node's harper-sysopsd and polkitd, and two more
# nodes, each a whole stack of its own (tests/lib/node.sh: its own systemd manager, bus,
# polkitd and harper-sysopsd) that this node's daemon asks over D-Bus as in a real rollout;
# every restart is a real systemd job of a real unit on the node's own manager.
# Stands in: Harper. A cluster of real Harpers (three Harper installs joined by add_node, and
# ssh to each) is the cluster test's (issue 21), and far too heavy for a page test; so the
# instance and its workers are the stand-in units (harper.api false, as in the first part), and
# with no Harper to ask, the nodes are the configuration's "peers" (sysops.json(5): by D-Bus
# address, in rollout order, one left out), which is also what replication.peers then lists.
# Their names are the loopback addresses Harper would give them. Each node's workers take a
# second to start, so that every node's turn is long enough to be seen on the page.
NODES="127.0.0.12 127.0.0.13"
LEFT_OUT=127.0.0.14
declare -A NODE_ADDR NODE_DIR
for n in $NODES; do
    bash "$SRCDIR/tests/lib/node.sh" "$H_T/node-$n.ready" >"$H_T/node-$n.log" 2>&1 &
    NODE_PID[$n]=$!
done
peers='' cluster_env=''
for n in $NODES; do
    h_wait 60 test -s "$H_T/node-$n.ready" || { cat "$H_T/node-$n.log" >&2; bail_out "node $n did not come up"; }
    read -r "NODE_ADDR[$n]" "NODE_DIR[$n]" _ <"$H_T/node-$n.ready"
    mkdir -p "${NODE_DIR[$n]}/units/harperdb-http@.service.d" &&
        cp "$H_T/units/harperdb-http@.service.d/e2e-slow.conf" "${NODE_DIR[$n]}/units/harperdb-http@.service.d/" &&
        XDG_RUNTIME_DIR=${NODE_DIR[$n]}/rt systemctl --user daemon-reload || bail_out "node $n: slow workers"
    peers+="${peers:+,}{\"name\":\"$n\",\"address\":\"${NODE_ADDR[$n]}\"}"
    cluster_env+="${cluster_env:+ }$n=${NODE_DIR[$n]}/rt"
done
echo "{\"peers\":[$peers,{\"name\":\"$LEFT_OUT\",\"exclude\":true}]}" >"$H_T/cluster.json"
h_daemon_stop
h_daemon_start --config="$H_T/cluster.json" || bail_out "harper-sysopsd did not start with $(cat "$H_T/cluster.json")"
browser_test CLUSTER="$cluster_env" LEFT_OUT="$LEFT_OUT"
stop_nodes

# --------------------------------------------------------------- the real Harper's figures
# The instance unit becomes the real Harper (tests/lib/harper.sh) with a table of 3 rows, the
# daemon its default configuration: the page shows what Harper says.
h_systemctl stop harperdb.service
harper_setup || bail_out "Harper could not be installed"
harper_unit || bail_out "harperdb.service could not be written"
harper_start || { harper_logs; bail_out "Harper did not start"; }
harper_op '{"operation":"create_database","database":"dev"}' >/dev/null
harper_op '{"operation":"create_table","database":"dev","table":"dog","primary_key":"id"}' >/dev/null
harper_op '{"operation":"insert","database":"dev","table":"dog","records":[{"id":1},{"id":2},{"id":3}]}' >/dev/null
h_daemon_stop
H_REAL_HARPER=1 h_daemon_start || bail_out "harper-sysopsd did not start with the real Harper"
theirs=$(harper_op '{"operation":"system_information","attributes":["system","threads"]}')
ours=$(ops --no-ask-password '{"operation":"system_information","attributes":["system","threads"]}')
is "the daemon's answer has Harper's own node_version and worker threads (what the page shows next)" \
   "$(python3 -c 'import json, sys
o, t = json.loads(sys.argv[1]), json.loads(sys.argv[2])
print(o["system"]["node_version"] == t["system"]["node_version"], len(o["threads"]) == len(t["threads"]))' "$ours" "$theirs")" \
   "True True"
browser_test REAL_HARPER=1
diag "whole run: $(( ($(_h_usec) - T0) / 1000 )) ms"
done_testing
