#!/bin/bash
# SPDX-License-Identifier: MIT
# tests/harper/install.sh: make sure the pinned Harper (harperdb, package-lock.json here) is
# installed in a cache outside the source tree, and print its node_modules directory.
#   HSOPS_HARPER_CACHE  cache root (default /var/cache/harper-sysops-test)
# Concurrent callers wait for each other (flock); a changed lock file gets a new directory.
# The install scripts run (argon2, lmdb, segfault-handler, ...: native add-ons Harper loads).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
cache=${HSOPS_HARPER_CACHE:-/var/cache/harper-sysops-test}
dir=$cache/harper-$(sha256sum "$here/package-lock.json" | cut -c1-16)

command -v node >/dev/null && command -v npm >/dev/null ||
    { echo "harper/install.sh: node and npm are needed (tools/install-deps.sh)" >&2; exit 1; }

mkdir -p "$dir"
(
    flock -w 300 9 || { echo "harper/install.sh: cannot lock $dir" >&2; exit 1; }
    # .installed is written only after a complete install: an interrupted install is redone
    if [ ! -f "$dir/.installed" ]; then
        rm -rf "$dir/node_modules"
        cp "$here/package.json" "$here/package-lock.json" "$dir/"
        # Not `npm ci`: it refuses this lock file, which lacks optional platform packages
        # (@cbor-extract/*-darwin-*, ...) and the git dependency parse-columns, because the
        # registry it was made from could not give them (their modules build from source
        # instead). `npm install` with the lock file installs the locked versions; where a
        # registry has those optional packages, it adds them to the copy of the lock file here.
        (cd "$dir" && npm install --no-audit --no-fund --loglevel=error) >&2
        cmp -s "$here/package-lock.json" "$dir/package-lock.json" ||
            echo "harper/install.sh: note: npm added to the lock file (optional packages?)" >&2
        v=$(node -p 'require(process.argv[1]).version' "$dir/node_modules/harperdb/package.json")
        want=$(node -p 'require(process.argv[1]).dependencies.harperdb' "$here/package.json")
        [ "$v" = "$want" ] || { echo "harper/install.sh: got harperdb $v, want $want" >&2; exit 1; }
        touch "$dir/.installed"
    fi
) 9>"$dir/.lock"
# Harper runs as its own user (tests/lib/harper.sh): it must be able to read all of it
chmod 755 "$cache" "$dir"
echo "$dir/node_modules"
