#!/bin/bash
# SPDX-License-Identifier: MIT
# restart and restart_service against the harness's real systemd manager: the units really
# restart (MainPID), workers roll one at a time, the clustering config reloads in place, a
# failing unit ends the job in ERROR with systemd's reason, bad input and denied callers
# change nothing, job objects follow the lifecycle, harper-ops --wait exits by the job's end.
. "$(dirname "$0")/../lib/harness.sh"
. "$(dirname "$0")/../lib/sysops.sh"
H_UNITS_DIR=$SRCDIR/tests/units
h_users
h_up || bail_out "stack did not come up"

MARKS=$H_T/marks
mkdir -p "$MARKS" && chmod 777 "$MARKS"
h_systemctl set-environment HSOPS_MARKS="$MARKS"
WORKERS=(harperdb-http@1.service harperdb-http@2.service harperdb-http@3.service)
h_systemctl start harperdb.service harperdb-clustering.service "${WORKERS[@]}" ||
    bail_out "the test units did not start"
h_daemon_start || bail_out "harper-sysopsd did not start"

main_pid() { h_systemctl show -P MainPID "$1"; }
job_objects() {
    gdbus call --system -d "$H_BUS_NAME" -o / -m org.freedesktop.DBus.ObjectManager.GetManagedObjects |
        grep -o "'$H_OBJ_PATH/job/[0-9]*'" | sort -u | wc -l
}
UUID='^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$'

# ---------------------------------------------------------------- restart
before=$(main_pid harperdb.service)
out=$(ops --no-ask-password '{"operation":"restart"}'); rc=$?
is "restart answers Harper's message and a job id (exit 0)" "$(json message <<<"$out") (exit $rc)" \
   "Restarting HarperDB. This may take up to 60 seconds. (exit 0)"
id=$(json job_id <<<"$out")
like "... the job id is a uuid" "$id" "$UUID"
check "... the job completes" h_wait 10 job_is "$id" COMPLETE
after=$(main_pid harperdb.service)
check "restart gave the instance a new MainPID ($before -> $after)" test "$after" != "$before" -a "$after" != 0

path=$(dcall GetJob "$id" | grep -o "'/[^']*'" | tr -d "'")
like "GetJob finds the job object" "$path" "^$H_OBJ_PATH/job/[0-9]+$"
job_iface() { awk '/<interface name="io.harperdb.SystemOperations1.Job">/,/<\/interface>/'; }
is "dbus/io.harperdb.SystemOperations1.Job.xml matches the running daemon" \
   "$(busctl --system introspect --xml-interface "$H_BUS_NAME" "$path" | job_iface)" \
   "$(job_iface <"$SRCDIR/dbus/io.harperdb.SystemOperations1.Job.xml")"
out=$(dcall GetJob 00000000-0000-4000-8000-000000000000)
is "GetJob of an unknown id: NoSuchJob" "$(dbus_error "$out")" io.harperdb.SystemOperations1.Error.NoSuchJob

out=$(ops '{"operation":"get_job","id":"'"$id"'"}')
is "get_job gives one record with Harper's fields" "$(json 0 <<<"$out" | python3 -c 'import json,sys; print(sorted(json.load(sys.stdin)))')" \
   "['created_datetime', 'end_datetime', 'id', 'message', 'start_datetime', 'status', 'type', 'user']"
is "... COMPLETE with Harper's message, type restart, asked by root" \
   "$(json 0 status <<<"$out") $(json 0 type <<<"$out") $(json 0 user <<<"$out") $(json 0 message <<<"$out")" \
   "COMPLETE restart root Successfully completed job: $id"
check "... created <= start <= end" python3 -c 'import json,sys; j=json.loads(sys.argv[1])[0]
sys.exit(not j["created_datetime"] <= j["start_datetime"] <= j["end_datetime"])' "$out"
is "get_job of an unknown id: []" "$(ops '{"operation":"get_job","id":"00000000-0000-4000-8000-000000000000"}')" "[]"
is "get_job of a number: []" "$(ops '{"operation":"get_job","id":42}')" "[]"
out=$(ops --status '{"operation":"get_job"}'); rc=$?
is "get_job without id: 400 'id' is required (exit 2)" "$out (exit $rc)" $'400\n{"error":"\'id\' is required"} (exit 2)'
out=$(ops -u hsops-user --no-ask-password '{"operation":"get_job","id":"'"$id"'"}')
is "anyone may read a job (a plain user's get_job)" "$(json 0 id <<<"$out")" "$id"

# ---------------------------------------------------------------- http_workers: rolling
declare -A old_pid
for w in "${WORKERS[@]}"; do old_pid[$w]=$(main_pid "$w"); done
: >"$MARKS/workers.log"
out=$(ops --wait '{"operation":"restart_service","service":"http_workers"}'); rc=$?
is "restart_service http_workers --wait: COMPLETE, exit 0" "$(json status <<<"$out") (exit $rc)" "COMPLETE (exit 0)"
is "... the job is a restart_service job" "$(json type <<<"$out")" restart_service
changed=0
for w in "${WORKERS[@]}"; do
    p=$(main_pid "$w")
    [ "$p" != "${old_pid[$w]}" ] && [ "$p" != 0 ] && changed=$((changed + 1))
done
is "all three workers have a new MainPID" "$changed" 3
is "one worker at a time, each started again before the next stops" \
   "$(awk '{printf "%s%s ", $1, $2}' "$MARKS/workers.log")" "stop1 start1 stop2 start2 stop3 start3 "
# replay the marks: the number of running workers never drops below two
check "at least two workers active at every moment" awk 'BEGIN{n=3; min=3}
    $1=="stop"{n--} $1=="start"{n++} {if (n<min) min=n} END{exit !(min>=2)}' "$MARKS/workers.log"

# the job's own signals: added, IN_PROGRESS with steps, COMPLETE (gdbus monitor, no polling)
gdbus monitor --system -d "$H_BUS_NAME" >"$H_T/monitor.log" 2>&1 &
mon=$!
h_wait 5 grep -q "Monitoring signals" "$H_T/monitor.log"
sleep 0.2
out=$(ops '{"operation":"restart_service","service":"http_workers"}')
id=$(json job_id <<<"$out")
is "restart_service answers 'Restarting http_workers' and a job id" "$(json message <<<"$out")" "Restarting http_workers"
check "... the job completes" h_wait 15 job_is "$id" COMPLETE
sleep 0.3
kill $mon 2>/dev/null; wait $mon 2>/dev/null
like "InterfacesAdded announced the job object with its Id" "$(grep InterfacesAdded "$H_T/monitor.log")" "'Id': <'$id'>"
seq=$(grep -o "'Status': <'[A-Z_]*'>" "$H_T/monitor.log" | grep -o "[A-Z_]*'>$" | tr -d "'>" | uniq | tr '\n' ' ')
like "PropertiesChanged carried the lifecycle (Status: $seq)" "$seq" "IN_PROGRESS .*COMPLETE $"
like "... and each step's progress" "$(grep PropertiesChanged "$H_T/monitor.log")" \
     "'Steps': <\[\('harperdb-http@1.service', 'done'\), \('harperdb-http@2.service', 'running'\)"

# ---------------------------------------------------------------- daemon-reexec mid-rollout
# systemd keeps its jobs across a re-exec (what an upgrade of systemd runs): the daemon follows
# them again once the manager is back, and the rollout completes
mkdir -p "$H_T/units/harperdb-http@.service.d"
printf '[Service]\nExecStartPre=/bin/sleep 1\n' >"$H_T/units/harperdb-http@.service.d/slow.conf"
h_systemctl daemon-reload
for w in "${WORKERS[@]}"; do old_pid[$w]=$(main_pid "$w"); done
id=$(ops '{"operation":"restart_service","service":"http_workers"}' | json job_id)
h_wait 10 test "$(main_pid harperdb-http@1.service)" != "${old_pid[harperdb-http@1.service]}"
h_systemctl daemon-reexec
check "systemctl daemon-reexec mid-rollout: the job completes" h_wait 30 job_is "$id" COMPLETE
changed=0
for w in "${WORKERS[@]}"; do
    p=$(main_pid "$w")
    [ "$p" != "${old_pid[$w]}" ] && [ "$p" != 0 ] && changed=$((changed + 1))
done
is "... and all three workers were restarted" "$changed" 3
like "... the daemon said it lost the manager" "$(cat "$H_T/daemon.log")" "Lost the systemd manager \(systemd went away\)"
like "... and followed its jobs again" "$(cat "$H_T/daemon.log")" "The systemd manager is back; following its jobs again"
rm -r "$H_T/units/harperdb-http@.service.d"
h_systemctl daemon-reload

# ---------------------------------------------------------------- clustering
before=$(main_pid harperdb-clustering.service)
: >"$MARKS/clustering.log"
out=$(ops --wait '{"operation":"restart_service","service":"clustering_config"}'); rc=$?
is "clustering_config: COMPLETE (exit 0)" "$(json status <<<"$out") (exit $rc)" "COMPLETE (exit 0)"
is "... reloaded: ExecReload ran in the same process" "$(cat "$MARKS/clustering.log")" "reload $before"
is "... and the MainPID is unchanged" "$(main_pid harperdb-clustering.service)" "$before"
out=$(ops --wait '{"operation":"restart_service","service":"clustering"}'); rc=$?
is "clustering: COMPLETE (exit 0)" "$(json status <<<"$out") (exit $rc)" "COMPLETE (exit 0)"
check "... restarted: a new MainPID" test "$(main_pid harperdb-clustering.service)" != "$before"
out=$(ops --wait '{"operation":"restart_service","service":"clustering","replicated":true}')
is "replicated without peers: COMPLETE, result {\"replicated\":[]}" "$(json status <<<"$out") $(json result <<<"$out")" \
   'COMPLETE {"replicated":[]}'
like "... and the message says no peers are configured" "$(json message <<<"$out")" "no peer nodes are configured"

# ---------------------------------------------------------------- bad input, denied callers
n=$(job_objects)
before=$(main_pid harperdb.service)
out=$(ops --status '{"operation":"restart_service","service":"htp_workerz"}'); rc=$?
is "an unknown service: 400 Invalid service (exit 2)" "$out (exit $rc)" $'400\n{"error":"Invalid service"} (exit 2)'
out=$(dcall RestartService htp_workerz false)
is "... over D-Bus: InvalidArgs" "$(dbus_error "$out")" org.freedesktop.DBus.Error.InvalidArgs
out=$(ops --status '{"operation":"restart_service"}'); rc=$?
is "no service: 400 Invalid service (exit 2)" "$out (exit $rc)" $'400\n{"error":"Invalid service"} (exit 2)'
out=$(ops --status '{"operation":"restart_service","service":"http_workers","replicated":"yes"}'); rc=$?
is "replicated not a boolean: 400 (exit 2)" "$out (exit $rc)" $'400\n{"error":"\'replicated\' must be true or false"} (exit 2)'
out=$(ops -u hsops-user --no-ask-password --status '{"operation":"restart"}' 2>/dev/null); rc=$?
out=$(tr '\n' ' ' <<<"$out")
like "a plain user's restart: 403 naming restart (exit 4)" "$out(exit $rc)" \
     "^403.*Operation 'restart' is restricted to 'super_user' roles.*\(exit 4\)$"
out=$(ops -u hsops-user --no-ask-password --status '{"operation":"restart_service","service":"http_workers"}' 2>/dev/null)
rc=$?
out=$(tr '\n' ' ' <<<"$out")
like "a plain user's restart_service: 403 naming restartService (exit 4)" "$out(exit $rc)" \
     "^403.*Operation 'restartService' is restricted.*\(exit 4\)$"
out=$(dcall -u hsops-user RestartService nonsense false)
is "a plain user learns nothing about the input: InteractiveAuthorizationRequired before validation" \
   "$(dbus_error "$out")" org.freedesktop.DBus.Error.InteractiveAuthorizationRequired
is "no job was created by any of these" "$(job_objects)" "$n"
is "... and the instance was not restarted" "$(main_pid harperdb.service)" "$before"
out=$(ops -u hsops-admin --no-ask-password --wait '{"operation":"restart"}'); rc=$?
is "a harper-admin member restarts without a password" "$(json status <<<"$out") $(json user <<<"$out") (exit $rc)" \
   "COMPLETE hsops-admin (exit 0)"

# on a terminal --wait shows the progress on stderr (script(1) gives it a pty)
out=$(script -qec "$HARPER_OPS --no-ask-password --wait '{\"operation\":\"restart_service\",\"service\":\"http_workers\"}'" /dev/null |
      tr '\r' '\n')
like "--wait on a terminal: the job and its progress, step by step" "$(grep -E 'Restarting|steps done' <<<"$out" | tr '\n' '|')" \
     "Restarting http_workers \(job [0-9a-f-]{36}\)\|.*IN_PROGRESS: 1/3 steps done, now harperdb-http@2.service.*COMPLETE: 3/3 steps done"

# ---------------------------------------------------------------- failures, overlap, history
h_daemon_stop
cat >"$H_T/fail.json" <<EOF
{ "instance_unit": "hsops-fail.service",
  "services": { "http_workers": { "units": "hsops-nothing-*.service" },
                "clustering": { "units": ["harperdb-http@*.service", "hsops-missing.service"], "rolling": true },
                "clustering_config": { "units": ["hsops-gated.service"], "action": "restart" } },
  "jobs_kept": 3 }
EOF
h_daemon_start --config="$H_T/fail.json" || bail_out "harper-sysopsd did not start with $H_T/fail.json"

out=$(ops --wait '{"operation":"restart"}'); rc=$?
is "a unit that fails to start: the job ends in ERROR, --wait exits 5" "$(json status <<<"$out") (exit $rc)" "ERROR (exit 5)"
is "... with the unit and systemd's reason" "$(json message <<<"$out")" "Restart of hsops-fail.service failed: exit-code"
out=$(ops --status '{"operation":"restart"}'); rc=$?
is "without --wait the same restart answers 200 (the job fails later)" "$(head -n1 <<<"$out") (exit $rc)" "200 (exit 0)"
out=$(ops --wait '{"operation":"restart_service","service":"http_workers"}'); rc=$?
is "a pattern that matches no running unit: ERROR saying so (exit 5)" "$(json message <<<"$out") (exit $rc)" \
   "No running unit matches hsops-nothing-*.service. (exit 5)"
out=$(ops --wait '{"operation":"restart_service","service":"clustering"}'); rc=$?
like "an unknown unit: ERROR naming it (exit 5)" "$(json message <<<"$out") (exit $rc)" \
     "^Restart of hsops-missing.service failed: Unit hsops-missing.service not found.* \(exit 5\)$"
path=$(dcall GetJob "$(json id <<<"$out")" | grep -o "'/[^']*'" | tr -d "'")
is "... a pattern and a name in one list: the pattern's running units first, the name kept (not skipped)" \
   "$(gdbus call --system -d "$H_BUS_NAME" -o "$path" -m org.freedesktop.DBus.Properties.Get "$H_BUS_NAME.Job" Steps)" \
   "(<[('harperdb-http@1.service', 'done'), ('harperdb-http@2.service', 'done'), ('harperdb-http@3.service', 'done'), ('hsops-missing.service', 'failed')]>,)"

# clustering_config's unit starts when the test opens its gate ($MARKS/gate.open)
rm -f "$MARKS/gate.open"
out=$(ops '{"operation":"restart_service","service":"clustering_config"}')
id=$(json job_id <<<"$out")
is "a slow restart answers before it is done" "$(job_status "$id")" IN_PROGRESS
out=$(ops --status '{"operation":"restart_service","service":"clustering_config"}' 2>/dev/null); rc=$?
is "a second restart of the same service meanwhile: 409 naming the running job (exit 6)" "$out (exit $rc)" \
   $'409\n{"error":"A restart of clustering_config is already in progress (job '"$id"')."} (exit 6)'
out=$(dcall RestartService clustering_config false)
is "... over D-Bus: AlreadyRunning" "$(dbus_error "$out")" io.harperdb.SystemOperations1.Error.AlreadyRunning
touch "$MARKS/gate.open"
check "the slow restart completes" h_wait 25 job_is "$id" COMPLETE
rm "$MARKS/gate.open"
out=$(ops --wait --timeout=1 '{"operation":"restart_service","service":"clustering_config"}' 2>"$H_T/timeout.err"); rc=$?
is "--wait --timeout=1 on a slower job: gives up with exit 1" "$rc" 1
like "... saying the job goes on" "$(cat "$H_T/timeout.err")" "Gave up waiting after 1 s: job [0-9a-f-]{36} is still IN_PROGRESS"
touch "$MARKS/gate.open"
h_wait 25 job_is "$(grep -o 'job [0-9a-f-]*' "$H_T/timeout.err" | cut -d' ' -f2)" COMPLETE

for i in 1 2 3 4; do ops --wait '{"operation":"restart"}' >/dev/null; done
is "finished jobs beyond jobs_kept (3) leave the bus" "$(job_objects)" 3

# a configuration that names a bad key or value is refused naming both (what a bad file does to
# a running daemon: tests/integration/config-reload.sh)
echo '{"services":{"http_workers":{"action":"bounce"}}}' >"$H_T/bad.json"
out=$("$BUILDDIR/src/harper-sysopsd" --check-config --config="$H_T/bad.json" 2>&1); rc=$?
is "a bad configuration: --check-config exits 1 naming file, key and problem" "$out (exit $rc)" \
   "$H_T/bad.json: 'services.http_workers.action' must be harper, restart, reload or reload-or-restart (exit 1)"
out=$("$BUILDDIR/src/harper-sysopsd" --check-config --config="$H_T/none.json" 2>&1); rc=$?
like "a configuration file given but missing: exit 1" "$out (exit $rc)" "none.json: cannot read: No such file or directory \(exit 1\)"

# other_manager NAME HOW: a stack of its own with a systemd manager (tests/lib/node.sh, no
# daemon); sets maddr mdir msystemd manager, and restarts our daemon reaching that manager as
# HOW says ("bus": on its bus, "private": over its private socket) with a clustering_config whose
# unit never finishes starting (hsops-gated.service, its gate closed)
other_manager() {
    local how
    H_NO_DAEMON=1 bash "$SRCDIR/tests/lib/node.sh" "$H_T/$1.ready" >"$H_T/$1.log" 2>&1 &
    manager=$!
    h_wait 60 test -s "$H_T/$1.ready" || bail_out "the systemd manager $1 did not come up"
    read -r maddr mdir _ msystemd <"$H_T/$1.ready"
    how=$maddr
    [ "$2" = private ] && how=private:$mdir/rt/systemd/private
    h_daemon_stop
    cat >"$H_T/$1.json" <<EOF
{ "systemd_bus": "$how",
  "services": { "clustering_config": { "units": ["hsops-gated.service"], "action": "restart" } } }
EOF
    h_daemon_start --config="$H_T/$1.json" || bail_out "harper-sysopsd did not start with $H_T/$1.json"
}

# systemd going away mid-job (its manager on another bus, as systemd_bus allows): ERROR, no hang
other_manager manager bus
id=$(ops '{"operation":"restart_service","service":"clustering_config"}' | json job_id)
h_wait 25 test -e "$mdir/marks/gated.started" || bail_out "systemd did not start hsops-gated.service"
kill -KILL "$msystemd"
check "systemd killed mid-job: the job ends in ERROR once it did not come back" h_wait 25 job_is "$id" ERROR
out=$(ops '{"operation":"get_job","id":"'"$id"'"}')
is "... saying systemd went away" "$(json 0 message <<<"$out")" \
   "Restart of hsops-gated.service did not finish: systemd went away (it did not come back within 10 s)"
t0=$(date +%s%N)
out=$(ops --status '{"operation":"restart"}' 2>/dev/null); rc=$?
is "a restart without systemd: 500 (exit 1)" "$(head -n1 <<<"$out") (exit $rc)" "500 (exit 1)"
like "... systemd did not take the job" "$(tail -n1 <<<"$out")" "Restart of harperdb.service failed: .*timed out"
# the bus waits for a systemd to activate; the daemon gives up first (10 s), before the caller's 25 s
check "... before the caller's own timeout" test $((($(date +%s%N) - t0) / 1000000)) -lt 15000
kill -TERM "$manager"; wait "$manager"

# straight to a manager's private socket, as harper-sysopsd does with PID 1 ("auto"): no bus
# daemon in between; restarts work the same, and losing the manager is the connection ending
other_manager manager2 private
like "the daemon says how it reaches systemd" "$(cat "$H_T/daemon.log")" "Talking to systemd over its private socket $mdir/rt/systemd/private"
out=$(ops --wait '{"operation":"restart_service","service":"http_workers"}'); rc=$?
is "over the private socket: a rolling restart completes (exit 0)" "$(json status <<<"$out") (exit $rc)" "COMPLETE (exit 0)"
is "... on that manager's workers" "$(grep -c '^start' "$mdir/marks/workers.log")" 4
id=$(ops '{"operation":"restart_service","service":"clustering_config"}' | json job_id)
h_wait 25 test -e "$mdir/marks/gated.started" || bail_out "systemd did not start hsops-gated.service"
kill -KILL "$msystemd"
check "the manager killed mid-job: the job ends in ERROR once it did not come back" h_wait 25 job_is "$id" ERROR
is "... saying the connection was lost" "$(ops '{"operation":"get_job","id":"'"$id"'"}' | json 0 message)" \
   "Restart of hsops-gated.service did not finish: the connection to systemd was lost (it did not come back within 10 s)"
t0=$(date +%s%N)
out=$(ops --status '{"operation":"restart"}' 2>/dev/null); rc=$?
is "a restart with the manager gone: 500 (exit 1)" "$(head -n1 <<<"$out") (exit $rc)" "500 (exit 1)"
check "... at once (no bus to wait on)" test $((($(date +%s%N) - t0) / 1000000)) -lt 1000
kill -TERM "$manager"; wait "$manager"

h_daemon_stop
is "the daemon exits cleanly after all this" "$H_DAEMON_STATUS" 0
done_testing
