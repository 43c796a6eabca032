#!/bin/bash
# SPDX-License-Identifier: MIT
# Installs what is needed, builds, starts harper-sysopsd and runs a real operation through
# harper-ops. Where systemd runs the host, harper-sysops is installed for real (system bus,
# D-Bus activation, polkit); elsewhere (containers, CI VMs) a self-contained stack of a
# private system bus, the real polkitd and the daemon is started, used and torn down.
# Usage: tools/demo.sh (no options; -h or --help prints this)
set -euo pipefail
case "${1-}" in
"") ;;
-h|--help) sed -n '3,7p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
*) echo "demo.sh: takes no arguments, not '$1' (see --help)" >&2; exit 64 ;;
esac
cd "$(dirname "$0")/.."
[ "$(id -u)" = 0 ] || { echo "demo.sh: run as root (it installs packages and services)" >&2; exit 1; }

tools/install-deps.sh >/dev/null
systemd-sysusers "$PWD/sysusers.d/harper-sysops.conf"   # the group harper-admin, as the package creates it

show() {   # show [OPTION...] BODY: the command, then harper-ops's answer
    local options=("${@:1:$#-1}")
    echo "\$ harper-ops ${options[*]}${options[*]:+ }'${*: -1}'"
    "$OPS" "$@"
}
units=   # Harper's units to restart, when this host has them
json_version() { python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["dependencies"]["harperdb"])' "$1"; }

if [ -d /run/systemd/system ] && [ "$(cat /proc/1/comm)" = systemd ]; then
    meson setup build-install --prefix=/usr --sysconfdir=/etc -Dtests=false >/dev/null
    meson compile -C build-install >/dev/null
    meson install -C build-install --quiet
    systemctl daemon-reload
    busctl call org.freedesktop.DBus /org/freedesktop/DBus org.freedesktop.DBus ReloadConfig
    OPS=/usr/bin/harper-ops
    echo "harper-sysops is installed; the system bus starts harper-sysopsd on the first call."
    systemctl cat harperdb.service >/dev/null 2>&1 && units=yes ||
        echo "(no harperdb.service here: see systemd/examples/ to restart Harper through systemd)"
else
    [ -d build ] || meson setup build >/dev/null
    meson compile -C build >/dev/null
    . tests/lib/harness.sh
    h_users
    if command -v node >/dev/null && command -v npm >/dev/null; then
        # the real Harper (npm harperdb, pinned in tests/harper/, installed into a cache
        # outside the tree), run by the private systemd manager as harperdb.service
        . tests/lib/harper.sh
        H_REAL_HARPER=1
        h_up
        trap harper_down EXIT
        echo "Installing and starting the real Harper (harperdb $(json_version tests/harper/package.json))..."
        harper_setup && harper_unit && harper_start || { harper_logs; exit 1; }
        what="the real Harper as harperdb.service (root $HARPER_ROOT, operations API on its socket and 127.0.0.1:$HARPER_OPS_PORT)"
    else
        H_UNITS_DIR=$PWD/tests/units   # stand-ins for Harper's instance, workers and clustering
        h_up
        h_systemctl start harperdb.service harperdb-http@{1..3}.service harperdb-clustering.service
        what="STAND-INS for Harper's units (tests/units): node and npm are missing, so no real Harper"
    fi
    h_daemon_start
    units=yes
    OPS=$BUILDDIR/src/harper-ops
    echo "This host is not run by systemd: harper-sysopsd runs on a private system bus with the real"
    echo "polkitd ($DBUS_SYSTEM_BUS_ADDRESS) and a systemd manager running $what;"
    echo "it is all torn down when this script ends."
fi

show '{"operation":"set_status","id":"primary","status":"active"}'
show '{"operation":"set_status","id":"maintenance","status":"scheduled"}'
show '{"operation":"get_status"}'
echo "\$ busctl --system call io.harperdb.SystemOperations1 /io/harperdb/SystemOperations1 io.harperdb.SystemOperations1 GetStatus s primary"
busctl --system call io.harperdb.SystemOperations1 /io/harperdb/SystemOperations1 io.harperdb.SystemOperations1 GetStatus s primary
show '{"operation":"system_information","attributes":["time","memory"]}'
if [ -n "$units" ]; then
    show --wait '{"operation":"restart_service","service":"http_workers"}'
    show --wait '{"operation":"restart"}'
fi
