#!/bin/bash
# SPDX-License-Identifier: MIT
# system_information through harper-sysopsd: Harper's input rules and key order, polkit in
# front, the parts that come from systemd checked against `systemctl show` of the harness's
# test units (MainPID, cgroup processes, NRestarts, ActiveEnterTimestamp), each unit asked once,
# and Harper's part against a socket that records its connections and never answers: what
# needs Harper is null with the reason, within harper.query_timeout_ms, and a call that needs
# nothing of Harper does not connect to it (tests/integration/harper-sysinfo.sh: the real Harper).
. "$(dirname "$0")/../lib/harness.sh"
. "$(dirname "$0")/../lib/sysops.sh"
H_UNITS_DIR=$SRCDIR/tests/units
h_users
h_up || bail_out "stack did not come up"
h_systemctl start harperdb.service harperdb-clustering.service harperdb-http@1.service harperdb-http@2.service ||
    bail_out "the test units did not start"

# a "Harper" that takes connections, writes a line per connection, and never answers
python3 - "$H_T/mute-harper.sock" "$H_T/mute-harper.log" <<'PY' >/dev/null 2>&1 &
import socket, sys, threading
s = socket.socket(socket.AF_UNIX); s.bind(sys.argv[1]); s.listen(64)
def hold(c):
    while c.recv(65536):
        pass
while True:
    c, _ = s.accept()
    with open(sys.argv[2], "a") as log:
        log.write("connection\n")
    threading.Thread(target=hold, args=(c,), daemon=True).start()
PY
mute=$!
trap 'kill $mute 2>/dev/null; h_down' EXIT
h_wait 30 test -S "$H_T/mute-harper.sock" || bail_out "the recording socket did not come up"
# shellcheck disable=SC2002 # cat: a log not written yet counts 0 lines
connections() { cat "$H_T/mute-harper.log" 2>/dev/null | wc -l; }

# a Harper data directory with two databases and one transaction log
hdb=$H_T/hdb
mkdir -p "$hdb/database" "$hdb/transactions"
head -c 8192 /dev/zero >"$hdb/database/data.mdb"
head -c 4096 /dev/zero >"$hdb/database/system.mdb"
head -c 1024 /dev/zero >"$hdb/transactions/data.mdb"
cat >"$H_T/sysops.json" <<EOF
{ "system_information": { "data_dir": "$hdb" },
  "harper": { "api": false, "socket": "$H_T/mute-harper.sock", "query_timeout_ms": 300 } }
EOF
h_daemon_start --config="$H_T/sysops.json" || bail_out "harper-sysopsd did not start"

si() { ops --no-ask-password "{\"operation\":\"system_information\"$1}"; }
keys() { python3 -c 'import json,sys; print(" ".join(json.load(sys.stdin)))'; }
py() { python3 -c "import json,sys; d=json.load(sys.stdin); print($1)"; }
# Harper's eleven, then systemd's and the kernel's own, then whether Harper answered
ALL="system time cpu memory disk network harperdb_processes table_size metrics threads replication unit_metrics process_threads database_files harper"

is "no attributes: all sections in Harper's order, then ours, then harper" "$(si | keys)" "$ALL"
is "an empty list: all" "$(si ',"attributes":[]' | keys)" "$ALL"
is "not an array: all" "$(si ',"attributes":"cpu"' | keys)" "$ALL"
is "the order is Harper's, not the request's" "$(si ',"attributes":["threads","memory","system"]' | keys)" \
   "system memory threads harper"
before=$(connections)
is "duplicates are harmless" "$(si ',"attributes":["cpu","cpu"]' | keys)" "cpu"
is "unknown names are ignored" "$(si ',"attributes":["foo"]')" "{}"
is "non-string entries are ignored" "$(si ',"attributes":[1,null,{"a":1},"time"]' | keys)" "time"
is "systemd's and the kernel's own sections need nothing of Harper" \
   "$(si ',"attributes":["unit_metrics","process_threads","database_files","harperdb_processes","disk","network"]' | keys)" \
   "disk network harperdb_processes unit_metrics process_threads database_files"
is "... and none of those calls connected to Harper's socket" "$(connections)" "$before"
is "database_metrics is metrics" "$(si ',"attributes":["database_metrics"]' | keys)" "metrics harper"
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
is "process_threads are the instance's main process's threads" "$(py '[t["threadId"] for t in d["process_threads"]]' <<<"$all")" \
   "[$(show harperdb.service MainPID)]"
is "unit_metrics: the instance, the running workers and the clustering unit" \
   "$(py 'sorted(d["unit_metrics"])' <<<"$all")" \
   "['harperdb-clustering.service', 'harperdb-http@1.service', 'harperdb-http@2.service', 'harperdb.service']"
is "... roles" "$(py '[d["unit_metrics"][u]["role"] for u in ("harperdb.service","harperdb-http@1.service","harperdb-clustering.service")]' <<<"$all")" \
   "['instance', 'worker', 'clustering']"
is "... active_state and n_restarts as systemctl shows them" \
   "$(py 'd["unit_metrics"]["harperdb.service"]["active_state"], d["unit_metrics"]["harperdb.service"]["n_restarts"]' <<<"$all")" \
   "$(show harperdb.service ActiveState) $(show harperdb.service NRestarts)"
since=$(busctl --system get-property org.freedesktop.systemd1 /org/freedesktop/systemd1/unit/harperdb_2eservice \
        org.freedesktop.systemd1.Unit ActiveEnterTimestamp | cut -d' ' -f2)
since=$((since / 1000))
is "... active_since is ActiveEnterTimestamp in ms" "$(py 'd["unit_metrics"]["harperdb.service"]["active_since"]' <<<"$all")" "$since"
cpu=$(show harperdb.service CPUUsageNSec)
want=$([ "$cpu" = "[not set]" ] || [ -z "$cpu" ] && echo None || echo "$cpu")
got=$(py 'd["unit_metrics"]["harperdb.service"]["cpu_usage_nsec"]' <<<"$all")
check "... cpu_usage_nsec is systemd's figure, or null where systemd has none ($got, systemctl: $cpu)" \
    test "$got" = "$want" -o "$want" != None -a "$got" != None
check "time.process_uptime is the instance's age in whole seconds" \
    python3 -c 'import sys; v=int(sys.argv[1]); sys.exit(not 0 <= v < 120)' "$(py 'd["time"]["process_uptime"]' <<<"$all")"
check "memory.rss is the instance's resident size" \
    test "$(py 'd["memory"]["rss"]' <<<"$all")" -gt 0
is "database_files: one entry per database file, sizes on disk" \
   "$(py 'd["database_files"]' <<<"$all")" \
   "[{'database': 'data', 'size': 8192, 'transaction_log_size': 1024}, {'database': 'system', 'size': 4096, 'transaction_log_size': None}]"

# --- Harper does not answer: what only it knows is null, the rest comes, within the bound
is "Harper mute: harper says why" "$(py 'd["harper"]' <<<"$all")" \
   "{'answered': False, 'error': 'Harper did not answer within 300 ms.'}"
is "... Harper's sections are null" "$(py 'd["threads"], d["metrics"], d["table_size"]' <<<"$all")" "None None None"
is "... and its figures" "$(py 'd["memory"]["heapUsed"], d["system"]["node_version"], d["replication"]["cluster_status"]' <<<"$all")" \
   "None None None"
is "... replication still lists the configured peers (none)" "$(py 'd["replication"]["peers"]' <<<"$all")" "[]"
check "... the kernel's figures are there" test "$(py 'd["memory"]["total"]' <<<"$all")" -gt 0
before=$(connections)
t0=$(date +%s%N)
out=$(si ',"attributes":["threads","table_size","replication"]')
took=$(( ($(date +%s%N) - t0) / 1000000 ))
check "... a call answers within the bound and a little ($took ms)" test "$took" -lt 2000
is "... having asked Harper's three questions at once (system_information, describe_all, cluster_status)" \
   "$(( $(connections) - before ))" 3

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
is "no data directory configured: database_files []" "$(si ',"attributes":["database_files"]')" '{"database_files":[]}'
h_daemon_stop

# --- a unit named twice (the instance also as the clustering unit) is asked once
echo '{ "services": { "clustering": { "units": "harperdb.service" } } }' >"$H_T/twice.json"
h_daemon_start --config="$H_T/twice.json" || bail_out "harper-sysopsd did not start with $H_T/twice.json"
out=$(si ',"attributes":["unit_metrics","harperdb_processes"]')
is "the instance named for clustering too: one entry, in its role as the instance" \
   "$(py '[(u, m["role"]) for u, m in d["unit_metrics"].items() if u == "harperdb.service"]' <<<"$out")" \
   "[('harperdb.service', 'instance')]"
is "... active_state as systemd says it" "$(py 'd["unit_metrics"]["harperdb.service"]["active_state"]' <<<"$out")" \
   "$(show harperdb.service ActiveState)"
is "... its process under core only" "$(py 'sorted(d["harperdb_processes"])' <<<"$out")" "['core']"

h_daemon_stop
is "the daemon exits cleanly" "$H_DAEMON_STATUS" 0
done_testing
