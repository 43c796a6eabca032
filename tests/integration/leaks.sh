#!/bin/bash
# harper-sysopsd under valgrind through every status path, allowed and refused, and with
# callers that hang up while polkit is deciding: no leak, no invalid access.
. "$(dirname "$0")/../lib/harness.sh"
. "$(dirname "$0")/../lib/sysops.sh"
command -v valgrind >/dev/null || bail_out "valgrind is not installed (tools/install-deps.sh)"
h_users
h_up || bail_out "stack did not come up"
H_DAEMON_WRAPPER="valgrind --leak-check=full --show-leak-kinds=definite,indirect --errors-for-leak-kinds=definite,indirect --error-exitcode=9 '--log-file=$H_T/valgrind.log'"
h_daemon_start --polkit-timeout=2 || bail_out "harper-sysopsd did not start under valgrind"

for who in root hsops-admin hsops-user; do
    dcall -u $who SetStatus primary "by $who" >/dev/null
    dcall -u $who SetStatus availability Partial >/dev/null
    dcall -u $who GetStatus primary >/dev/null
    dcall -u $who GetStatus never >/dev/null
    dcall -u $who ListStatuses >/dev/null
    dcall -u $who -i ClearStatus primary >/dev/null
    ops -u $who '{"operation":"set_status","id":"maintenance","status":"x"}' >/dev/null 2>&1
done

kill -STOP "$H_POLKIT_PID"
hang_up_mid_check 10 0.5
kill -CONT "$H_POLKIT_PID"
out=$(dcall -u hsops-admin SetStatus primary "still here")
like "after callers hung up mid-check the daemon serves on" "$out" "'still here'"

h_daemon_stop
is "valgrind: no leak or memory error (exit status)" "$H_DAEMON_STATUS" 0
like "valgrind: every block freed" "$(cat "$H_T/valgrind.log")" "All heap blocks were freed|definitely lost: 0 bytes"
grep -E "definitely lost|indirectly lost|Invalid (read|write)" "$H_T/valgrind.log" | sed 's/^/# /'

done_testing
