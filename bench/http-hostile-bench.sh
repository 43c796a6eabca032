#!/bin/bash
# SPDX-License-Identifier: MIT
# An admin's TCP login to harper-ops-http (a new connection from ::1, Basic login through PAM,
# get_status, its 200) while hostile clients on 127.0.0.0/8 attack, next to the same logins with
# no attack, in one run on one stack (issue 22; the goal: in within 3 s):
#   idle      no attack
#   row 6     a source holds 100 idle connections (it keeps --max-connections-per-source, 32)
#   row 7     30 threads log in with made-up names from 127.0.0.1, a new connection each
#   row 8     30 threads guess the admin's own password, each guess from a new 127.x.y.z
# Each case on a fresh harper-ops-http (no failure records), the admin's worker started first.
# Usage: bench/http-hostile-bench.sh [BUILDDIR] [LOGINS]
set -euo pipefail
cd "$(dirname "$0")/.."
BUILDDIR=$(cd "${1:-build}" && pwd)
LOGINS=${2:-10}
export SRCDIR=$PWD
. tests/lib/harness.sh
. tests/lib/http.sh
http_stack_up
HTTP_V6=1

for case in idle row6 row7 row8; do
    http_start --request-timeout=60 >/dev/null || bail_out "harper-ops-http did not start"
    hpost unix hsops-admin '{"operation":"get_status","id":"primary"}' >/dev/null
    python3 - "$case" "$HTTP_PORT" "$HTTP_PW" "$LOGINS" "$H_T/median.$case" <<'PY'
import base64, http.client, random, socket, statistics, sys, threading, time
case, port, password, logins = sys.argv[1], int(sys.argv[2]), sys.argv[3], int(sys.argv[4])
body = b'{"operation":"get_status","id":"primary"}'
stop = threading.Event()
attempts = {}

def basic(login):
    return {"Authorization": "Basic " + base64.b64encode(login.encode()).decode()}

def post(host, source, headers):
    c = http.client.HTTPConnection(host, port, timeout=60, source_address=(source, 0))
    c.request("POST", "/", body, headers)
    r = c.getresponse(); r.read(); c.close()
    return r.status

def hold():
    conns = []
    for i in range(100):
        try:
            conns.append(socket.create_connection(("127.0.0.1", port), source_address=("127.0.1.%d" % (i + 1), 0)))
        except OSError:
            pass
    stop.wait()

def guess(login_of, source_of):
    while not stop.is_set():
        try:
            status = post("127.0.0.1", source_of(), basic(login_of()))
        except OSError:
            status = 0
        attempts[status] = attempts.get(status, 0) + 1
        if status != 401:
            time.sleep(0.2)

def rotating():
    return "127.%d.%d.%d" % (random.randrange(256), random.randrange(256), random.randrange(1, 255))

attack = {
    "idle": [],
    "row6": [threading.Thread(target=hold)],
    "row7": [threading.Thread(target=guess, args=(lambda: "nobody-%d:x" % random.randrange(10**6), lambda: "127.0.0.1"))
             for _ in range(30)],
    "row8": [threading.Thread(target=guess, args=(lambda: "hsops-admin:wrong", rotating)) for _ in range(30)],
}[case]
for t in attack:
    t.start()
time.sleep(3 if attack else 0)   # the attack under way: past its free failures
times, statuses = [], []
for _ in range(logins):
    start = time.time()
    try:
        statuses.append(post("::1", "::1", basic("hsops-admin:" + password)))
    except OSError:
        statuses.append(0)
    times.append(time.time() - start)
    time.sleep(0.3)
stop.set()
for t in attack:
    t.join()
ok = [t for t, s in zip(times, statuses) if s == 200]
print("%-5s admin logins %2d/%d answered 200, %2d within 3 s; median %.2f s, max %.2f s; attacker's answers %s"
      % (case, len(ok), logins, sum(t <= 3 for t in ok), statistics.median(times), max(times),
         dict(sorted(attempts.items())) or "-"))
open(sys.argv[5], "w").write("%.3f\n" % statistics.median(times))
PY
    http_stop
done
idle=$(cat "$H_T/median.idle")
for case in row6 row7 row8; do
    python3 -c "import sys; print('%s median / idle median: %.2f' % (sys.argv[1], float(sys.argv[2]) / float(sys.argv[3])))" \
        "$case" "$(cat "$H_T/median.$case")" "$idle"
done
