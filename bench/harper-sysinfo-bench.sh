#!/bin/bash
# SPDX-License-Identifier: MIT
# system_information with the real Harper (tests/harper/, as the integration tests run it):
# brings up the test stack, Harper as harperdb.service with a table of 1000 rows, and
# harper-sysopsd with its default configuration (it finds Harper from the unit), then runs
# harper-sysinfo-bench: the full answer over the bus next to Harper's own calls, in one run.
# Usage: bench/harper-sysinfo-bench.sh [BUILDDIR] [ROUNDS]
set -euo pipefail
cd "$(dirname "$0")/.."
BUILDDIR=$(cd "${1:-build}" && pwd)
ROUNDS=${2:-30}
export SRCDIR=$PWD
. tests/lib/harness.sh
. tests/lib/harper.sh
H_REAL_HARPER=1
h_users
h_up
trap harper_down EXIT
harper_setup
harper_unit
harper_start
harper_op '{"operation":"create_database","database":"dev"}' >/dev/null
harper_op '{"operation":"create_table","database":"dev","table":"dog","primary_key":"id"}' >/dev/null
harper_op "{\"operation\":\"insert\",\"database\":\"dev\",\"table\":\"dog\",\"records\":[$(
    seq -s, -f '{"id":%g,"name":"a dog"}' 1000)]}" >/dev/null
h_daemon_start
"$BUILDDIR/bench/harper-sysinfo-bench" --socket="$HARPER_SOCK" -n "$ROUNDS"
