#!/bin/bash
# SPDX-License-Identifier: MIT
# harper-ops-http against hostile TCP clients (issue 22, rows 6-8 and 12): a burst of wrong
# guesses over 200 connections is held off after 6 failures however many guess at once (429 with
# Retry-After); meanwhile the right password over the unix socket works at once, and from another
# source (::1) too; from the guesser's source it works once the backoff is over. Guesses from
# addresses rotated through 127.0.0.0/8 are held off as one source while the admin gets in from
# ::1; made-up names hold their source off, not the admin elsewhere; a source holding connections
# keeps --max-connections-per-source and the admin elsewhere gets in; log lines of concurrent
# threads never merge; the failure records are a fixed-size table (the oldest forgotten first).
. "$(dirname "$0")/../lib/harness.sh"
. "$(dirname "$0")/../lib/sysops.sh"
. "$(dirname "$0")/../lib/http.sh"
http_stack_up
HTTP_V6=1   # ::1 is a source apart from 127.0.0.0/8
# the burst's 200 connections come from one source: its connection limit is tested on its own
http_start --max-connections-per-source=256 || bail_out "harper-ops-http did not start"

ADMIN=hsops-admin:$HTTP_PW
body='{"operation":"get_status","id":"primary"}'
b64() { printf '%s' "$1" | base64 -w0; }
at_most() { python3 -c "import sys; sys.exit(not ($1 <= $2))"; }
# status and Retry-After of one TCP login from SOURCE (::1: over IPv6): tcp_login SOURCE LOGIN;
# "000 " when the connection is closed unanswered
tcp_login() {
    local url="http://127.0.0.1:$HTTP_PORT/"
    [ "$1" != ::1 ] || url="http://[::1]:$HTTP_PORT/"
    curl -sS -g --max-time 60 -o /dev/null -D - -w '%{http_code}' --interface "$1" -u "$2" -d "$body" \
        "$url" 2>/dev/null | tr -d '\r' | awk -F': ' 'tolower($1) == "retry-after" {r = $2} END {print $0, r}'
}
# the admin's worker started before an attack (the time bounds are on logins, not on a start)
warm_up() { hpost unix hsops-admin "$body" >/dev/null; }
# Under attack the admin's login is answered within ADMIN_BOUND s: the goal is 3 s, met on an
# idle machine (bench/http-hostile-bench.sh measures it); 8.9 s seen at a load of 27 on 2 cores.
# Spaced behind the attack's guesses it would wait --queue-timeout (10 s), then 503.
ADMIN_BOUND=10
# the log from line FROM on (the log of every server of this test, one after the other)
log_from() { tail -n "+$1" "$H_T/http.log"; }
# the PAM refusals logged from line FROM on before the first "held off" (the failure that
# starts the backoff's)
refused_before_held() { log_from "$1" | sed -n '/held off for/q; /refused: Authentication failure/p' | wc -l; }
# whether the log says from line FROM on that logins are held off
held_since() { log_from "$1" | grep -q 'held off for'; }

# ---------------------------------------------------------------- a burst of wrong guesses
# 200 threads, each a new connection per guess, for 8 s (after a 429 a thread waits 1 s, to
# spare this machine; the guesses per second count only the ones PAM checked: the 401s)
python3 - "$HTTP_PORT" "$(b64 hsops-admin:wrong)" >"$H_T/burst.out" 2>&1 <<'PY' &
import http.client, sys, threading, time
port, auth, seconds = int(sys.argv[1]), sys.argv[2], 8.0
lock, answers = threading.Lock(), []
start = time.time()
def guess():
    while time.time() - start < seconds:
        c = http.client.HTTPConnection("127.0.0.1", port, timeout=60, source_address=("127.0.0.1", 0))
        t = time.time()
        c.request("POST", "/", b'{"operation":"get_status","id":"primary"}', {"Authorization": "Basic " + auth})
        r = c.getresponse(); r.read(); c.close()
        with lock:
            answers.append((t - start, time.time() - start, r.status, r.getheader("Retry-After")))
        if r.status == 429:
            time.sleep(1)
threads = [threading.Thread(target=guess) for i in range(200)]
for t in threads: t.start()
for t in threads: t.join()
answers.sort()
checked = [a for a in answers if a[2] == 401]
held = [a for a in answers if a[2] == 429]
print("checked %d held %d other %d" % (len(checked), len(held), len(answers) - len(checked) - len(held)))
print("guesses-per-second %.1f" % (len(checked) / seconds))
print("retry-after %s" % sorted(set(a[3] for a in held)))
print("last-retry-after-at %s" % (max(held, key=lambda a: a[1])[1:4:2] if held else None,))
PY
burst=$!
# once the 6th failure has started the backoff (about 3 s in; later under ASan and load)
h_wait 60 held_since 1 || diag "the log never said the guesses were held off"
out=$(tcp_login 127.0.0.1 "$ADMIN")
like "during the burst, over TCP from the guesser's address even the right password is held off: 429 with Retry-After" \
    "$out" '^429 [0-9]+$'
like "... and from another address in 127.0.0.0/8, the same source: 429" "$(tcp_login 127.0.0.2 "$ADMIN")" '^429 [0-9]+$'
start=$EPOCHREALTIME
status=$(hpost unix hsops-admin "$body" | head -n1)
t=$(http_since "$start")
is "... the right password is not needed on the unix socket: 200 at once (${t} s)" "$status" 200
# held behind the burst, it would wait its 5 s left; under ASan on 2 cores it took up to 3.5 s
check "... before the burst ends (within 4.5 s; 200 guessing threads)" at_most "$t" 4.5
start=$EPOCHREALTIME
out=$(tcp_login ::1 "$ADMIN")
t=$(http_since "$start")
is "... from another source (::1) the right password works: 200 (${t} s)" "$out" "200 "
check "... before the burst ends (within 4.5 s)" at_most "$t" 4.5
wait $burst
diag "$(cat "$H_T/burst.out")"
counts=$(sed -n 's/^checked \([0-9]*\) held \([0-9]*\) other \([0-9]*\)$/\1 \2 \3/p' "$H_T/burst.out")
read -r checked held other <<<"$counts"
check "200 connections guessing for 8 s: held off with 429 ($held times)" test "${held:-0}" -ge 100
# checks are counted before they run: 6 pass however many guess at once (the landed code let up
# to --max-logins more through)
is "... after the threshold: 6 failures, then held off (PAM's refusals before the log says so)" \
    "$(refused_before_held 1)" 6
check "... then a growing delay (1, 2, 4, 8 s after the 6th failure): $checked guesses checked in 8 s" \
    test "${checked:-99}" -le 14
is "... and nothing else answered (no 5xx)" "$other" 0
like "... each 429 says when to come back (Retry-After, in seconds)" "$(grep '^retry-after' "$H_T/burst.out")" \
    "^retry-after \['[0-9]+'(, '[0-9]+')*\]$"

# ---------------------------------------------------------------- after the backoff
# from the guesser's address the right password is held off until Retry-After has passed (the
# backoff may be over already when the burst ends)
waits=()
for _ in 1 2 3 4 5; do
    out=$(tcp_login 127.0.0.1 "$ADMIN")
    [ "${out%% *}" = 429 ] || break
    waits+=("${out#429 }")
    sleep "${out#429 }"
done
is "once Retry-After has passed (waited: ${waits[*]:-none} s), the right password from the guesser's address works: 200" \
    "$out" "200 "
is "... and that login forgave the address's failures on the account: a wrong guess is checked again (401)" \
    "$(tcp_login 127.0.0.1 hsops-admin:wrong)" "401 "
http_stop

# ---------------------------------------------------------------- rotating loopback addresses
# row 8: 30 threads (within the source's 32 connections) guess hsops-admin's password for 10 s, each guess from a new address in
# 127.0.0.0/8; meanwhile the admin logs in from ::1 with the right one, six times
from=$(($(wc -l <"$H_T/http.log") + 1))
http_start || bail_out "harper-ops-http did not start"
warm_up
python3 - "$HTTP_PORT" "$(b64 hsops-admin:wrong)" >"$H_T/rotate.out" 2>&1 <<'PY' &
import http.client, random, sys, threading, time
port, auth, seconds = int(sys.argv[1]), sys.argv[2], 10.0
lock, answers = threading.Lock(), []
start = time.time()
def guess():
    while time.time() - start < seconds:
        source = "127.%d.%d.%d" % (random.randrange(256), random.randrange(256), random.randrange(1, 255))
        try:
            c = http.client.HTTPConnection("127.0.0.1", port, timeout=60, source_address=(source, 0))
            c.request("POST", "/", b'{"operation":"get_status","id":"primary"}', {"Authorization": "Basic " + auth})
            r = c.getresponse(); r.read(); c.close()
            status = r.status
        except OSError:
            status = 0   # closed unanswered
        with lock:
            answers.append(status)
        if status != 401:
            time.sleep(0.2)
threads = [threading.Thread(target=guess) for i in range(30)]
for t in threads: t.start()
for t in threads: t.join()
n = {s: answers.count(s) for s in (401, 429, 0)}
print("checked %d held %d closed %d other %d" % (n[401], n[429], n[0], len(answers) - sum(n.values())))
PY
rotate=$!
# once the attack is held off (its 30 connections' start took 12 s of an ASan build at load 35)
h_wait 60 held_since "$from" || diag "the log never said the guesses were held off"
admin=()
for _ in 1 2 3 4 5 6; do
    start=$EPOCHREALTIME
    out=$(tcp_login ::1 "$ADMIN")
    admin+=("${out% }:$(http_since "$start")")
    sleep 0.5
done
wait $rotate
diag "guesses from rotating addresses: $(cat "$H_T/rotate.out"); the admin from ::1 (status:seconds): ${admin[*]}"
read -r checked held closed other < <(sed -n 's/^checked \([0-9]*\) held \([0-9]*\) closed \([0-9]*\) other \([0-9]*\)$/\1 \2 \3 \4/p' "$H_T/rotate.out")
# 6 at once, then one after 1, 2, 4 s (each check takes PAM's fail delay too): 9; the landed
# code let 298 of 300 through
check "30 threads guessing from rotating 127.x.y.z addresses for 10 s are held off as one source: $checked checked, $held held off" \
    test "${checked:-99}" -le 11 -a "${held:-0}" -ge 40
# (closed: over the source's 32 connections, the ones just ended not yet seen to end)
is "... and nothing else answered (no 503: the account is not locked; $closed closed unanswered)" "${other:-x}" 0
is "... while the admin from ::1 with the right password gets 200, 6 times of 6 (${admin[*]})" \
    "$(printf '%s\n' "${admin[@]}" | awk -F: '$1 == 200' | wc -l)" 6
is "... each within $ADMIN_BOUND s" "$(printf '%s\n' "${admin[@]}" | awk -F: -v bound="$ADMIN_BOUND" '$2 <= bound' | wc -l)" 6
is "... at most 6 guesses are checked before the backoff, though 30 guess at once" "$(refused_before_held "$from")" 6
http_stop

# ---------------------------------------------------------------- made-up names
# row 7: 26 logins at once with made-up names from 127.0.0.1: 21 are checked (20 failures of a
# source are free, the 21st starts the backoff), the others held off; the admin from ::1 gets in
http_start || bail_out "harper-ops-http did not start"
warm_up
for i in $(seq 1 26); do tcp_login 127.0.0.1 "nobody-$i:wrong" >"$H_T/madeup.$i" & done
wait
diag "26 made-up names at once: $(cat "$H_T"/madeup.* | cut -d' ' -f1 | sort | uniq -c | tr '\n' ' ')"
n401=$(cat "$H_T"/madeup.* | grep -c '^401 $')
n429=$(cat "$H_T"/madeup.* | grep -c '^429 [0-9]')
# 21 at once; 22 if one arrived only after the first second of the backoff
check "26 made-up names from one address: 21 or 22 checked ($n401), the others held off with Retry-After ($n429)" \
    test "$n401" -ge 21 -a "$n401" -le 22 -a $((n401 + n429)) = 26
start=$EPOCHREALTIME
out=$(tcp_login ::1 "$ADMIN")
t=$(http_since "$start")
is "... but the admin from another source gets in: 200 (${t} s)" "$out" "200 "
check "... within $ADMIN_BOUND s" at_most "$t" "$ADMIN_BOUND"
http_stop

# ---------------------------------------------------------------- a source holding connections
# row 6: 100 idle connections from addresses in 127.0.0.0/8: the source keeps
# --max-connections-per-source (32), the others are closed at accept; the admin from ::1 gets in
http_start --request-timeout=30 || bail_out "harper-ops-http did not start"
warm_up
python3 -c "$HTTP_PY" "$HTTP_PORT" >"$H_T/hold.out" 2>&1 <<'PY' &
import socket, sys, time
conns = []
for i in range(100):
    try:
        conns.append(socket.create_connection(("127.0.0.1", int(sys.argv[1])),
                                              source_address=("127.0.1.%d" % (i + 1), 0)))
    except OSError:
        pass
time.sleep(2)
print("open", sum(is_open(s) for s in conns), flush=True)
time.sleep(600)   # until the test ends it
PY
hold=$!
h_wait 60 test -s "$H_T/hold.out" || diag "the holder did not report"
start=$EPOCHREALTIME
out=$(tcp_login ::1 "$ADMIN")
t=$(http_since "$start")
is "while 127.0.0.0/8 holds its connections the admin from ::1 gets in: 200 (${t} s)" "$out" "200 "
check "... within $ADMIN_BOUND s" at_most "$t" "$ADMIN_BOUND"
is "... and a new connection from 127.0.0.1 is closed unanswered" "$(tcp_login 127.0.0.1 "$ADMIN")" "000 "
is "the source kept 32 of its 100 connections (--max-connections-per-source)" "$(cat "$H_T/hold.out")" "open 32"
kill $hold
wait $hold
for _ in $(seq 1 20); do   # the server sees them end a moment later
    out=$(tcp_login 127.0.0.1 "$ADMIN")
    [ "$out" = "000 " ] || break
    sleep 0.5
done
is "... and once it closes them it is served again: 200" "$out" "200 "
http_stop

# ---------------------------------------------------------------- the table is bounded
# 24 records at most: 127.0.0.1's failures on hsops-admin are forgotten once 12 made-up names
# have failed from ::1 after them (two records each, the name's and the pair's, and ::/64's own)
http_start --login-records=24 || bail_out "harper-ops-http did not start with --login-records"
for _ in 1 2 3 4 5 6; do tcp_login 127.0.0.1 hsops-admin:wrong >/dev/null; done
like "with --login-records=24: 127.0.0.1 is held off after 6 failures" "$(tcp_login 127.0.0.1 "$ADMIN")" '^429 '
for i in $(seq 1 12); do tcp_login ::1 "nobody-$i:wrong" >/dev/null & done
wait
is "after 25 newer records the oldest are forgotten: the right password from 127.0.0.1 is checked (200)" \
    "$(tcp_login 127.0.0.1 "$ADMIN")" "200 " || diag "$(tail -n 8 "$H_T/http.log")"
rss=$(awk '/^VmRSS/ {print $2}' "/proc/$HTTP_PID/status")
diag "listener resident: $rss kB"

# ---------------------------------------------------------------- log lines
# row 12: each log line is one write, so lines logged by threads at once never merge. The log of
# every server above (the attacks' threads), and 100 requests at once, each logged by its thread
for _ in $(seq 1 100); do hpost unix root "$body" >/dev/null & done
wait
http_stop
is "the log's $(wc -l <"$H_T/http.log") lines, $(grep -c 'root .*: 200' "$H_T/http.log") of them of requests at once: each begins with the program's name" \
    "$(grep -cv '^harper-ops-http: ' "$H_T/http.log")" 0
is "... and none holds two lines' names" "$(grep -c 'harper-ops-http: .*harper-ops-http: ' "$H_T/http.log")" 0

done_testing
