# SPDX-License-Identifier: MIT
# tests/lib/sysops.sh - clients of harper-sysopsd for the integration tests (source after harness.sh).
#   dcall [-u USER] [-i] METHOD ARGS...   gdbus call of io.harperdb.SystemOperations1.METHOD;
#                                         -i allows interactive authorization. Prints gdbus's
#                                         answer or its error line; returns gdbus's status.
#   dbus_error OUTPUT                     the D-Bus error name in a failed dcall's output
#   ops [-u USER] ARGS...                 harper-ops ARGS (never interactive unless asked)
#   statuses                              the Statuses property, read by root (gdbus text)
#   times_masked                          stdin to stdout with the ms timestamps replaced by T
#   h_shipped_unit_start CONFIG           the shipped harper-sysopsd.service, sandbox and all, started
#                                         by the harness's systemd with CONFIG (see the drop-in)
#   json KEY...                           a value from the JSON on stdin (keys, list indexes)
#   job_status ID / job_is ID STATUS      a job's Status, read over the bus
#   hang_up_mid_check N SECS              N harper-admin callers of SetStatus, each killed after SECS
#                                         (run it while polkitd is stopped)

HARPER_OPS=$BUILDDIR/src/harper-ops

dcall() {
    local user='' flags=()
    while :; do
        case $1 in
        -u) user=$2; shift 2 ;;
        -i) flags+=(--interactive); shift ;;
        *) break ;;
        esac
    done
    local method=$1; shift
    local cmd=(gdbus call --system -d "$H_BUS_NAME" -o "$H_OBJ_PATH" -m "$H_BUS_NAME.$method" "${flags[@]}" -- "$@")
    if [ -n "$user" ] && [ "$user" != root ]; then as_user "$user" "${cmd[@]}" 2>&1; else "${cmd[@]}" 2>&1; fi
}

dbus_error() { grep -oE 'GDBus\.Error:[A-Za-z0-9_.]+' <<<"$1" | head -n1 | sed 's/^GDBus\.Error://'; }

ops() {
    local user=
    [ "$1" = -u ] && { user=$2; shift 2; }
    if [ -n "$user" ] && [ "$user" != root ]; then as_user "$user" "$HARPER_OPS" "$@"; else "$HARPER_OPS" "$@"; fi
}

statuses() {
    gdbus call --system -d "$H_BUS_NAME" -o "$H_OBJ_PATH" -m org.freedesktop.DBus.Properties.Get \
        "$H_BUS_NAME" Statuses 2>&1
}

json() { python3 -c 'import json,sys; v=json.load(sys.stdin)
for k in sys.argv[1:]: v=v[int(k)] if isinstance(v,list) else v[k]
print(v if not isinstance(v,(dict,list)) else json.dumps(v,separators=(",",":")))' "$@"; }

job_status() {
    local path
    path=$(dcall GetJob "$1" | grep -o "'/[^']*'" | tr -d "'") || return 1
    gdbus call --system -d "$H_BUS_NAME" -o "$path" -m org.freedesktop.DBus.Properties.Get \
        "$H_BUS_NAME.Job" Status | grep -o "'[A-Z_]*'" | tr -d "'"
}
job_is() { [ "$(job_status "$1")" = "$2" ]; }

times_masked() { sed -E 's/"__(created|updated)time__":[0-9]+/"__\1time__":T/g'; }

hang_up_mid_check() {
    local gone=() i
    for i in $(seq "$1"); do
        as_user hsops-admin timeout -s KILL "$2" gdbus call --system -d "$H_BUS_NAME" -o "$H_OBJ_PATH" \
            -m "$H_BUS_NAME.SetStatus" maintenance "gone $i" >/dev/null 2>&1 &
        gone+=($!)
    done
    wait "${gone[@]}"   # only these: the harness's daemons may be children too
}

h_shipped_unit_start() {
    local unit=$H_T/units/harper-sysopsd.service
    sed -e "s#^ExecStart=.*#ExecStart=$BUILDDIR/src/harper-sysopsd --config=$1#" \
        -e "s#^ExecReload=.*--check-config#ExecReload=$BUILDDIR/src/harper-sysopsd --config=$1 --check-config#" \
        "$BUILDDIR/systemd/harper-sysopsd.service" >"$unit"
    mkdir -p "$unit.d"
    cat >"$unit.d/test.conf" <<EOF
[Service]
# The test's bus socket, build tree and configuration live under /tmp, which PrivateTmp=
# would hide; the bus address is the harness's, not /run/dbus/system_bus_socket.
PrivateTmp=no
Environment=DBUS_SYSTEM_BUS_ADDRESS=$DBUS_SYSTEM_BUS_ADDRESS
Restart=no
EOF
    # an ASan build (.ci/run's sanitizer leg): LeakSanitizer's check at exit fails inside the
    # unit's sandbox (SystemCallFilter=), and so would every stop and reload
    if ldd "$BUILDDIR/src/harper-sysopsd" | grep -q libasan; then
        echo "Environment=ASAN_OPTIONS=detect_leaks=0" >>"$unit.d/test.conf"
    fi
    h_systemctl daemon-reload
    h_systemctl start harper-sysopsd.service
}
