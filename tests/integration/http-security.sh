#!/bin/bash
# SPDX-License-Identifier: MIT
# harper-ops-http's defences, each against what a hostile caller would try: the workers cannot
# be ptrace'd or read by their own user and get nothing of the listener but their socket (no
# descriptors, signal mask or environment); a kept-alive login is checked through PAM again;
# failed logins neither block the others nor tell which names exist; one local user cannot
# take every connection nor, churning them, keep root's out; browsers' cross-site requests,
# foreign Host names and a header with whitespace before its colon are refused;
# client text cannot forge log lines; and the listener, with the unit's capabilities alone,
# kills stuck workers, never hangs on them, and takes them along when it dies.
. "$(dirname "$0")/../lib/harness.sh"
. "$(dirname "$0")/../lib/sysops.sh"
. "$(dirname "$0")/../lib/http.sh"
http_stack_up

ADMIN=hsops-admin:$HTTP_PW
body='{"operation":"get_status","id":"primary"}'
at_least() { python3 -c "import sys; sys.exit(not ($1 >= $2))"; }

# PAM services of this test: "lockable" refuses the users listed in $H_T/pam/locked (an account
# lock that leaves the host's passwords alone); "slow" keeps hsops-user's check going for 4 s
mkdir -p "$H_T/pam"
printf 'auth required pam_listfile.so item=user sense=deny file=%s onerr=succeed\n@include common-auth\n@include common-account\n' \
    "$H_T/pam/locked" >"$H_T/pam/lockable"
printf 'auth [success=1 default=ignore] pam_succeed_if.so quiet user notin hsops-user\nauth optional pam_exec.so quiet /bin/sleep 4\n@include common-auth\n@include common-account\n' \
    >"$H_T/pam/slow"

# fd 7 is open in the listener, as anything its parent, PAM or NSS leaves open would be.
# --queue-timeout=120: on a loaded machine 31 logins at once wait longer than the default 10 s
# for the password checks, 4 at a time (the checks below are not about that wait)
exec 7</etc/hostname
HTTP_V6=1   # ::1: a TCP source apart from 127.0.0.0/8
http_start --pam-dir="$H_T/pam" --pam-service=lockable --login-recheck=2 --max-connections=64 \
    --worker-idle=60 --request-timeout=10 --queue-timeout=120 || bail_out "harper-ops-http did not start"
HTTP_V6=
exec 7<&-

# ---------------------------------------------------------------- the worker process
hpost unix hsops-user "$body" >/dev/null
w=$(http_workers hsops-user)
is "one worker runs for hsops-user" "$(wc -w <<<"$w")" 1
check "its user cannot read its memory or environment (not dumpable)" \
    test "$(as_user hsops-user cat "/proc/$w/environ" 2>/dev/null | wc -c)" = 0
out=$(as_user hsops-user /usr/bin/python3 -c 'import ctypes, sys
libc = ctypes.CDLL(None, use_errno=True)
print(libc.ptrace(16, int(sys.argv[1]), 0, 0), ctypes.get_errno())' "$w")   # PTRACE_ATTACH
is "... nor ptrace it (EPERM)" "$out" "-1 1"
check "the listener has fd 7 open (the test's inherited descriptor)" test -e "/proc/$HTTP_PID/fd/7"
# its descriptors from 3 up by kind, sorted; a pidfd by the process it refers to. libsystemd 257
# (Debian 13) keeps one for each bus connection, of the bus's peer as the kernel has it
# (SO_PEERPIDFD): the process that made the bus's listening socket, the stack's systemd here
# (PID 1 on a booted system). Opened in the worker after the exec, close-on-exec, it grants
# nothing: signals and pidfd_getfd() through it are checked as for its process id
fd_kinds() {
    local f l pid
    for f in /proc/"$1"/fd/*; do
        [ "${f##*/}" -lt 3 ] && continue
        l=$(readlink "$f")
        if [ "$l" = "anon_inode:[pidfd]" ]; then
            pid=$(awk '/^Pid:/ {print $2}' "/proc/$1/fdinfo/${f##*/}")
            if [ "$pid" = "$H_SYSTEMD_PID" ]; then echo pidfd:bus-socket-maker; else echo "pidfd:$pid"; fi
        else
            echo "${l%%:*}"
        fi
    done | sort | tr '\n' ' '
}
like "the worker has only its socket and its bus connection from fd 3 up (and the bus's pidfd)" \
    "$(fd_kinds "$w")" '^(pidfd:bus-socket-maker )?socket socket $'
is "no signal is blocked in it (the listener blocks TERM and INT)" "$(awk '/^SigBlk:/ {print $2}' "/proc/$w/status")" \
    0000000000000000
is "its environment is DBUS_SYSTEM_BUS_ADDRESS alone" "$(tr '\0' '\n' <"/proc/$w/environ" | cut -d= -f1 | tr '\n' ' ')" \
    "DBUS_SYSTEM_BUS_ADDRESS "

# ---------------------------------------------------------------- logins
# one kept-alive connection: a login, the account locked, the next request within
# --login-recheck=2 (accepted as checked), then one after it (checked again: refused)
out=$(python3 - "$HTTP_PORT" "$(printf '%s' "$ADMIN" | base64 -w0)" "$H_T/pam/locked" <<'PY'
import http.client, sys, time
port, auth, locked = int(sys.argv[1]), sys.argv[2], sys.argv[3]
c = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
def post():
    c.request("POST", "/", b'{"operation":"get_status","id":"primary"}', {"Authorization": "Basic " + auth})
    r = c.getresponse(); r.read()
    return r.status, c.sock.getsockname()[1]
a, port_a = post()
open(locked, "w").write("hsops-admin\n")
b, port_b = post()
time.sleep(2.5)
d, port_d = post()
print(a, b, d, "same connection" if port_a == port_b == port_d else "new connections")
PY
)
is "kept-alive: 200, locked 200 (within --login-recheck), then 401 once PAM is asked again" "$out" "200 200 401 same connection"
is "a new connection of the locked user: 401" "$(hpost tcp "$ADMIN" "$body" | head -n1)" 401
rm -f "$H_T/pam/locked"

# failed logins wait out PAM's fail delay without a login slot: 12 of them at once do not hold
# up a good one. Here PAM asks a fail delay of 20 s (pam_faildelay; PAM may make it 10 to 30 s):
# a good login queued behind the delays (12 in 4 slots) would be answered after all 12; one that
# is not is answered after the 13 password checks (31 checks took 8 s at a load of 10 on 2
# cores, 37 s at 28), before most of the delays end. 4 for each of three name and source pairs
# (127.0.0.0/8 and ::1 are two sources), so none is held off (http-login-limits.sh tests that)
cp "$H_T/pam/lockable" "$H_T/pam/lockable.plain"
{ echo "auth optional pam_faildelay.so delay=20000000"; cat "$H_T/pam/lockable.plain"; } >"$H_T/pam/lockable"
out=$(python3 - "$HTTP_PORT" "$(printf 'hsops-user:wrong' | base64 -w0)" "$(printf 'hsops-admin:wrong' | base64 -w0)" \
    "$(printf '%s' "$ADMIN" | base64 -w0)" <<'PY'
import http.client, sys, threading, time
port, bad_user, bad_admin, good = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4]
def post(auth, out, source):
    t = time.time()
    try:
        c = http.client.HTTPConnection("::1" if source == "::1" else "127.0.0.1", port, timeout=90,
                                       source_address=(source, 0))
        c.request("POST", "/", b'{"operation":"get_status","id":"primary"}', {"Authorization": "Basic " + auth})
        status = c.getresponse().status
    except OSError:
        status = 0
    out.append((status, time.time() - t, time.time()))
bads, goods = [], []
pairs = [(bad_user, "127.0.1.%d"), (bad_user, "::1"), (bad_admin, "::1")]
threads = [threading.Thread(target=post, args=(auth, bads, source.replace("%d", str(i + 1))))
           for auth, source in pairs for i in range(4)]
for t in threads: t.start()
time.sleep(0.3)
post(good, goods, "127.0.0.1")
for t in threads: t.join()
status, took, at = goods[0]
print("good %d %.2f bad %s fastest-bad %.2f answered-before-good %d" % (status, took,
      sorted(set(s for s, _, _ in bads)), min(t for _, t, _ in bads), sum(a < at for _, _, a in bads)))
PY
)
mv "$H_T/pam/lockable.plain" "$H_T/pam/lockable"
diag "$out"
like "12 bad logins at once: a good one meanwhile is answered 200 before most of their 401s (< 6)" "$out" \
    '^good 200 [0-9.]+ .* answered-before-good [0-5]$'
like "... while each bad one still gets its 401 after PAM's delay (at least 10 s)" "$out" \
    "bad \[401\] fastest-bad [1-9][0-9]\."

# refused names wait as long as a failed password: the time does not tell which names exist
for login in nosuchuser-hsops:x root:x; do
    start=$EPOCHREALTIME
    status=$(hpost tcp "$login" "$body" | head -n1)
    t=$(http_since "$start")
    check "${login%%:*} refused (401) after a fail delay like PAM's (${t} s >= 0.9 s)" \
        test "$status" = 401 -a "$(at_least "$t" 0.9 && echo y)" = y
done

# a user name with a newline and a journal priority prefix: one log line, escaped
hpost tcp $'evil\n<0>forged:x' "$body" >/dev/null
is "a user name's control characters are escaped in the log (one line)" \
    "$(grep -c 'forged' "$H_T/http.log") $(grep -cF "'evil\\x0a<0>forged'" "$H_T/http.log")" "1 1"

# ---------------------------------------------------------------- connections
# hsops-user opens 100 idle unix connections: it keeps --max-connections-per-user (32), the
# rest are closed at once, and root is still answered (the socket allows 64 at most)
as_user hsops-user /usr/bin/python3 -c "$HTTP_PY" "$HTTP_SOCK" >"$H_T/hog.out" 2>&1 <<'PY' &
import socket, sys, time
conns = []
for i in range(100):
    s = socket.socket(socket.AF_UNIX); s.connect(sys.argv[1]); conns.append(s)
time.sleep(1.5)
print("open", sum(is_open(s) for s in conns))
time.sleep(2)
PY
hog=$!
sleep 1
is "root is answered while hsops-user holds its connections" "$(hpost unix root "$body" | head -n1)" 200
wait $hog
is "hsops-user keeps 32 of its 100 connections" "$(cat "$H_T/hog.out")" "open 32"
is "... and once it closes them it is served again" "$(hpost unix hsops-user "$body" | head -n1)" 403

# issue 22, row 11: hsops-user churns unix connections (opening 50, closing them, again) while
# root makes 40 requests: its connections over --max-connections-per-user are closed right
# after accept, before they cost a thread, so root's connections never find the socket's queue
# full (the landed code failed 14 of 40; harper-ops-http(8), LIMITS, on several such processes)
as_user hsops-user /usr/bin/python3 - "$HTTP_SOCK" "$H_T/churn.stop" >"$H_T/churn.out" 2>&1 <<'PY' &
import os, socket, sys, time
n, start = 0, time.time()
while not os.path.exists(sys.argv[2]) and time.time() - start < 120:
    conns = []
    try:
        for _ in range(50):
            s = socket.socket(socket.AF_UNIX); s.connect(sys.argv[1]); conns.append(s); n += 1
    except OSError:
        pass
    for s in conns:
        s.close()
print("churned", n)
PY
churn=$!
sleep 1
ok=0 statuses=()
for _ in $(seq 1 40); do
    status=$(hpost unix root "$body" | head -n1)
    [ "$status" = 200 ] && ok=$((ok + 1))
    statuses+=("$status")
done
running=$(kill -0 $churn 2>/dev/null && echo still || echo no longer)
touch "$H_T/churn.stop"
wait $churn
diag "hsops-user's connections: $(tr '\n' ' ' <"$H_T/churn.out"); root's answers: $(printf '%s\n' "${statuses[@]}" | sort | uniq -c | tr '\n' ' ')"
# on a loaded machine the churn can still outrun the acceptor for a moment (two of 40 seen in
# CI, run beside another test; harper-ops-http(8), LIMITS): at least 36, where the landed code
# failed 14
check "while hsops-user churns connections root's requests get 200: $ok of 40 (at least 36; the churn $running running at the end)" \
    test "$ok" -ge 36

# ---------------------------------------------------------------- browsers
before=$(statuses)
set_body='{"operation":"set_status","id":"primary","status":"from a web page"}'
cross=$'403\n{"error":"Cross-origin requests are not accepted"}'
is "tcp, with an Origin (a web page's cross-site POST): 403" \
    "$(hpost tcp "$ADMIN" "$set_body" -H 'Origin: https://evil.example' -H 'Content-Type: text/plain')" "$cross"
is "unix, with an Origin: 403" "$(hpost unix root "$set_body" -H 'Origin: http://localhost')" "$cross"
is "tcp, a Host that is not loopback (DNS rebinding): 400" "$(hpost tcp "$ADMIN" "$set_body" -H 'Host: evil.example:9925')" \
    $'400\n{"error":"Host must be localhost, 127.0.0.1 or [::1]"}'
is "refused requests changed nothing" "$(statuses)" "$before"
for host in "localhost:$HTTP_PORT" LOCALHOST "[::1]:$HTTP_PORT"; do
    is "tcp, Host $host: 200" "$(hpost tcp "$ADMIN" "$body" -H "Host: $host" | head -n1)" 200
done
# issue 22, row 13: whitespace between a header's name and its colon is a 400 (RFC 9112 section
# 5.1), answered on the headers alone (the body is never sent) and the connection closed: a proxy
# in front that does not take "Transfer-Encoding : chunked" for framing would see another request.
# libmicrohttpd 1.0 refuses such a header itself, with its own page, before the listener sees it
if [ "$(pkg-config --modversion libmicrohttpd | cut -d. -f1)" -ge 1 ]; then
    refusal='<html><head><title>Request broken</title></head><body>HTTP request has whitespace before the first colon in header line.</body></html>'
else
    refusal='{"error":"A header has whitespace between its name and the colon"}'
fi
for header in 'Transfer-Encoding : chunked' $'Transfer-Encoding\t: chunked' 'Content-Length : 2' 'X-Anything : 1'; do
    out=$(python3 - "$HTTP_SOCK" "$header" <<'PY'
import socket, sys
s = socket.socket(socket.AF_UNIX); s.settimeout(30); s.connect(sys.argv[1])
s.sendall(b"POST / HTTP/1.1\r\nHost: localhost\r\n" + sys.argv[2].encode() + b"\r\n\r\n")
data = b""
while True:
    chunk = s.recv(4096)
    if not chunk:
        break
    data += chunk
print(data.split(b"\r\n")[0].decode(), data.split(b"\r\n\r\n", 1)[1].decode(), "closed")
PY
)
    is "a header '${header/$'\t'/\\t}' (whitespace before the colon), no body sent: 400 and closed" "$out" \
        "HTTP/1.1 400 Bad Request $refusal closed"
done
is "curl -d (form encoding, no Origin) keeps working: 200" \
    "$(curl -sS -o /dev/null -w '%{http_code}' -u "$ADMIN" -d "$body" "http://127.0.0.1:$HTTP_PORT/")" 200

# ---------------------------------------------------------------- the listener and its workers
# a worker stopped (SIGSTOP) dies with the listener (PR_SET_PDEATHSIG): it never sees the end of
# its socket
w=$(http_workers hsops-user)
kill -STOP "$w"
kill -KILL "$HTTP_PID"
check "a stopped worker is killed when the listener dies" h_wait 5 _h_dead "$w"
http_stop

# the login queue has a deadline: with one login slot, held by hsops-user's 4 s check ("slow"),
# another login waits --queue-timeout=1, then gets 503 and Retry-After
http_start --pam-dir="$H_T/pam" --pam-service=slow --max-logins=1 --queue-timeout=1 ||
    bail_out "harper-ops-http did not start"
hpost tcp "hsops-user:$HTTP_PW" "$body" >/dev/null &
holder=$!
sleep 0.5
start=$EPOCHREALTIME
out=$(hpost tcp "$ADMIN" "$body" -D "$H_T/headers")
t=$(http_since "$start")
is "a login that finds no free slot within --queue-timeout=1: 503 (${t} s)" "$out" \
    $'503\n{"error":"Cannot check the login now. Try again later."}'
like "... with Retry-After" "$(tr -d '\r' <"$H_T/headers")" '^Retry-After: 1$'
check "... answered before the slot was free again" at_least 3 "$t"
wait $holder
http_stop

# the listener again, with only the capabilities the shipped unit gives it
caps=$(sed -n 's/^CapabilityBoundingSet=//p' "$SRCDIR/systemd/harper-ops-http.service.in" | tr '[:upper:]' '[:lower:]' |
    sed -E 's/cap_/+/g; s/ +/,/g')
HTTP_WRAP=(setpriv --bounding-set="-all,$caps" --)
http_start --worker-timeout=2 --worker-idle=60 || bail_out "harper-ops-http did not start under setpriv"
HTTP_WRAP=()
diag "capabilities of the listener: $caps"
hpost unix hsops-user "$body" >/dev/null
w=$(http_workers hsops-user)
kill -STOP "$w"
start=$EPOCHREALTIME
status=$(hpost unix hsops-user "$body" | head -n1)
t=$(http_since "$start")
is "a stuck worker: 500 after --worker-timeout=2 (${t} s)" "$status" 500
check "... and the unit's capabilities let the listener kill it (CAP_KILL)" h_wait 3 _h_dead "$w"
is "the next request gets a new worker" "$(hpost unix hsops-user "$body" | head -n1)" 403
w=$(http_workers hsops-user)
kill -STOP "$w"
start=$EPOCHREALTIME
http_stop
t=$(http_since "$start")
check "with a stopped worker the listener still stops, in bounded time (${t} s)" test "$HTTP_STATUS" = 0
check "... and the worker is gone" _h_dead "$w"

done_testing
