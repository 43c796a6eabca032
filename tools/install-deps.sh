#!/bin/bash
# SPDX-License-Identifier: MIT
# Installs what harper-sysops needs to build, run and test on Debian 12 or 13 (as root). Each
# package is one the release has: its default clang, systemd-dev only where systemd.pc is there.
set -euo pipefail

packages=(
        # build
        meson ninja-build gcc pkg-config libsystemd-dev libjson-c-dev libcmocka-dev
        # dpkg-buildpackage checks for it (tests/lib/build-debs.sh)
        build-essential
        # the Cockpit page's build: xgettext (its .pot; msgcmp in its test); esbuild and PatternFly
        # come from npm (tools/npm-cache.sh, into /var/cache/harper-sysops-build, at meson compile)
        gettext
        # run: the bus, polkit, systemd
        dbus-daemon polkitd pkexec systemd
        # tests: busctl/gdbus clients, setpriv, valgrind for the leak checks, gdb for the stacks
        # of a process that ignores SIGTERM (tests/lib/harness.sh)
        libglib2.0-bin util-linux valgrind gdb
        # ip and ss (the interfaces and listeners the tests compare with; not in a minimal root)
        iproute2
        # the Cockpit page's browser test (tests/integration/cockpit.sh; node >= 20 with npm comes
        # with the machine's image, playwright-core from npm into /var/cache/harper-sysops-test)
        cockpit-ws cockpit-bridge cockpit-system chromium curl
        # harper-ops-http: its HTTP library and PAM (build), python3 clients (tests; curl above)
        libmicrohttpd-dev libpam0g-dev python3
        # the daemon's Harper client: HTTP over Harper's unix socket, Harper's YAML configuration
        libcurl4-openssl-dev libyaml-dev
        # the real Harper in the tests (tests/lib/harper.sh): npm builds some of its native
        # modules from source (node-gyp: make, g++, python3)
        make g++
        # man pages (scdoc, man-db renders them), bash completion, the Debian packages and lintian
        scdoc man-db bash-completion dpkg-dev debhelper lintian
        # the booted-system test (tests/integration/booted.sh): a debootstrapped Debian in nspawn
        systemd-container debootstrap
        # fuzz/: libFuzzer targets (the release's clang, 14 on Debian 12 and 19 on 13, with its
        # sanitizer and fuzzer runtimes; .ci/run builds them with CC=clang)
        clang libclang-rt-dev
        # the cluster test (tests/integration/cluster.sh): each node's OpenSSH server, which the
        # test starts itself on the node's loopback address (the package's own sshd stays as the
        # system has it)
        openssh-server openssh-client
        # the lint suite (tests/lint): shellcheck on the shell scripts; eslint for the Cockpit
        # page's JavaScript comes from npm (tools/npm-cache.sh, at meson test)
        shellcheck
)
# node and npm: the machine's image brings them (node >= 20 for playwright-core); Debian's
# only where they are missing (Debian 13's node 20 runs Harper 4.7 and the tests; Debian 12's
# node 18 is too old for playwright-core)
command -v node >/dev/null || packages+=(nodejs)
command -v npm >/dev/null || packages+=(npm)

# a fresh root (debootstrap) has no package lists yet: what the release has is not known
apt-cache show meson >/dev/null 2>&1 || apt-get update -q
# systemd.pc (the unit directories) is in systemd-dev from Debian 13 on, in systemd before
apt-cache show systemd-dev >/dev/null 2>&1 && packages+=(systemd-dev)

missing=()
for p in "${packages[@]}"; do
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
        echo "Installing: ${missing[*]}"
        apt-get update -q
        DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}"
fi
