#!/bin/bash
# tests/e2e/playwright.sh: make sure the pinned playwright-core (package-lock.json here) is
# installed in a cache outside the source tree, and print its node_modules directory.
# No browser is downloaded: the test drives Debian's /usr/bin/chromium.
#   HSOPS_E2E_CACHE  cache root (default /var/cache/harper-sysops-test)
# Concurrent callers wait for each other (flock); a changed lock file gets a new directory.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
cache=${HSOPS_E2E_CACHE:-/var/cache/harper-sysops-test}
dir=$cache/node-$(sha256sum "$here/package-lock.json" | cut -c1-16)

command -v node >/dev/null && command -v npm >/dev/null ||
    { echo "playwright.sh: node and npm are needed (node >= 20) for the Cockpit browser test" >&2; exit 1; }
major=$(node -p 'process.versions.node.split(".")[0]')
[ "$major" -ge 20 ] ||
    { echo "playwright.sh: node $(node --version) is too old; playwright-core needs node >= 20" >&2; exit 1; }

mkdir -p "$dir"
(
    flock -w 300 9 || { echo "playwright.sh: cannot lock $dir" >&2; exit 1; }
    if [ ! -f "$dir/node_modules/playwright-core/package.json" ]; then
        cp "$here/package.json" "$here/package-lock.json" "$dir/"
        (cd "$dir" && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund --ignore-scripts --loglevel=error) >&2
    fi
) 9>"$dir/.lock"
echo "$dir/node_modules"
