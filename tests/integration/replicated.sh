#!/bin/bash
# SPDX-License-Identifier: MIT
# restart_service with replicated: true across nodes on this machine. Each node is a whole
# stack of its own (tests/lib/node.sh: private bus, systemd manager running the stand-in units,
# polkitd, harper-sysopsd); this test's own stack is the local node A. Asserted: the order
# (local, then peers in configuration order, each started only after the previous one's job is
# COMPLETE), Harper's result shape, a peer ERROR stops the rollout, unreachable / refusing /
# daemon-less peers stop the rollout and name the peer, a peer left out by the configuration is
# skipped, the per-peer timeout, a peer lost mid-job, a
# local failure touches no peer, and a non-replicated request touches no peer.
. "$(dirname "$0")/../lib/harness.sh"
. "$(dirname "$0")/../lib/sysops.sh"
H_UNITS_DIR=$SRCDIR/tests/units
h_users
h_up || bail_out "stack did not come up"

declare -A NODE_PID ADDR DIR DPID
stop_nodes() {
    local n
    for n in "${!NODE_PID[@]}"; do kill -TERM "${NODE_PID[$n]}" 2>/dev/null; done
    for n in "${!NODE_PID[@]}"; do wait "${NODE_PID[$n]}" 2>/dev/null; done
}
trap 'stop_nodes; h_down' EXIT

# node NAME [DAEMON ARGS...]: start a node stack in the background (its policy dir: $POLICY)
node() {
    local name=$1
    shift
    H_POLICYDIR=${POLICY:-} bash "$SRCDIR/tests/lib/node.sh" "$H_T/node-$name.ready" "$@" \
        >"$H_T/node-$name.log" 2>&1 &
    NODE_PID[$name]=$!
}

# B and C restart normally; F's workers fail to start; S's worker starts only when the test opens its
# gate (its job runs as long as the test wants, however loaded the machine);
# D's bus refuses root's RestartService (the peer denies the call)
mkdir -p "$H_T/deny-policy"
cp "$SRCDIR/dbus/io.harperdb.SystemOperations1.conf" "$H_T/deny-policy/"
cat >"$H_T/deny-policy/deny-restart.conf" <<'EOF'
<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <policy user="root">
    <deny send_destination="io.harperdb.SystemOperations1" send_interface="io.harperdb.SystemOperations1"
          send_member="RestartService"/>
  </policy>
</busconfig>
EOF
echo '{"services":{"http_workers":{"units":["hsops-fail.service"]}}}' >"$H_T/fail.json"
echo '{"services":{"http_workers":{"units":["hsops-gated.service"]}}}' >"$H_T/gated.json"
node B
node C
node F --config="$H_T/fail.json"
node S --config="$H_T/gated.json"
POLICY=$H_T/deny-policy node D

mkdir -p "$H_T/marks" && chmod 777 "$H_T/marks"
h_systemctl set-environment HSOPS_MARKS="$H_T/marks"
h_systemctl start harperdb.service harperdb-http@1.service harperdb-http@2.service ||
    bail_out "the test units did not start"
for n in B C F S D; do
    h_wait 60 test -s "$H_T/node-$n.ready" || { cat "$H_T/node-$n.log" >&2; bail_out "node $n did not come up"; }
    read -r ADDR[$n] DIR[$n] DPID[$n] _ <"$H_T/node-$n.ready"
done

# a: start the local daemon with these peers (NAME or NAME=ADDRESS) and extra JSON
a_with_peers() {
    local extra=$1 peers='' p
    shift
    for p in "$@"; do
        case $p in
        *=exclude) peers+="${peers:+,}{\"name\":\"${p%%=*}\",\"exclude\":true}" ;;
        *=*) peers+="${peers:+,}{\"name\":\"${p%%=*}\",\"address\":\"${p#*=}\"}" ;;
        # through a process that speaks the peer's bus on stdio: the transport of ssh peers
        # (ssh HOST systemd-stdio-bridge), with the bridge started locally instead of over ssh
        *+exec) p=${p%+exec}
                local bus=${ADDR[$p]//:/%3a}
                peers+="${peers:+,}{\"name\":\"$p\",\"address\":\"unixexec:path=/usr/bin/systemd-stdio-bridge,argv1=--bus-path%3d${bus//=/%3d}\"}" ;;
        *) peers+="${peers:+,}{\"name\":\"$p\",\"address\":\"${ADDR[$p]}\"}" ;;
        esac
    done
    h_daemon_stop
    echo "{\"peers\":[$peers]${extra:+,$extra}}" >"$H_T/a.json"
    h_daemon_start --config="$H_T/a.json" || bail_out "harper-sysopsd did not start with $(cat "$H_T/a.json")"
}
py() { python3 -c "import json,sys; d=json.load(sys.stdin); print($1)"; }
# shellcheck disable=SC2002 # cat: a log not written yet counts 0 lines
marks() { cat "${DIR[$1]}/marks/workers.log" 2>/dev/null | wc -l; }
REPLICATED='{"operation":"restart_service","service":"http_workers","replicated":true}'
# s_has_a_job ID: job ID's Nodes name S running with a job id of its own
s_has_a_job() {
    local path
    path=$(dcall GetJob "$1" | grep -o "'/[^']*'" | tr -d "'") || return 1
    gdbus call --system -d "$H_BUS_NAME" -o "$path" -m org.freedesktop.DBus.Properties.Get "$H_BUS_NAME.Job" Nodes |
        grep -Eq "'S', 'running', '[^']*', '[0-9a-f-]{36}'"
}

# ---------------------------------------------------------------- the rollout, A then B then C
# (C reached as an ssh peer is, through systemd-stdio-bridge)
# (A under valgrind for this part: the rollout's connections, matches and timers are freed)
H_DAEMON_WRAPPER="valgrind --leak-check=full --show-leak-kinds=definite,indirect --errors-for-leak-kinds=definite,indirect --error-exitcode=9 '--log-file=$H_T/valgrind.log'"
a_with_peers "" B C+exec
: >"$H_T/marks/workers.log"; : >"${DIR[B]}/marks/workers.log"; : >"${DIR[C]}/marks/workers.log"
out=$(ops --wait "$REPLICATED"); rc=$?
is "replicated http_workers over A, B, C: COMPLETE (exit 0)" "$(py 'd["status"]' <<<"$out") (exit $rc)" "COMPLETE (exit 0)"
is "... Harper's result: each peer with its job's message, in order" \
   "$(py '[(e["node"], e["message"][:28]) for e in d["result"]["replicated"]]' <<<"$out")" \
   "[('B', 'Successfully completed job: '), ('C', 'Successfully completed job: ')]"
like "... and its own message is Harper's" "$(py 'd["message"]' <<<"$out")" "^Successfully completed job: [0-9a-f-]{36}$"
# every worker restart left "start|stop N time"; A's last start, then B's, then C's
last() { awk '$1=="start"{t=$3} END{print t}' "$1"; }
first_stop() { awk '$1=="stop"{print $3; exit}' "$1"; }
check "B's restart began after A's workers were all back" test "$(first_stop "${DIR[B]}/marks/workers.log")" -gt "$(last "$H_T/marks/workers.log")"
check "C's restart began after B's workers were all back" test "$(first_stop "${DIR[C]}/marks/workers.log")" -gt "$(last "${DIR[B]}/marks/workers.log")"
is "each peer restarted its two workers once" "$(marks B) $(marks C)" "4 4"
id=$(py 'd["id"]' <<<"$out")
path=$(dcall GetJob "$id" | grep -o "'/[^']*'" | tr -d "'")
nodes=$(gdbus call --system -d "$H_BUS_NAME" -o "$path" -m org.freedesktop.DBus.Properties.Get "$H_BUS_NAME.Job" Nodes)
like "the job's Nodes property: both done, each with its peer job id and times" "$nodes" \
     "\('B', 'done', 'Successfully completed job: [0-9a-f-]{36}', '[0-9a-f-]{36}', uint64 [0-9]+, uint64 [0-9]+\), \('C', 'done'"
check "... B ended before C started" python3 -c '
import re, sys
t = [int(x) for x in re.findall(r"(?:uint64 )?(\d{13})", sys.argv[1])]
sys.exit(not (t[0] <= t[1] <= t[2] <= t[3]))' "$nodes"

h_daemon_stop
is "valgrind: no leak or memory error in A's rollout" "$H_DAEMON_STATUS" 0
grep -E "definitely lost|indirectly lost|Invalid (read|write)" "$H_T/valgrind.log" | sed 's/^/# /'
H_DAEMON_WRAPPER=
a_with_peers "" B C

# side by side, without valgrind: the rollout, then the same restart on each node alone
t0=$(date +%s%N)
ops --wait "$REPLICATED" >/dev/null
t_rollout=$((($(date +%s%N) - t0) / 1000000))
t_local=0
for n in A B C; do
    t0=$(date +%s%N)
    if [ $n = A ]; then ops --wait '{"operation":"restart_service","service":"http_workers"}' >/dev/null
    else DBUS_SYSTEM_BUS_ADDRESS=${ADDR[$n]} "$HARPER_OPS" --wait '{"operation":"restart_service","service":"http_workers"}' >/dev/null; fi
    t_local=$((t_local + ($(date +%s%N) - t0) / 1000000))
done
diag "three-node rollout: $t_rollout ms; the three local restarts one after another: $t_local ms"

before="$(marks B) $(marks C)"
out=$(ops --wait '{"operation":"restart_service","service":"http_workers","replicated":false}')
is "replicated false: COMPLETE, no result" "$(py 'd["status"], "result" in d' <<<"$out")" "COMPLETE False"
is "... and no peer was touched" "$(marks B) $(marks C)" "$before"

# ---------------------------------------------------------------- the instance, node by node
a_with_peers "" B C
out=$(ops --wait '{"operation":"restart","replicated":true}'); rc=$?
is "replicated instance restart over A, B, C: COMPLETE (exit 0)" "$(py 'd["status"]' <<<"$out") (exit $rc)" "COMPLETE (exit 0)"
is "... each peer's instance restarted, in order" \
   "$(py '[(e["node"], e["message"][:28]) for e in d["result"]["replicated"]]' <<<"$out")" \
   "[('B', 'Successfully completed job: '), ('C', 'Successfully completed job: ')]"
check "... asked of B and C as Restart(), not replicated again" \
    grep -q "asked to restart harperdb.service (job" "${DIR[B]}/daemon.log" "${DIR[C]}/daemon.log"
out=$(ops '{"operation":"restart","replicated":"yes"}'); rc=$?
is "replicated must be a boolean: 400, nothing restarted (exit 2)" "$out (exit $rc)" \
   '{"error":"'"'"'replicated'"'"' must be true or false"} (exit 2)'

# ---------------------------------------------------------------- peers that cannot be asked
a_with_peers "" B ghost="unix:path=$H_T/no-such.sock" C
before=$(marks C)
out=$(ops --wait "$REPLICATED"); rc=$?
is "an unreachable peer stops the rollout: ERROR naming it (exit 5)" "$(py 'd["status"], d["message"]' <<<"$out") (exit $rc)" \
   "ERROR ghost: Cannot connect: No such file or directory (exit 5)"
is "... Harper's result on the error lists every peer, in order" \
   "$(py '[e["node"] for e in d["result"]["replicated"]]' <<<"$out")" "['B', 'ghost', 'C']"
like "... B restarted" "$(py 'd["result"]["replicated"][0]["message"]' <<<"$out")" "^Successfully completed job: "
is "... C not reached, and untouched" "$(py 'd["result"]["replicated"][2]["message"]' <<<"$out") $(marks C)" \
   "Not restarted: the rollout stopped before this node. $before"
a_with_peers "" D B
before=$(marks B)
out=$(ops --wait "$REPLICATED"); rc=$?
like "a peer whose bus refuses the call: ERROR naming it and why (exit 5)" \
     "$(py 'd["status"], d["message"]' <<<"$out") (exit $rc)" "^ERROR D: .*Rejected send message.* \(exit 5\)$"
is "... the later peer was not touched" "$(marks B)" "$before"
a_with_peers "" ghost=exclude B
out=$(ops --wait "$REPLICATED"); rc=$?
is "a peer the configuration leaves out is skipped, the rest goes on: COMPLETE (exit 0)" \
   "$(py 'd["status"]' <<<"$out") (exit $rc)" "COMPLETE (exit 0)"
is "... the result says so" "$(py '[(e["node"], e["message"][:28]) for e in d["result"]["replicated"]]' <<<"$out")" \
   "[('ghost', 'Left out of replicated resta'), ('B', 'Successfully completed job: ')]"

# ---------------------------------------------------------------- a failing peer stops the rollout
a_with_peers "" F C
before=$(marks C)
out=$(ops --wait "$REPLICATED"); rc=$?
is "a peer whose job fails: ERROR with the peer's message, naming it (exit 5)" "$(py 'd["status"], d["message"]' <<<"$out") (exit $rc)" \
   "ERROR F: Restart of hsops-fail.service failed: exit-code (exit 5)"
is "... the later peer was not touched" "$(marks C)" "$before"
nodes=$(gdbus call --system -d "$H_BUS_NAME" -o "$(dcall GetJob "$(py 'd["id"]' <<<"$out")" | grep -o "'/[^']*'" | tr -d "'")" \
        -m org.freedesktop.DBus.Properties.Get "$H_BUS_NAME.Job" Nodes)
like "... Nodes: F failed, C still pending" "$nodes" "\('F', 'failed', .*\('C', 'pending', '', '', (uint64 )?0, (uint64 )?0\)"

# ---------------------------------------------------------------- timeout, then a peer lost mid-job
a_with_peers '"peer_timeout_sec":1' S C
before=$(marks C)
out=$(ops --wait "$REPLICATED"); rc=$?
is "a peer slower than peer_timeout_sec: ERROR, Harper's timeout message naming it (exit 5)" \
   "$(py 'd["status"], d["message"]' <<<"$out") (exit $rc)" "ERROR S: Timed out waiting for restart job to complete (exit 5)"
is "... the later peer was not touched" "$(marks C)" "$before"
# S's own job still runs: let it finish, so that S takes the next restart (its gate then closes)
touch "${DIR[S]}/marks/gate.open"
h_wait 25 grep -q "ended COMPLETE" "${DIR[S]}/daemon.log" || bail_out "S's job did not end"
rm "${DIR[S]}/marks/gate.open"

a_with_peers "" S
out=$(ops "$REPLICATED")
id=$(py 'd["job_id"]' <<<"$out")
h_wait 25 s_has_a_job "$id" || bail_out "S's restart job did not start"
kill -TERM "${DPID[S]}"
h_wait 10 sh -c "DBUS_SYSTEM_BUS_ADDRESS=$DBUS_SYSTEM_BUS_ADDRESS $HARPER_OPS '{\"operation\":\"get_job\",\"id\":\"$id\"}' | grep -q ERROR"
out=$(ops '{"operation":"get_job","id":"'"$id"'"}')
like "a peer whose daemon goes away mid-job: ERROR saying so" "$(py 'd[0]["status"], d[0]["message"]' <<<"$out")" \
     "^ERROR S: harper-sysopsd went away while its restart job [0-9a-f-]{36} ran.$"
out=$(ops --wait "$REPLICATED"); rc=$?
like "a peer without harper-sysopsd: ERROR naming it, saying the daemon is not there (exit 5)" \
     "$(py 'd["status"], d["message"]' <<<"$out") (exit $rc)" "^ERROR S: .*io.harperdb.SystemOperations1 was not provided.* \(exit 5\)$"

# ---------------------------------------------------------------- a local failure touches no peer
a_with_peers '"services":{"http_workers":{"units":["hsops-fail.service"]}}' B
before=$(marks B)
out=$(ops --wait "$REPLICATED"); rc=$?
is "the local step fails: ERROR with the local reason (exit 5)" "$(py 'd["status"], d["message"]' <<<"$out") (exit $rc)" \
   "ERROR Restart of hsops-fail.service failed: exit-code (exit 5)"
is "... and no peer was touched" "$(marks B)" "$before"

h_daemon_stop
is "the daemon exits cleanly" "$H_DAEMON_STATUS" 0
done_testing
