#!/bin/bash
# SPDX-License-Identifier: MIT
# harper-sysopsd as a bus service: its command line, the introspection data it ships, the
# object manager, PropertiesChanged for panels, single ownership of the name, clean exit.
. "$(dirname "$0")/../lib/harness.sh"
. "$(dirname "$0")/../lib/sysops.sh"
D=$BUILDDIR/src/harper-sysopsd
h_users

like "--help says what it is" "$($D --help)" "io.harperdb.SystemOperations1"
like "--version" "$($D --version)" '^harper-sysopsd [0-9]+\.[0-9]+'
$D --polkit-timeout=0 >/dev/null 2>&1
is "a bad option value is refused (exit 2)" "$?" 2

h_up || bail_out "stack did not come up"
h_daemon_start || bail_out "harper-sysopsd did not start"

# the shipped XML is what the daemon introspects (our interface only; the rest is sd-bus's)
iface() { awk '/<interface name="io.harperdb.SystemOperations1">/,/<\/interface>/'; }
live=$(busctl --system introspect --xml-interface "$H_BUS_NAME" "$H_OBJ_PATH" | iface)
shipped=$(iface <"$SRCDIR/dbus/io.harperdb.SystemOperations1.xml")
check "the interface is introspectable" test -n "$live"
is "dbus/io.harperdb.SystemOperations1.xml matches the running daemon" "$live" "$shipped"
like "introspection names the arguments" "$live" '<arg type="s" name="status" direction="in"/>'

out=$(gdbus call --system -d "$H_BUS_NAME" -o / -m org.freedesktop.DBus.ObjectManager.GetManagedObjects 2>&1)
like "the object manager at / lists the object and its interface" "$out" \
    "objectpath '/io/harperdb/SystemOperations1': \{'org.freedesktop.DBus.Peer'.*'io.harperdb.SystemOperations1': \{\}"

# statuses are for super users: not in GetAll(), Get() for root only
dcall SetStatus primary "secret" >/dev/null
out=$(as_user hsops-user gdbus call --system -d "$H_BUS_NAME" -o "$H_OBJ_PATH" \
      -m org.freedesktop.DBus.Properties.GetAll "$H_BUS_NAME" 2>&1)
is "GetAll leaves Statuses out" "$out" "(@a{sv} {},)"
out=$(as_user hsops-admin gdbus call --system -d "$H_BUS_NAME" -o "$H_OBJ_PATH" \
      -m org.freedesktop.DBus.Properties.Get "$H_BUS_NAME" Statuses 2>&1)
is "a non-root caller may not Get Statuses" "$(dbus_error "$out")" org.freedesktop.DBus.Error.AccessDenied
like "... and is told to call ListStatuses" "$out" "call ListStatuses"
like "root may Get Statuses" "$(statuses)" "'primary', 'secret'"
dcall ClearStatus primary >/dev/null

# PropertiesChanged says that Statuses changed, without the values (anyone may listen)
as_user hsops-user gdbus monitor --system -d "$H_BUS_NAME" -o "$H_OBJ_PATH" >"$H_T/monitor.out" 2>&1 &
mon=$!
h_wait 5 grep -q "Monitoring signals" "$H_T/monitor.out"
dcall SetStatus primary "watched" >/dev/null
dcall ClearStatus maintenance >/dev/null      # never set: no change, no signal
dcall ClearStatus primary >/dev/null
h_wait 5 grep -c "PropertiesChanged" "$H_T/monitor.out" >/dev/null
sleep 0.3
kill $mon; wait $mon 2>/dev/null
signals=$(grep "PropertiesChanged" "$H_T/monitor.out")
like "set_status and clear_status invalidate Statuses" "$signals" \
    "PropertiesChanged \('io.harperdb.SystemOperations1', @a\{sv\} \{\}, \['Statuses'\]\)"
is "exactly two changes were announced (clearing an unset id is none)" "$(grep -c PropertiesChanged <<<"$signals")" 2
check "the signals carry no status text" bash -c "! grep -q watched '$H_T/monitor.out'"

# one owner of the name: a second instance says why it cannot start
out=$($D 2>&1); rc=$?
check "a second instance exits non-zero (status $rc)" test "$rc" -ne 0
like "... and says the name is taken" "$out" "Cannot own io.harperdb.SystemOperations1.*another instance"
out=$(as_user hsops-user "$D" 2>&1); rc=$?
check "a non-root instance exits non-zero (status $rc)" test "$rc" -ne 0
like "... and points at the bus policy" "$out" "Cannot own io.harperdb.SystemOperations1.*bus policy"

h_daemon_stop
is "SIGTERM ends the daemon with status 0" "$H_DAEMON_STATUS" 0
like "... and it logs why it exits" "$(cat "$H_T/daemon.log")" "Received Terminated, exiting"

done_testing
