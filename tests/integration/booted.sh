#!/bin/bash
# SPDX-License-Identifier: MIT
# harper-sysops on a booted Debian of the host's release, 12 or 13 (systemd as PID 1, logind,
# polkitd, dbus; systemd-nspawn on its own network), installed as a package installs it, tried as
# an admin would: D-Bus activation of the shipped hardened unit by the first call, every
# operation as root, a harper-admin member and a plain user, restarts of stand-in Harper units
# enabled in the container, HTTP over its sockets, Harper's ports left alone, the watchdog,
# systemd-analyze security, interactive polkit in a seat0 session (pkttyagent on a pty; an
# agent that dismisses), and the package's life: an upgrade and a reboot with statuses set,
# removal, purge and installing again.
# Boots, runs every case (case_reboot reboots the container once), powers off. The first run debootstraps the tree (≈ 1-2 min) into
# /var/cache/harper-sysops-test (tests/lib/booted.sh).
#
# A case is a function case_NAME, listed in CASES; it runs in the booted container through b_in
# (root), b_user USER (outside any session) and b_session USER (a seat0 login session).
. "$(dirname "$0")/../lib/booted.sh"

[ "$(id -u)" = 0 ] || skip_all "needs root (debootstrap, systemd-nspawn)"
command -v systemd-nspawn >/dev/null && command -v debootstrap >/dev/null ||
    skip_all "needs systemd-nspawn and debootstrap (tools/install-deps.sh)"
b_unshare "$0" "$@"

ADMIN=admin1 PLAIN=user1 BOSS=boss       # harper-admin member, plain user, polkit's administrator
BOSS_PASSWORD=boss-secret-1 ADMIN_PASSWORD=admin-secret-1
F403_START='{"error":"This operation is not authorized due to role restrictions and/or invalid database items","unauthorized_access":["Operation '"'"
F403_END="' is restricted to 'super_user' roles\"],\"invalid_schema_items\":[]}"
f403() { echo "$F403_START$1$F403_END"; }
HARPER_PORTS="9925 9926 9932 9933 1883 8883"

# ---------------------------------------------------------------- the container

# Users, Harper's stand-in units (enabled), the configuration and the test's helpers, before boot.
setup_root() {
    local root=$B_T/root u
    chroot "$root" useradd -m -s /bin/bash -G harper-admin "$ADMIN" &&
        chroot "$root" useradd -m -s /bin/bash "$PLAIN" &&
        chroot "$root" useradd -m -s /bin/bash -G sudo "$BOSS" || return 1     # Debian's polkit admin: group sudo
    printf '%s:%s\n' "$ADMIN" "$ADMIN_PASSWORD" "$BOSS" "$BOSS_PASSWORD" "$PLAIN" user-secret-1 |
        chroot "$root" chpasswd || return 1
    mkdir -p "$root/etc/systemd/system/multi-user.target.wants" || return 1
    for u in harperdb.service harperdb-http@.service harperdb-clustering.service; do
        cp "$SRCDIR/tests/units/$u" "$root/etc/systemd/system/" || return 1
    done
    for u in harperdb.service harperdb-http@1.service harperdb-http@2.service harperdb-http@3.service \
             harperdb-clustering.service; do        # what systemctl enable links
        ln -s "../${u/@[0-9]/@}" "$root/etc/systemd/system/multi-user.target.wants/$u" || return 1
    done
    mkdir -p "$root/etc/harper-sysops" &&
        h_stand_in_config "$root/etc/harper-sysops/sysops.json" &&
        cp "$SRCDIR/tests/tools/pty-answer.py" "$BUILDDIR/tests/dismissing-agent" "$root/usr/local/bin/"
}

# ops USER ARGS...: harper-ops inside as USER (root, or outside any login session)
ops() {
    local u=$1
    shift
    if [ "$u" = root ]; then b_in harper-ops "$@"; else b_user "$u" harper-ops "$@"; fi
}
main_pid() { b_in systemctl show -P MainPID "$1"; }
flat() { tr '\n' ' ' <<<"$1"; }         # one line, for like across lines
json() { python3 -c "import json,sys; d=json.load(sys.stdin); print($1)"; }

# ---------------------------------------------------------------- cases

case_activation() {
    local t0 out
    is "before the first call harper-sysopsd is not running" "$(b_in systemctl is-active harper-sysopsd.service)" inactive
    t0=$(_b_usec)
    out=$(ops root '{"operation":"get_status"}')
    is "root's first call is answered" "$out" "[]"
    diag "first call (D-Bus activation of the unit included): $(_b_ms_since "$t0") ms"
    is "... by the shipped unit, now active" "$(b_in systemctl is-active harper-sysopsd.service)" active
    is "... whose main process owns the bus name" \
        "$(b_in busctl --system status io.harperdb.SystemOperations1 | sed -n 's/^PID=//p')" \
        "$(main_pid harper-sysopsd.service)"
    like "... started by dbus-daemon through systemd (the alias)" "$(b_in journalctl -b -u dbus.service -o cat)" \
        "Activating via systemd: service name='io.harperdb.SystemOperations1' unit='dbus-io.harperdb.SystemOperations1.service'"
    like "... which reaches systemd over its private socket" "$(b_in journalctl -b -u harper-sysopsd.service -o cat)" \
        "private socket /run/systemd/private"
}

# Issue 15: what the packages' maintainer scripts and files give an admin
case_packages() {
    like "the packages are installed" "$(b_in dpkg-query -W -f='${Package} ${Status}\n' harper-sysops harper-sysops-http | tr '\n' ';')" \
        "harper-sysops install ok installed;harper-sysops-http install ok installed;"
    like "... their sysusers.d entry created the group harper-admin" "$(b_in getent group harper-admin)" "^harper-admin:"
    like "... man harper-ops shows the page" "$(b_in env MANWIDTH=80 man -P cat harper-ops 2>&1 | head -n 5)" "^harper-ops\(1\) +General Commands Manual"
    is "... the daemon's unit is not started at boot (D-Bus activation starts it)" \
        "$(b_in systemctl is-enabled harper-sysopsd.service)" disabled
    is "... the HTTP sockets are not (an opt-in)" "$(b_in systemctl is-enabled harper-ops-http.socket harper-ops-http-tcp.socket | tr '\n' ' ')" "disabled disabled "
}

case_statuses() {
    local rec='"id":"primary","status":"STATUS","__createdtime__":[0-9]+,"__updatedtime__":[0-9]+'
    like "root sets a status" "$(ops root --status '{"operation":"set_status","id":"primary","status":"by-root"}')" \
        "^200"$'\n'"\{${rec/STATUS/by-root}\}$"
    like "a harper-admin member sets one" "$(ops $ADMIN --status '{"operation":"set_status","id":"primary","status":"by-admin"}')" \
        "^200"$'\n'"\{${rec/STATUS/by-admin}\}$"
    is "a plain user may not (403, exit 4: a password would do)" \
        "$(ops $PLAIN --status '{"operation":"set_status","id":"primary","status":"by-user"}' 2>/dev/null; echo "exit $?")" \
        $'403\n'"$(f403 setStatus)"$'\nexit 4'
    is "... nor read them" "$(ops $PLAIN '{"operation":"get_status"}' 2>/dev/null; echo "exit $?")" \
        "$(f403 getStatus)"$'\nexit 4'
    like "the admin reads the admin's status" "$(ops $ADMIN '{"operation":"get_status","id":"primary"}')" '"status":"by-admin"'
    is "the admin clears it" "$(ops $ADMIN '{"operation":"clear_status","id":"primary"}')" \
        '{"message":"Status successfully cleared"}'
}

case_system_information() {
    local u
    for u in root $ADMIN; do
        is "system_information as $u: Harper's eleven sections, the host's own three, and harper" \
            "$(ops "$u" '{"operation":"system_information"}' | json 'len(d)')" 15
    done
    is "... a plain user may not (exit 4)" \
        "$(ops $PLAIN '{"operation":"system_information"}' 2>/dev/null; echo "exit $?")" \
        "$(f403 systemInformation)"$'\nexit 4'
}

# The sandboxed daemon's own mount namespace (ProtectSystem=strict) has / read-only; the
# answer must be the system's view, as findmnt outside the sandbox shows it.
case_disk_rw() {
    local want opts
    opts=$(b_in findmnt -no OPTIONS /)
    [[ $opts == rw* ]] && want=True || want=False
    is "disk.size[].rw of / is what findmnt says of / ($opts)" \
        "$(ops root '{"operation":"system_information","attributes":["disk"]}' |
           json '[r["rw"] for r in d["disk"]["size"] if r["mount"] == "/"][0]')" "$want"
}

case_restarts() {
    local before w out
    before=$(main_pid harperdb.service)
    like "root restarts the instance (--wait: COMPLETE)" "$(ops root --wait '{"operation":"restart"}')" '"status":"COMPLETE"'
    check "... it has a new main process" test "$(main_pid harperdb.service)" != "$before"
    before=$(for w in 1 2 3; do main_pid harperdb-http@$w.service; done)
    out=$(ops $ADMIN --wait '{"operation":"restart_service","service":"http_workers"}')
    like "a harper-admin member rolls http_workers (COMPLETE)" "$out" '"status":"COMPLETE"'
    is "... each of the three workers has a new main process" \
        "$(comm -12 <(sort <<<"$before") <(for w in 1 2 3; do main_pid harperdb-http@$w.service; done | sort))" ""
    like "... restart_service clustering (COMPLETE)" \
        "$(ops $ADMIN --wait '{"operation":"restart_service","service":"clustering"}')" '"status":"COMPLETE"'
    before=$(main_pid harperdb.service)
    is "a plain user may not restart (exit 4)" "$(ops $PLAIN '{"operation":"restart"}' 2>/dev/null; echo "exit $?")" \
        "$(f403 restart)"$'\nexit 4'
    is "... and nothing was restarted" "$(main_pid harperdb.service)" "$before"
}

case_http() {
    local body='{"operation":"get_status","id":"primary"}'
    check "the unix socket unit starts" b_in systemctl enable --now harper-ops-http.socket
    is "a harper-admin member over the unix socket: 200" \
        "$(b_user $ADMIN curl -s -o /dev/null -w '%{http_code}' --unix-socket /run/harper-sysops/http.sock -d "$body" http://localhost/)" 200
    is "a plain user over the unix socket: 403" \
        "$(b_user $PLAIN curl -s -o /dev/null -w '%{http_code}' --unix-socket /run/harper-sysops/http.sock -d "$body" http://localhost/)" 403
    # systemd will not add a socket to a running service: the service takes both when next started
    check "the opt-in TCP socket unit starts (the service stopped first)" \
        b_in sh -c 'systemctl stop harper-ops-http.service && systemctl enable --now harper-ops-http-tcp.socket'
    is "a harper-admin member's login over TCP on 9939: 200" \
        "$(b_in curl -sS -o /dev/null -w '%{http_code}' -u "$ADMIN:$ADMIN_PASSWORD" -d "$body" http://127.0.0.1:9939/ 2>&1)" 200
}

case_socket_warnings() {
    is "no warning from the socket units in the journal" \
        "$(b_in journalctl -b -p warning -o cat -u harper-ops-http.socket -u harper-ops-http-tcp.socket)" ""
    is "... and no TCP_NODELAY failure anywhere" "$(b_in journalctl -b -o cat | grep -i nodelay)" ""
}

case_ports() {
    local listening p taken=
    listening=$(b_in ss -ltnH | awk '{print $4}' | sed 's/.*://' | sort -un | tr '\n' ' ')
    diag "TCP ports listened on in the container: $listening"
    for p in $HARPER_PORTS; do [[ " $listening " == *" $p "* ]] && taken+="$p "; done
    is "nothing listens on Harper's ports ($HARPER_PORTS)" "$taken" ""
    like "... the opt-in TCP socket is on 9939" " $listening " " 9939 "
}

case_security() {
    local u out
    for u in harper-sysopsd.service harper-ops-http.service systemd-hostnamed.service; do
        out=$(b_in systemd-analyze security "$u" 2>&1 | grep 'Overall exposure')
        diag "systemd-analyze security in the booted system: ${out#→ }"
    done
    # systemd carries on without a setting the kernel or the container does not allow (a nested
    # container without CAP_NET_ADMIN: no PrivateNetwork=), saying so only in the journal
    is "the units' sandboxes are whole (no \"proceeding without\" in their journal)" \
        "$(b_in journalctl -b -o cat -u harper-sysopsd.service -u harper-ops-http.service | grep 'proceeding without')" ""
    like "harper-sysopsd's exposure is at most 2.0 in the booted system" \
        "$(b_in systemd-analyze security harper-sysopsd.service 2>&1 | grep 'Overall exposure')" \
        ": (1\.[0-9]|2\.0|0\.[0-9]) "
}

# A plain user in a seat0 login session authenticates as polkit's administrator through the
# pkttyagent harper-ops starts on its terminal (pty-answer.py types the password).
case_polkit_interactive() {
    local body='{"operation":"set_status","id":"maintenance","status":"STATUS"}' out
    out=$(b_session $PLAIN "python3 /usr/local/bin/pty-answer.py '$BOSS_PASSWORD' harper-ops '${body/STATUS/by-password}'; echo \"exit \$?\"")
    like "a plain user who gives an administrator's password through pkttyagent gets in" "$(flat "$out")" \
        '"status":"by-password".*exit 0'
    out=$(b_session $PLAIN "python3 /usr/local/bin/pty-answer.py wrong-password harper-ops '${body/STATUS/wrong}'; echo \"exit \$?\"")
    like "a wrong password: AccessDenied (exit 3)" "$(flat "$out")" "AUTHENTICATION FAILED.*org.freedesktop.DBus.Error.AccessDenied.*exit 3"
    like "... and harper-ops says the password was not accepted" "$out" "did not accept it"
    out=$(b_session $PLAIN "dismissing-agent >agent.out & for i in \$(seq 100); do grep -q registered agent.out && break; sleep 0.05; done
        harper-ops --ask-password '${body/STATUS/dismissed}' </dev/null; echo \"exit \$?\"; kill %1" 2>&1)
    like "a dismissed agent: AuthorizationCancelled, distinct from a wrong password (exit 3)" "$(flat "$out")" \
        "io.harperdb.SystemOperations1.Error.AuthorizationCancelled.*exit 3"
    like "only the password's status was set" "$(ops root '{"operation":"get_status","id":"maintenance"}')" '"status":"by-password"'
}

# A call that allows a password prompt but finds no agent: why, and what to do, on stderr; the
# answer stays Harper's.
case_denied_hints() {
    local body='{"operation":"set_status","id":"primary","status":"x"}' out err
    err=$(ops $PLAIN --ask-password "$body" 2>&1 >/dev/null)
    like "outside a login session: says there is no session, hence no agent" "$err" \
        "AccessDenied: .*outside a login session.*log in on a console or over ssh"
    out=$(b_session $PLAIN "harper-ops --ask-password '$body' </dev/null 2>err; echo \"exit \$?\"; cat err >&2" 2>"$B_T/err")
    is "in a session without an agent: Harper's 403 body, exit 3" "$out" "$(f403 setStatus)"$'\nexit 3'
    like "... and stderr says no agent asked, and what to do" "$(cat "$B_T/err")" \
        "AccessDenied: .*No polkit agent asked for a password.*harper-admin"
}

# Item 1: systemd re-executes (what an upgrade of systemd runs) in the middle of a rolling
# restart of three workers that start slowly: the rollout completes
case_reexec() {
    local before out
    mkdir -p "$B_T/root/etc/systemd/system/harperdb-http@.service.d"
    printf '[Service]\nExecStartPre=/bin/sleep 1\n' >"$B_T/root/etc/systemd/system/harperdb-http@.service.d/slow.conf"
    b_in systemctl daemon-reload
    before=$(for w in 1 2 3; do main_pid harperdb-http@$w.service; done)
    ops root --wait '{"operation":"restart_service","service":"http_workers"}' >"$B_T/reexec.out" 2>&1 &
    local waiter=$!
    sleep 1.5
    b_in systemctl daemon-reexec
    wait "$waiter"
    is "daemon-reexec mid-rollout: harper-ops --wait exits 0" "$?" 0
    like "... the job is COMPLETE" "$(cat "$B_T/reexec.out")" '"status":"COMPLETE"'
    is "... each of the three workers has a new main process" \
        "$(comm -12 <(sort <<<"$before") <(for w in 1 2 3; do main_pid harperdb-http@$w.service; done | sort))" ""
    like "... the daemon followed systemd's jobs again" \
        "$(b_in journalctl -b -u harper-sysopsd.service -o cat | tr '\n' ' ')" "The systemd manager is back"
    rm -r "$B_T/root/etc/systemd/system/harperdb-http@.service.d"
    b_in systemctl daemon-reload
}

# Item 3: refused calls leave journal entries with who, what, why and a MESSAGE_ID per kind
case_refusal_journal() {
    ops $PLAIN --no-ask-password '{"operation":"restart"}' >/dev/null 2>&1
    ops root '{"operation":"set_status","id":"nonsense","status":"x"}' >/dev/null 2>&1
    local entries
    entries=$(b_in journalctl -b -u harper-sysopsd.service -o json --output-fields=MESSAGE_ID,SYSOPS_METHOD,SYSOPS_UID,SYSOPS_ERROR)
    like "a plain user's refused restart is in the journal with its uid and a MESSAGE_ID" "$(flat "$entries")" \
        '"MESSAGE_ID":"b62cb5697bff4946bf71b2780d1d146f".*"SYSOPS_METHOD":"Restart".*"SYSOPS_UID":"'"$(b_in id -u $PLAIN)"'"|"SYSOPS_UID":"'"$(b_in id -u $PLAIN)"'".*"MESSAGE_ID":"b62cb5697bff4946bf71b2780d1d146f"'
    like "... root's invalid arguments too, under their own MESSAGE_ID" "$(flat "$entries")" \
        '5f8fcee6607f48a38e6cc1e82db4ffbc'
    like "... journalctl MESSAGE_ID= finds them" \
        "$(b_in journalctl -b MESSAGE_ID=b62cb5697bff4946bf71b2780d1d146f -o cat)" "Refused Restart\(\) from uid"
}

# Items 4 and 5: a bad configuration is answered at once, naming it; reload keeps statuses, a
# bad reload keeps the running configuration and fails, saying why
case_configuration() {
    local conf=/etc/harper-sysops/sysops.json t0 out
    b_in cp "$conf" /root/sysops.json.good
    ops root '{"operation":"set_status","id":"maintenance","status":"kept"}' >/dev/null
    b_in sh -c "echo '{\"jobs_kept\":\"many\"}' >$conf"
    is "systemctl reload with a bad file fails" "$(b_in systemctl reload harper-sysopsd.service >/dev/null 2>&1; echo $?)" 1
    like "... the running configuration and the statuses stay" "$(ops root '{"operation":"get_status","id":"maintenance"}')" '"status":"kept"'
    b_in cp /root/sysops.json.good "$conf"
    is "a reload with a good file succeeds" "$(b_in systemctl reload harper-sysopsd.service; echo $?)" 0
    like "... statuses kept" "$(ops root '{"operation":"get_status","id":"maintenance"}')" '"status":"kept"'
    b_in sh -c "echo '{\"jobs_kept\":\"many\"}' >$conf"
    b_in systemctl restart harper-sysopsd.service
    t0=$(_b_usec)
    out=$(ops root '{"operation":"get_status"}' 2>&1)
    check "a bad configuration at start: a call is answered at once ($(_b_ms_since "$t0") ms)" test "$(_b_ms_since "$t0")" -lt 5000
    like "... naming the file, the key and where to look" "$(flat "$out")" \
        "bad configuration: $conf: 'jobs_kept' must be a whole number.*journalctl -u harper-sysopsd"
    b_in cp /root/sysops.json.good "$conf"
    b_in systemctl reload harper-sysopsd.service
    like "... and after a reload with the good file it serves" "$(ops root '{"operation":"get_status","id":"maintenance"}')" '\{'
}

# Last: it restarts the daemon. With WatchdogSec=1s a daemon that does not ping is killed
# within a second; the loop's pings keep it.
case_watchdog() {
    local pid
    is "the shipped unit sets WatchdogSec=3min" "$(b_in systemctl show -P WatchdogUSec harper-sysopsd.service)" 3min
    mkdir -p "$B_T/root/etc/systemd/system/harper-sysopsd.service.d"
    printf '[Service]\nWatchdogSec=1s\n' >"$B_T/root/etc/systemd/system/harper-sysopsd.service.d/watchdog.conf"
    b_in systemctl daemon-reload && b_in systemctl restart harper-sysopsd.service
    pid=$(main_pid harper-sysopsd.service)
    sleep 3
    is "with WatchdogSec=1s the daemon is still the same process after 3 s" "$(main_pid harper-sysopsd.service)" "$pid"
    is "... never restarted, no watchdog timeout" \
        "$(b_in systemctl show -P NRestarts harper-sysopsd.service) $(b_in journalctl -b -u harper-sysopsd.service -o cat | grep -ci 'watchdog timeout')" "0 0"
}

# ---------------------------------------------------------------- issue 23: the package's life

CONF=/etc/harper-sysops/sysops.json
# harper_api_on: the configuration as the stand-ins' but with Harper's operations API on (the
# default), which the stand-in Harper never answers; stand_ins_back: the tests' own again
harper_api_on() {
    b_in cp "$CONF" /root/sysops.json.stand-ins
    python3 -c 'import json, sys; c = json.load(open(sys.argv[1])); del c["harper"]; json.dump(c, open(sys.argv[1], "w"))' \
        "$B_T/root$CONF"
}
stand_ins_back() { b_in cp /root/sysops.json.stand-ins "$CONF" && b_in systemctl reload-or-restart harper-sysopsd.service; }
# out_exit CMD...: CMD's stdout on one line, then "exit N"
out_exit() { local out rc; out=$("$@"); rc=$?; echo "$(flat "$out")exit $rc"; }
# the project's processes in the container, by name
our_processes() { b_in ps -eo comm= | grep -x -e harper-sysopsd -e harper-ops-http | sort -u | tr '\n' ' '; }

# An upgrade (dpkg -i of the installed packages again: prerm upgrade, postinst configure, which
# try-restart what runs) with statuses set: the first answer after it has them, from systemd's
# fd store (with nothing to read back from: the tests' configuration has no Harper API)
case_upgrade() {
    local pid out
    mkdir -p "$B_T/root/root/debs" && cp "$B_DEBS"/harper-sysops_*.deb "$B_DEBS"/harper-sysops-http_*.deb "$B_T/root/root/debs/"
    ops root '{"operation":"set_status","id":"maintenance","status":"upgrading"}' >/dev/null
    ops root '{"operation":"set_status","id":"primary","status":"kept-across"}' >/dev/null
    pid=$(main_pid harper-sysopsd.service)
    check "dpkg -i of the installed packages again (an upgrade) succeeds" b_in sh -c 'dpkg -i /root/debs/*.deb >/root/upgrade.log 2>&1'
    out=$(main_pid harper-sysopsd.service)
    check "... it restarted harper-sysopsd (main process $pid, now $out)" test "$out" != 0 -a "$out" != "$pid"
    out=$(ops root --status '{"operation":"get_status"}' 2>&1)
    like "... the first get_status after it has both statuses" "$(flat "$out")" \
        '^200 \[\{"id":"maintenance","status":"upgrading",[^]]*\},\{"id":"primary","status":"kept-across",[^]]*\}\] $'
    like "... over HTTP too (its sockets try-restarted)" \
        "$(b_user $ADMIN curl -s -w ' %{http_code}' --unix-socket /run/harper-sysops/http.sock -d '{"operation":"get_status","id":"maintenance"}' http://localhost/)" \
        '"status":"upgrading".* 200$'
    like "... the daemon took them from systemd's fd store" "$(b_in journalctl -b -u harper-sysopsd.service -o cat)" \
        "Took over the statuses of the previous run, 2 set, kept by systemd"
    is "... dpkg said nothing of disabled or static units" "$(grep -c 'disabled or a static unit' "$B_T/root/root/upgrade.log")" 0
}

# Item 3: Harper's unit is harper.service, instance_unit is not set (Harper's own restart_service
# and its API, the defaults): both errors name the key that fixes it
case_other_unit_name() {
    local etc=$B_T/root/etc/systemd/system out want="systemd has no unit harperdb\.service \(instance_unit in sysops\.json\(5\) names Harper's unit\)"
    b_in systemctl stop harperdb.service
    mv "$etc/harperdb.service" "$B_T/harperdb.service" && rm "$etc/multi-user.target.wants/harperdb.service" &&
        cp "$SRCDIR/tests/units/harperdb.service" "$etc/harper.service"
    b_in systemctl daemon-reload && b_in systemctl start harper.service
    b_in cp "$CONF" /root/sysops.json.stand-ins
    echo '{}' >"$B_T/root$CONF"
    b_in systemctl reload-or-restart harper-sysopsd.service
    out=$(out_exit ops root --wait '{"operation":"restart_service","service":"http_workers"}' 2>&1)
    like "harper.service, no instance_unit: restart_service's error names instance_unit" "$out" "$want"
    out=$(ops root '{"operation":"system_information","attributes":["system"]}' | json 'd["harper"]')
    like "... system_information's note of Harper too" "$out" "$want"
    b_in systemctl stop harper.service
    rm "$etc/harper.service" && mv "$B_T/harperdb.service" "$etc/" &&
        ln -s ../harperdb.service "$etc/multi-user.target.wants/harperdb.service"
    b_in systemctl daemon-reload && b_in systemctl start harperdb.service
    stand_ins_back
}

# A reboot with statuses set: systemd's fd store and Harper's copy are both gone. Harper's API is
# on and the stand-in never answers it: every read until Harper answers is StatusesUnknown (exit
# 8, HTTP 503), never [] (a load balancer would read "not in maintenance").
case_reboot() {
    local boot_id seen
    harper_api_on
    b_in systemctl reload-or-restart harper-sysopsd.service
    ops root '{"operation":"set_status","id":"maintenance","status":"before-reboot"}' >/dev/null
    like "with Harper's API on, a status is set before the reboot" \
        "$(ops root '{"operation":"get_status","id":"maintenance"}')" '"status":"before-reboot"'
    boot_id=$(b_in cat /proc/sys/kernel/random/boot_id)
    check "the container reboots (systemctl reboot)" b_reboot || return
    diag "reboot: up again after ${B_BOOT_MS} ms (system $B_STATE)"
    check "... a new boot" test "$(b_in cat /proc/sys/kernel/random/boot_id)" != "$boot_id"
    # the first calls start the daemon by D-Bus activation, which finds nothing in the fd store
    seen=$(for _ in 1 2 3 4 5; do
        out_exit ops root --status '{"operation":"get_status"}' 2>>"$B_T/reboot.err"
        out_exit ops root --status '{"operation":"get_status","id":"maintenance"}' 2>>"$B_T/reboot.err"
    done | sed 's/{"error":"[^"]*"}/{"error":…}/' | sort | uniq -c | sed 's/^ *//')
    is "after the reboot, each of 10 reads is StatusesUnknown (503, exit 8), none []" "$seen" '10 503 {"error":…} exit 8'
    is "... the D-Bus error each time" "$(sort "$B_T/reboot.err" | uniq -c | sed 's/^ *//; s/Unknown: .*/Unknown/')" \
        "10 harper-ops: io.harperdb.SystemOperations1.Error.StatusesUnknown"
    like "... saying why" "$(ops root '{"operation":"get_status"}' 2>/dev/null)" '"error":"[^"]*Harper has not answered'
    is "... over HTTP: 503" "$(b_user $ADMIN curl -s -o /dev/null -w '%{http_code}' --unix-socket /run/harper-sysops/http.sock \
        -d '{"operation":"get_status"}' http://localhost/)" 503
    stand_ins_back
}

# Remove, install again, remove, purge, install again, as apt and dpkg do them, with harper-sysopsd
# and both HTTP sockets running at the first removal
case_remove_purge_reinstall() {
    local files left
    ops root '{"operation":"get_status"}' >/dev/null 2>&1         # D-Bus activation
    b_user $ADMIN curl -s -o /dev/null --unix-socket /run/harper-sysops/http.sock -d '{"operation":"get_status"}' http://localhost/
    is "before removal: the daemon, the HTTP service and both its sockets run" \
        "$(b_in systemctl is-active harper-sysopsd.service harper-ops-http.service harper-ops-http.socket harper-ops-http-tcp.socket | tr '\n' ' ')" \
        "active active active active "
    is "... their processes" "$(our_processes)" "harper-ops-http harper-sysopsd "
    # what the packages installed, but for directories others share
    files=$(b_in sh -c 'dpkg -L harper-sysops harper-sysops-http | while read -r f; do [ -d "$f" ] && [ "${f#*harper}" = "$f" ] || echo "$f"; done')
    check "apt-get remove of both packages succeeds" b_in sh -c 'apt-get remove -y harper-sysops harper-sysops-http >/root/remove.log 2>&1'
    is "... no harper-sysopsd or harper-ops-http process is left" "$(our_processes)" ""
    is "... the bus name io.harperdb.SystemOperations1 has no owner" \
        "$(b_in busctl --system call org.freedesktop.DBus /org/freedesktop/DBus org.freedesktop.DBus NameHasOwner s io.harperdb.SystemOperations1)" "b false"
    is "... nothing listens on the HTTP sockets any more" \
        "$(b_in ss -Hlxtn | grep -e /run/harper-sysops/http.sock -e ':9939 ')" ""
    check "... the conffile /etc/pam.d/harper-ops stays until purge" b_in test -e /etc/pam.d/harper-ops
    check "... so does the configuration, $CONF" b_in test -s "$CONF"
    check "dpkg -i after the removal succeeds" b_in sh -c 'dpkg -i /root/debs/*.deb >/root/reinstall.log 2>&1'
    like "... an operation answers" "$(flat "$(ops root --status '{"operation":"get_status"}' 2>&1)")" '^200 \['
    check "apt-get remove again" b_in sh -c 'apt-get remove -y harper-sysops harper-sysops-http >/root/remove.log 2>&1'
    is "... no process left" "$(our_processes)" ""
    check "dpkg --purge of both succeeds" b_in sh -c 'dpkg --purge harper-sysops harper-sysops-http >/root/purge.log 2>&1'
    is "... dpkg has neither" "$(b_in dpkg-query -W -f='${db:Status-Abbrev}\n' harper-sysops harper-sysops-http 2>/dev/null | grep -v '^[up]n')" ""
    left=$(b_in sh -c 'while read -r f; do [ -e "$f" ] || [ -L "$f" ] && echo "$f"; done; true' \
        <<<"$files"$'\n/etc/pam.d/harper-ops')
    is "... none of their files is left, conffile included" "$left" ""
    is "... nor their units' links" "$(b_in find /etc/systemd/system /var/lib/systemd/deb-systemd-helper-enabled -name 'harper-ops-http*' -o -name 'harper-sysopsd.service')" ""
    like "... what policy keeps: the group harper-admin (files and members may be its)" "$(b_in getent group harper-admin)" "^harper-admin:.*$ADMIN"
    is "... not the configuration: /etc/harper-sysops is gone (Debian policy 10.7.3)" \
        "$(b_in sh -c 'ls -A /etc/harper-sysops 2>/dev/null || echo gone')" gone
    check "dpkg -i after the purge succeeds" b_in sh -c 'dpkg -i /root/debs/*.deb >/root/reinstall.log 2>&1'
    like "... the group harper-admin as before" "$(b_in getent group harper-admin)" "^harper-admin:.*$ADMIN"
    like "... an operation answers (D-Bus activation)" \
        "$(flat "$(ops root --status '{"operation":"set_status","id":"primary","status":"reinstalled"}' 2>&1)")" '^200 \{.*"status":"reinstalled"'
    is "... the HTTP sockets are disabled again (an opt-in)" \
        "$(b_in systemctl is-enabled harper-ops-http.socket harper-ops-http-tcp.socket | tr '\n' ' ')" "disabled disabled "
}

CASES=(packages activation statuses system_information disk_rw restarts reexec refusal_journal configuration http
       socket_warnings ports security polkit_interactive denied_hints watchdog upgrade other_unit_name reboot
       remove_purge_reinstall)

# ---------------------------------------------------------------- run

t0=$(_b_usec)
b_rootfs || bail_out "no Debian tree (debootstrap)"
diag "rootfs $B_ROOTFS ready after $(_b_ms_since "$t0") ms"
b_prepare || bail_out "cannot copy the tree or install the project into it"
setup_root || bail_out "cannot set up users and stand-in units in the tree"
b_boot || bail_out "the container did not boot"
diag "overlay ${B_OVERLAY_MS} ms, build ${B_BUILD_MS} ms, boot ${B_BOOT_MS} ms (system $B_STATE)"
for c in "${CASES[@]}"; do
    t0=$(_b_usec)
    "case_$c"
    diag "case $c: $(_b_ms_since "$t0") ms"
done
t0=$(_b_usec)
b_poweroff
diag "power-off $(_b_ms_since "$t0") ms"
done_testing
