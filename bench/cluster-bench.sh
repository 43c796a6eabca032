#!/bin/bash
# SPDX-License-Identifier: MIT
# Replicated restarts on a real three-node Harper cluster (tests/lib/cluster.sh: three real Harper
# 4.7.29 nodes joined by Harper's replication, each with its own stack, harper-sysopsd and sshd;
# the daemons reach each other over ssh as they do in production). Side by side in one run:
#   - replicated restart_service http_workers from node 1 (1, then 2, then 3) against the three
#     single-node restarts one after the other, each its own node's job (goal: overhead <= 5 %);
#   - the wait from one node being back in the cluster (its job COMPLETE: answering, replication
#     connected again) to the next node's start, from the job's Nodes times (goal: p50 <= 50 ms);
#   - the replicated instance restart's total.
# Root. Usage: bench/cluster-bench.sh [BUILDDIR] [--runs=N] (default 2). Prints "skipped: no
# node" when node or npm is missing.
set -u
cd "$(dirname "$0")/.." || exit 1
BUILDDIR=$(cd "${1:-build}" && pwd) || exit 1
shift || true
runs=2
for a in "$@"; do case $a in --runs=*) runs=${a#--runs=} ;; *) echo "cluster-bench: unknown option $a" >&2; exit 2 ;; esac; done
if ! command -v node >/dev/null || ! command -v npm >/dev/null; then echo "cluster-bench: skipped: no node"; exit 0; fi
export SRCDIR=$PWD BUILDDIR
. tests/lib/harness.sh
. tests/lib/sysops.sh
. tests/lib/harper.sh
. tests/lib/cluster.sh
# shellcheck disable=SC2034 # read by h_daemon_start (harness.sh)
H_REAL_HARPER=1
RS='{"operation":"restart_service","service":"http_workers","replicated":true}'
RI='{"operation":"restart","replicated":true}'
ONE='{"operation":"restart_service","service":"http_workers"}'

cl_init || exit 1
for i in 1 2 3; do cl_node_add "$i" || { echo "cluster-bench: node $i did not come up" >&2; exit 1; }; done
cl_join 2 && cl_join 3 || exit 1
h_wait 120 cl_cluster_whole || { echo "cluster-bench: the cluster did not connect" >&2; exit 1; }

ms() { echo $(( ($(_h_usec) - $1) / 1000 )); }
# ops --wait on node I; prints the job's id; fails unless COMPLETE
job_on() {
    local out
    out=$(cl_on "$1" ops --wait "$2") || { echo "cluster-bench: $2 on node $1 failed: $out" >&2; return 1; }
    python3 -c 'import json,sys; d=json.load(sys.stdin); assert d["status"] == "COMPLETE", d; print(d["id"])' <<<"$out"
}
# the gaps (ms) between one node's end and the next one's start, from node 1's job ID
gaps_of() {
    local path
    path=$(cl_on 1 dcall GetJob "$1" | grep -o "'/[^']*'" | tr -d "'")
    cl_on 1 gdbus call --system -d "$H_BUS_NAME" -o "$path" -m org.freedesktop.DBus.Properties.Get \
        "$H_BUS_NAME.Job" Nodes | python3 -c '
import re, sys
t = [int(x) for x in re.findall(r"(?:uint64 )?(\d{13})", sys.stdin.read())]
print(" ".join(str(t[i + 1] - t[i]) for i in range(1, len(t) - 1, 2)))'
}

echo "== replicated restarts on a three-node Harper 4.7.29 cluster (runs: $runs)"
gaps=() totals=() singles=()
for run in $(seq "$runs"); do
    h_wait 120 cl_cluster_whole || exit 1
    t0=$(_h_usec); id=$(job_on 1 "$RS") || exit 1; total=$(ms "$t0")
    read -ra g <<<"$(gaps_of "$id")"; gaps+=("${g[@]}")
    single=0
    for i in 1 2 3; do
        h_wait 120 cl_cluster_whole || exit 1
        t0=$(_h_usec); job_on "$i" "$ONE" >/dev/null || exit 1; single=$((single + $(ms "$t0")))
    done
    totals+=("$total") singles+=("$single")
    echo "run $run: replicated http_workers ${total} ms; the three single-node restarts ${single} ms; gaps ${g[*]} ms"
done
h_wait 120 cl_cluster_whole || exit 1
t0=$(_h_usec); id=$(job_on 1 "$RI") || exit 1; instance=$(ms "$t0")
read -ra g <<<"$(gaps_of "$id")"; gaps+=("${g[@]}")
python3 - "${totals[*]}" "${singles[*]}" "${gaps[*]}" "$instance" <<'PY'
import statistics, sys
totals, singles, gaps = ([int(x) for x in a.split()] for a in sys.argv[1:4])
instance = int(sys.argv[4])
t, s = statistics.median(totals), statistics.median(singles)
print(f"replicated http_workers: median {t:.0f} ms against {s:.0f} ms for the three single-node restarts: "
      f"overhead {100 * (t - s) / s:+.1f} % (goal <= 5 %)")
print(f"node back in the cluster -> next node's start: p50 {statistics.median(gaps):.0f} ms, max {max(gaps)} ms "
      f"over {len(gaps)} (goal p50 <= 50 ms)")
print(f"replicated instance restart (three nodes): {instance} ms")
PY
