#!/bin/bash
# SPDX-License-Identifier: MIT
# Self-test of tests/lib/harper.sh: the harness gives a real Harper (npm harperdb 4.7.29) run by
# its systemd manager as harperdb.service, as its own user, on loopback and free ports only; it
# answers on its unix socket without credentials and on TCP only with them; systemd restarts it
# (new MainPID), Harper's own restart_service rolls its worker threads in place (same PID, new
# thread ids) and answers clustering without doing anything; teardown leaves nothing behind.
# Timings go to the TAP stream as comments. Does not need harper-sysopsd.
set -u
. "$(dirname "${BASH_SOURCE[0]}")/../lib/harness.sh"
. "$(dirname "${BASH_SOURCE[0]}")/../lib/harper.sh"

[ "$(id -u)" = 0 ] || skip_all "needs root"
command -v node >/dev/null && command -v npm >/dev/null || skip_all "node and npm missing (tools/install-deps.sh)"

json() { python3 -c 'import json,sys; v=json.load(sys.stdin)
for k in sys.argv[1:]: v=v[int(k)] if isinstance(v,list) else v[k]
print(v if not isinstance(v,(dict,list)) else json.dumps(v,separators=(",",":")))' "$@"; }
ms_since() { echo $(( ($(_h_usec) - $1) / 1000 )); }
UUID='^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$'

h_up || bail_out "stack did not come up"
# on a failure, what Harper and systemd said, before the teardown removes it
harper_exit() { [ "$_h_tap_failed" = 0 ] || harper_logs; harper_down; }
trap harper_exit EXIT
t0=$(_h_usec)
harper_setup || bail_out "harper_setup failed (see stderr)"
diag "package and a fresh root installed in $(ms_since "$t0") ms ($HARPER_NODE_MODULES)"
harper_unit || bail_out "harper_unit failed"
harper_start || bail_out "Harper did not come up (see stderr)"
diag "cold start: $HARPER_READY_MS ms until the socket and the TCP port answer"

# ---------------------------------------------------------------- what runs
main=$(harper_pid)
is "Harper runs as $HARPER_USER" "$(ps -o user= -p "$main")" "$HARPER_USER"
like "... in the harness's cgroup" "$(cat /proc/"$main"/cgroup)" "^0::/${H_T##*/}/.*$HARPER_UNIT"
is "its socket belongs to $HARPER_USER, mode 0755" "$(stat -c '%U %a %F' "$HARPER_SOCK")" "$HARPER_USER 755 socket"
# Harper 4.7's system_information ["system"] names node and npm but not Harper's own version;
# registration_info (deprecated) does
out=$(harper_op '{"operation":"registration_info"}')
is "registration_info says Harper 4.7.29" "$(json version <<<"$out" 2>&1)" 4.7.29
diag "registration_info: $out"
out=$(harper_op '{"operation":"system_information","attributes":["system"]}')
is "system_information [system] names the node that runs it" "$(json system node_version <<<"$out" 2>&1)" \
   "$(node -p process.versions.node)"
diag "system: $out"

# ---------------------------------------------------------------- the two ways in
out=$(harper_op -s '{"operation":"get_status"}')
is "the socket answers get_status without credentials (200)" "$(head -n1 <<<"$out")" 200
diag "get_status: $(tail -n +2 <<<"$out")"
out=$(harper_op '{"operation":"user_info"}')
is "... as the super_user $HARPER_ADMIN" "$(json username <<<"$out" 2>&1) $(json role permission super_user <<<"$out" 2>&1)" \
   "$HARPER_ADMIN True"
out=$(harper_tcp_op -s -n '{"operation":"get_status"}')
is "the TCP port refuses a call without credentials (401)" "$(head -n1 <<<"$out")" 401
diag "unauthenticated: $(tail -n +2 <<<"$out")"
out=$(harper_tcp_op -s -u "$HARPER_ADMIN:wrong" '{"operation":"get_status"}')
is "... and a wrong password (401)" "$(head -n1 <<<"$out")" 401
out=$(harper_tcp_op -s '{"operation":"get_status"}')
is "... and accepts the admin's (200)" "$(head -n1 <<<"$out")" 200

# ---------------------------------------------------------------- ports
# (the listeners come up one by one: the last may follow the readiness check by a moment)
listens() { ss -Hltn "sport = :$1" | grep -q .; }
for p in "$HARPER_OPS_PORT" "$HARPER_HTTP_PORT" "$HARPER_REPL_PORT" "$HARPER_MQTT_PORT"; do
    h_wait 10 listens "$p"
done
listening=$(ss -Hltn | awk '{print $4}')
is "nothing listens on Harper's default ports" \
   "$(grep -E ':(9925|9926|9932|9933|1883|8883)$' <<<"$listening")" ""
for p in "$HARPER_OPS_PORT" "$HARPER_HTTP_PORT" "$HARPER_REPL_PORT" "$HARPER_MQTT_PORT"; do
    is "port $p is open on 127.0.0.1 only" "$(grep -E ":$p\$" <<<"$listening" | sort -u)" "127.0.0.1:$p"
done
# the ones Harper opens on its own ([::]:<random>, see harper_unit), for the record
diag "Harper's listeners: $(ss -Hltnp | grep "pid=$main," | awk '{print $4}' | sort -u | tr '\n' ' ')"

# ---------------------------------------------------------------- systemd restarts it
t=$(_h_usec)
check "systemctl restart $HARPER_UNIT" h_systemctl restart "$HARPER_UNIT"
check "... Harper answers again" harper_wait_ready 90
diag "restart through systemd: $(ms_since "$t") ms until Harper answers"
new=$(harper_pid)
check "... with a new MainPID ($main -> $new)" test "$new" != "$main" -a "$new" != 0
main=$new

# ---------------------------------------------------------------- Harper's own restart_service
# Harper 4.7.29 itself sometimes crashes while it stops a worker thread (SIGSEGV in the
# thread's cleanup; node's backtrace in harper.log): systemd starts it again and the job stays
# IN_PROGRESS for good. Seen in 2 of about 12 runs, on a loaded machine, and twice in a row
# once under the sanitizer leg's load. That is Harper's bug, not the harness's: say so and try
# again, four times in all.
crashes=0
for _ in 1 2 3 4; do
    before=$(harper_threads)
    t=$(_h_usec)
    out=$(harper_op '{"operation":"restart_service","service":"http_workers"}')
    id=$(json job_id <<<"$out" 2>&1)
    h_wait 60 eval '[[ $(harper_job_wait "$id" 0) =~ ^(COMPLETE|ERROR)$ ]] || [ "$(harper_pid)" != "$main" ]'
    status=$(harper_job_wait "$id" 0)
    [ "$(harper_pid)" = "$main" ] && break
    crashes=$((crashes + 1))
    diag "Harper's process died during the rolling restart (MainPID $main -> $(harper_pid), job $status):" \
        "$(grep -a -E 'SIGSEGV|SIGABRT|received SIG|Segmentation' "$H_T/harper.log" | tail -n 1)"
    harper_wait_ready 90
    main=$(harper_pid)
done
diag "restart_service http_workers: $out"
is "restart_service http_workers: Restarting http_workers" "$(json message <<<"$out" 2>&1)" "Restarting http_workers"
like "... with a job id" "$id" "$UUID"
is "... its job reaches COMPLETE" "$status" COMPLETE
diag "rolling restart of 2 workers: $(ms_since "$t") ms until get_job says COMPLETE"
diag "get_job: $(harper_op '{"operation":"get_job","id":"'"$id"'"}')"
check "... Harper answers" harper_wait_ready 30
is "... same MainPID" "$(harper_pid)" "$main"
after=$(harper_threads)
diag "worker threadIds: $before -> $after"
check "... new worker threads" test -n "$before" -a -n "$after" -a "$before" != "$after"
is "... still 2 of them" "$(wc -w <<<"$after")" 2
diag "system_information threads: $(harper_op '{"operation":"system_information","attributes":["threads"]}')"

out=$(harper_op -s '{"operation":"restart_service","service":"clustering"}')
diag "restart_service clustering: $(tail -n +2 <<<"$out")"
is "restart_service clustering answers 200" "$(head -n1 <<<"$out")" 200
id=$(tail -n +2 <<<"$out" | json job_id 2>/dev/null)
is "... and its job reaches COMPLETE (clustering is off: nothing to do)" "$(harper_job_wait "$id" 30)" COMPLETE
check "... Harper answers" harper_wait_ready 30
is "... same MainPID" "$(harper_pid)" "$main"
out=$(harper_op -s '{"operation":"restart_service","service":"bogus"}')
is "restart_service of an unknown service: 400 Invalid service" "$(tr '\n' ' ' <<<"$out")" '400 {"error":"Invalid service"} '
out=$(harper_op -s '{"operation":"get_job","id":"00000000-0000-4000-8000-000000000000"}')
is "get_job of an unknown id: 200 []" "$(tr '\n' ' ' <<<"$out")" '200 [] '

# ---------------------------------------------------------------- Harper's restart
t=$(_h_usec)
out=$(harper_op '{"operation":"restart"}')
diag "restart: $out"
check "Harper's restart: it exits and systemd starts it again (new MainPID)" \
    h_wait 60 eval '[ "$(harper_pid)" != "$main" ] && [ "$(harper_pid)" != 0 ]'
check "... and it answers again" harper_wait_ready 90
diag "Harper's own restart: $(ms_since "$t") ms until it answers"
is "... the unit is active, restarted once by systemd" \
   "$(h_systemctl show -P ActiveState "$HARPER_UNIT") $(h_systemctl show -P NRestarts "$HARPER_UNIT")" "active $((crashes + 1))"

# ---------------------------------------------------------------- teardown
cg=$(h_systemctl show -P ControlGroup "$HARPER_UNIT")
pids=$(find /sys/fs/cgroup -path "*$cg/cgroup.procs" -exec cat {} + 2>/dev/null | sort -u | tr '\n' ' ')
root=$HARPER_ROOT
[ "$_h_tap_failed" = 0 ] || harper_logs
harper_down
left=
for p in $pids; do _h_alive "$p" && left+="$p "; done
is "after harper_down no process of Harper is left (had: $pids)" "$left" ""
check "... and its root is gone" test ! -e "$root"
done_testing
