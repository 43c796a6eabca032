#!/bin/bash
# SPDX-License-Identifier: MIT
# harper-ops-http with real clients (curl, python sockets) against the real daemon and polkitd:
# every operation over the unix socket and over TCP, who may log in and what each caller gets
# (Harper's 401 and 403 bodies), the workers' credentials read from /proc, workers reused and
# let go, the limits (body size, slow clients, bad requests, 200 connections at once) with
# nothing done for a refused request, and socket activation.
. "$(dirname "$0")/../lib/harness.sh"
. "$(dirname "$0")/../lib/sysops.sh"
. "$(dirname "$0")/../lib/http.sh"
H_UNITS_DIR=$SRCDIR/tests/units
h_users
http_users || bail_out "cannot set the test users' passwords"
h_up || bail_out "stack did not come up"
trap http_down EXIT
h_systemctl start harperdb.service harperdb-clustering.service harperdb-http@1.service harperdb-http@2.service ||
    bail_out "the test units did not start"
h_daemon_start || bail_out "harper-sysopsd did not start"
# 150 of the 200 connections at once below are root's, 50 come over TCP from 127.0.0.1
# (http-security.sh and http-login-limits.sh test the per-user and per-source caps)
# --queue-timeout=120: the 200 connections below wait for 4 workers and 4 PAM logins at a time;
# at a load of 8 on 2 cores 21 of them waited out the default 10 s (http-security tests the 503)
http_start --request-timeout=2 --worker-idle=3 --max-body=4096 --max-connections-per-user=150 \
    --max-connections-per-source=50 --queue-timeout=120 ||
    bail_out "harper-ops-http did not start"

ADMIN=hsops-admin:$HTTP_PW USER=hsops-user:$HTTP_PW
R='"__createdtime__":T,"__updatedtime__":T'
F403='{"error":"This operation is not authorized due to role restrictions and/or invalid database items","unauthorized_access":["Operation '
F403_END=' is restricted to '"'super_user'"' roles"],"invalid_schema_items":[]}'
json() { python3 -c 'import json,sys; v=json.loads(sys.stdin.read().split("\n",1)[1])
for k in sys.argv[1:]: v=v[int(k)] if isinstance(v,list) else v[k]
print(v if not isinstance(v,(dict,list)) else json.dumps(v,separators=(",",":")))' "$@"; }

# ---------------------------------------------------------------- every operation, both ways
for way in "unix root" "tcp $ADMIN"; do
    # shellcheck disable=SC2086 # split into the transport and the user on purpose
    set -- $way
    t=$1 who=$2 label="$1 as ${2%%:*}"
    is "$label: set_status" "$(hpost "$t" "$who" '{"operation":"set_status","id":"maintenance","status":"via http"}' | times_masked)" \
        $'200\n{"id":"maintenance","status":"via http",'"$R}"
    is "$label: get_status with an id" "$(hpost "$t" "$who" '{"operation":"get_status","id":"maintenance"}' | times_masked)" \
        $'200\n{"id":"maintenance","status":"via http",'"$R}"
    is "$label: get_status, all" "$(hpost "$t" "$who" '{"operation":"get_status"}' | times_masked)" \
        $'200\n[{"id":"maintenance","status":"via http",'"$R}]"
    is "$label: clear_status" "$(hpost "$t" "$who" '{"operation":"clear_status","id":"maintenance"}')" \
        $'200\n{"message":"Status successfully cleared"}'
    out=$(hpost "$t" "$who" '{"operation":"system_information","attributes":["memory","time"]}')
    # memory's heap is Harper's: "harper" says whether it answered
    is "$label: system_information answers 200 with the sections asked for" \
        "$(head -n1 <<<"$out") $(json <<<"$out" | python3 -c 'import json,sys; print(sorted(json.load(sys.stdin)))')" \
        "200 ['harper', 'memory', 'time']"
    out=$(hpost "$t" "$who" '{"operation":"restart_service","service":"clustering_config"}')
    like "$label: restart_service answers at once with a job id" "$out" \
        '^200$'$'\n''\{"message":"Restarting clustering_config","job_id":"[0-9a-f-]{36}"\}$'
    job=$(json job_id <<<"$out")
    for i in $(seq 50); do
        out=$(hpost "$t" "$who" "{\"operation\":\"get_job\",\"id\":\"$job\"}")
        [ "$(json 0 status <<<"$out" 2>/dev/null)" = COMPLETE ] && break
        sleep 0.1
    done
    is "$label: get_job follows it to COMPLETE" "$(json 0 status <<<"$out") $(json 0 message <<<"$out")" \
        "COMPLETE Successfully completed job: $job"
    out=$(hpost "$t" "$who" '{"operation":"restart"}' -D "$H_T/headers")
    like "$label: restart answers 200 with Harper's message" "$out" \
        '^200$'$'\n''\{"message":"Restarting HarperDB. This may take up to 60 seconds.","job_id":"[0-9a-f-]{36}"\}$'
    like "$label: ... and closes the connection, as Harper does for restarts" "$(tr -d '\r' <"$H_T/headers")" '^Connection: close$'
    like "$label: unknown operation" "$(hpost "$t" "$who" '{"operation":"blah"}')" $'^400\n\\{"error":"Operation \'blah\' not found"\\}$'
done
sleep 1   # let the instance restart settle before the next tests call

# ---------------------------------------------------------------- who is asking
body='{"operation":"get_status","id":"primary"}'
before=$(statuses)
is "tcp, no credentials: 401 Must login" "$(hpost tcp - "$body")" $'401\n{"error":"Must login"}'
is "tcp, wrong password: 401 Login failed" "$(hpost tcp hsops-admin:wrong "$body")" $'401\n{"error":"Login failed"}'
is "tcp, unknown user: 401 Login failed" "$(hpost tcp nosuchuser-hsops:x "$body")" $'401\n{"error":"Login failed"}'
is "tcp, empty password: 401 Login failed" "$(hpost tcp hsops-admin: "$body")" $'401\n{"error":"Login failed"}'
is "tcp, a Bearer token: 401 Login failed" "$(hpost tcp - "$body" -H 'Authorization: Bearer abc')" $'401\n{"error":"Login failed"}'
is "tcp, root is refused over TCP: 401 Login failed" "$(hpost tcp root:whatever "$body")" $'401\n{"error":"Login failed"}'
like "... and the log says why" "$(cat "$H_T/http.log")" "root is not allowed over TCP"
is "tcp, plain user: Harper's 403" "$(hpost tcp "$USER" '{"operation":"set_status","id":"primary","status":"no"}')" \
    $'403\n'"$F403'setStatus'$F403_END"
is "tcp, harper-admin member: 200" "$(hpost tcp "$ADMIN" '{"operation":"set_status","id":"primary","status":"admin"}' | times_masked)" \
    $'200\n{"id":"primary","status":"admin",'"$R}"
is "unix, root: 200" "$(hpost unix root "$body" | times_masked)" $'200\n{"id":"primary","status":"admin",'"$R}"
is "unix, harper-admin member: 200" "$(hpost unix hsops-admin "$body" | times_masked)" $'200\n{"id":"primary","status":"admin",'"$R}"
is "unix, plain user: Harper's 403" "$(hpost unix hsops-user '{"operation":"clear_status","id":"primary"}')" \
    $'403\n'"$F403'clearStatus'$F403_END"
is "Harper checks the body before the login: bad JSON without credentials is a 400" \
    "$(hpost tcp - 'xx')" $'400\n{"error":"Invalid JSON."}'
like "a 401 asks for Basic" "$(hpost tcp - "$body" -D - | tr -d '\r')" '^WWW-Authenticate: Basic realm="harper-ops"'
after=$(statuses)
like "refused callers changed nothing (primary is still the admin's)" "$after" "'primary', 'admin'"

# a failed login waits out PAM's delay in its own thread: others are answered meanwhile
start=$EPOCHREALTIME
hpost tcp hsops-admin:wrong "$body" >"$H_T/slow-login" &
slow=$!
sleep 0.2
quick=$(hpost unix root "$body" | head -n1)
t_quick=$(python3 -c "import time; print(round(time.time() - $start, 2))")
wait $slow
t_slow=$(python3 -c "import time; print(round(time.time() - $start, 2))")
diag "failed login answered after ${t_slow} s; a request meanwhile after ${t_quick} s"
# (before it, not within a fixed time: load slows both alike, and held up it would come after)
check "a request during a failed login is not held up by it (answered before the failed login)" \
    python3 -c "import sys; sys.exit(not ($quick == 200 and $t_quick < $t_slow))"

# ---------------------------------------------------------------- the workers
user_uid=$(id -u hsops-user) user_gid=$(id -g hsops-user) admin_gid=$(getent group harper-admin | cut -d: -f3)
out=$(hpost unix hsops-user '{"operation":"get_status"}')
is "the plain user's request is denied by polkit (403)" "$out" $'403\n'"$F403'getStatus'$F403_END"
w=$(http_workers hsops-user)
is "one worker runs for hsops-user" "$(wc -w <<<"$w")" 1
st=$(cat "/proc/$w/status")
is "its uid (real, effective, saved, fs) is hsops-user's, from /proc" "$(grep '^Uid:' <<<"$st" | tr -s '\t ' ' ')" \
    "Uid: $user_uid $user_uid $user_uid $user_uid"
is "its gid is hsops-user's" "$(grep '^Gid:' <<<"$st" | tr -s '\t ' ' ')" "Gid: $user_gid $user_gid $user_gid $user_gid"
is "its groups are hsops-user's" "$(grep '^Groups:' <<<"$st" | tr -s '\t ' ' ' | sed 's/ $//')" "Groups: $(id -G hsops-user)"
is "no capabilities, no way back (NoNewPrivs)" "$(grep -E '^(CapPrm|CapEff|CapBnd|NoNewPrivs):' <<<"$st" | grep -E '^(CapPrm|CapEff|NoNewPrivs)' | tr -s '\t ' ' ' | tr '\n' ';')" \
    "CapPrm: 0000000000000000;CapEff: 0000000000000000;NoNewPrivs: 1;"
hpost unix hsops-admin "$body" >/dev/null
w=$(http_workers hsops-admin)
like "the harper-admin member's worker has the group harper-admin" "$(grep '^Groups:' "/proc/$w/status")" "[[:space:]]$admin_gid([[:space:]]|$)"
for i in 1 2 3; do hpost unix hsops-admin "$body" >/dev/null; done
is "requests of the same user, one after another, reuse its worker" "$(http_workers hsops-admin)" "$w"
hpost unix root "$body" >/dev/null   # root's worker may have gone idle meanwhile (--worker-idle)
w=$(http_workers root)
is "root's worker keeps uid 0 but no capability" "$(grep -E '^(Uid|CapEff):' "/proc/$w/status" | tr -s '\t ' ' ' | tr '\n' ';')" \
    "Uid: 0 0 0 0;CapEff: 0000000000000000;"
no_workers() { [ -z "$(http_workers)" ]; }
check "idle workers exit (--worker-idle=3)" h_wait 8 no_workers
is "... and a new request starts a new one" "$(hpost unix root "$body" | head -n1) $(http_workers | wc -l)" "200 1"

# ---------------------------------------------------------------- limits and bad requests
before=$(statuses)
pad=$(printf 'x%.0s' $(seq 5000))
big="{\"operation\":\"set_status\",\"id\":\"primary\",\"status\":\"big\",\"pad\":\"$pad\"}"
is "a body over --max-body: 413" "$(hpost unix root "$big")" $'413\n{"error":"Request body is too large"}'
is "the same, chunked (no Content-Length): 413" "$(hpost unix root "$big" -H 'Transfer-Encoding: chunked')" \
    $'413\n{"error":"Request body is too large"}'
is "GET: 405" "$(curl -sS -w '\n%{http_code}' --unix-socket "$HTTP_SOCK" http://localhost/)" \
    $'{"error":"Only POST is supported: POST / with a JSON body."}\n405'
like "... saying what is allowed" "$(curl -sS -D - -o /dev/null --unix-socket "$HTTP_SOCK" http://localhost/ | tr -d '\r')" '^Allow: POST$'
is "another path: 404" "$(curl -sS -w '\n%{http_code}' --unix-socket "$HTTP_SOCK" -d '{"operation":"get_status"}' http://localhost/other)" \
    $'{"error":"Not found: POST to / only."}\n404'
raw() {   # raw PAYLOAD: send bytes over TCP, print the status line of the answer
    python3 - "$HTTP_PORT" "$1" <<'PY'
import socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=5)
s.sendall(sys.argv[2].encode().decode("unicode_escape").encode("latin-1"))
data = b""
try:
    while b"\r\n" not in data:
        chunk = s.recv(4096)
        if not chunk:
            break
        data += chunk
except socket.timeout:
    pass
print(data.split(b"\r\n")[0].decode() or "(closed)")
PY
}
like "malformed HTTP (a header line without a colon): 400" "$(raw 'POST / HTTP/1.1\r\nNoColon\r\n\r\n')" '^HTTP/1\.1 400'
like "a Content-Length that is no number: 400" "$(raw 'POST / HTTP/1.1\r\nContent-Length: abc\r\n\r\n')" '^HTTP/1\.1 400'
like "broken chunked encoding: 400" "$(raw 'POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nZZ\r\n')" '^HTTP/1\.1 400'
like "an unknown HTTP version: 505" "$(raw 'POST / HTTP/9.9\r\n\r\n')" '^HTTP/1\.1 505'
like "an unknown method: 405" "$(raw 'BREW / HTTP/1.1\r\nHost: localhost\r\n\r\n')" '^HTTP/1\.1 405'
like "an HTTP/1.1 request without Host: 400 (RFC 9112, as libmicrohttpd 1.0 answers)" \
    "$(raw 'BREW / HTTP/1.1\r\n\r\n')" '^HTTP/1\.1 400'
is "a request line libmicrohttpd cannot parse at all: closed without an answer" "$(raw 'GARBAGE\r\n\r\n')" "(closed)"
like "an oversized header block: a 4xx" "$(raw "POST / HTTP/1.1\\r\\nHost: x\\r\\nX-Big: $(printf 'a%.0s' $(seq 40000))\\r\\n\\r\\n")" '^HTTP/1\.1 4[0-9][0-9]'
is "refused requests changed nothing" "$(statuses)" "$before"

# request framing a proxy in front could read otherwise (smuggling), and a query string the
# server would ignore: refused before the body is read, and the connection is closed
raw_unix() {   # raw PAYLOAD: send bytes over the unix socket as root, print every answer's status
    python3 - "$HTTP_SOCK" "$1" <<'PY'
import re, socket, sys
s = socket.socket(socket.AF_UNIX); s.connect(sys.argv[1]); s.settimeout(2)
s.sendall(sys.argv[2].encode().decode("unicode_escape").encode("latin-1"))
data, end = b"", "(open)"
try:
    while True:
        chunk = s.recv(65536)
        if not chunk:
            end = "(closed)"; break
        data += chunk
except socket.timeout:
    pass
print(" ".join(re.findall(r"^HTTP/1\.1 (\d+)", data.decode("latin-1"), re.M) + [end]))
PY
}
gs='{"operation":"get_status"}'   # 26 bytes, 0x1a
is "Content-Length and Transfer-Encoding: chunked together: 400, closed" \
    "$(raw_unix "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 26\r\nTransfer-Encoding: chunked\r\n\r\n1a\r\n$gs\r\n0\r\n\r\n")" \
    "400 (closed)"
is "... in the other order too" \
    "$(raw_unix "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nContent-Length: 26\r\n\r\n1a\r\n$gs\r\n0\r\n\r\n")" \
    "400 (closed)"
smuggled='{"operation":"set_status","id":"primary","status":"smuggled"}'
is "a request smuggled behind an empty chunked body: one 400, the hidden request never read" \
    "$(raw_unix "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 90\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\nPOST / HTTP/1.1\r\nHost: x\r\nContent-Length: ${#smuggled}\r\n\r\n$smuggled")" \
    "400 (closed)"
is "two Content-Length headers: 400, closed" \
    "$(raw_unix "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 26\r\nContent-Length: 5\r\n\r\n$gs")" "400 (closed)"
is "a Transfer-Encoding other than chunked: 400, closed" \
    "$(raw_unix "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip\r\nContent-Length: 26\r\n\r\n$gs")" "400 (closed)"
is "POST /?a=b: 404 (a query is another resource, and would be ignored)" \
    "$(curl -sS -w '\n%{http_code}' --unix-socket "$HTTP_SOCK" -d "$gs" 'http://localhost/?a=b')" \
    $'{"error":"Not found: POST to / only."}\n404'
like "POST /? (an empty query): 404" "$(raw_unix "POST /? HTTP/1.1\r\nHost: x\r\nContent-Length: 26\r\n\r\n$gs")" "^404 "
like "a chunked body alone is still served" \
    "$(raw_unix "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n1a\r\n$gs\r\n0\r\n\r\n")" '^200 '
like "... and so is a Content-Length alone" "$(raw_unix "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 26\r\n\r\n$gs")" '^200 '
is "refused framing changed nothing" "$(statuses)" "$before"

# a slow client: headers, then part of a set_status body, then nothing; and one trickling headers
python3 - "$HTTP_PORT" "$HTTP_SOCK" >"$H_T/slow.out" 2>&1 <<'PY' &
import socket, sys, time
body = b'{"operation":"set_status","id":"primary","status":"slow"}'
def stalled():
    s = socket.socket(socket.AF_UNIX); s.connect(sys.argv[2]); s.settimeout(10)
    s.sendall(b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n\r\n" % len(body) + body[:20])
    t = time.time()
    try:
        end = s.recv(100)
    except socket.timeout:
        end = b"timeout"
    return end, time.time() - t
def trickle():
    s = socket.create_connection(("127.0.0.1", int(sys.argv[1]))); s.settimeout(10)
    t = time.time()
    try:
        for b in b"POST / HTTP/1.1\r\nHost: localhost\r\nX-Slow: " + b"a" * 40:
            s.send(bytes([b])); time.sleep(0.25)
        end = s.recv(100)
    except (BrokenPipeError, ConnectionResetError):
        end = b""
    except socket.timeout:
        end = b"timeout"
    return end, time.time() - t
a, ta = stalled(); b, tb = trickle()
print("stalled %r %.1f" % (a, ta)); print("trickle %r %.1f" % (b, tb))
PY
slowpid=$!
sleep 0.5
is "while slow clients hang on, others are answered" "$(hpost unix root "$body" | head -n1)" 200
wait $slowpid
slow=$(cat "$H_T/slow.out")
diag "$slow"
like "a client that stops mid-body is cut off after --request-timeout=2 (not the 10 s it waits)" \
    "$(grep stalled <<<"$slow")" "^stalled b'' [23]\.[0-9]$"
like "a client trickling its headers a byte at a time is cut off too" \
    "$(grep trickle <<<"$slow")" "^trickle b'' [23]\.[0-9]$"
is "the half-sent set_status was never done" "$(statuses)" "$before"

# 200 connections at once, all open before any request is sent: 150 on the unix socket (root),
# 50 over TCP (hsops-admin from 127.0.0.1, each logging in through PAM with the right password)
rss_before=$(awk '/^VmRSS/ {print $2}' "/proc/$HTTP_PID/status")
python3 - "$HTTP_PORT" "$HTTP_SOCK" "$(printf '%s' "$ADMIN" | base64 -w0)" "$HTTP_PID" >"$H_T/many.out" 2>&1 <<'PY'
import socket, sys, time
port, path, auth, pid = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4]
body = b'{"operation":"get_status","id":"primary"}'
conns = []
for i in range(200):
    if i < 150:
        s = socket.socket(socket.AF_UNIX); s.connect(path); extra = b""
    else:
        s = socket.create_connection(("127.0.0.1", port)); extra = b"Authorization: Basic " + auth.encode() + b"\r\n"
    s.settimeout(120)
    conns.append((s, extra))
def status(key):
    for line in open("/proc/%s/status" % pid):
        if line.startswith(key): return int(line.split()[1])
for i in range(100):   # the server accepts on its own time
    if status("Threads:") >= 200: break
    time.sleep(0.05)
threads, rss_open = status("Threads:"), status("VmRSS:")
start = time.time()
for s, extra in conns:
    s.sendall(b"POST / HTTP/1.1\r\nHost: localhost\r\n" + extra + b"Content-Length: %d\r\n\r\n" % len(body) + body)
ok = tcp_ok = other = 0
tcp_last = 0.0
for s, extra in conns:
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = s.recv(65536)
        if not chunk: break
        data += chunk
    if data.startswith(b"HTTP/1.1 200"):
        ok += 1
        if extra: tcp_ok += 1; tcp_last = time.time() - start   # read in order: the last by then
    else: other += 1; print("answer:", data[:200])
print("ok %d other %d ok-tcp %d tcp-all-in-s %.1f threads-while-open %d rss-while-open-kb %d peak-rss-kb %d" % (
      ok, other, tcp_ok, tcp_last, threads, rss_open, status("VmHWM:")))
PY
many=$(tail -n1 "$H_T/many.out")
diag "$many (rss before: $rss_before kB)"
grep '^answer:' "$H_T/many.out" | head -n 5 | sed 's/^/# /'   # what the others got, if any
# 50 logins of one name from one source at once are counted as guesses would be (harper-ops-http(8),
# LIMITS: 6 checks in flight, fewer by this test's own failed logins from there), the others
# wait their turn, up to --queue-timeout (120 s here), and are checked as the right passwords
# end the checks before them: none is refused
like "200 connections at once: every one answered 200" "$many" "^ok 200 other 0 "
is "... the 50 TCP logins of one name from one source included, each checked in turn" \
    "$(sed -E 's/.*ok-tcp ([0-9]+).*/\1/' <<<"$many")" 50
tcp_s=$(sed -E 's/.*tcp-all-in-s ([0-9.]+).*/\1/' <<<"$many")
# 50 PAM checks, 4 at a time, beside 150 requests of root: 24.8 s at a load of 19 on 2 cores
check "... all answered within 90 s ($tcp_s s)" python3 -c "import sys; sys.exit(not $tcp_s < 90)"
threads=$(sed -E 's/.*threads-while-open ([0-9]+).*/\1/' <<<"$many")
check "... each held by the server at once (a thread each while open: $threads)" test "$threads" -ge 200
open_kb=$(sed -E 's/.*rss-while-open-kb ([0-9]+).*/\1/' <<<"$many")
peak=$(sed -E 's/.*peak-rss-kb ([0-9]+).*/\1/' <<<"$many")
check "... with memory bounded: $open_kb kB resident with all 200 open (< 32 MiB)" test "$open_kb" -lt 32768
# PAM's password hashing (yescrypt: about 16 MiB each) runs at most --max-logins (4) at once
check "... and at the peak, 50 PAM logins included, $peak kB (< 32 MiB + 4 x 16 MiB)" test "$peak" -lt 98304
check "... and at most --workers-per-user (4) workers per user" \
    test "$(http_workers root | wc -l)" -le 4 -a "$(http_workers hsops-admin | wc -l)" -le 4

# ---------------------------------------------------------------- stop, and socket activation
workers=$(http_workers)
http_stop
is "harper-ops-http stops cleanly on SIGTERM" "$HTTP_STATUS" 0
left=
for w in $workers; do _h_alive "$w" && left+=" $w"; done
is "... leaving no worker behind" "$left" ""
port=$(h_free_ports 1)
_h_spawn activated systemd-socket-activate -E DBUS_SYSTEM_BUS_ADDRESS -l "$H_T/act.sock" -l "127.0.0.1:$port" "$HTTP_BIN" --pam-dir="$SRCDIR/pam"
act=$_h_pid
h_wait 30 test -S "$H_T/act.sock"
out=$(curl -sS --max-time 20 -w '\n%{http_code}' --unix-socket "$H_T/act.sock" -d "$body" http://localhost/ | times_masked)
is "socket-activated: the unix socket from systemd identifies the peer (root: 200)" "$out" \
    $'{"id":"primary","status":"admin",'"$R}"$'\n200'
out=$(curl -sS --max-time 20 -w '\n%{http_code}' -d "$body" "http://127.0.0.1:$port/")
is "socket-activated: the TCP socket from systemd asks for a login" "$out" $'{"error":"Must login"}\n401'
_h_kill "$act" 5 activated

done_testing
