#!/bin/bash
# Installs what is needed, builds, starts harper-sysopsd and runs a real operation through
# harper-ops. Where systemd runs the host, harper-sysops is installed for real (system bus,
# D-Bus activation, polkit); elsewhere (containers, CI VMs) a self-contained stack of a
# private system bus, the real polkitd and the daemon is started, used and torn down.
set -euo pipefail
cd "$(dirname "$0")/.."
[ "$(id -u)" = 0 ] || { echo "demo.sh: run as root (it installs packages and services)" >&2; exit 1; }

tools/install-deps.sh >/dev/null
getent group harper-admin >/dev/null || groupadd --system harper-admin

show() {   # show BODY: the command, then harper-ops's answer
    echo "\$ harper-ops '$1'"
    "$OPS" "$1"
}

if [ -d /run/systemd/system ] && [ "$(cat /proc/1/comm)" = systemd ]; then
    meson setup build-install --prefix=/usr --sysconfdir=/etc -Dtests=false >/dev/null
    meson compile -C build-install >/dev/null
    meson install -C build-install --quiet
    systemctl daemon-reload
    busctl call org.freedesktop.DBus /org/freedesktop/DBus org.freedesktop.DBus ReloadConfig
    OPS=/usr/bin/harper-ops
    echo "harper-sysops is installed; the system bus starts harper-sysopsd on the first call."
else
    [ -d build ] || meson setup build >/dev/null
    meson compile -C build >/dev/null
    . tests/lib/harness.sh
    h_users
    h_up
    h_daemon_start
    OPS=$BUILDDIR/src/harper-ops
    echo "This host is not run by systemd: harper-sysopsd runs on a private system bus with the real"
    echo "polkitd ($DBUS_SYSTEM_BUS_ADDRESS); it is torn down when this script ends."
fi

show '{"operation":"set_status","id":"primary","status":"active"}'
show '{"operation":"set_status","id":"maintenance","status":"scheduled"}'
show '{"operation":"get_status"}'
echo "\$ busctl --system call io.harperdb.SystemOperations1 /io/harperdb/SystemOperations1 io.harperdb.SystemOperations1 GetStatus s primary"
busctl --system call io.harperdb.SystemOperations1 /io/harperdb/SystemOperations1 io.harperdb.SystemOperations1 GetStatus s primary
