#!/bin/bash
# SPDX-License-Identifier: MIT
# polkit's line is fair (issue 14). With polkitd stalled (SIGSTOP), three users at their own
# limit of 32 waiting calls and a fourth user's flood leave room for a user not yet in line;
# root never waits for polkit, so a burst of root calls from fresh connections is answered
# whatever the line holds (before: only once a connection's uid was cached, so first calls
# met the limits too). Issue 22, row 4: a user with no rights who keeps its 32 calls waiting
# for polkit holds an admin back no more: its refusals are kept for 5 s (polkit is not asked
# again), and calls polkit must be asked about go to it one per user, the users in turn.
. "$(dirname "$0")/../lib/harness.sh"
. "$(dirname "$0")/../lib/sysops.sh"
crowd=(hsops-crowd1 hsops-crowd2 hsops-crowd3)
h_users "${crowd[@]}" || bail_out "cannot create the test users"
h_up || bail_out "stack did not come up"
# the line must stay full while the test runs (20 s at most); -v logs each question as it
# joins the line
h_daemon_start --polkit-timeout=20 -v || bail_out "harper-sysopsd did not start"

now_ms() { echo $(( ${EPOCHREALTIME//[.,]/} / 1000 )); }

# flood USER N: USER's flood-calls N in the background; its answers counted in $H_T/USER.progress
flood() {
    as_user "$1" "$BUILDDIR/tests/flood-calls" --progress "$2" >"$H_T/$1.flood" 2>"$H_T/$1.progress" &
    floods+=($!)
}
answered() { grep -qx "answered $2" "$H_T/$1.progress"; }

kill -STOP "$H_POLKIT_PID"
floods=()
for u in "${crowd[@]}"; do flood "$u" 40; done
for u in "${crowd[@]}"; do
    check "$u floods 40 calls: the 8 beyond 32 are refused at once" h_wait 10 answered "$u" 8
done
check "... and 3 x 32 calls wait for polkit" grep -q "of 96 questions in line" "$H_T/daemon.log"
flood hsops-user 40
check "a fourth user's flood gets one call in line: 39 are refused at once" h_wait 5 answered hsops-user 39
as_user hsops-admin gdbus call --system --timeout 200 -d "$H_BUS_NAME" -o "$H_OBJ_PATH" \
    -m "$H_BUS_NAME.SetStatus" maintenance hsops-admin >"$H_T/hsops-admin.out" 2>&1 &
fifth=$!
sleep 1
check "a fifth user still gets in line (waiting after 1 s)" _h_alive "$fifth"
check "... as question 98" grep -q "uid $(id -u hsops-admin) may .* (1 of 98 questions in line" "$H_T/daemon.log"

# root: a thousand calls, each from a connection of its own, answered though the line is long
t0=$(now_ms)
out=$("$BUILDDIR/tests/flood-calls" --fresh 1000)
elapsed=$(( $(now_ms) - t0 ))
is "1000 root calls from fresh connections with polkit stalled: all answered" "$out" "1000 ok"
check "... within 10 s (took ${elapsed} ms)" test "$elapsed" -lt 10000
out=$("$BUILDDIR/tests/flood-calls" 200)
is "200 root calls on two connections: all answered" "$out" "200 ok"
is "none of root's calls joined the line" "$(grep -c 'uid 0 may' "$H_T/daemon.log")" 0

# polkit answers again (or the calls time out): every waiting call gets its verdict; only the
# floods' excess was refused at once
kill -CONT "$H_POLKIT_PID"
wait "${floods[@]}" "$fifth"
for u in "${crowd[@]}"; do
    like "$u: 8 calls refused in all" "$(cat "$H_T/$u.flood")" "^8 org.freedesktop.DBus.Error.LimitsExceeded$"
done
like "the fourth user: 39 refused in all" "$(cat "$H_T/hsops-user.flood")" \
    "^39 org.freedesktop.DBus.Error.LimitsExceeded$"
check "the fifth user got a verdict, not a refusal at the door" \
    bash -c "! grep -q LimitsExceeded '$H_T/hsops-admin.out' && grep -Eq \"'hsops-admin'|AccessDenied\" '$H_T/hsops-admin.out'"

# admin_calls N: N SetStatus calls of hsops-admin one after the other; each answer on a line
# of $H_T/admin.calls as "MS OUTPUT"
admin_calls() {
    local t0 out
    : >"$H_T/admin.calls"
    for _ in $(seq "$1"); do
        t0=$(now_ms)
        out=$(dcall -u hsops-admin SetStatus primary "admin under attack")
        echo "$(( $(now_ms) - t0 )) $out" >>"$H_T/admin.calls"
    done
}
admin_yes() { grep -c "'admin under attack'" "$H_T/admin.calls"; }
admin_slowest() { sort -n "$H_T/admin.calls" | tail -n1 | cut -d' ' -f1; }
attacker=$(id -u hsops-user) admin=$(id -u hsops-admin)
asked_of() { grep -c "Asked polkit whether uid $1 may" "$H_T/daemon.log"; }

# row 4, as measured: the user keeps 32 calls waiting (not interactive) for 6 s. Its kept
# refusals come back at once, so it sends hundreds a second: past its call budget (the D-Bus
# page's WHO MAY READ WHAT) it gets LimitsExceeded, then no answer (NoReply after 3 s here)
asked=$(asked_of "$attacker")
as_user hsops-user "$BUILDDIR/tests/flood-calls" --for=6 --call-timeout=3 32 >"$H_T/row4.flood" 2>&1 &
row4=$!
h_wait 10 bash -c "[ \$(grep -c 'Asked polkit whether uid $attacker may' '$H_T/daemon.log') -gt $asked ]"
admin_calls 10
wait "$row4"
is "row 4: while a plain user keeps 32 calls waiting, the admin's 10 SetStatus calls are allowed" \
    "$(admin_yes)" 10
check "... each within 5 s (slowest: $(admin_slowest) ms)" test "$(admin_slowest)" -lt 5000
check "... and the plain user's calls are all refused, throttled or dropped: $(tr '\n' ' ' <"$H_T/row4.flood")" \
    bash -c "! grep -qvE '^[0-9]+ org\.freedesktop\.DBus\.Error\.(InteractiveAuthorizationRequired|LimitsExceeded|NoReply)$' '$H_T/row4.flood'"
refused=$(grep InteractiveAuthorizationRequired "$H_T/row4.flood" | cut -d' ' -f1)
asked=$(( $(asked_of "$attacker") - asked ))
check "... ${refused:-0} refused by polkit's kept answer, of which at most 3 were asked of polkit in 6 s (refusals kept 5 s): $asked" \
    test "$asked" -le 3 -a "${refused:-0}" -gt 32

# the kept refusals bypassed: the calls allow a prompt, so each is asked; with three more users
# doing the same, polkit gets one question per user in turn
floods=()
for u in hsops-user "${crowd[@]}"; do
    as_user "$u" "$BUILDDIR/tests/flood-calls" --interactive --for=8 32 >"$H_T/$u.interactive" 2>&1 &
    floods+=($!)
done
h_wait 10 bash -c "grep -q 'Whether uid $attacker may .* waits in line (32 of' '$H_T/daemon.log'"
from=$(wc -l <"$H_T/daemon.log")
admin_calls 10
wait "${floods[@]}"
is "row 4 with prompts allowed, four users keeping 32 calls each: the admin's 10 calls are allowed" \
    "$(admin_yes)" 10
check "... each within 5 s (slowest: $(admin_slowest) ms)" test "$(admin_slowest)" -lt 5000
for u in hsops-user "${crowd[@]}"; do
    check "... $u's calls are all refused: $(tr '\n' ' ' <"$H_T/$u.interactive")" \
        bash -c "! grep -q ' ok$' '$H_T/$u.interactive'"
done
# between an admin's call joining the line and polkit being asked about it, at most one
# question of each other user went to polkit
behind=$(tail -n "+$from" "$H_T/daemon.log" | awk -v admin="$admin" '
    match($0, /Whether uid [0-9]+ may/) { split(substr($0, RSTART, RLENGTH), w, " ")
        if (w[3] == admin) { waiting = 1; delete seen } next }
    waiting && match($0, /Asked polkit whether uid [0-9]+ may/) { split(substr($0, RSTART, RLENGTH), w, " ")
        if (w[5] == admin) { waiting = 0; asked++; next }
        if (++seen[w[5]] > worst) worst = seen[w[5]] }
    END { print asked + 0, worst + 0 }')
is "... polkit was asked about each of them (of 10)" "${behind% *}" 10
check "... each behind at most one question of each other user (most: ${behind#* })" test "${behind#* }" -le 1

h_daemon_stop
is "SIGTERM ends the daemon with status 0" "$H_DAEMON_STATUS" 0
check "no authorization query was left unanswered at exit" \
    bash -c "! grep -q 'unanswered' '$H_T/daemon.log'"

done_testing
