#!/bin/bash
# system_information through harper-sysopsd: Harper's input rules and key order, polkit in
# front, and the parts that come from systemd checked against `systemctl show` of the
# harness's test units (MainPID, cgroup processes, NRestarts, ActiveEnterTimestamp).
. "$(dirname "$0")/../lib/harness.sh"
. "$(dirname "$0")/../lib/sysops.sh"
H_UNITS_DIR=$SRCDIR/tests/units
h_users
h_up || bail_out "stack did not come up"
h_systemctl start harperdb.service harperdb-clustering.service harperdb-http@1.service harperdb-http@2.service ||
    bail_out "the test units did not start"

# a Harper data directory with two databases and one transaction log
hdb=$H_T/hdb
mkdir -p "$hdb/database" "$hdb/transactions"
head -c 8192 /dev/zero >"$hdb/database/data.mdb"
head -c 4096 /dev/zero >"$hdb/database/system.mdb"
head -c 1024 /dev/zero >"$hdb/transactions/data.mdb"
cat >"$H_T/sysops.json" <<EOF
{ "system_information": { "data_dir": "$hdb" } }
EOF
h_daemon_start --config="$H_T/sysops.json" || bail_out "harper-sysopsd did not start"

si() { ops --no-ask-password "{\"operation\":\"system_information\"$1}"; }
keys() { python3 -c 'import json,sys; print(" ".join(json.load(sys.stdin)))'; }
py() { python3 -c "import json,sys; d=json.load(sys.stdin); print($1)"; }
ALL="system time cpu memory disk network harperdb_processes table_size metrics threads replication"

is "no attributes: all eleven sections in Harper's order" "$(si | keys)" "$ALL"
is "an empty list: all" "$(si ',"attributes":[]' | keys)" "$ALL"
is "not an array: all" "$(si ',"attributes":"cpu"' | keys)" "$ALL"
is "the order is Harper's, not the request's" "$(si ',"attributes":["threads","memory","system"]' | keys)" \
   "system memory threads"
is "duplicates are harmless" "$(si ',"attributes":["cpu","cpu"]' | keys)" "cpu"
is "unknown names are ignored" "$(si ',"attributes":["foo"]')" "{}"
is "non-string entries are ignored" "$(si ',"attributes":[1,null,{"a":1},"time"]' | keys)" "time"
is "database_metrics is metrics" "$(si ',"attributes":["database_metrics"]' | keys)" "metrics"
out=$(dcall SystemInformation '["memory","system"]')
like "over D-Bus: one JSON string (as hostnamed's Describe)" "$out" "^\('\{\"system\":\{.*\"memory\":\{.*\}',\)$"

# --- authorization
out=$(ops -u hsops-user --no-ask-password --status '{"operation":"system_information"}' 2>/dev/null); rc=$?
is "a plain user: 403 naming systemInformation (exit 4)" "$(head -n1 <<<"$out") $(tail -n1 <<<"$out" | py 'd["unauthorized_access"][0]') (exit $rc)" \
   "403 Operation 'systemInformation' is restricted to 'super_user' roles (exit 4)"
out=$(dcall -u hsops-user SystemInformation '[]')
is "... over D-Bus: InteractiveAuthorizationRequired" "$(dbus_error "$out")" \
   org.freedesktop.DBus.Error.InteractiveAuthorizationRequired
is "a harper-admin member gets it without a password" \
   "$(ops -u hsops-admin --no-ask-password '{"operation":"system_information","attributes":["time"]}' | keys)" "time"

# --- what systemd knows, against systemctl show
show() { h_systemctl show -P "$2" "$1"; }
all=$(si)
is "harperdb_processes.core is the instance's main process" "$(py 'd["harperdb_processes"]["core"][0]["pid"]' <<<"$all")" \
   "$(show harperdb.service MainPID)"
is "harperdb_processes.clustering is the clustering unit's process" \
   "$(py '[p["pid"] for p in d["harperdb_processes"]["clustering"]]' <<<"$all")" "[$(show harperdb-clustering.service MainPID)]"
is "... with Harper's process fields" "$(py 'sorted(d["harperdb_processes"]["core"][0])' <<<"$all")" \
   "['command', 'cpu', 'cpus', 'cpuu', 'mem', 'memRss', 'memVsz', 'name', 'nice', 'params', 'parentPid', 'path', 'pid', 'priority', 'started', 'state', 'tty', 'user']"
is "... command and params from the unit's ExecStart" "$(py 'd["harperdb_processes"]["core"][0]["command"], d["harperdb_processes"]["core"][0]["params"]' <<<"$all")" \
   "sleep infinity"
is "threads are the instance's main process's threads" "$(py '[t["threadId"] for t in d["threads"]]' <<<"$all")" \
   "[$(show harperdb.service MainPID)]"
is "metrics: the instance, the running workers and the clustering unit" \
   "$(py 'sorted(d["metrics"])' <<<"$all")" \
   "['harperdb-clustering.service', 'harperdb-http@1.service', 'harperdb-http@2.service', 'harperdb.service']"
is "... roles" "$(py '[d["metrics"][u]["role"] for u in ("harperdb.service","harperdb-http@1.service","harperdb-clustering.service")]' <<<"$all")" \
   "['instance', 'worker', 'clustering']"
is "... active_state and n_restarts as systemctl shows them" \
   "$(py 'd["metrics"]["harperdb.service"]["active_state"], d["metrics"]["harperdb.service"]["n_restarts"]' <<<"$all")" \
   "$(show harperdb.service ActiveState) $(show harperdb.service NRestarts)"
since=$(busctl --system get-property org.freedesktop.systemd1 /org/freedesktop/systemd1/unit/harperdb_2eservice \
        org.freedesktop.systemd1.Unit ActiveEnterTimestamp | cut -d' ' -f2)
since=$((since / 1000))
is "... active_since is ActiveEnterTimestamp in ms" "$(py 'd["metrics"]["harperdb.service"]["active_since"]' <<<"$all")" "$since"
cpu=$(show harperdb.service CPUUsageNSec)
want=$([ "$cpu" = "[not set]" ] || [ -z "$cpu" ] && echo None || echo "$cpu")
got=$(py 'd["metrics"]["harperdb.service"]["cpu_usage_nsec"]' <<<"$all")
check "... cpu_usage_nsec is systemd's figure, or null where systemd has none ($got, systemctl: $cpu)" \
    test "$got" = "$want" -o "$want" != None -a "$got" != None
check "time.process_uptime is the instance's age in whole seconds" \
    python3 -c 'import sys; v=int(sys.argv[1]); sys.exit(not 0 <= v < 120)' "$(py 'd["time"]["process_uptime"]' <<<"$all")"
check "memory.rss is the instance's resident size" \
    test "$(py 'd["memory"]["rss"]' <<<"$all")" -gt 0
is "table_size: one entry per database file, sizes on disk, the rest null" \
   "$(py 'd["table_size"]' <<<"$all")" \
   "[{'schema': 'data', 'table': None, 'table_size': 8192, 'record_count': None, 'transaction_log_size': 1024, 'transaction_log_record_count': None}, {'schema': 'system', 'table': None, 'table_size': 4096, 'record_count': None, 'transaction_log_size': None, 'transaction_log_record_count': None}]"
is "replication: no peers configured" "$(py 'd["replication"]' <<<"$all")" "{'peers': []}"

# after a restart the instance's process changes and the figures follow
ops --wait '{"operation":"restart"}' >/dev/null
is "after a restart harperdb_processes follows the new MainPID" \
   "$(si ',"attributes":["harperdb_processes"]' | py 'd["harperdb_processes"]["core"][0]["pid"]')" "$(show harperdb.service MainPID)"

# --- the disk and network switches, as Harper's operationsApi.sysInfo flags
h_daemon_stop
echo '{ "system_information": { "disk": false, "network": false } }' >"$H_T/off.json"
h_daemon_start --config="$H_T/off.json" || bail_out "harper-sysopsd did not start with $H_T/off.json"
is "network off: Harper's exact empty section" "$(si ',"attributes":["network"]')" \
   '{"network":{"default_interface":null,"latency":{},"interfaces":[],"stats":[],"connections":[]}}'
is "disk off: only the free space basis (Harper 5)" "$(si ',"attributes":["disk"]')" '{"disk":{"free_space_basis":"filesystem"}}'
is "no data directory configured: table_size []" "$(si ',"attributes":["table_size"]')" '{"table_size":[]}'

h_daemon_stop
is "the daemon exits cleanly" "$H_DAEMON_STATUS" 0
done_testing
