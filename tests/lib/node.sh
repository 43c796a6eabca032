#!/bin/bash
# SPDX-License-Identifier: MIT
# tests/lib/node.sh READY [DAEMON ARGS...]: one more Harper node for the multi-node tests, a
# whole stack of its own (harness.sh: systemd --user with a private system bus, polkitd) with
# the stand-in units running and harper-sysopsd started with DAEMON ARGS (none when
# H_NO_DAEMON is set). When up it writes "BUS_ADDRESS STACK_DIR DAEMON_PID SYSTEMD_PID" to READY; it runs
# until it gets SIGTERM, then tears its stack down.
. "$(dirname "$0")/harness.sh"
ready=$1
shift
H_UNITS_DIR=${H_UNITS_DIR:-$SRCDIR/tests/units}
h_up || exit 1
mkdir -p "$H_T/marks" && chmod 777 "$H_T/marks"
h_systemctl set-environment HSOPS_MARKS="$H_T/marks"
h_systemctl start harperdb.service harperdb-http@1.service harperdb-http@2.service harperdb-clustering.service ||
    exit 1
if [ -z "${H_NO_DAEMON:-}" ]; then
    h_daemon_start "$@" || exit 1
fi
echo "$DBUS_SYSTEM_BUS_ADDRESS $H_T ${H_DAEMON_PID:-0} $H_SYSTEMD_PID" >"$ready.tmp" && mv "$ready.tmp" "$ready"
while :; do
    sleep 1 &
    wait $!
done
