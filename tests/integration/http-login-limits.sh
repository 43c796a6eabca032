#!/bin/bash
# SPDX-License-Identifier: MIT
# harper-ops-http against password guessing over TCP: a burst of wrong guesses over 200
# connections is held off after a few failures (429 with Retry-After) and the guesses per second
# are measured; meanwhile the right password over the unix socket works at once, and from
# another source address too; from the guesser's address it works once the backoff is over; and
# the failure records are a fixed-size table (the oldest forgotten first).
. "$(dirname "$0")/../lib/harness.sh"
. "$(dirname "$0")/../lib/sysops.sh"
. "$(dirname "$0")/../lib/http.sh"
http_stack_up
http_start || bail_out "harper-ops-http did not start"

ADMIN=hsops-admin:$HTTP_PW
body='{"operation":"get_status","id":"primary"}'
b64() { printf '%s' "$1" | base64 -w0; }
since() { python3 -c "import time; print(round(time.time() - $1, 2))"; }
at_most() { python3 -c "import sys; sys.exit(not ($1 <= $2))"; }
# status and Retry-After of one TCP login from SOURCE: tcp_login SOURCE LOGIN
tcp_login() {
    curl -sS --max-time 60 -o /dev/null -D - -w '%{http_code}' --interface "$1" -u "$2" -d "$body" \
        "http://127.0.0.1:$HTTP_PORT/" | tr -d '\r' | awk -F': ' 'tolower($1) == "retry-after" {r = $2} END {print $0, r}'
}

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
sleep 3
start=$EPOCHREALTIME
status=$(hpost unix hsops-admin "$body" | head -n1)
t=$(since "$start")
is "during the burst the right password is not needed on the unix socket: 200 at once (${t} s)" "$status" 200
# held behind the burst, it would wait its 5 s left; under ASan on 2 cores it took up to 3.5 s
check "... before the burst ends (within 4.5 s; 200 guessing threads)" at_most "$t" 4.5
start=$EPOCHREALTIME
out=$(tcp_login 127.0.0.1 "$ADMIN")
t=$(since "$start")
like "... over TCP from the guesser's address even the right password is held off: 429 with Retry-After" "$out" '^429 [0-9]+$'
start=$EPOCHREALTIME
out=$(tcp_login 127.0.0.2 "$ADMIN")
t=$(since "$start")
is "... from another address the right password works: 200 (${t} s)" "$out" "200 "
check "... before the burst ends (within 4.5 s)" at_most "$t" 4.5
wait $burst
diag "$(cat "$H_T/burst.out")"
counts=$(sed -n 's/^checked \([0-9]*\) held \([0-9]*\) other \([0-9]*\)$/\1 \2 \3/p' "$H_T/burst.out")
read -r checked held other <<<"$counts"
check "200 connections guessing for 8 s: held off with 429 ($held times)" test "${held:-0}" -ge 100
# the log: PAM's refusals before the first "held off" (the 6th failure's), and up to
# --max-logins (4) checks that were under way then
refused_first=$(sed -n '/held off for/q; /refused: Authentication failure/p' "$H_T/http.log" | wc -l)
check "... after the threshold: 6 failures, then held off ($refused_first refusals before the log says so)" \
    test "$refused_first" -ge 6 -a "$refused_first" -le 9
check "... then a growing delay (1, 2, 4, 8 s after the 6th failure): $checked guesses checked in 8 s" \
    test "${checked:-99}" -le 14
is "... and nothing else answered (no 5xx)" "$other" 0
like "... each 429 says when to come back (Retry-After, in seconds)" "$(grep '^retry-after' "$H_T/burst.out")" \
    "^retry-after \['[0-9]+'(, '[0-9]+')*\]$"

# ---------------------------------------------------------------- after the backoff
out=$(tcp_login 127.0.0.1 "$ADMIN")
wait_for=${out#429 }
like "the guesser's address is still held off right after the burst" "$out" '^429 [0-9]+$'
sleep "${wait_for:-1}"
start=$EPOCHREALTIME
out=$(tcp_login 127.0.0.1 "$ADMIN")
is "once Retry-After ($wait_for s) has passed, the right password from there works: 200" "$out" "200 "
is "... and that login forgave the address's failures on the account: a wrong guess is checked again (401)" \
    "$(tcp_login 127.0.0.1 hsops-admin:wrong)" "401 "

# ---------------------------------------------------------------- one name from many addresses
# 25 addresses, one wrong guess each: none is held off, but past 20 failures of hsops-user its
# checks are spaced one a second (slowed, not refused): 4 right logins at once from 4 new
# addresses all get in (403: hsops-user is no super user), one after the other
for i in $(seq 1 25); do tcp_login "127.0.4.$i" hsops-user:wrong >/dev/null & done
wait
out=$(python3 - "$HTTP_PORT" "$(b64 "hsops-user:$HTTP_PW")" <<'PY'
import http.client, sys, threading, time
port, auth = int(sys.argv[1]), sys.argv[2]
done, start = [], time.time()
def login(source):
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=60, source_address=(source, 0))
    c.request("POST", "/", b'{"operation":"get_status","id":"primary"}', {"Authorization": "Basic " + auth})
    done.append((c.getresponse().status, time.time() - start))
threads = [threading.Thread(target=login, args=("127.0.5.%d" % (i + 1),)) for i in range(4)]
for t in threads: t.start()
for t in threads: t.join()
done.sort(key=lambda d: d[1])
print("statuses %s spread %.1f" % (sorted(set(s for s, _ in done)), done[-1][1] - done[0][1]))
PY
)
diag "$out"
like "a name guessed from 25 addresses: right logins from new ones are spaced out, all let in" "$out" \
    '^statuses \[403\] spread ([3-9]|2\.[5-9])' || diag "$(grep -v 'Authentication failure' "$H_T/http.log" | tail -n 12)"
http_stop

# ---------------------------------------------------------------- the table is bounded
# 24 records at most: 127.0.0.1's failures on hsops-admin are forgotten once 20 other addresses
# have failed (three records each: the address, the name, the pair) after them
http_start --login-records=24 || bail_out "harper-ops-http did not start with --login-records"
for i in 1 2 3 4 5 6; do tcp_login 127.0.0.1 hsops-admin:wrong >/dev/null; done
like "with --login-records=24: 127.0.0.1 is held off after 6 failures" "$(tcp_login 127.0.0.1 "$ADMIN")" '^429 '
for i in $(seq 1 20); do tcp_login "127.0.3.$i" "nobody-$i:wrong" >/dev/null & done
wait
is "after 60 newer records the oldest are forgotten: the right password from 127.0.0.1 is checked (200)" \
    "$(tcp_login 127.0.0.1 "$ADMIN")" "200 " || diag "$(tail -n 8 "$H_T/http.log")"
rss=$(awk '/^VmRSS/ {print $2}' "/proc/$HTTP_PID/status")
diag "listener resident: $rss kB"

done_testing
