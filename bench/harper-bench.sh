#!/bin/bash
# SPDX-License-Identifier: MIT
# harper-sysopsd against the real Harper's own operations (bench/harper-bench.py says what is
# timed): brings up the test stack with the pinned Harper (tests/harper/) as harperdb.service and
# harper-sysopsd with its default configuration (it finds Harper from the unit), then runs the
# rounds; then sysops-bench with statuses kept in Harper and not, and harper-ops-http's
# get_status next to Harper's own (http-bench). Prints "skipped: no node" when node or npm is
# missing. Root.
#   bench/harper-bench.sh [BUILDDIR] [--runs=N] [harper-bench.py options]
set -u
cd "$(dirname "$0")/.." || exit 1
BUILDDIR=$(cd "${1:-build}" && pwd) || exit 1
shift || true
if ! command -v node >/dev/null || ! command -v npm >/dev/null; then echo "harper-bench: skipped: no node"; exit 0; fi
. tests/lib/harness.sh
. tests/lib/harper.sh
H_REAL_HARPER=1
started=$(_h_usec)
h_users || exit 1
h_up || exit 1
trap harper_down EXIT
harper_setup || exit 1
# RestartSec=0: Harper's own restart (it exits, Restart=always starts it) waits for no pause that
# systemctl restart does not have (the test unit's 200 ms, the shipped unit's 1 s)
harper_unit "RestartSec=0" || exit 1
harper_start || { harper_logs; exit 1; }
h_daemon_start || exit 1
version=$(node -p 'require(process.argv[1]).version' "$HARPER_NODE_MODULES/harperdb/package.json")
python3 bench/harper-bench.py --socket="$HARPER_SOCK" --tcp-port="$HARPER_OPS_PORT" \
    --harper-ops="$BUILDDIR/src/harper-ops" --label="harperdb $version" "$@"
rc=$?
[ $rc = 0 ] || harper_logs

# Statuses are kept in Harper too, without SetStatus waiting for it: sysops-bench with the
# daemon sending each change to the running Harper (A) and with Harper's API off (B,
# harper.api false), A B A B, each figure's ratio of the two medians
statuses_bench() {   # NAME CONFIG
    h_daemon_stop
    echo "$2" >"$H_T/$1.json"
    h_daemon_start --config="$H_T/$1.json" || return 1
    "$BUILDDIR/bench/sysops-bench" --seconds=2 >>"$H_T/$1.txt" || { grep ' errors' "$H_T/$1.txt" | tail -n 5; return 1; }
}
if [ $rc = 0 ]; then
    # figures only: a call that failed is counted in sysops-bench's "errors" and said here, but
    # does not fail the benchmark; a try that polkitd stalled is measured again (sysops-bench)
    for round in 1 2; do
        statuses_bench with-harper '{}' || echo "harper-bench: statuses with Harper, round $round: errors (see above)"
        statuses_bench without-harper '{"harper":{"api":false}}' ||
            echo "harper-bench: statuses without Harper, round $round: errors (see above)"
    done
    grep -h "polkitd stalled" "$H_T/with-harper.txt" "$H_T/without-harper.txt"
    h_polkit_stalls
    echo
    echo "-- statuses kept in the running Harper too (A) against not (B, harper.api false), medians of 2 runs each:"
    python3 - "$H_T/with-harper.txt" "$H_T/without-harper.txt" <<'PY'
import re, statistics, sys
def rates(path):
    found = {}
    for m in re.finditer(r"^(.*\S)\s+([0-9]+) calls/s", open(path).read(), re.M):
        found.setdefault(m.group(1).strip(), []).append(float(m.group(2)))
    return {k: statistics.median(v) for k, v in found.items()}
a, b = rates(sys.argv[1]), rates(sys.argv[2])
for name in a:
    if b.get(name):
        print(f"{name:<44} A {a[name]:8.0f}/s  B {b[name]:8.0f}/s  A/B {a[name] / b[name]:.2f}")
if a.get("GetStatus (root, 1 connection)") and a.get("Peer.Ping (root, 1 connection)"):
    print(f"GetStatus / Ping with Harper kept in step: {a['GetStatus (root, 1 connection)'] / a['Peer.Ping (root, 1 connection)']:.2f} (target >= 0.80)")
PY
    # harper-ops-http's get_status against Harper's own, side by side (the daemon as shipped)
    echo
    h_daemon_stop
    h_daemon_start || exit 1
    _h_spawn http "$BUILDDIR/src/harper-ops-http" --listen="$H_T/http.sock"
    http_pid=$_h_pid
    trap '_h_kill "$http_pid" 5 http; harper_down' EXIT
    h_wait 10 test -S "$H_T/http.sock" || exit 1
    "$BUILDDIR/bench/http-bench" --unix="$H_T/http.sock" --harper-unix="$HARPER_SOCK" \
        "--seconds=${HTTP_BENCH_SECONDS:-2}" --connections=16 || echo "harper-bench: http-bench: errors (see above)"
fi
echo "harper-bench: $(( ($(_h_usec) - started) / 1000000 )) s in all"
exit $rc
