#!/bin/bash
# SPDX-License-Identifier: MIT
# Brings up the test stack (private system bus, real polkitd, harper-sysopsd, and the test
# instance unit harperdb.service under the stack's systemd), then runs sysops-bench and
# restart-bench on it. Usage: bench/run.sh [BUILDDIR] [sysops-bench options]
# polkit-attack-bench then: an admin's SetStatus with and without a plain user's attack on polkit.
# restart-bench takes its options from RESTART_BENCH_ARGS, e.g. RESTART_BENCH_ARGS=--runs=10.
# Then system_information: in-process (sysinfo-bench), over the bus and through harper-ops
# (sysinfo-bus-bench), with the daemon reaching systemd through the bus and then over systemd's
# private socket (restart-bench again there), and against node's systeminformation when node
# is installed. First, on a stack of its own, bench/harper-bench.sh against the real Harper
# (options from HARPER_BENCH_ARGS, e.g. HARPER_BENCH_ARGS=--runs=10).
set -euo pipefail
cd "$(dirname "$0")/.."
BUILDDIR=$(cd "${1:-build}" && pwd); shift || true
# shellcheck disable=SC2086
bench/harper-bench.sh "$BUILDDIR" ${HARPER_BENCH_ARGS:-}
echo
. tests/lib/harness.sh
H_UNITS_DIR=$PWD/tests/units
h_users
h_up
h_daemon_start
h_systemctl start harperdb.service
"$BUILDDIR/bench/sysops-bench" "$@"
echo
"$BUILDDIR/bench/polkit-attack-bench"
h_polkit_stalls
echo
# systemctl --user finds the stack's manager through XDG_RUNTIME_DIR (as h_systemctl does)
# shellcheck disable=SC2086
XDG_RUNTIME_DIR=$H_T/rt "$BUILDDIR/bench/restart-bench" --systemctl="systemctl --user" \
    --harper-ops="$BUILDDIR/src/harper-ops" ${RESTART_BENCH_ARGS:-}
echo
# system_information: in-process collectors, then over the bus with the test units running
h_systemctl start harperdb-clustering.service harperdb-http@1.service harperdb-http@2.service
"$BUILDDIR/bench/sysinfo-bench" 1000
echo
echo "-- harper-sysopsd reaching systemd through the bus (dbus-daemon), as in the tests:"
"$BUILDDIR/bench/sysinfo-bus-bench" -n 1000 --harper-ops="$BUILDDIR/src/harper-ops"
echo
# the same with the daemon talking to systemd over its private socket, as it does with PID 1
h_daemon_stop
echo "{\"systemd_bus\":\"private:$H_T/rt/systemd/private\"}" >"$H_T/bench-private.json"
h_daemon_start --config="$H_T/bench-private.json"
echo "-- harper-sysopsd reaching systemd over its private socket (\"auto\" with systemd as PID 1):"
"$BUILDDIR/bench/sysinfo-bus-bench" -n 1000
echo
# shellcheck disable=SC2086
XDG_RUNTIME_DIR=$H_T/rt "$BUILDDIR/bench/restart-bench" --systemctl="systemctl --user" \
    --harper-ops="$BUILDDIR/src/harper-ops" ${RESTART_BENCH_ARGS:-}
echo
bench/sysinfo-node.sh "$BUILDDIR" 50
echo
bench/harper-sysinfo-bench.sh "$BUILDDIR"     # the real Harper, on a stack of its own
echo
# harper-ops-http: get_status over HTTP (1 and 16 keep-alive connections) next to the same call
# straight over the bus (next to Harper's own in bench/harper-bench.sh); the server is ended
# by its PID, also if the bench fails
_h_spawn http "$BUILDDIR/src/harper-ops-http" --listen="$H_T/http.sock"
http_pid=$_h_pid
trap '_h_kill "$http_pid" 5 http; h_down' EXIT
h_wait 10 test -S "$H_T/http.sock"
"$BUILDDIR/bench/http-bench" --unix="$H_T/http.sock" "--seconds=${HTTP_BENCH_SECONDS:-2}" --connections=16
