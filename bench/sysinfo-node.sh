#!/bin/bash
# SPDX-License-Identifier: MIT
# Our collectors (bench/sysinfo-bench) against Node's systeminformation, which Harper uses, on
# the same sections. Installs systeminformation (pinned) into a temporary directory, never into
# the repository; prints "skipped: ..." when node or npm is missing.
#   bench/sysinfo-node.sh [BUILDDIR] [N]     (SI_DIR=dir with node_modules/systeminformation: reuse it)
set -u
here=$(cd "$(dirname "$0")" && pwd)
builddir=${1:-${BUILDDIR:-$here/../build}}
n=${2:-50}
si_version=5.33.23

command -v node >/dev/null || { echo "sysinfo-node: skipped: node not found"; exit 0; }
bench=$builddir/bench/sysinfo-bench
[ -x "$bench" ] || { echo "sysinfo-node: $bench not built" >&2; exit 1; }

tmp=
if [ -z "${SI_DIR:-}" ]; then
    command -v npm >/dev/null || { echo "sysinfo-node: skipped: npm not found"; exit 0; }
    tmp=$(mktemp -d /tmp/sysinfo-node.XXXXXX) || exit 1
    trap 'rm -rf "$tmp"' EXIT
    SI_DIR=$tmp
    if ! npm install --prefix "$SI_DIR" --no-audit --no-fund --silent "systeminformation@$si_version" >"$tmp/npm.log" 2>&1; then
        echo "sysinfo-node: skipped: npm install systeminformation@$si_version failed"
        exit 0
    fi
fi

ours=$("$bench" 1000 | awk 'NR > 2 { printf "%s%s=%s", sep, $1, $2; sep = "," }')
SYSINFO_OURS=$ours NODE_PATH=$SI_DIR/node_modules node "$here/sysinfo-node.js" "$n"
