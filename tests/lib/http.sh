# SPDX-License-Identifier: MIT
# tests/lib/http.sh - harper-ops-http for the integration tests (source after harness.sh, sysops.sh).
#   http_users                      give hsops-admin and hsops-user the test password (chpasswd):
#                                   they are this project's test users, created by h_users
#   http_start [ARGS]               harper-ops-http on $HTTP_SOCK and 127.0.0.1:$HTTP_PORT, PAM from
#                                   the source tree's pam/; HTTP_PID; log in $H_T/http.log; run
#                                   through "${HTTP_WRAP[@]}" if set (setpriv, say); with HTTP_V6=1
#                                   on [::1]:$HTTP_PORT too (a TCP source apart from 127.0.0.0/8)
#   http_stop                       end it (TERM, then KILL), HTTP_STATUS = its exit status
#   hpost unix USER BODY [CURL...]  POST BODY over the unix socket as USER (root or a test user)
#   hpost tcp LOGIN BODY [CURL...]  POST BODY over TCP with Basic LOGIN (USER:PASSWORD, or - for none)
#                                   Both print the HTTP status on a line, then the body.
#   http_workers [USER]             pids of the server's worker processes (of USER's uid)
#   http_since START                seconds since START (an $EPOCHREALTIME), two decimals, told
#                                   by bash itself: a python3 started to tell took 1.7 s at a
#                                   load of 13 on 2 cores, and counted in the time
#   python3 -c "$HTTP_PY" [ARGS]    python3 running the script on stdin with ARGS, these helpers
#                                   defined first: is_open(s), whether the server has not closed
#                                   the socket s (peeked, without blocking)
#   http_down                       http_stop, then h_down: the EXIT trap of these tests
#   http_stack_up                   the test users with their passwords, the stack and the daemon,
#                                   http_down as the EXIT trap (bails out when one fails)

HTTP_BIN=$BUILDDIR/src/harper-ops-http
HTTP_PW=hsops-test-password
HTTP_PID='' HTTP_STATUS='' HTTP_SOCK='' HTTP_PORT=''
HTTP_WRAP=()
HTTP_V6=''

http_users() {
    local lock=/run/hsops-test-users.lock
    [ -w /run ] || lock=/tmp/hsops-test-users.lock
    (
        flock -w 60 9 || exit 1
        printf 'hsops-admin:%s\nhsops-user:%s\n' "$HTTP_PW" "$HTTP_PW" | chpasswd
    ) 9>>"$lock"
}

_http_up() { curl -s -o /dev/null --max-time 2 --unix-socket "$HTTP_SOCK" http://localhost/; }

http_start() {
    local v6=()
    HTTP_SOCK=$H_T/http.sock
    for _ in 1 2 3; do
        HTTP_PORT=$(h_free_ports 1)
        [ -z "$HTTP_V6" ] || v6=(--listen="[::1]:$HTTP_PORT")
        _h_spawn http "${HTTP_WRAP[@]}" "$HTTP_BIN" --verbose --listen="$HTTP_SOCK" --listen="127.0.0.1:$HTTP_PORT" \
            "${v6[@]}" --pam-dir="$SRCDIR/pam" "$@"
        # shellcheck disable=SC2154 # _h_spawn (harness.sh, sourced first) sets _h_pid
        HTTP_PID=$_h_pid
        _h_until 10 "$HTTP_PID" _http_up && return 0
        _h_kill "$HTTP_PID" 5 http
        HTTP_PID=
    done
    _h_fail "harper-ops-http did not start" "$H_T/http.log"
}

http_stop() {
    [ -n "$HTTP_PID" ] || return 0
    _h_kill "$HTTP_PID" 10 http
    # shellcheck disable=SC2034,SC2154 # _h_kill (harness.sh) sets _h_status; HTTP_STATUS is for the tests
    HTTP_STATUS=$_h_status HTTP_PID=''
}

http_down() { http_stop; h_down; }

http_stack_up() {
    h_users
    http_users || bail_out "cannot set the test users' passwords"
    h_up || bail_out "stack did not come up"
    trap http_down EXIT
    h_daemon_start || bail_out "harper-sysopsd did not start"
}

hpost() {
    local transport=$1 who=$2 body=$3 out status
    shift 3
    out=$(mktemp "$H_T/hpost.XXXXXX")
    if [ "$transport" = unix ]; then
        local cmd=(curl -sS --max-time 60 -o "$out" -w '%{http_code}' --unix-socket "$HTTP_SOCK"
                   -H 'Content-Type: application/json' --data-binary @- "$@" http://localhost/)
        if [ "$who" = root ]; then
            status=$(printf '%s' "$body" | "${cmd[@]}")
        else
            chmod 666 "$out"
            status=$(printf '%s' "$body" | as_user "$who" "${cmd[@]}")
        fi
    else
        local login=()
        [ "$who" = - ] || login=(-u "$who")
        status=$(printf '%s' "$body" | curl -sS --max-time 60 -o "$out" -w '%{http_code}' "${login[@]}" \
            -H 'Content-Type: application/json' --data-binary @- "$@" "http://127.0.0.1:$HTTP_PORT/")
    fi
    printf '%s\n%s\n' "$status" "$(cat "$out")"
    rm -f "$out"
}

# (the uid from /proc/PID/status: workers are not dumpable, so their /proc/PID is root's)
http_workers() {
    local uid='' p
    [ -n "${1:-}" ] && uid=$(id -u "$1")
    for p in $(pgrep -P "$HTTP_PID"); do
        [ -z "$uid" ] || [ "$(awk '/^Uid:/ {print $2}' "/proc/$p/status" 2>/dev/null)" = "$uid" ] && echo "$p"
    done
}

http_since() {
    local us=$(( ${EPOCHREALTIME//[.,]/} - ${1//[.,]/} ))
    printf '%d.%02d\n' $((us / 1000000)) $((us % 1000000 / 10000))
}

# a program for python3 -c, not a function: "python3 -c ... &" leaves python3 itself in $!
# shellcheck disable=SC2034 # for the tests that source this
HTTP_PY='import socket, sys
def is_open(s):
    try:
        return s.recv(1, socket.MSG_PEEK | socket.MSG_DONTWAIT) != b""
    except BlockingIOError:
        return True
    except OSError:
        return False
exec(compile(sys.stdin.read(), "<stdin>", "exec"))
'
