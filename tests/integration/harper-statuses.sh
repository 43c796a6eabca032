#!/bin/bash
# SPDX-License-Identifier: MIT
# Statuses kept in the real Harper too (tests/lib/harper.sh): a status set or cleared through
# harper-sysops is in Harper's own get_status within 1 s without SetStatus waiting for Harper;
# one set while Harper is down reaches it once Harper answers; after Harper restarts (through
# harper-sysops or on its own) it has them all again; after harper-sysopsd restarts it reads
# them back from Harper; a status set directly in Harper is harper-sysops's only from its next
# start.
. "$(dirname "$0")/../lib/harness.sh"
. "$(dirname "$0")/../lib/sysops.sh"
. "$(dirname "$0")/../lib/harper.sh"
harper_test_up
h_daemon_start || bail_out "harper-sysopsd did not start"

# Harper's own record of a status over its socket ({} when it has none)
in_harper() { harper_op "{\"operation\":\"get_status\",\"id\":\"$1\"}" | python3 -c 'import json,sys
d=json.load(sys.stdin); print(d.get("status", "(none)"))'; }
harper_has() { [ "$(in_harper "$1")" = "$2" ]; }
ms() { date +%s%3N; }
set_status() { ops --no-ask-password "{\"operation\":\"set_status\",\"id\":\"$1\",\"status\":\"$2\"}" >/dev/null; }
ours() { ops --no-ask-password "{\"operation\":\"get_status\",\"id\":\"$1\"}" | python3 -c 'import json,sys
d=json.load(sys.stdin); print(d.get("status", "(none)"))'; }
ours_is() { [ "$(ours "$1")" = "$2" ]; }

# ---------------------------------------------------------------- set and clear reach Harper
start=$(ms)
set_status primary active
check "set_status: Harper's own get_status has it within 1 s" h_wait 1 harper_has primary active
diag "it took $(( $(ms) - start )) ms"
ops --no-ask-password '{"operation":"clear_status","id":"primary"}' >/dev/null
check "clear_status: Harper's has none within 1 s" h_wait 1 harper_has primary "(none)"

# SetStatus does not wait for Harper: with Harper frozen the daemon still answers at once
kill -STOP "$(harper_pid)"
start=$(ms)
set_status maintenance frozen-harper
took=$(( $(ms) - start ))
kill -CONT "$(harper_pid)"
check "SetStatus with Harper frozen is answered at once ($took ms)" test "$took" -lt 1000
check "... and Harper has it once it runs again" h_wait 10 harper_has maintenance frozen-harper

# ---------------------------------------------------------------- set while Harper is down
harper_stop
set_status primary while-down
harper_start || { harper_logs; bail_out "Harper did not start again"; }
check "set while Harper was down: Harper has it once it answers" h_wait 10 harper_has primary while-down
check "... and the others, which the fresh Harper had lost" h_wait 10 harper_has maintenance frozen-harper

# ---------------------------------------------------------------- Harper restarts
ops --wait --no-ask-password '{"operation":"restart"}' >/dev/null
check "after a restart through harper-sysops Harper has them all again" \
    h_wait 10 harper_has primary while-down
check "... all" harper_has maintenance frozen-harper
kill -KILL "$(harper_pid)"
h_wait 60 test "$(harper_pid)" != 0 || bail_out "systemd did not start Harper again"
check "after Harper restarted on its own (killed) it has them again" h_wait 90 harper_has primary while-down
check "... all" h_wait 10 harper_has maintenance frozen-harper

# ---------------------------------------------------------------- harper-sysopsd restarts
h_daemon_stop
h_daemon_start || bail_out "harper-sysopsd did not start again"
check "after harper-sysopsd restarted it reads them back from Harper" h_wait 5 ours_is primary while-down
is "... the other one too" "$(ours maintenance)" frozen-harper

# ---------------------------------------------------------------- set directly in Harper
harper_op '{"operation":"set_status","id":"availability","status":"Unavailable"}' >/dev/null
sleep 1
is "a status set directly in Harper: harper-sysops does not have it while it runs" \
   "$(ours availability)" "(none)"
is "... Harper keeps it" "$(in_harper availability)" Unavailable
h_daemon_stop
h_daemon_start || bail_out "harper-sysopsd did not start again"
check "... and harper-sysops takes it at its next start" h_wait 5 ours_is availability Unavailable
set_status availability Available
check "... from then on harper-sysops's value wins in Harper too" h_wait 1 harper_has availability Available

# ---------------------------------------------------------------- a flood of changes
# counted through a proxy in front of Harper's socket: at most one change goes per 100 ms, the
# newest value, so that a flood of SetStatus calls does not keep Harper busy too
harper_counting_proxy "$H_T/counting.sock" "$H_T/counting.log" || bail_out "the counting proxy did not come up"
# shellcheck disable=SC2002 # cat: a log not written yet counts 0 lines
sent() { cat "$H_T/counting.log" 2>/dev/null | wc -l; }
h_daemon_stop
echo "{\"harper\":{\"socket\":\"$H_T/counting.sock\"}}" >"$H_T/counting.json"
h_daemon_start --config="$H_T/counting.json" || bail_out "harper-sysopsd did not start with $H_T/counting.json"
h_wait 5 test "$(sent)" -ge 1     # the read-back at start
set_status maintenance before-the-flood
check "through the proxy: a lone change reaches Harper within 1 s" h_wait 1 harper_has maintenance before-the-flood
base=$(sent)
start=$(ms)
is "1000 SetStatus calls at once (flood-calls, root)" "$("$BUILDDIR/tests/flood-calls" 1000)" "1000 ok"
took=$(( $(ms) - start ))
check "... Harper has the newest value within 1 s" h_wait 1 harper_has maintenance flood
n=$(( $(sent) - base ))
check "... sent to Harper $n times in $took ms, at most once per 100 ms" test "$n" -ge 1 -a "$n" -le $(( took / 100 + 2 ))
done_testing
