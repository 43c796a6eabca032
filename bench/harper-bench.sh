#!/bin/bash
# SPDX-License-Identifier: MIT
# harper-sysopsd against the real Harper's own operations (bench/harper-bench.py says what is
# timed): brings up the test stack with the pinned Harper (tests/harper/) as harperdb.service and
# harper-sysopsd with its default configuration (it finds Harper from the unit), then runs the
# rounds. Prints "skipped: no node" when node or npm is missing. Root.
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
echo "harper-bench: $(( ($(_h_usec) - started) / 1000000 )) s in all"
exit $rc
