#!/bin/bash
# SPDX-License-Identifier: MIT
# Runs shellcheck on every shell script of the source tree, one TAP line per file, with the settings
# and the reasons for what is left off in the top .shellcheckrc. A missing shellcheck fails the
# test (tools/install-deps.sh installs Debian's).
#   SRCDIR=$PWD tests/lint/shellcheck.sh
set -uo pipefail
cd "${SRCDIR:-$(dirname "$0")/../..}" || exit 1

# The scripts: *.sh, any file whose first line runs sh or bash, and the bash completion (sourced,
# no #! line); from git's list in a checkout, else from the tree without build directories.
files() {
    if git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
        git ls-files --cached --others --exclude-standard
    else
        find . \( -name .git -o -name 'build*' -o -name 'obj-*' -o -name node_modules -o -name subprojects \
            -o -path ./debian/tmp -o -path './debian/.debhelper' -o -path './debian/harper-sysops*' \
            -o -path ./debian/cockpit-harper-sysops \) -prune -o -type f -print | sed 's|^\./||'
    fi | while IFS= read -r f; do
        [ -f "$f" ] || continue
        case $f in
        tests/fixtures/*|fuzz/corpus/*) continue ;;
        *.sh|completion/harper-ops) echo "$f" ;;
        *) head -n1 "$f" 2>/dev/null | grep -Eq '^#! */(usr/)?bin/(env +)?(ba)?sh\b' && echo "$f" ;;
        esac
    done | LC_ALL=C sort
}

mapfile -t scripts < <(files)
if ! command -v shellcheck >/dev/null; then
    echo "1..1"
    echo "not ok 1 - shellcheck is installed (apt-get install shellcheck; tools/install-deps.sh)"
    exit 1
fi
# a list this short means the search above is broken, not that the scripts are gone
if [ ${#scripts[@]} -lt 30 ]; then
    echo "1..1"
    echo "not ok 1 - the shell scripts are found (only ${#scripts[@]}: ${scripts[*]})"
    exit 1
fi

echo "# $(shellcheck --version | sed -n 's/^version: /shellcheck /p')"
echo "1..${#scripts[@]}"
# one run for all (each follows the libraries it sources), its findings then told per file
out=$(shellcheck --format=gcc --color=never "${scripts[@]}" 2>&1)
rc=$?
if [ $rc -gt 1 ]; then   # 1: findings; more: shellcheck itself failed
    echo "Bail out! shellcheck failed (exit $rc): $out"
    exit 1
fi
n=0 failed=0
for f in "${scripts[@]}"; do
    n=$((n + 1))
    # gcc format: FILE:LINE:COLUMN: level: message [SCnnnn]
    findings=$(awk -v f="$f:" 'index($0, f) == 1 && substr($0, length(f) + 1) ~ /^[0-9]+:[0-9]+: /' <<<"$out")
    if [ -z "$findings" ]; then
        echo "ok $n - $f"
    else
        failed=$((failed + 1))
        echo "not ok $n - $f"
        while IFS= read -r line; do echo "#   $line"; done <<<"$findings"
    fi
done
if [ $rc != 0 ] && [ $failed = 0 ]; then   # findings, but in none of the files above
    echo "# shellcheck exited $rc:"
    while IFS= read -r line; do echo "#   $line"; done <<<"$out"
    exit 1
fi
[ $failed = 0 ]
