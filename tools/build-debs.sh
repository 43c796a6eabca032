#!/bin/bash
# SPDX-License-Identifier: MIT
# Builds harper-sysops's Debian packages from this checkout and leaves them in DIR (default
# ./debs): harper-sysops, harper-sysops-http, cockpit-harper-sysops. Installs the build
# dependencies first (tools/install-deps.sh, as root) and fills the npm cache the Cockpit page
# builds from (tools/npm-cache.sh). Then, as root: apt install ./debs/*.deb
# Usage: tools/build-debs.sh [DIR]   (DEB_BUILD_OPTIONS=nocheck skips the unit suite)
set -euo pipefail
case "${1-}" in
-h|--help) sed -n '3,7p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
esac
[ $# -le 1 ] || { echo "build-debs.sh: takes one directory at most (see --help)" >&2; exit 64; }
out=${1:-debs}
src=$(cd "$(dirname "$0")/.." && pwd)
[ "$(id -u)" = 0 ] || { echo "build-debs.sh: run as root (it installs the build dependencies)" >&2; exit 1; }
"$src/tools/install-deps.sh" >/dev/null
# debian/rules builds the page offline from meson's default npm_cache
"$src/tools/npm-cache.sh" --cache /var/cache/harper-sysops-build "$src/cockpit" >/dev/null
"$src/tests/lib/build-debs.sh" "$out"
