#!/bin/bash
# SPDX-License-Identifier: MIT
# tools/npm-cache.sh [--offline] [--cache DIR] [--node MAJOR] PKGDIR: make sure the npm packages
# pinned by PKGDIR/package-lock.json are installed in a cache outside the source tree, and print
# that copy's node_modules directory. Used by the Cockpit page's build (cockpit/), its browser
# test (tests/e2e/) and the lint suite's eslint (tests/lint/). Nothing is ever installed into the
# tree; no install scripts run.
#   --cache DIR   cache root (default $HSOPS_NPM_CACHE, else /var/cache/harper-sysops-test)
#   --node MAJOR  the oldest node the packages work with (default 18)
#   --offline     never ask the registry (also HSOPS_NPM_OFFLINE=1; a package build): fail when
#                 the cache does not hold this lock file's packages yet
# Concurrent callers wait for each other (flock); a changed lock file gets a new directory.
set -euo pipefail
cache=${HSOPS_NPM_CACHE:-/var/cache/harper-sysops-test}
node_major=18
offline=${HSOPS_NPM_OFFLINE:-0}
while [ $# -gt 1 ]; do
    case $1 in
    --cache) cache=$2; shift 2 ;;
    --node) node_major=$2; shift 2 ;;
    --offline) offline=1; shift ;;
    *) break ;;
    esac
done
[ $# = 1 ] || { echo "usage: $0 [--offline] [--cache DIR] [--node MAJOR] PKGDIR" >&2; exit 2; }
pkg=$(cd "$1" && pwd)
dir=$cache/node-$(sha256sum "$pkg/package-lock.json" | cut -c1-16)
me="npm-cache.sh ($pkg)"

command -v node >/dev/null || { echo "$me: node (>= $node_major) is needed" >&2; exit 1; }
major=$(node -p 'process.versions.node.split(".")[0]')
[ "$major" -ge "$node_major" ] || { echo "$me: node $(node --version) is too old; >= $node_major needed" >&2; exit 1; }

# npm ci writes its hidden lock file last
installed() { [ -f "$dir/node_modules/.package-lock.json" ]; }

if [ "$offline" = 1 ]; then
    installed || { echo "$me: $dir does not hold the packages of package-lock.json, and this build may not" \
                        "use the network: run tools/npm-cache.sh ${cache:+--cache $cache} $1 first" >&2; exit 1; }
    echo "$dir/node_modules"
    exit 0
fi
command -v npm >/dev/null || { echo "$me: npm is needed" >&2; exit 1; }
mkdir -p "$dir"
(
    flock -w 300 9 || { echo "$me: cannot lock $dir" >&2; exit 1; }
    if ! installed; then
        cp "$pkg/package.json" "$pkg/package-lock.json" "$dir/"
        (cd "$dir" && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund --ignore-scripts --loglevel=error) >&2
    fi
) 9>"$dir/.lock"
echo "$dir/node_modules"
