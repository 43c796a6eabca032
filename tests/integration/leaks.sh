#!/bin/bash
# SPDX-License-Identifier: MIT
# harper-sysopsd under valgrind through every status, restart and system information path, allowed and refused,
# with callers that hang up while polkit is deciding, jobs that fail, jobs leaving the
# history, and a job still running at exit: no leak, no invalid access.
. "$(dirname "$0")/../lib/harness.sh"
. "$(dirname "$0")/../lib/sysops.sh"
command -v valgrind >/dev/null || bail_out "valgrind is not installed (tools/install-deps.sh)"
H_UNITS_DIR=$SRCDIR/tests/units
h_users
h_up || bail_out "stack did not come up"
h_systemctl start harperdb.service harperdb-http@1.service harperdb-http@2.service ||
    bail_out "the test units did not start"
cat >"$H_T/leaks.json" <<EOF
{ "services": { "clustering": { "units": ["hsops-missing.service"] },
                "clustering_config": { "units": ["hsops-fail.service", "hsops-slow.service"], "action": "restart" } },
  "jobs_kept": 2 }
EOF
H_DAEMON_WRAPPER="valgrind --leak-check=full --show-leak-kinds=definite,indirect --errors-for-leak-kinds=definite,indirect --error-exitcode=9 '--log-file=$H_T/valgrind.log'"
h_daemon_start --polkit-timeout=2 --config="$H_T/leaks.json" || bail_out "harper-sysopsd did not start under valgrind"

for who in root hsops-admin hsops-user; do
    dcall -u $who SetStatus primary "by $who" >/dev/null
    dcall -u $who SetStatus availability Partial >/dev/null
    dcall -u $who GetStatus primary >/dev/null
    dcall -u $who GetStatus never >/dev/null
    dcall -u $who ListStatuses >/dev/null
    dcall -u $who -i ClearStatus primary >/dev/null
    ops -u $who '{"operation":"set_status","id":"maintenance","status":"x"}' >/dev/null 2>&1
done

for who in root hsops-admin hsops-user; do
    ops -u $who --no-ask-password --wait '{"operation":"restart"}' >/dev/null 2>&1
    ops -u $who --no-ask-password --wait '{"operation":"restart_service","service":"http_workers"}' >/dev/null 2>&1
    ops -u $who --no-ask-password --wait '{"operation":"restart_service","service":"clustering"}' >/dev/null 2>&1
    ops -u $who --no-ask-password '{"operation":"restart_service","service":"bogus"}' >/dev/null 2>&1
done
ops '{"operation":"get_job","id":"nope"}' >/dev/null
for who in root hsops-admin hsops-user; do
    ops -u $who --no-ask-password '{"operation":"system_information"}' >/dev/null 2>&1
    ops -u $who --no-ask-password '{"operation":"system_information","attributes":["metrics","foo"]}' >/dev/null 2>&1
done
ops '{"operation":"restart_service","service":"clustering_config"}' >/dev/null      # one fails, one is slow
ops '{"operation":"restart_service","service":"clustering_config"}' >/dev/null 2>&1 # refused: running
h_wait 10 grep -q "ended ERROR: Restart of hsops-fail.service failed" "$H_T/daemon.log"
h_systemctl stop harperdb-http@1.service harperdb-http@2.service
out=$(ops --wait '{"operation":"restart_service","service":"http_workers"}')
like "no running worker: the job ends in ERROR" "$out" "No running unit matches"
ops '{"operation":"restart_service","service":"clustering_config"}' >/dev/null      # still running at exit

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
