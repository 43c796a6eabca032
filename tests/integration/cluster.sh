#!/bin/bash
# SPDX-License-Identifier: MIT
# Replicated restarts across a real Harper cluster (issue 21), with no peers configured.
#
# Set up (tests/lib/cluster.sh): three, later four, real Harper 4.7.29 nodes (npm harperdb, pinned
# in tests/harper/) joined by Harper's own replication (add_node from node A with verify_tls false;
# B and C then connect to each other: a full mesh). Node I binds 127.0.0.(10+I), which is also its
# replication.hostname, so Harper names it 127.0.0.1I; its ports are picked at run time (never
# Harper's defaults). Each node runs its own stack: systemd --user (root, own mount namespace and
# cgroup) hosting a private system-like bus, the real polkitd with the project's policy and rules,
# harperdb.service run by that manager (tests/lib/harper.sh's unit, as user hsops-harper),
# harper-sysopsd from the build, and a real OpenSSH server (/usr/sbin/sshd -D, its own
# sshd_config and host key) on its address and one port shared by all nodes, whose sessions run
# systemd-stdio-bridge on that node's bus. The peers log in as hsops-peer (in harper-admin: the
# project's polkit rule makes it a super user). The only configuration: ssh-peers.conf (Host *:
# User, Port, IdentityFile, IdentitiesOnly, UserKnownHostsFile) and every daemon's sysops.json
# {"ssh_config": ssh-peers.conf}; nothing says which nodes exist. A poller records each node's
# Harper worker thread ids, hdb.pid and replication state every 100 ms (tests/lib/cluster.sh).
#
# Asserted: the harness itself (mesh connected, data replicates, ssh lands on each node's bus as
# hsops-peer, whose calls B's polkit allows and hsops-peer-denied's restart it refuses); a
# replicated restart_service from A restarts A, B, C in Harper's node-name order, each only after
# the previous node's replication is whole again, never two at once, COMPLETE with Harper's
# per-node result; a replicated instance restart keeps two of three Harpers answering at every
# moment, and what was written on A meanwhile reaches every node; a fourth node joined to Harper's
# cluster is in the next rollout; C's polkit refusing the caller, ssh refused by C, C's
# harper-sysopsd stopped, C's Harper stopped: ERROR naming C (result: every node, C with why),
# nothing restarted on C; nothing left listening or running afterwards.
. "$(dirname "$0")/../lib/harness.sh"
. "$(dirname "$0")/../lib/sysops.sh"
. "$(dirname "$0")/../lib/harper.sh"
. "$(dirname "$0")/../lib/cluster.sh"
# shellcheck disable=SC2034 # read by h_daemon_start (harness.sh)
H_REAL_HARPER=1
A=127.0.0.11 B=127.0.0.12 C=127.0.0.13 D=127.0.0.14
RS='{"operation":"restart_service","service":"http_workers","replicated":true}'
RI='{"operation":"restart","replicated":true}'
t_begin=$(date +%s)

cl_init || bail_out "the cluster's folder, users or keys could not be made"
config_sums() { sha256sum "$CL_SSH_CONFIG" "$CL_SYSOPS"; }
sums_at_start=$(config_sums)
for i in 1 2 3; do cl_node_add "$i" || bail_out "node $i did not come up"; done
diag "$(date +%T) 3 nodes up after $(( $(date +%s) - t_begin )) s; ssh port $CL_SSH_PORT"

# ---------------------------------------------------------------- the harness
check "Harper's add_node on A for B" cl_join 2
check "Harper's add_node on A for C" cl_join 3
check "a full mesh: every node's cluster_status has two connections, every database socket connected" \
    h_wait 90 cl_cluster_whole
is "Harper names the nodes by their addresses (A's node_name)" "$(cl_op 1 '{"operation":"cluster_status"}' | json node_name)" "$A"
cl_op 1 '{"operation":"create_table","database":"dev","table":"dog","primary_key":"id"}' >/dev/null
has_table() { cl_op "$1" '{"operation":"describe_table","database":"dev","table":"dog"}' | grep -q '"name":"dog"'; }
check "the table created on A is on B and C" h_wait 60 eval 'has_table 2 && has_table 3'
h_wait 60 cl_cluster_whole
ids_on() {   # the dev.dog ids on node I, sorted, comma-separated
    cl_op "$1" '{"operation":"sql","sql":"SELECT id FROM dev.dog"}' |
        python3 -c 'import json,sys; print(",".join(str(i) for i in sorted(r["id"] for r in json.load(sys.stdin))))'
}
has_ids() { [ "$(ids_on "$1")" = "$2" ]; }
has_all_ids() {   # I IDS: node I has every one of IDS (comma-separated)
    comm -23 <(tr ',' '\n' <<<"$2" | sort) <(ids_on "$1" | tr ',' '\n' | sort) | grep -q . && return 1
    return 0
}
out=$(cl_op 1 '{"operation":"insert","database":"dev","table":"dog","records":[{"id":1,"name":"from-A"}]}')
like "insert on A" "$out" '"inserted_hashes":\[1\]'
check "... the record is on B and C within 30 s" h_wait 30 eval 'has_ids 2 1 && has_ids 3 1'

bus_call() {   # I USER ARGS...: a call of ours over ssh into node I
    local i=$1 u=$2; shift 2
    cl_bridge_call "$i" "$u" call "$H_BUS_NAME" "$H_OBJ_PATH" "$H_BUS_NAME" "$@" 2>&1
}
for i in 2 3; do
    out=$(bus_call "$i" "$CL_PEER" SetStatus ss maintenance "over-ssh-to-$i")
    like "ssh as $CL_PEER lands on node $i's bus: its harper-sysopsd answers SetStatus (its polkit allows)" "$out" "^\(sstt\) \"maintenance\" \"over-ssh-to-$i\""
    is "... it is node $i's daemon that has the status" "$(cl_on "$i" dcall GetStatus maintenance | grep -o "over-ssh-to-[0-9]")" "over-ssh-to-$i"
done
threads_b=$(cl_threads 2)
out=$(bus_call 2 "$CL_PEER_DENIED" RestartService sb http_workers false)
like "$CL_PEER_DENIED over ssh: B's polkit refuses its RestartService" "$out" "Access denied|[Ii]nteractive authentication required|NotAuthorized"
sleep 2
is "... B's worker threads are unchanged" "$(cl_threads 2)" "$threads_b"
cl_poller_start || bail_out "the poller did not start"
check "the poller sees every node" h_wait 10 eval '[ "$(awk "{print \$2}" "$CL_T/poll.log" | sort -u | wc -l)" = 3 ]'

# ---------------------------------------------------------------- helpers of the cases
# rollout BODY [any]: harper-ops --wait on A, bounded; sets out rc start end took (ms). First the
# cluster is whole again (any: a node is down on purpose, then no wait). Harper 4.7.29 itself
# now and then dies (SIGSEGV) while it stops a worker thread (tests/harper/README.md), in 2 of 10
# rollouts at worst here: a job it hits truthfully ends in ERROR ("[<node>: ]Harper stopped while
# its job ... ran"), and one just after the job ended shows in the poller's record of it. Either
# way the rollout is not the case asserted: that is noted, and it is run again once every Harper
# answers, four times in all.
segvs() { local i n=0; for i in "${CL_NODES[@]}"; do n=$((n + $(grep -ac 'received SIGSEGV' "${_CL_STATE[$i:H_T]}/harper.log"))); done; echo "$n"; }
harpers_answer() {   # [any]: every node's Harper answers (any: but C's)
    local i
    for i in "${CL_NODES[@]}"; do
        [ "$i" = 3 ] && [ "${1:-}" = any ] && continue
        cl_on "$i" _harper_ready || return 1
    done
}
rollout() {
    local attempt segv
    for attempt in 1 2 3 4; do
        [ "${2:-}" = any ] || h_wait 120 cl_cluster_whole ||
            diag "the cluster is not whole before the rollout: $(tail -n 8 "$CL_T/poll.log")"
        sleep 0.5
        segv=$(segvs)
        start=$(cl_now_ms)
        out=$(cl_on 1 timeout 500 "$HARPER_OPS" --wait --no-ask-password "$1" 2>"$CL_T/ops.err"); rc=$?
        end=$(cl_now_ms) took=$(( end - start ))
        [ -z "$(cat "$CL_T/ops.err")" ] || diag "harper-ops: $(cat "$CL_T/ops.err")"
        diag "$(date +%T) $1 took $took ms (exit $rc): $(head -c 1500 <<<"$out")"
        sleep 2   # within the poller's lag after the job (cl_rollout_check's GRACE)
        [ "$(segvs)" -gt "$segv" ] || return 0
        diag "Harper crashed (SIGSEGV, a Harper 4.7.29 defect) during the rolling restart, attempt $attempt"
        h_wait 120 harpers_answer "${2:-}"
    done
}
field() { json "$@" <<<"$out" 2>/dev/null || echo "(none)"; }
res_nodes() { field result replicated | python3 -c 'import json,sys; print(" ".join(e["node"] for e in json.load(sys.stdin)))'; }
res_message() {   # NODE: its entry's message
    field result replicated | python3 -c 'import json,sys
for e in json.load(sys.stdin):
    if e["node"] == sys.argv[1]: print(e.get("message", ""))' "$1"
}
a_job_steps() {   # the Steps of A's job of $out
    local id
    id=$(json id <<<"$out") || return 1
    cl_on 1 busctl --system get-property "$H_BUS_NAME" "$(cl_on 1 dcall GetJob "$id" | grep -o "'/[^']*'" | tr -d "'")" "$H_BUS_NAME.Job" Steps
}
# the newest restart job of node I is COMPLETE with a harper:replication step done
peer_job_whole() { cl_jobs "$1" | grep " $2 " | tail -n1 | grep -Eq " COMPLETE .*harper:replication=done"; }
settled_threads() {   # I: the thread ids once the same twice, a second apart
    local a b
    b=$(cl_threads "$1")
    for _ in 1 2 3 4 5 6 7 8 9 10; do a=$b; sleep 1; b=$(cl_threads "$1"); [ "$a" = "$b" ] && break; done
    echo "$b"
}
daemon_log() { diag "$(cl_on "$1" sh -c 'tail -n 25 "$H_T/daemon.log"')"; }

# ---------------------------------------------------------------- A, B, C in order
rollout "$RS"
is "replicated http_workers from A: COMPLETE (exit 0)" "$(field status) (exit $rc)" "COMPLETE (exit 0)" ||
    daemon_log 1
is "... result lists this node first, then the others in Harper's name order" "$(res_nodes 2>&1)" "$A $B $C"
check "... each with a message" test -n "$(res_message $A)" -a -n "$(res_message $B)" -a -n "$(res_message $C)"
check "... the poller: A, B, C restarted in order, each only after the previous one's cluster_status was whole, never two at once" \
    cl_rollout_check threads "$start" "$end" $A $B $C
like "... A's job has the step harper:replication, done" "$(a_job_steps 2>&1)" '"harper:replication" "done"'
check "... B's and C's own jobs COMPLETE with harper:replication done" eval 'peer_job_whole 2 restart_service && peer_job_whole 3 restart_service'

# ---------------------------------------------------------------- the instance, node by node
# a writer inserts on A every 200 ms during the rollout; the ids A accepted must reach every node
writer() {
    local k=1000 r
    while :; do
        r=$(curl -s --max-time 2 --unix-socket "${_CL_STATE[1:HARPER_SOCK]}" -H 'Content-Type: application/json' \
            -d "{\"operation\":\"insert\",\"database\":\"dev\",\"table\":\"dog\",\"records\":[{\"id\":$k,\"name\":\"rollout\"}]}" http://localhost/)
        grep -q "\"inserted_hashes\":\[$k\]" <<<"$r" && echo "$k" >>"$CL_T/written"
        k=$((k + 1)); sleep 0.2
    done
}
: >"$CL_T/written"
cl_bg writer
writer_pid=${CL_BG_PIDS[-1]}
rollout "$RI"
kill "$writer_pid"; wait "$writer_pid" 2>/dev/null
is "replicated restart (instances) from A: COMPLETE (exit 0)" "$(field status) (exit $rc)" "COMPLETE (exit 0)" ||
    daemon_log 1
is "... result lists A, B, C in order" "$(res_nodes 2>&1)" "$A $B $C"
check "... the poller: each Harper restarted (new hdb.pid) in turn, after the previous one's replication was whole; never two of three down at once" \
    cl_rollout_check pid "$start" "$end" $A $B $C
check "... B's and C's own restart jobs COMPLETE with harper:replication done" eval 'peer_job_whole 2 restart && peer_job_whole 3 restart'
written=$(sort -n "$CL_T/written" | paste -sd,)
check "... the writer got inserts into A during the rollout ($(wc -l <"$CL_T/written"))" test -n "$written"
all_ids=$(printf '1\n%s\n' "$(tr ',' '\n' <<<"$written")" | sort -n | grep . | paste -sd,)
check "... every record A accepted is on every node within 60 s" h_wait 60 eval "has_all_ids 1 $all_ids && has_all_ids 2 $all_ids && has_all_ids 3 $all_ids"
check "... and the three nodes have the same records" h_wait 30 eval '[ "$(ids_on 1)" = "$(ids_on 2)" ] && [ "$(ids_on 1)" = "$(ids_on 3)" ]'

# ---------------------------------------------------------------- a fourth node, joined in Harper only
cl_node_add 4 || bail_out "node 4 did not come up"
check "a fourth node: Harper's add_node on A" cl_join 4
check "... the mesh is whole again (three connections each)" h_wait 120 cl_cluster_whole
rollout "$RS"
is "... the next replicated http_workers: COMPLETE (exit 0)" "$(field status) (exit $rc)" "COMPLETE (exit 0)" ||
    daemon_log 1
is "... D is in it" "$(res_nodes 2>&1)" "$A $B $C $D"
is "... and ssh-peers.conf and sysops.json are as they were written at the start" "$(config_sums)" "$sums_at_start"
check "... the poller: A, B, C, D in order, one at a time" cl_rollout_check threads "$start" "$end" $A $B $C $D

# ---------------------------------------------------------------- failures at C
# fails_at_c WHAT: the rollout ends in ERROR naming C; A and B were restarted; C not
fails_at_c() {
    local what=$1 threads_c
    threads_c=$(settled_threads 3)
    rollout "$RS" "${2:-}"
    is "$what: ERROR (exit 5)" "$(field status) (exit $rc)" "ERROR (exit 5)" || daemon_log 1
    like "... its message names C" "$(field message)" "127\.0\.0\.13"
    like "... result lists A, B, then C" "$(res_nodes 2>&1)" "^$A $B $C( |$)"
    check "... C's entry says why" test -n "$(res_message $C)"
    check "... A and B were restarted, in order" cl_rollout_check threads "$start" "$end" $A $B
    [ -z "$threads_c" ] || is "... C's worker threads are unchanged" "$(settled_threads 3)" "$threads_c"
}

cl_sshd_stop 3
cl_sshd_start 3 denied || bail_out "C's sshd (denied) did not start"
out=$(bus_call 3 "$CL_PEER" RestartService sb http_workers false)
like "C's sshd maps $CL_PEER to $CL_PEER_DENIED: C's polkit refuses a restart by hand" "$out" "Access denied|[Ii]nteractive authentication required|NotAuthorized"
fails_at_c "C's polkit refuses the caller"
cl_sshd_stop 3
cl_sshd_start 3 || bail_out "C's sshd did not start again"

cl_sshd_stop 3
fails_at_c "ssh refused by C (its sshd stopped)"
whole_b=$(cl_rollout_check threads "$start" "$end" $A $B | awk -v n=$B '$1 == "WHOLE" && $2 == n {print $3}')
check "... ERROR within 120 s of B's replication being whole ($(( end - ${whole_b:-0} )) ms)" \
    test -n "$whole_b" -a $(( end - ${whole_b:-0} )) -lt 120000
cl_sshd_start 3 || bail_out "C's sshd did not start again"

cl_on 3 h_daemon_stop
fails_at_c "C's harper-sysopsd stopped"
cl_on 3 h_daemon_start --config="$CL_SYSOPS" || bail_out "C's harper-sysopsd did not start again"

cl_on 3 harper_stop
fails_at_c "C's Harper stopped" any
cl_on 3 harper_start 120 || bail_out "C's Harper did not start again"

# ---------------------------------------------------------------- nothing left
ports=()
for i in "${CL_NODES[@]}"; do
    ports+=("${_CL_STATE[$i:HARPER_OPS_PORT]}" "${_CL_STATE[$i:HARPER_HTTP_PORT]}" "${_CL_STATE[$i:HARPER_REPL_PORT]}")
done
check "nothing listens on Harper's default ports (9925 9926 9932 9933 1883 8883)" \
    eval '! ss -Htln | grep -E ":(9925|9926|9932|9933|1883|8883) "'
pids=("${CL_SSHD_PID[@]}" "$CL_POLLER_PID")
for i in "${CL_NODES[@]}"; do
    pids+=("${_CL_STATE[$i:H_DAEMON_PID]}" "${_CL_STATE[$i:H_POLKIT_PID]}" "${_CL_STATE[$i:H_SYSTEMD_PID]}"
           "$(cl_on "$i" harper_pid)")
done
cl_down
check "after teardown no process of the cluster is left, nothing listens on 127.0.0.1X" cl_leftovers "${pids[@]}"
diag "the whole test took $(( $(date +%s) - t_begin )) s"
done_testing
