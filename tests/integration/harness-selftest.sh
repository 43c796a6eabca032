#!/bin/bash
# SPDX-License-Identifier: MIT
# Self-test of tests/lib/harness.sh: the stack comes up, the test users exist, and
# polkitd can be stopped, frozen and restarted the way the daemon tests need.
# Does not need harper-sysopsd. TAP output (meson protocol: 'tap').
set -u
. "$(dirname "${BASH_SOURCE[0]}")/../lib/harness.sh"

[ "$(id -u)" = 0 ] || skip_all "needs root"
h_users || bail_out "h_users failed"
h_up || bail_out "h_up failed (see stderr)"

# --- like (in a subshell: its own count of checks)
like "like: a pattern that matches passes" "$(like probe $'200\n{}' '^200$')" '^ok [0-9]+ - probe$'
like "like: a pattern of two lines matches them in turn" "$(like probe $'200\n{}' $'^200$\n^\\{\\}$')" '^ok [0-9]+ - probe$'
like "... and fails when only one of its lines would (grep alone takes each line as a pattern)" \
    "$(like probe $'200\n{}' $'^200\nnothing$')" '^not ok [0-9]+ - probe$'

# --- the stack
check "systemd answers on the private bus" busctl --system status org.freedesktop.systemd1
check "polkitd answers on the private bus" busctl --system status org.freedesktop.PolicyKit1
like "systemd runs in the harness's own cgroup" "$(cat /proc/"$H_SYSTEMD_PID"/cgroup)" \
    "^0::/${H_T##*/}/"
like "systemd hosts the bus (dbus.service active)" "$(h_systemctl is-active dbus.service)" '^active$'
bus_itself=$(busctl --system call org.freedesktop.DBus /org/freedesktop/DBus org.freedesktop.DBus \
    GetConnectionUnixProcessID s org.freedesktop.DBus)
like "... the bus H_BUS names (${H_BUS:-dbus-daemon}; dbus-broker answers as its launcher)" \
    "$(readlink "/proc/${bus_itself#u }/exe")" "^/usr/bin/${H_BUS:-dbus-daemon}(-launch)?$"
check "the host bus is not in use" test "$DBUS_SYSTEM_BUS_ADDRESS" = "unix:path=$H_T/bus.sock"
# systemd, polkitd and the daemon must not be children of the test shell, or this hangs
t0=${EPOCHREALTIME/./}
sleep 0.1 &
wait
check "a bare 'wait' does not wait for the harness's processes" test $(( ${EPOCHREALTIME/./} - t0 )) -lt 2000000

# --- ports for the tests' servers
read -ra first <<<"$(h_free_ports 3)"
read -ra second <<<"$(h_free_ports 3)"
is "h_free_ports gives as many ports as asked" "${#first[@]} ${#second[@]}" "3 3"
is "... each once, across calls (reserved until the test ends)" \
    "$(printf '%s\n' "${first[@]}" "${second[@]}" | sort -u | wc -l)" 6
read -r ephemeral_low _ </proc/sys/net/ipv4/ip_local_port_range
check "... all below the ephemeral range ($ephemeral_low), none of Harper's defaults" python3 -c '
import sys
low, ports = int(sys.argv[1]), [int(p) for p in sys.argv[2:]]
assert all(p < low and p not in (9925, 9926, 9932, 9933, 1883, 8883) for p in ports), ports' \
    "$ephemeral_low" "${first[@]}" "${second[@]}"

# --- users
check "h_users is idempotent" h_users
check "group harper-admin exists" getent group harper-admin
like "hsops-admin is in harper-admin" " $(id -nG hsops-admin) " " harper-admin "
is "hsops-user is not in harper-admin" "$(id -nG hsops-user | grep -cw harper-admin)" 0
is "hsops-user has nologin" "$(getent passwd hsops-user | cut -d: -f7)" /usr/sbin/nologin
is "as_user runs with the user's uid" "$(as_user hsops-user id -u)" "$(id -u hsops-user)"
is "as_user runs with the user's groups" "$(as_user hsops-admin id -G)" "$(id -G hsops-admin)"
is "as_user keeps DBUS_SYSTEM_BUS_ADDRESS" \
    "$(as_user hsops-user printenv DBUS_SYSTEM_BUS_ADDRESS)" "$DBUS_SYSTEM_BUS_ADDRESS"
check "a plain user can reach the bus" as_user hsops-user busctl --system status org.freedesktop.systemd1

# --- polkitd
is "H_POLKIT_PID is polkitd itself" "$(readlink /proc/"$H_POLKIT_PID"/exe)" /usr/lib/polkit-1/polkitd
is "polkitd runs as user polkitd" "$(ps -o user= -p "$H_POLKIT_PID")" polkitd
bus_pid() {   # PID of the owner of bus name $1
    busctl --system --timeout=2 call org.freedesktop.DBus /org/freedesktop/DBus \
        org.freedesktop.DBus GetConnectionUnixProcessID s "$1" | cut -d' ' -f2
}
is "the bus sees H_POLKIT_PID as the owner" "$(bus_pid org.freedesktop.PolicyKit1)" "$H_POLKIT_PID"
action=$(cat "$H_T"/polkit-actions/*.policy 2>/dev/null | grep -o '<action id="[^"]*"' | head -n1 | cut -d'"' -f2)
if [ -n "$action" ]; then
    check "polkitd loaded our actions and authorizes root ($action)" \
        pkcheck --action-id "$action" --process $$
else
    diag "no .policy file installed; CheckAuthorization not tested"
fi

kill -STOP "$H_POLKIT_PID"
like "SIGSTOP freezes polkitd" "$(ps -o stat= -p "$H_POLKIT_PID")" '^T'
check "a frozen polkitd does not answer" \
    bash -c '! busctl --system --timeout=500ms call org.freedesktop.PolicyKit1 / org.freedesktop.DBus.Peer Ping'
kill -CONT "$H_POLKIT_PID"
check "SIGCONT: polkitd answers again" h_wait 5 h_answers org.freedesktop.PolicyKit1

old=$H_POLKIT_PID
check "h_polkit_stop succeeds" h_polkit_stop
check "polkitd is gone" test ! -e /proc/"$old"
is "org.freedesktop.PolicyKit1 has no owner" "$(busctl --system call org.freedesktop.DBus \
    /org/freedesktop/DBus org.freedesktop.DBus NameHasOwner s org.freedesktop.PolicyKit1)" "b false"
check "h_polkit_start brings it back" h_polkit_start
check "polkitd answers after the restart" h_answers org.freedesktop.PolicyKit1

# a process that ignores SIGTERM is killed, and says first where it was stuck
_h_spawn stubborn bash -c 'trap "" TERM; : >"$0"; while :; do sleep 0.1; done' "$H_T/stubborn.ready"
stubborn=$_h_pid
h_wait 10 test -e "$H_T/stubborn.ready"   # TERM is ignored from here on
_h_kill "$stubborn" 1 stubborn 2>"$H_T/stubborn.err"
check "_h_kill ends a process that ignores SIGTERM" test ! -e /proc/"$stubborn"
like "... after saying so on stderr" "$(cat "$H_T/stubborn.err")" "stubborn \(PID $stubborn\) did not end within 1 s"
like "... with its stack" "$(cat "$H_T/stubborn.err")" "^#0 "

done_testing
