#!/bin/bash
# SPDX-License-Identifier: MIT
# What a plain user's attacks on harper-sysopsd's share of the bus (issue 22) cost root and an
# admin: on the test stack with the 64 kept jobs, root's GetStatus (200 calls on one connection)
# beside root's call of the bus itself (GetId, 200 calls: what the bus alone costs), and an
# admin's SetStatus (20 calls, each on a fresh connection, through polkit) with no attack
# and under each attack of tests/tools/unread-calls (hsops-user), side by side with their
# ratios to the unloaded figures; the daemon's peak RSS during each attack's 25 s (sampled every
# 100 ms), and the calls the attacker sent (with its exit status when it did not end well: a
# bus may disconnect it). One table with dbus-daemon as the bus, then one with dbus-broker
# (H_BUS of tests/lib/harness.sh; left out when it is not installed), each with its own
# unloaded row.
# About 2 minutes a bus; not in bench/run.sh. Root.
#   bench/hostile-bench.sh [BUILDDIR]
set -u
cd "$(dirname "$0")/.." || exit 1
BUILDDIR=$(cd "${1:-build}" && pwd) || exit 1
. tests/lib/harness.sh
H_UNITS_DIR=$PWD/tests/units
LATENCY=$BUILDDIR/tests/call-latency
h_users || exit 1

field() { awk -v k="$1" '{ for (i = 1; i < NF; i++) if ($i == k) print $(i + 1) }' <<<"$2"; }
rss_sampler() {
    local peak=0 v
    while [ ! -e "$H_T/sampler.stop" ]; do
        v=$(awk '$1 == "VmRSS:" { print $2 }' "/proc/$H_DAEMON_PID/status" 2>/dev/null) || break
        [ "${v:-0}" -gt "$peak" ] && peak=$v
        sleep 0.1
    done
    echo "$peak" >"$H_T/sampler.peak"
}

# run NAME [MODE CONNECTIONS]: the figures with the attack running (3 s in), one row
run() {
    local name=$1 attacker='' sampler root admin peak sent=- rc
    rm -f "$H_T/sampler.stop" "$H_T/attack.err" "$H_T/attack.out"
    rss_sampler &
    sampler=$!
    if [ $# -gt 1 ]; then
        as_user hsops-user "$BUILDDIR/tests/unread-calls" "$2" "$3" 25 >"$H_T/attack.out" 2>"$H_T/attack.err" &
        attacker=$!
        h_wait 60 grep -q started "$H_T/attack.err"
        sleep 3
    fi
    root=$("$LATENCY" 200 GetStatus primary 2>/dev/null)
    bus=$("$LATENCY" 200 org.freedesktop.DBus.GetId 2>/dev/null)
    admin=$(as_user hsops-admin "$LATENCY" --fresh 20 SetStatus maintenance bench 2>/dev/null)
    if [ -n "$attacker" ]; then
        wait "$attacker"
        rc=$?
        sent=$(field sent "$(cat "$H_T/attack.out")")
        [ "$rc" = 0 ] || sent="${sent:-0}/exit$rc"
    fi
    touch "$H_T/sampler.stop"
    wait "$sampler"
    peak=$(cat "$H_T/sampler.peak")
    if [ -z "${base_root50:-}" ]; then
        base_root50=$(field p50 "$root") base_root99=$(field p99 "$root") base_admin50=$(field p50 "$admin")
        base_bus50=$(field p50 "$bus")
    fi
    printf '%-22s %9s %9s %7.2f %7.2f %9s %7.2f %9s %7.2f %5s %5s %7s %12s\n' "$name" \
        "$(field p50 "$root")" "$(field p99 "$root")" \
        "$(bc -l <<<"$(field p50 "$root") / $base_root50")" "$(bc -l <<<"$(field p99 "$root") / $base_root99")" \
        "$(field p50 "$bus")" "$(bc -l <<<"$(field p50 "$bus") / $base_bus50")" \
        "$(field p50 "$admin")" "$(bc -l <<<"$(field p50 "$admin") / $base_admin50")" \
        "$(( $(field timeouts "$root") + $(field timeouts "$admin") ))" \
        "$(( $(field errors "$root") + $(field errors "$admin") ))" "$(( peak / 1024 ))" "$sent"
}

# table BUS: the stack on BUS (H_BUS), the 64 kept jobs, the rows
table() {
    H_BUS=$1 base_root50=
    h_up || return 1
    h_systemctl start harperdb.service harperdb-http@1.service || return 1
    h_daemon_start || return 1
    busctl --system call "$H_BUS_NAME" "$H_OBJ_PATH" "$H_BUS_NAME" SetStatus ss primary active >/dev/null || return 1
    for _ in $(seq 64); do
        "$BUILDDIR/src/harper-ops" --wait '{"operation":"restart_service","service":"http_workers"}' >/dev/null 2>&1
    done
    echo "harper-sysopsd under a plain user's attacks, bus $1 ($(nproc) CPUs, load $(cut -d' ' -f1 /proc/loadavg)); times in µs"
    printf '%-22s %9s %9s %7s %7s %9s %7s %9s %7s %5s %5s %7s %12s\n' attack "root p50" "root p99" "x p50" "x p99" \
        "bus p50" "x p50" "admin p50" "x p50" tmout err "RSS MiB" "sent"
    run "none"
    run "unread (64 conns)" unread 64
    run "noreply (16 conns)" noreply 16
    run "flood GetJob (16)" flood 16
    h_daemon_stop
    grep "Calls not served" "$H_T/daemon.log"
    h_down
}

table dbus-daemon || exit 1
echo
if [ -x /usr/bin/dbus-broker-launch ]; then
    table dbus-broker || exit 1
else
    echo "dbus-broker not installed: its table is left out (apt-get install dbus-broker)"
fi
