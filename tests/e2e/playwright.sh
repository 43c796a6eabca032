#!/bin/bash
# tests/e2e/playwright.sh: the pinned playwright-core (package-lock.json here) installed in a
# cache outside the source tree (tools/npm-cache.sh); prints its node_modules directory.
# No browser is downloaded: the test drives Debian's /usr/bin/chromium.
exec "$(dirname "$0")/../../tools/npm-cache.sh" --node 20 "$(dirname "$0")"
