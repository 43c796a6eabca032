# SPDX-License-Identifier: MIT
# tests/lib/harper.sh - the real Harper (npm harperdb, pinned in tests/harper/) for the integration
# tests, run by the harness's systemd manager as harperdb.service (source after harness.sh; call
# h_up first). Everything lives in $H_T/harper and goes with the harness's teardown.
#   harper_user                   the user Harper runs as (HARPER_USER, hsops-harper); idempotent
#   harper_setup                  install the package (cache) and a fresh Harper root on free ports
#   harper_unit [LINES]           write and load harperdb.service; LINES go into its [Service]
#   harper_start [SECS]           start the unit and harper_wait_ready (default 90 s)
#   harper_wait_ready [SECS]      until Harper answers on its socket and its TCP port;
#                                 HARPER_READY_MS = how long that took
#   harper_op [-s] JSON           one operation over the unix socket (no credentials); prints
#                                 Harper's body, with -s its HTTP status on a line before it
#   harper_tcp_op [-s] [-n|-u USER:PASS] JSON
#                                 the same over the TCP operations port, as the admin (Basic),
#                                 -n without credentials, -u as someone else
#   harper_pid                    the unit's MainPID (0 when not running)
#   harper_threads                Harper's worker threadIds (system_information threads), sorted
#   harper_job_wait ID [SECS]     poll get_job until COMPLETE or ERROR; prints the last status
#   harper_logs                   to stderr: the unit's state, the end of Harper's log and output
#   harper_counting_proxy SOCK LOG  a proxy in front of Harper's socket at SOCK, a line in LOG
#                                 per connection; harper_proxy_stop ends it
#   harper_stop                   stop the unit (Harper flushes and exits on SIGTERM)
#   harper_down                   harper_stop, then h_down: the EXIT trap of these tests
#   harper_test_up                a test's start: the stack, Harper installed and answering as
#                                 harperdb.service, H_REAL_HARPER set for h_daemon_start
# Variables: HARPER_USER HARPER_UNIT HARPER_ROOT HARPER_HOME HARPER_SOCK HARPER_OPS_PORT
#   HARPER_HTTP_PORT HARPER_REPL_PORT HARPER_MQTT_PORT HARPER_ADMIN HARPER_PASSWORD
#   HARPER_NODE_MODULES HARPER_READY_MS; Harper's output (install and run) in $H_T/harper.log.
# Inputs of harper_setup: HARPER_ADDRESS, the loopback address every listener binds (default
#   127.0.0.1), HARPER_REPLICATION_HOSTNAME, Harper's replication.hostname = its node name
#   (default: Harper's own, the host name; tests/lib/cluster.sh sets both per node).
#
# Harper runs as its own user, as in production: the socket <root>/operations-server then
# belongs to that user (mode 0755) and root reaches it only through CAP_DAC_OVERRIDE, which is
# what harper-sysopsd will meet. The harness's systemd --user runs as root, so User= works.

HARPER_USER=hsops-harper
HARPER_UNIT=harperdb.service
HARPER_ADMIN=HDB_ADMIN
: "${HARPER_ADDRESS:=127.0.0.1}" "${HARPER_REPLICATION_HOSTNAME:=}"
HARPER_ROOT='' HARPER_HOME='' HARPER_SOCK='' HARPER_OPS_PORT='' HARPER_HTTP_PORT='' HARPER_REPL_PORT=''
HARPER_MQTT_PORT='' HARPER_PASSWORD='' HARPER_NODE_MODULES='' HARPER_READY_MS='' HARPER_PROXY_PID=''

harper_user() {
    local lock=/run/hsops-test-users.lock     # the same lock as h_users: one useradd at a time
    [ -w /run ] || lock=/tmp/hsops-test-users.lock
    (
        flock -w 60 9 || { echo "harper_user: cannot take $lock" >&2; exit 1; }
        id "$HARPER_USER" >/dev/null 2>&1 ||
            _h_retry useradd -r -M -d /nonexistent -s /usr/sbin/nologin "$HARPER_USER"
    ) 9>>"$lock"
}

harper_setup() {
    local -; set +e
    local p ports cfg
    [ -n "$H_T" ] || { echo "harper_setup: call h_up first" >&2; return 1; }
    harper_user || return 1
    HARPER_NODE_MODULES=$("$SRCDIR/tests/harper/install.sh") || return 1
    read -ra ports <<<"$(h_free_ports 4)" && [ ${#ports[@]} = 4 ] || return 1
    HARPER_OPS_PORT=${ports[0]} HARPER_HTTP_PORT=${ports[1]}
    HARPER_REPL_PORT=${ports[2]} HARPER_MQTT_PORT=${ports[3]}
    HARPER_ROOT=$H_T/harper/hdb HARPER_HOME=$H_T/harper/home
    HARPER_SOCK=$HARPER_ROOT/operations-server
    HARPER_PASSWORD=$(head -c 18 /dev/urandom | base64 | tr '+/' 'xy')
    mkdir -p "$HARPER_HOME" && chown -R "$HARPER_USER:" "$H_T/harper" || return 1

    # Harper's non-interactive install, as its user. DEFAULTS_MODE stays unset: prod mode
    # (dev mode sets authorizeLocal, and every authentication check would pass).
    _h_log "harper: install into $HARPER_ROOT, ops $HARPER_ADDRESS:$HARPER_OPS_PORT http :$HARPER_HTTP_PORT"
    (cd "$H_T/harper" && as_user "$HARPER_USER" env -i PATH="$PATH" HOME="$HARPER_HOME" \
        TC_AGREEMENT=yes ROOTPATH="$HARPER_ROOT" \
        HDB_ADMIN_USERNAME="$HARPER_ADMIN" HDB_ADMIN_PASSWORD="$HARPER_PASSWORD" \
        OPERATIONSAPI_NETWORK_PORT="$HARPER_ADDRESS:$HARPER_OPS_PORT" HTTP_PORT="$HARPER_ADDRESS:$HARPER_HTTP_PORT" \
        ${HARPER_REPLICATION_HOSTNAME:+REPLICATION_HOSTNAME="$HARPER_REPLICATION_HOSTNAME"} \
        node "$HARPER_NODE_MODULES/harperdb/bin/harperdb.js" install) >>"$H_T/harper.log" 2>&1 ||
        { _h_fail "harper install failed" "$H_T/harper.log"; return 1; }

    # What the installer does not take: replication (default 9933) and MQTT (1883, 8883) on our
    # ports and loopback, MQTT over TLS off (null: no listener); 2 worker threads, so that the
    # rolling restart of http_workers is quick whatever the CPU count.
    cfg=$HARPER_ROOT/harperdb-config.yaml
    sed -i -e "s/^  securePort: 9933\$/  securePort: $HARPER_ADDRESS:$HARPER_REPL_PORT/" \
        -e "s/^    port: 1883\$/    port: $HARPER_ADDRESS:$HARPER_MQTT_PORT/" \
        -e 's/^    securePort: 8883$/    securePort: null/' \
        -e 's/^  count: [0-9]*$/  count: 2/' "$cfg" || return 1
    # the installer's layout may change with a new Harper: then fail here, not on a port clash
    for p in "securePort: $HARPER_ADDRESS:$HARPER_REPL_PORT" "port: $HARPER_ADDRESS:$HARPER_MQTT_PORT" \
             "port: $HARPER_ADDRESS:$HARPER_OPS_PORT" "port: $HARPER_ADDRESS:$HARPER_HTTP_PORT" "count: 2"; do
        grep -q "^ *$p\$" "$cfg" || { echo "harper_setup: $cfg has no '$p'" >&2; return 1; }
    done
    ! grep -Eq ': *(9925|9926|9932|9933|1883|8883)$' "$cfg" ||
        { echo "harper_setup: a default port is left in $cfg" >&2; return 1; }
}

harper_unit() {
    [ -n "$HARPER_ROOT" ] || { echo "harper_unit: call harper_setup first" >&2; return 1; }
    # shaped like systemd/examples/harperdb.service; the differences are commented
    cat >"$H_T/units/$HARPER_UNIT" <<EOF
[Unit]
Description=Harper (HarperDB) instance for the tests (tests/lib/harper.sh)

[Service]
Type=exec
ExecStart=$(command -v node) $HARPER_NODE_MODULES/harperdb/bin/harperdb.js run
User=$HARPER_USER
Group=$HARPER_USER
Environment=ROOTPATH=$HARPER_ROOT
# Harper writes ~/.harperdb/hdb_boot_properties.file: a home of its own for this run
Environment=HOME=$HARPER_HOME
WorkingDirectory=$HARPER_ROOT
Environment=HARPER_EXIT_ON_RESTART=1
# the hdb.pid a killed Harper leaves behind (see the example)
ExecStartPre=/bin/rm -f $HARPER_ROOT/hdb.pid
Restart=always
# short: the tests wait for the restart
RestartSec=200ms
TimeoutStopSec=30s
LimitNOFILE=65536
# Harper prints a large banner; keep it out of systemd.log
StandardOutput=append:$H_T/harper.log
StandardError=append:$H_T/harper.log
# test only: each worker thread of Harper 4.7.29 also listens on [::]:<random port> (internal
# servers, one of them the operations API), which no setting turns off; this keeps them, and
# anything else Harper might try, to loopback
IPAddressDeny=any
IPAddressAllow=localhost
${1:-}
EOF
    h_systemctl daemon-reload
}

_harper_curl() {   # [-s] CURL ARGS...: body, with -s the HTTP status on a line first
    local show='' out code
    [ "$1" = -s ] && { show=1; shift; }
    out=$(curl -s --max-time 60 -H 'Content-Type: application/json' -w '\n%{http_code}' "$@") || true
    code=${out##*$'\n'}
    [ -n "$show" ] && echo "$code"
    printf '%s\n' "${out%$'\n'*}"
    [ "$code" != 000 ]      # 000: no answer at all
}

harper_op() {
    local s=
    [ "$1" = -s ] && { s=-s; shift; }
    _harper_curl $s --unix-socket "$HARPER_SOCK" -d "$1" http://localhost/
}

harper_tcp_op() {
    local s='' auth=(-u "$HARPER_ADMIN:$HARPER_PASSWORD")
    while :; do
        case $1 in
        -s) s=-s; shift ;;
        -n) auth=(); shift ;;
        -u) auth=(-u "$2"); shift 2 ;;
        *) break ;;
        esac
    done
    _harper_curl $s "${auth[@]}" -d "$1" "http://$HARPER_ADDRESS:$HARPER_OPS_PORT/"
}

# Ready: get_status answers 200 on the socket and the TCP port answers at all (Harper keeps
# running, "healthy", when that port failed to bind).
_harper_ready() {
    [ "$(harper_op -s '{"operation":"get_status"}' 2>/dev/null | head -n1)" = 200 ] &&
        [ "$(curl -s -o /dev/null --max-time 5 -w '%{http_code}' "http://$HARPER_ADDRESS:$HARPER_OPS_PORT/")" != 000 ]
}

harper_wait_ready() {
    local t0
    t0=$(_h_usec)
    HARPER_READY_MS=
    if ! h_wait "${1:-90}" _harper_ready; then
        _h_fail "Harper did not answer within ${1:-90} s ($(h_systemctl is-active "$HARPER_UNIT"))" \
            "$H_T/harper.log" "$HARPER_ROOT/log/hdb.log"
        return 1
    fi
    HARPER_READY_MS=$(( ($(_h_usec) - t0) / 1000 ))
    _h_log "harper: ready after $HARPER_READY_MS ms (MainPID $(harper_pid))"
}

harper_start() {
    h_systemctl start "$HARPER_UNIT" || { _h_fail "cannot start $HARPER_UNIT" "$H_T/harper.log"; return 1; }
    harper_wait_ready "${1:-90}"
}

harper_pid() { h_systemctl show -P MainPID "$HARPER_UNIT"; }

harper_threads() {
    harper_op '{"operation":"system_information","attributes":["threads"]}' |
        python3 -c 'import json,sys; print(" ".join(sorted(str(t["threadId"]) for t in json.load(sys.stdin)["threads"])))'
}

_harper_job_status() {
    harper_op '{"operation":"get_job","id":"'"$1"'"}' |
        python3 -c 'import json,sys; j=json.load(sys.stdin); print(j[0]["status"] if j else "")' 2>/dev/null
}
_harper_job_done() { [[ $(_harper_job_status "$1") =~ ^(COMPLETE|ERROR)$ ]]; }
harper_job_wait() {
    h_wait "${2:-60}" _harper_job_done "$1"
    _harper_job_status "$1"
}

harper_logs() {
    [ -n "$H_T" ] || return 0
    {
        echo "----- $HARPER_UNIT: $(h_systemctl show -P ActiveState "$HARPER_UNIT")," \
            "MainPID $(harper_pid), NRestarts $(h_systemctl show -P NRestarts "$HARPER_UNIT")"
        grep -a "$HARPER_UNIT" "$H_T/systemd.log" | tail -n 20
        echo "----- $HARPER_ROOT/log/hdb.log"
        tail -n 60 "$HARPER_ROOT/log/hdb.log"
        echo "----- $H_T/harper.log (without the banner)"
        grep -av '[▒▓]' "$H_T/harper.log" | grep -v '^ *$' | tail -n 80
    } >&2 2>/dev/null
}

# A proxy in front of Harper's socket at SOCK that writes a line to LOG for each connection
# (harper-sysopsd makes one per request): what reaches Harper, counted. HARPER_PROXY_PID;
# harper_down ends it.
harper_counting_proxy() {   # SOCK LOG
    python3 - "$1" "$HARPER_SOCK" "$2" <<'PY' >/dev/null 2>&1 &
import socket, sys, threading
listener = socket.socket(socket.AF_UNIX); listener.bind(sys.argv[1]); listener.listen(64)
def pipe(a, b):
    while (data := a.recv(65536)):
        b.sendall(data)
    b.shutdown(socket.SHUT_WR)
while True:
    client, _ = listener.accept()
    harper = socket.socket(socket.AF_UNIX); harper.connect(sys.argv[2])
    with open(sys.argv[3], "a") as log:
        log.write("connection\n")
    for a, b in ((client, harper), (harper, client)):
        threading.Thread(target=pipe, args=(a, b), daemon=True).start()
PY
    HARPER_PROXY_PID=$!
    h_wait 5 test -S "$1"
}

harper_proxy_stop() {
    [ -z "${HARPER_PROXY_PID:-}" ] || kill "$HARPER_PROXY_PID" 2>/dev/null
    HARPER_PROXY_PID=
}

harper_stop() {
    [ -n "$H_T" ] && [ -S "$H_T/rt/systemd/private" ] || return 0
    timeout 40 env XDG_RUNTIME_DIR="$H_T/rt" systemctl --user stop "$HARPER_UNIT" >/dev/null 2>&1
    return 0
}

# Harper stopped in order, then the harness (which kills whatever is left in its cgroup and
# removes $H_T, Harper's root and home with it).
harper_down() {
    harper_proxy_stop
    harper_stop
    h_down
}

harper_test_up() {
    # shellcheck disable=SC2034 # read by h_daemon_start (harness.sh)
    H_REAL_HARPER=1
    h_users
    h_up || bail_out "stack did not come up"
    trap harper_down EXIT
    harper_setup || bail_out "Harper could not be installed"
    harper_unit || bail_out "harperdb.service could not be written"
    harper_start || { harper_logs; bail_out "Harper did not start"; }
}
