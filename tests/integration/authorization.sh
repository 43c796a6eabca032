#!/bin/bash
# SPDX-License-Identifier: MIT
# Every status method for root, a harper-admin member and a plain user: allowed or refused
# as polkit decides, the refusal named as it should be, and nothing changed by a refusal.
. "$(dirname "$0")/../lib/harness.sh"
. "$(dirname "$0")/../lib/sysops.sh"
h_users
h_up || bail_out "stack did not come up"
h_daemon_start || bail_out "harper-sysopsd did not start"

# root and harper-admin members are allowed everything
for who in root hsops-admin; do
    out=$(dcall -u $who SetStatus primary "set by $who")
    like "$who: SetStatus is allowed" "$out" "^\(\('primary', 'set by $who', uint64 [0-9]+, uint64 [0-9]+\),\)$"
    out=$(dcall -u $who GetStatus primary)
    like "$who: GetStatus is allowed" "$out" "^\(\('primary', 'set by $who', "
    out=$(dcall -u $who ListStatuses)
    like "$who: ListStatuses is allowed" "$out" "^\(\[\('primary', 'set by $who', "
    out=$(dcall -u $who ClearStatus maintenance)
    is "$who: ClearStatus is allowed" "$out" "()"
done

dcall SetStatus primary "kept" >/dev/null
dcall SetStatus maintenance "kept too" >/dev/null
before=$(statuses)

# a plain user: a password would do (auth_admin_keep), so without the interactive flag
# polkit's challenge comes back as InteractiveAuthorizationRequired; with the flag and no
# agent to ask, the answer is a plain AccessDenied
for m in "SetStatus primary changed" "GetStatus primary" "ListStatuses" "ClearStatus primary"; do
    # shellcheck disable=SC2086 # split into the method and its arguments on purpose
    set -- $m
    out=$(dcall -u hsops-user "$@")
    is "plain user: $1 without interaction needs authentication" "$(dbus_error "$out")" \
        org.freedesktop.DBus.Error.InteractiveAuthorizationRequired
    out=$(dcall -u hsops-user -i "$@")
    is "plain user: $1 allowing interaction is denied" "$(dbus_error "$out")" org.freedesktop.DBus.Error.AccessDenied
done
is "plain user's refused calls changed nothing" "$(statuses)" "$before"

# invalid input: checked after the caller (Harper: 403 before 400) and named InvalidArgs
out=$(dcall -u hsops-admin SetStatus availability Partial)
is "bad input is InvalidArgs" "$(dbus_error "$out")" org.freedesktop.DBus.Error.InvalidArgs
like "bad input carries Harper's message" "$out" 'Status "availability" only accepts these values: Available, Unavailable'
out=$(dcall -u hsops-user SetStatus availability Partial)
is "a plain user with bad input is refused, not told about the input" "$(dbus_error "$out")" \
    org.freedesktop.DBus.Error.InteractiveAuthorizationRequired
out=$(dcall -u hsops-admin ClearStatus nope)
is "ClearStatus of an unknown id is InvalidArgs" "$(dbus_error "$out")" org.freedesktop.DBus.Error.InvalidArgs
out=$(dcall GetStatus availability)
is "GetStatus of an id never set is NoSuchStatus" "$(dbus_error "$out")" io.harperdb.SystemOperations1.Error.NoSuchStatus
is "bad input changed nothing" "$(statuses)" "$before"

# the caller's identity comes from the bus: the daemon logs who changed what
dcall -u hsops-admin SetStatus maintenance "by admin" >/dev/null
like "the log names the caller's uid" "$(cat "$H_T/daemon.log")" "Status 'maintenance' set by uid $(id -u hsops-admin)\."

# on a terminal harper-ops starts pkttyagent for the password, as systemctl does (script(1)
# gives it a pty). polkit asks the agent of the caller's login session; without logind there
# is none here, so polkit answers without asking: denied, and the agent is gone afterwards.
out=$(as_user hsops-user script -qec "$HARPER_OPS -v --status '{\"operation\":\"get_status\"}'" /dev/null </dev/null | tr -d '\r')
like "on a terminal: pkttyagent is started before the call" "$out" "pkttyagent \(pid [0-9]+\) started"
like "... the call allows interactive authorization" "$out" "Calling io.harperdb.SystemOperations1.ListStatuses \(interactive authorization allowed\)"
like "... without a session polkit cannot ask: 403" "$out" "^403$"
check "... and no pkttyagent is left behind" bash -c "! pgrep -u hsops-user -x pkttyagent"

# refused state-changing calls leave a line: who (uid from the bus), what, why; reads do not;
# a flood costs a few lines (10 per 10 s, then one saying how many were left out)
sleep 10   # a fresh window of the rate limit
: >"$H_T/daemon.log"
dcall -u hsops-user Restart >/dev/null
dcall -u hsops-user ClearStatus primary >/dev/null
dcall SetStatus nonsense x >/dev/null
dcall -u hsops-user GetStatus primary >/dev/null
like "a plain user's refused Restart() is logged with its uid and why" "$(cat "$H_T/daemon.log")" \
     "Refused Restart\(\) from uid $(id -u hsops-user) \(:[0-9.]+\): authentication required: Interactive authentication required for io.harperdb.SystemOperations1.restart"
like "... and its ClearStatus()" "$(cat "$H_T/daemon.log")" "Refused ClearStatus\(\) from uid $(id -u hsops-user) .*: authentication required: "
like "root's invalid SetStatus() too, as invalid arguments" "$(cat "$H_T/daemon.log")" \
     "Refused SetStatus\(\) from uid 0 .*: invalid arguments: "
is "a refused read is not logged" "$(grep -c 'Refused GetStatus' "$H_T/daemon.log")" 0
# at once from one process: 30 busctl runs can take more than the window on a loaded machine
as_user hsops-user "$BUILDDIR/tests/flood-calls" 30 >/dev/null
is "30 more refusals within the window: the log stops at 10 lines" "$(grep -c '^harper-sysopsd: Refused' "$H_T/daemon.log")" 10
sleep 10
dcall -u hsops-user Restart >/dev/null
like "... the next window says how many were left out" "$(cat "$H_T/daemon.log")" \
     "^harper-sysopsd: 23 more refused calls were not logged in the last 10 s\.$"

# a new caller's uid is asked of the bus once (by the call budget), not again by the authorizer
daemon=$(busctl --system call org.freedesktop.DBus /org/freedesktop/DBus org.freedesktop.DBus GetNameOwner s \
    io.harperdb.SystemOperations1 | cut -d'"' -f2)
dbus-monitor --system "type='method_call',sender='$daemon',destination='org.freedesktop.DBus'" \
    >"$H_T/lookups.log" 2>&1 & monitor=$!
h_wait 10 grep -q NameAcquired "$H_T/lookups.log"
dcall -u hsops-admin SetStatus primary "asked once" >/dev/null
dcall -u hsops-admin GetStatus primary >/dev/null
dcall -u hsops-user GetStatus primary >/dev/null
sleep 1
kill "$monitor"; wait "$monitor" 2>/dev/null
is "three new callers: their uids asked of the bus three times in all" \
   "$(grep -cE 'member=(GetConnectionCredentials|GetConnectionUnixUser)' "$H_T/lookups.log")" 3

done_testing
