#!/bin/bash
# SPDX-License-Identifier: MIT
# system_information with the real Harper (npm harperdb, tests/harper/) run by the harness's
# systemd as harperdb.service, harper-sysopsd with its default configuration (it finds Harper
# from the unit): each of Harper's figures against Harper's own answer at the same moment
# (versions, heap, worker threads, metrics' databases, record counts after inserts, cluster
# status), how many requests reach Harper (through a counting proxy in front of its socket:
# cpu alone none), where Harper was found kept until a call fails, and Harper stopped or frozen: its fields null with the reason, in bounded time.
. "$(dirname "$0")/../lib/harness.sh"
. "$(dirname "$0")/../lib/sysops.sh"
. "$(dirname "$0")/../lib/harper.sh"
harper_test_up
trap 'kill -CONT "$(harper_pid)" 2>/dev/null; harper_down' EXIT
h_daemon_start || bail_out "harper-sysopsd did not start"

si() { ops --no-ask-password "{\"operation\":\"system_information\"$1}"; }
py() { python3 -c "import json,sys; d=json.load(sys.stdin); print($1)"; }
keys() { py '" ".join(d)'; }
harper_si() { harper_op "{\"operation\":\"system_information\",\"attributes\":$1}"; }

# a table with rows, made with Harper's own operations
harper_op '{"operation":"create_database","database":"dev"}' >/dev/null
harper_op '{"operation":"create_table","database":"dev","table":"dog","primary_key":"id"}' >/dev/null
insert() {
    harper_op "{\"operation\":\"insert\",\"database\":\"dev\",\"table\":\"dog\",\"records\":$1}" | json message
}
is "Harper took 3 rows" "$(insert '[{"id":1,"name":"a"},{"id":2,"name":"b"},{"id":3,"name":"c"}]')" \
   "inserted 3 of 3 records"

# ---------------------------------------------------------------- Harper's figures, Harper's answer
all=$(si)
theirs=$(harper_si '["system","memory","threads","metrics"]')
described=$(harper_op '{"operation":"describe_all"}')
status=$(harper_op '{"operation":"cluster_status"}')
is "Harper answered" "$(py 'd["harper"]' <<<"$all")" "{'answered': True}"
is "system.node_version and npm_version are Harper's" "$(py 'd["system"]["node_version"], d["system"]["npm_version"]' <<<"$all")" \
   "$(py 'd["system"]["node_version"], d["system"]["npm_version"]' <<<"$theirs")"
threads=$(harper_threads)
is "threads: Harper's worker threads, the same count and threadIds" \
   "$(py '" ".join(sorted(str(t["threadId"]) for t in d["threads"]))' <<<"$all")" "$threads"
check "... ($(wc -w <<<"$threads") of them)" test "$(wc -w <<<"$threads")" -ge 1
is "... with Harper's fields" "$(py 'sorted(d["threads"][0])' <<<"$all")" "$(py 'sorted(d["threads"][0])' <<<"$theirs")"
check "memory's heap figures are Harper's: heapTotal within a factor 2 of Harper's own" python3 -c '
import json, sys
ours, theirs = json.loads(sys.argv[1])["memory"], json.loads(sys.argv[2])["memory"]
for k in ("heapTotal", "heapUsed", "external", "arrayBuffers"):
    assert isinstance(ours[k], int) and ours[k] > 0, (k, ours[k])
assert ours["heapUsed"] <= ours["heapTotal"]
assert theirs["heapTotal"] / 2 <= ours["heapTotal"] <= theirs["heapTotal"] * 2, (ours["heapTotal"], theirs["heapTotal"])' \
    "$all" "$theirs"
is "metrics: Harper's, the same databases" "$(py 'sorted(d["metrics"])' <<<"$all")" "$(py 'sorted(d["metrics"])' <<<"$theirs")"
is "... with Harper's tables of dev" "$(py 'sorted(d["metrics"]["dev"]["tables"])' <<<"$all")" "['dog']"
is "table_size: one entry per table of describe_all" \
   "$(py 'sorted((t["database"], t["table"]) for t in d["table_size"])' <<<"$all")" \
   "$(py 'sorted((db, t) for db in d for t in d[db])' <<<"$described")"
is "... record_count is describe_all's" "$(py '[t["record_count"] for t in d["table_size"] if t["table"] == "dog"]' <<<"$all")" \
   "[$(py 'd["dev"]["dog"]["record_count"]' <<<"$described")]"
is "... with its sizes" "$(py '[sorted(t) for t in d["table_size"]][0]' <<<"$all")" \
   "['database', 'db_audit_size', 'db_size', 'record_count', 'table', 'table_size']"
is "... table_size is describe_all's" "$(py '[t["table_size"] for t in d["table_size"] if t["table"] == "dog"]' <<<"$all")" \
   "[$(py 'd["dev"]["dog"]["table_size"]' <<<"$described")]"
is "$(insert '[{"id":4,"name":"d"},{"id":5,"name":"e"}]'), then record_count follows" \
   "$(si ',"attributes":["table_size"]' | py '[t["record_count"] for t in d["table_size"] if t["table"] == "dog"]')" \
   "[$(harper_op '{"operation":"describe_all"}' | py 'd["dev"]["dog"]["record_count"]')]"
is "... which is 5" "$(harper_op '{"operation":"describe_all"}' | py 'd["dev"]["dog"]["record_count"]')" 5
is "replication: Harper's cluster_status, with the configured peers (none)" "$(py 'd["replication"]' <<<"$all")" \
   "{'cluster_status': $(py 'd' <<<"$status"), 'peers': []}"

# systemd's and the kernel's views, under their own keys
pid=$(harper_pid)
is "unit_metrics: harperdb.service active, as systemd says" "$(py 'd["unit_metrics"]["harperdb.service"]["active_state"]' <<<"$all")" \
   "$(h_systemctl show -P ActiveState harperdb.service)"
# (Node starts and ends pool threads as it likes: the kernel's list is compared by its main task)
is "process_threads: the kernel's tasks of Harper's main process, the main one first" \
   "$(py 'd["process_threads"][0]["threadId"]' <<<"$all")" "$pid"
check "... more of them than Harper's workers" test "$(py 'len(d["process_threads"])' <<<"$all")" -gt "$(wc -w <<<"$threads")"
is "harperdb_processes.core is Harper's main process" "$(py 'd["harperdb_processes"]["core"][0]["pid"]' <<<"$all")" "$pid"

# ---------------------------------------------------------------- what reaches Harper
harper_counting_proxy "$H_T/counting.sock" "$H_T/counting.log" || bail_out "the counting proxy did not come up"
# shellcheck disable=SC2002 # cat: a log not written yet counts 0 lines
requests() { cat "$H_T/counting.log" 2>/dev/null | wc -l; }
h_daemon_stop
echo "{\"harper\":{\"socket\":\"$H_T/counting.sock\"}}" >"$H_T/counting.json"
h_daemon_start --config="$H_T/counting.json" || bail_out "harper-sysopsd did not start with $H_T/counting.json"
# at start the daemon reads Harper's statuses back (one request, tests/integration/harper-statuses.sh)
h_wait 5 test "$(requests)" = 1
base=$(requests)
out=$(si ',"attributes":["cpu"]')
is "cpu alone: the answer is cpu, nothing about Harper" "$(keys <<<"$out")" cpu
is "... and Harper got no request" "$(( $(requests) - base ))" 0
out=$(si)
is "everything through the proxy: Harper answered" "$(py 'd["harper"]' <<<"$out")" "{'answered': True}"
is "... in three requests (system_information, describe_all, cluster_status)" "$(( $(requests) - base ))" 3
out=$(si ',"attributes":["threads","memory"]')
is "threads and memory: one request more" "$(( $(requests) - base ))" 4

# ---------------------------------------------------------------- where Harper was found is kept
# With the default configuration each call would ask systemd for the unit and read Harper's
# configuration; the daemon keeps what it found until a call through it fails, or a reload.
# A drop-in "moves" Harper to a root whose configuration names the counting proxy's socket.
h_daemon_stop
h_daemon_start || bail_out "harper-sysopsd did not start again"
threads_answered() { si ',"attributes":["threads"]' | py 'd["harper"]["answered"]'; }
is "default configuration: Harper answers" "$(threads_answered)" True
mkdir -p "$H_T/moved" "$H_T/units/$HARPER_UNIT.d"
printf 'rootPath: %s\noperationsApi:\n  network:\n    domainSocket: %s\n' "$H_T/moved" "$H_T/counting.sock" \
    >"$H_T/moved/harperdb-config.yaml"
printf '[Service]\nEnvironment=ROOTPATH=%s\n' "$H_T/moved" >"$H_T/units/$HARPER_UNIT.d/moved.conf"
h_systemctl daemon-reload
like "the unit now says Harper's root is elsewhere" "$(h_systemctl show -P Environment "$HARPER_UNIT")" "ROOTPATH=$H_T/moved"
base=$(requests)
is "... a call still goes where Harper was found, and it answers" "$(threads_answered)" True
is "... not through the new root's socket" "$(( $(requests) - base ))" 0
kill -STOP "$(harper_pid)"
is "Harper frozen: that call fails" "$(threads_answered)" False
kill -CONT "$(harper_pid)"
is "... so the next call looks again and goes where the unit says now" "$(threads_answered)" True
is "... through the new root's socket" "$(( $(requests) - base ))" 1
rm -r "$H_T/units/$HARPER_UNIT.d"
h_systemctl daemon-reload
lines=$(wc -l <"$H_T/daemon.log")
reloaded() { tail -n +"$((lines + 1))" "$H_T/daemon.log" | grep -q "Configuration reloaded"; }
kill -HUP "$H_DAEMON_PID"
h_wait 10 reloaded ||
    bail_out "harper-sysopsd did not reload"
base=$(requests)
is "after a reload (the unit as before): Harper answers" "$(threads_answered)" True
is "... found anew, on its own socket again" "$(( $(requests) - base ))" 0
harper_proxy_stop

# ---------------------------------------------------------------- Harper frozen, then stopped
kill -STOP "$(harper_pid)"
t0=$(date +%s%N)
out=$(si)
took=$(( ($(date +%s%N) - t0) / 1000000 ))
kill -CONT "$(harper_pid)"
is "Harper frozen (SIGSTOP): harper says it did not answer" "$(py 'd["harper"]' <<<"$out")" \
   "{'answered': False, 'error': 'Harper did not answer within 10 s.'}"
check "... and the answer came within the bound of 10 s and a little ($took ms)" test "$took" -lt 15000
is "... Harper's fields null" \
   "$(py 'd["threads"], d["metrics"], d["table_size"], d["memory"]["heapUsed"], d["system"]["node_version"], d["replication"]["cluster_status"]' <<<"$out")" \
   "None None None None None None"
is "... the rest is there" "$(py 'd["unit_metrics"]["harperdb.service"]["active_state"], d["memory"]["total"] > 0, len(d["process_threads"]) > 0' <<<"$out")" \
   "active True True"
check "Harper answers again after SIGCONT" h_wait 30 eval '[ "$(si ",\"attributes\":[\"system\"]" | py "d[\"harper\"][\"answered\"]")" = True ]'

harper_stop
t0=$(date +%s%N)
out=$(si)
took=$(( ($(date +%s%N) - t0) / 1000000 ))
like "Harper stopped: harper says why" "$(py 'd["harper"]["answered"], d["harper"]["error"]' <<<"$out")" \
     "^False Harper is not running: cannot connect to $HARPER_SOCK"
check "... at once ($took ms)" test "$took" -lt 1500
is "... Harper's fields null" \
   "$(py 'd["threads"], d["metrics"], d["table_size"], d["memory"]["heapTotal"], d["system"]["npm_version"], d["replication"]["cluster_status"]' <<<"$out")" \
   "None None None None None None"
is "... systemd says the unit is inactive" "$(py 'd["unit_metrics"]["harperdb.service"]["active_state"]' <<<"$out")" inactive
is "... and the answer has every section" "$(keys <<<"$out")" \
   "system time cpu memory disk network harperdb_processes table_size metrics threads replication unit_metrics process_threads database_files harper"
done_testing
