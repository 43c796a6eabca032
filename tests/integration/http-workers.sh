#!/bin/bash
# SPDX-License-Identifier: MIT
# harper-ops-http's workers against their own user (issue 22): a user who tries, in a tight
# loop, to ptrace each new worker of its own or take its descriptors (the listener's stderr
# above all) while workers start by the dozen never succeeds; workers their user stopped
# (SIGSTOP) are killed once let go and a grace period passed; and stopping them over and over
# never gets the user more workers, live or dying, than --workers-per-user.
. "$(dirname "$0")/../lib/harness.sh"
. "$(dirname "$0")/../lib/sysops.sh"
. "$(dirname "$0")/../lib/http.sh"
http_stack_up

SNATCH=$BUILDDIR/tests/worker-snatch
U=hsops-admin   # the user of the workers and the one who attacks them (its get_status is 200)
LOGIN=$U:$HTTP_PW
PER_USER=4
GRACE=5   # worker-pool.c's WORKER_EXIT_GRACE_USEC
body='{"operation":"get_status","id":"primary"}'
since() { python3 -c "import time; print(round(time.time() - $1, 2))"; }
at_least() { python3 -c "import sys; sys.exit(not ($1 >= $2))"; }
none_left() { [ -z "$(http_workers "$U")" ]; }
all_gone() { local p; for p in "$@"; do [ ! -e "/proc/$p" ] || return 1; done; }
stopped() { local s; read -r s <"/proc/$1/stat" && s=${s##*) } && [ "${s:0:1}" = T ]; }

# ---------------------------------------------------------------- what a worker holds
# idle workers are let go after 10 s here; a stopped busy worker is given up after 5 s
http_start --worker-idle=10 --worker-timeout=5 || bail_out "harper-ops-http did not start"
hpost unix "$U" "$body" >/dev/null
w=$(http_workers "$U")
is "one worker runs for $U" "$(wc -w <<<"$w")" 1
is "its real, effective, saved and file uid are $U's" "$(awk '/^Uid:/ {print $2, $3, $4, $5}' "/proc/$w/status")" \
    "$(id -u "$U") $(id -u "$U") $(id -u "$U") $(id -u "$U")"
is "its /proc/PID/fd is root's (not dumpable)" "$(stat -c %U "/proc/$w/fd")" root
is "its stdin, stdout and stderr are /dev/null, not the listener's (its stderr is $H_T/http.log)" \
    "$(readlink "/proc/$w/fd/0" "/proc/$w/fd/1" "/proc/$w/fd/2" | tr '\n' ' ')" "/dev/null /dev/null /dev/null "

# ---------------------------------------------------------------- stopped workers are killed
jobs=()
for _ in 1 2 3 4; do hpost unix "$U" "$body" >/dev/null & jobs+=($!); done
wait "${jobs[@]}"
mapfile -t stopped < <(http_workers "$U")
as_user "$U" kill -STOP "${stopped[@]}"
t0=$(date +%s.%N)
for w in "${stopped[@]}"; do check "worker $w is stopped" stopped "$w"; done
killed_before=$(grep -c 'did not exit within' "$H_T/http.log")
check "the workers $U stopped (${#stopped[@]}) are gone once let go (10 s idle) and the grace passed" \
    h_wait 90 all_gone "${stopped[@]}"
took=$(since "$t0")
check "... not before the ${GRACE} s grace ($took s)" at_least "$took" "$GRACE"
check "the listener says it killed them" \
    test "$(grep -c 'did not exit within' "$H_T/http.log")" -ge $((killed_before + ${#stopped[@]}))
http_stop

# from here on idle workers are let go after 1 s, so that new ones start all the time
http_start --worker-idle=1 --worker-timeout=5 --workers-per-user=$PER_USER || bail_out "harper-ops-http did not start"

# ---------------------------------------------------------------- never ptraceable
# 6 rounds of 4 requests at once (2 with a PAM login over TCP, 2 over the unix socket), each
# round once the previous round's workers were let go, so that each starts new ones
BURSTS=6
h_wait 30 none_left
"$SNATCH" "$U" "$HTTP_PID" 600 >"$H_T/snatch.out" 2>"$H_T/snatch.err" &
snatch=$!
started_before=$(grep -c "runs as $U" "$H_T/http.log")
: >"$H_T/answers"
for _ in $(seq $BURSTS); do
    jobs=()
    for _ in 1 2; do
        { hpost tcp "$LOGIN" "$body" | head -1 >>"$H_T/answers"; } &
        jobs+=($!)
        { hpost unix "$U" "$body" | head -1 >>"$H_T/answers"; } &
        jobs+=($!)
    done
    wait "${jobs[@]}"
    h_wait 30 none_left
done
kill -TERM "$snatch"
wait "$snatch"
read -r seen tries successes < <(sed 's/[a-z]*=//g' "$H_T/snatch.out")
started=$(($(grep -c "runs as $U" "$H_T/http.log") - started_before))
diag "workers started: $started; the tool saw $seen of them, tried $tries times, succeeded $successes times"
check "every request was answered 200 ($(wc -l <"$H_T/answers") requests)" \
    test "$(sort -u "$H_T/answers" | tr '\n' ' ')" = "200 "
check "at least $BURSTS workers started for $U while the tool ran" test "$started" -ge $BURSTS
check "the tool saw every one of them" test "${seen:-0}" -ge "$started"
check "it tried PTRACE_SEIZE and pidfd_getfd on them" test "${tries:-0}" -gt 0
is "... and never succeeded" "${successes:-x}" 0 || diag "$(sort -u "$H_T/snatch.err" | head -20)"

# ---------------------------------------------------------------- bounded while stopping them
# rounds of 4 requests at once, after each of which the user stops its (idle) workers, which
# are let go 3 s later (time enough to stop them on a loaded machine). sample_workers counts
# the user's worker processes (live, stopped, dying or zombie) every 50 ms (one python, no
# fork per look) until SIGTERM, then prints the most it saw at once and how many times it looked
sample_workers() {
    exec python3 - "$HTTP_PID" "$(id -u "$U")" <<'PY'   # run in the background: SIGTERM reaches python
import os, signal, sys, time
parent, uid = sys.argv[1], sys.argv[2]
running = True
def stop(*_):
    global running
    running = False
signal.signal(signal.SIGTERM, stop)
def count():
    n = 0
    for d in os.listdir("/proc"):
        try:
            with open(f"/proc/{d}/stat") as f:
                stat = f.read()
            if not d.isdigit() or stat[stat.rindex(")") + 2:].split()[1] != parent:
                continue
            with open(f"/proc/{d}/status") as f:
                n += any(line.split()[1] == uid for line in f if line.startswith("Uid:"))
        except (OSError, ValueError, IndexError):
            pass
    return n
most = samples = 0
while running:
    most, samples = max(most, count()), samples + 1
    time.sleep(0.05)
print(most, samples)
PY
}
ROUNDS=4
http_stop
http_start --worker-idle=3 --worker-timeout=5 --workers-per-user=$PER_USER || bail_out "harper-ops-http did not start"
sample_workers >"$H_T/sampled" &
sampler=$!
: >"$H_T/answers"
for _ in $(seq $ROUNDS); do
    jobs=()
    for _ in 1 2 3 4; do { hpost unix "$U" "$body" | head -1 >>"$H_T/answers"; } & jobs+=($!); done
    wait "${jobs[@]}"
    mapfile -t workers < <(http_workers "$U")
    as_user "$U" kill -STOP "${workers[@]}" 2>/dev/null
    sleep 4
done
kill -TERM "$sampler"
wait "$sampler"
read -r max samples <"$H_T/sampled"
diag "answers: $(sort "$H_T/answers" | uniq -c | tr -s ' \n' ' ')"
check "the sampler ran ($samples samples)" test "${samples:-0}" -ge $((ROUNDS * 10))
check "... and saw workers" test "${max:-0}" -ge 1
check "$U never had more than $PER_USER workers, live or dying (at most $max)" test "${max:-99}" -le $PER_USER
check "every stopped worker is gone after the grace" h_wait 60 none_left
check "the listener is still there" kill -0 "$HTTP_PID"

done_testing
