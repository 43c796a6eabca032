#!/bin/bash
# SPDX-License-Identifier: MIT
# build-debs.sh OUTDIR: builds harper-sysops's Debian packages (dpkg-buildpackage -us -uc -b)
# from this checkout's tracked files as they are now (edits included, new files once added to
# git) in a scratch copy (the checkout gets no build output), and leaves the .debs, the .changes, the .buildinfo and
# build.log in OUTDIR. DEB_BUILD_OPTIONS passes through (nocheck skips the unit suite).
# Needs the Build-Depends of debian/control (tools/install-deps.sh installs them).
set -euo pipefail
[ $# = 1 ] || { echo "usage: $0 OUTDIR" >&2; exit 64; }
src=$(cd "$(dirname "$0")/../.." && pwd)
mkdir -p "$1"
out=$(cd "$1" && pwd)
work=$(mktemp -d /tmp/harper-sysops-debs.XXXXXX)
trap 'rm -rf "$work"' EXIT

# the tracked files (so no build trees): what a clean clone of this state would hold
mkdir "$work/harper-sysops"
(cd "$src" && git ls-files -z --cached |
    tar --null --files-from=- --ignore-failed-read -cf - 2>/dev/null) | tar -C "$work/harper-sysops" -xf -

if ! (cd "$work/harper-sysops" && dpkg-buildpackage -us -uc -b) >"$out/build.log" 2>&1; then
    tail -n 40 "$out/build.log" >&2
    echo "build-debs.sh: dpkg-buildpackage failed; the whole log is $out/build.log" >&2
    exit 1
fi
cp "$work"/*.deb "$work"/*.changes "$work"/*.buildinfo "$out/"
ls "$out"/*.deb
