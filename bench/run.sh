#!/bin/bash
# Brings up the test stack (private system bus, real polkitd, harper-sysopsd) and runs
# sysops-bench on it. Usage: bench/run.sh [BUILDDIR] [sysops-bench options]
set -euo pipefail
cd "$(dirname "$0")/.."
BUILDDIR=$(cd "${1:-build}" && pwd); shift || true
. tests/lib/harness.sh
h_users
h_up
h_daemon_start
"$BUILDDIR/bench/sysops-bench" "$@"
