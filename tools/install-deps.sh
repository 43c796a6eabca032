#!/bin/bash
# Installs what harper-sysops needs to build, run and test on Debian 12 (as root).
set -euo pipefail

packages=(
        # build
        meson ninja-build gcc pkg-config libsystemd-dev libjson-c-dev libcmocka-dev
        # run: the bus, polkit, systemd
        dbus-daemon polkitd pkexec systemd
        # tests: busctl/gdbus clients, setpriv, valgrind for the leak checks
        libglib2.0-bin util-linux valgrind
        # the Cockpit page's browser test (tests/integration/cockpit.sh; node >= 20 with npm comes
        # with the machine's image, playwright-core from npm into /var/cache/harper-sysops-test)
        cockpit-ws cockpit-bridge cockpit-system chromium curl
        # harper-ops-http: its HTTP library and PAM (build), python3 clients (tests; curl above)
        libmicrohttpd-dev libpam0g-dev python3
        # harper-sysopsd's client of Harper's operations socket, Harper's harperdb-config.yaml
        libcurl4-openssl-dev libyaml-dev
        # the booted-system test (tests/integration/booted.sh): a debootstrapped Debian in nspawn
        systemd-container debootstrap
)

missing=()
for p in "${packages[@]}"; do
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
        echo "Installing: ${missing[*]}"
        apt-get update -q
        DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}"
fi
