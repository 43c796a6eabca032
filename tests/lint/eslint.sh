#!/bin/bash
# SPDX-License-Identifier: MIT
# ESLint (its recommended rules; the top eslint.config.mjs) on the Cockpit page's JavaScript
# (cockpit/src), its build (cockpit/build.js) and its browser test (tests/e2e), one TAP line per
# file. eslint is pinned in tests/lint/package-lock.json and installed once, outside the tree,
# by tools/npm-cache.sh into /var/cache/harper-sysops-test (HSOPS_NPM_CACHE to change;
# HSOPS_NPM_OFFLINE=1: only from there). No node, or no eslint: the test fails.
#   SRCDIR=$PWD tests/lint/eslint.sh
set -uo pipefail
cd "${SRCDIR:-$(dirname "$0")/../..}" || exit 1

fail() { echo "1..1"; echo "not ok 1 - $*"; exit 1; }
command -v node >/dev/null || fail "node is installed (>= 20.19 for eslint 10; tools/install-deps.sh)"
modules=$(tools/npm-cache.sh --node 20 tests/lint) || fail "eslint is installed by tools/npm-cache.sh (see its message above)"
[ -f "$modules/eslint/bin/eslint.js" ] || fail "eslint is in $modules"

files=(cockpit/src/*.js cockpit/build.js tests/e2e/*.js eslint.config.mjs)
echo "# eslint $(node -p 'require(process.argv[1]).version' "$modules/eslint/package.json")"
HSOPS_ESLINT_MODULES=$modules exec node "$modules/eslint/bin/eslint.js" --config eslint.config.mjs \
    --no-config-lookup --max-warnings 0 --format ./tests/lint/eslint-tap.cjs -- "${files[@]}"
