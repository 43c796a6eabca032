#!/bin/bash
# SPDX-License-Identifier: MIT
# A plain user without rights may cost harper-sysopsd only a bounded share (issue 22): with the
# 64 kept jobs in the object manager's answer (about 37 KB), each attack of a plain user runs
# while root and an admin call, and the daemon's memory, root's and the admin's answers and what
# the attacker got are held to bounds:
#   unread   many connections, each waiting for as many GetManagedObjects answers as dbus-daemon
#            allows and never reading one (before: 1.5 GB kept, root's calls timed out);
#   noreply  the same calls flagged NO_REPLY_EXPECTED (before: root waited 9-24 s): not one is
#            served;
#   flood    GetJob as fast as answers come (before: root's rate fell from 1,578/s to 55/s).
. "$(dirname "$0")/../lib/harness.sh"
. "$(dirname "$0")/../lib/sysops.sh"
H_UNITS_DIR=$SRCDIR/tests/units
h_users
h_up || bail_out "stack did not come up"
h_systemctl start harperdb.service harperdb-http@1.service || bail_out "the test units did not start"
h_daemon_start || bail_out "harper-sysopsd did not start"

# Generous bounds: they hold at a load of 10. The daemon needs 12 MB; 64 MiB is the goal.
RSS_MAX_KB=$((64 * 1024))
ROOT_P99_MAX_US=10000000
ATTACK_SEC=20
LATENCY=$BUILDDIR/tests/call-latency

rss_kb() { awk -v k="$1:" '$1 == k { print $2 }' "/proc/$H_DAEMON_PID/status"; }
# root's GetStatus, 40 calls on fresh connections as harper-ops makes them: "ok K errors E
# timeouts T p50 P p99 P max M"
root_latency() { "$LATENCY" --fresh 40 GetStatus primary 2>>"$H_T/latency.err"; }
admin_latency() { as_user hsops-admin "$LATENCY" --fresh 5 SetStatus maintenance "by the admin" 2>>"$H_T/latency.err"; }
field() { awk -v k="$1" '{ for (i = 1; i < NF; i++) if ($i == k) print $(i + 1) }' <<<"$2"; }

# attack MODE CONNECTIONS: hsops-user's unread-calls in the background for ATTACK_SEC s, once
# every connection is open
attack() {
    rm -f "$H_T/attack.err"
    as_user hsops-user "$BUILDDIR/tests/unread-calls" "$1" "$2" "$ATTACK_SEC" >"$H_T/attack.out" 2>"$H_T/attack.err" &
    attacker=$!
    h_wait 60 grep -q started "$H_T/attack.err"
}

# during MODE: while the attack runs (after 3 s under it), root's and the admin's calls and the
# daemon's memory are within bounds
during() {
    local out
    sleep 3
    out=$(root_latency)
    is "$1: root's 40 GetStatus on fresh connections are all answered, none timed out" \
        "$(field ok "$out") $(field timeouts "$out")" "40 0"
    check "$1: ... root's p99 within $((ROOT_P99_MAX_US / 1000)) ms ($out)" test "$(field p99 "$out")" -lt "$ROOT_P99_MAX_US"
    out=$(admin_latency)
    is "$1: the admin's 5 SetStatus are answered ($out)" "$(field ok "$out")" 5
    check "$1: the daemon's RSS during the attack is under 64 MiB ($(rss_kb VmRSS) kB)" test "$(rss_kb VmRSS)" -lt "$RSS_MAX_KB"
}

dcall SetStatus primary active >/dev/null || bail_out "cannot set a status"
for i in $(seq 64); do
    ops '{"operation":"restart_service","service":"http_workers"}' --wait >/dev/null 2>&1 || bail_out "restart $i failed"
done
objects=$(busctl --system call "$H_BUS_NAME" / org.freedesktop.DBus.ObjectManager GetManagedObjects | wc -c)
check "the object manager's answer holds the 64 kept jobs ($objects bytes as busctl prints it)" test "$objects" -gt 30000

out=$(root_latency)
diag "unloaded: root $out; admin $(admin_latency)"

# unread: the attacker's answers are sent at its budget's pace, so that what dbus-daemon keeps
# for it (counted against the daemon's connection) stays small
attack unread 64
during unread
wait "$attacker"
check "unread: the daemon's RSS after the attack is under 64 MiB ($(rss_kb VmRSS) kB)" test "$(rss_kb VmRSS)" -lt "$RSS_MAX_KB"
check "unread: its peak is under 64 MiB ($(rss_kb VmHWM) kB)" test "$(rss_kb VmHWM)" -lt "$RSS_MAX_KB"
check "unread: the attacker is named in the journal once, not per call" \
    test "$(grep -c "Throttling uid $(id -u hsops-user)" "$H_T/daemon.log")" -le 2

# noreply: nothing is read or answered; the daemon's count of dropped calls is all of them
attack noreply 16
during noreply
wait "$attacker"
noreply_sent=$(sed -n 's/^sent //p' "$H_T/attack.out")

# flood: GetJob answered at the uid's pace (a burst of 256, then 64 a second), LimitsExceeded
# at 20 then 5 a second, the rest dropped
attack flood 16
during flood
wait "$attacker"
answered=$(awk '$2 == "org.freedesktop.DBus.Error.UnknownObject" || $2 ~ /NoSuchJob/ { n += $1 } END { print n + 0 }' "$H_T/attack.out")
refused=$(awk '$2 == "org.freedesktop.DBus.Error.LimitsExceeded" { n += $1 } END { print n + 0 }' "$H_T/attack.out")
diag "flood: $(tr '\n' ';' <"$H_T/attack.out")"
check "flood: GetJob was served within the budget: $answered <= 256 + 64 x ${ATTACK_SEC} s (+5 s)" \
    test "$answered" -le $((256 + 64 * (ATTACK_SEC + 5)))
check "flood: ... and refused within its budget: $refused <= 20 + 5 x ${ATTACK_SEC} s (+5 s)" \
    test "$refused" -le $((20 + 5 * (ATTACK_SEC + 5)))
check "flood: ... but refused at first, not only dropped" test "$refused" -ge 20
check "the daemon's peak RSS over all attacks is under 64 MiB ($(rss_kb VmHWM) kB)" test "$(rss_kb VmHWM)" -lt "$RSS_MAX_KB"

h_daemon_stop
is "SIGTERM ends the daemon with status 0" "$H_DAEMON_STATUS" 0
dropped=$(sed -n 's/.*Calls not served: \([0-9]*\) dropped unread.*/\1/p' "$H_T/daemon.log")
is "noreply: every one of the $noreply_sent calls was dropped unread, none served" "$dropped" "$noreply_sent"

done_testing
