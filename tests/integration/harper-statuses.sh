#!/bin/bash
# SPDX-License-Identifier: MIT
# Statuses kept in the real Harper too (tests/lib/harper.sh): a status set or cleared through
# harper-sysops is in Harper's own get_status within 1 s without SetStatus waiting for Harper;
# one set while Harper is down reaches it once Harper answers; after Harper restarts (through
# harper-sysops or on its own) it has them all again; after harper-sysopsd restarts it reads
# them back from Harper; a status set directly in Harper is harper-sysops's only from its next
# start. Run by the harness's systemd as the shipped unit, a restart of harper-sysopsd finds them
# in systemd's fd store even with Harper down; a start with neither answers StatusesUnknown
# (exit 8), never none; a status set right after a start of either reaches Harper within 1 s.
. "$(dirname "$0")/../lib/harness.sh"
. "$(dirname "$0")/../lib/sysops.sh"
. "$(dirname "$0")/../lib/harper.sh"
harper_test_up
h_daemon_start || bail_out "harper-sysopsd did not start"

# Harper's own record of a status over its socket ({} when it has none)
in_harper() { harper_op "{\"operation\":\"get_status\",\"id\":\"$1\"}" | python3 -c 'import json,sys
d=json.load(sys.stdin); print(d.get("status", "(none)"))'; }
harper_has() { [ "$(in_harper "$1")" = "$2" ]; }
ms() { date +%s%3N; }
set_status() { ops --no-ask-password "{\"operation\":\"set_status\",\"id\":\"$1\",\"status\":\"$2\"}" >/dev/null; }
ours() { ops --no-ask-password "{\"operation\":\"get_status\",\"id\":\"$1\"}" | python3 -c 'import json,sys
d=json.load(sys.stdin); print(d.get("status", "(none)"))'; }
ours_is() { [ "$(ours "$1")" = "$2" ]; }

# ---------------------------------------------------------------- set and clear reach Harper
start=$(ms)
set_status primary active
check "set_status: Harper's own get_status has it within 1 s" h_wait 1 harper_has primary active
diag "it took $(( $(ms) - start )) ms"
ops --no-ask-password '{"operation":"clear_status","id":"primary"}' >/dev/null
check "clear_status: Harper's has none within 1 s" h_wait 1 harper_has primary "(none)"

# SetStatus does not wait for Harper: with Harper frozen the daemon still answers at once
kill -STOP "$(harper_pid)"
start=$(ms)
set_status maintenance frozen-harper
took=$(( $(ms) - start ))
kill -CONT "$(harper_pid)"
check "SetStatus with Harper frozen is answered at once ($took ms)" test "$took" -lt 1000
check "... and Harper has it once it runs again" h_wait 10 harper_has maintenance frozen-harper

# ---------------------------------------------------------------- set while Harper is down
harper_stop
set_status primary while-down
harper_start || { harper_logs; bail_out "Harper did not start again"; }
check "set while Harper was down: Harper has it once it answers" h_wait 10 harper_has primary while-down
check "... and the others, which the fresh Harper had lost" h_wait 10 harper_has maintenance frozen-harper

# ---------------------------------------------------------------- Harper restarts
ops --wait --no-ask-password '{"operation":"restart"}' >/dev/null
check "after a restart through harper-sysops Harper has them all again" \
    h_wait 10 harper_has primary while-down
check "... all" harper_has maintenance frozen-harper
# a killed Harper leaves its hdb.pid behind; a live process with that PID (PIDs are reused, and
# fast: pid_max is 32768 here) made every start exit "already running" until the start limit;
# the unit removes it
sleep 600 & squatter=$!
old_pid=$(harper_pid)
echo "$squatter" >"$HARPER_ROOT/hdb.pid"
kill -KILL "$old_pid"
restarted() { local p; p=$(harper_pid); [ "$p" != 0 ] && [ "$p" != "$old_pid" ] && in_harper primary >/dev/null 2>&1; }
check "a killed Harper whose old PID is in use is started again and answers" h_wait 60 restarted ||
    { harper_logs; bail_out "systemd did not start Harper again"; }
check "after Harper restarted on its own (killed) it has them again" h_wait 90 harper_has primary while-down
check "... all" h_wait 10 harper_has maintenance frozen-harper
kill "$squatter"

# ---------------------------------------------------------------- harper-sysopsd restarts
h_daemon_stop
h_daemon_start || bail_out "harper-sysopsd did not start again"
check "after harper-sysopsd restarted it reads them back from Harper" h_wait 5 ours_is primary while-down
is "... the other one too" "$(ours maintenance)" frozen-harper

# ---------------------------------------------------------------- set directly in Harper
harper_op '{"operation":"set_status","id":"availability","status":"Unavailable"}' >/dev/null
sleep 1
is "a status set directly in Harper: harper-sysops does not have it while it runs" \
   "$(ours availability)" "(none)"
is "... Harper keeps it" "$(in_harper availability)" Unavailable
h_daemon_stop
h_daemon_start || bail_out "harper-sysopsd did not start again"
check "... and harper-sysops takes it at its next start" h_wait 5 ours_is availability Unavailable
set_status availability Available
check "... from then on harper-sysops's value wins in Harper too" h_wait 1 harper_has availability Available

# ---------------------------------------------------------------- a flood of changes
# counted through a proxy in front of Harper's socket: at most one change goes per 100 ms, the
# newest value, so that a flood of SetStatus calls does not keep Harper busy too
harper_counting_proxy "$H_T/counting.sock" "$H_T/counting.log" || bail_out "the counting proxy did not come up"
# shellcheck disable=SC2002 # cat: a log not written yet counts 0 lines
sent() { cat "$H_T/counting.log" 2>/dev/null | wc -l; }
h_daemon_stop
echo "{\"harper\":{\"socket\":\"$H_T/counting.sock\"}}" >"$H_T/counting.json"
h_daemon_start --config="$H_T/counting.json" || bail_out "harper-sysopsd did not start with $H_T/counting.json"
h_wait 5 test "$(sent)" -ge 1     # the read-back at start
set_status maintenance before-the-flood
check "through the proxy: a lone change reaches Harper within 1 s" h_wait 1 harper_has maintenance before-the-flood
base=$(sent)
start=$(ms)
is "1000 SetStatus calls at once (flood-calls, root)" "$("$BUILDDIR/tests/flood-calls" 1000)" "1000 ok"
took=$(( $(ms) - start ))
check "... Harper has the newest value within 1 s" h_wait 1 harper_has maintenance flood
n=$(( $(sent) - base ))
check "... sent to Harper $n times in $took ms, at most once per 100 ms" test "$n" -ge 1 -a "$n" -le $(( took / 100 + 2 ))
h_daemon_stop
harper_proxy_stop

# ---------------------------------------------------------------- the daemon as a systemd service
# harper-ops's exit status and answer; the D-Bus error of a GetStatus
ops_rc() { ops --no-ask-password "$1" >"$H_T/ops.out" 2>/dev/null; echo $?; }
# Sets id to status through harper-ops and prints how many ms after its answer Harper had it: until
# the answer to the first get_status over Harper's socket that has it (an upper bound: one process
# asks, so the poll's own start-up is not counted); "never" after 10 s.
reaches_harper_ms() {
    python3 - "$HARPER_SOCK" "$HARPER_OPS" "$1" "$2" <<'PY'
import http.client, json, socket, subprocess, sys, time
path, ops, id_, status = sys.argv[1:]
class Unix(http.client.HTTPConnection):
    def connect(self):
        self.sock = socket.socket(socket.AF_UNIX)
        self.sock.connect(path)
subprocess.run([ops, "--no-ask-password", json.dumps({"operation": "set_status", "id": id_, "status": status})],
               check=True, stdout=subprocess.DEVNULL)
answered = time.monotonic()
while time.monotonic() - answered < 10:
    c = Unix("localhost", timeout=10)
    c.request("POST", "/", json.dumps({"operation": "get_status", "id": id_}), {"Content-Type": "application/json"})
    got = json.loads(c.getresponse().read() or b"{}").get("status")
    c.close()
    if got == status:
        print(int((time.monotonic() - answered) * 1000))
        sys.exit(0)
print("never")
PY
}
under_1s() { [ "$1" != never ] && [ "$1" -le 1000 ]; }
echo '{}' >"$H_T/unit.json"
h_shipped_unit_start "$H_T/unit.json" || bail_out "the shipped unit did not start"
t=$(reaches_harper_ms primary right-after-start)
check "a status set right after a start (read back from Harper) is in Harper within 1 s ($t ms)" under_1s "$t"

h_systemctl restart harper-sysopsd.service
t=$(reaches_harper_ms primary right-after-restart)
check "... and right after a restart (statuses from the fd store) ($t ms)" under_1s "$t"
set_status maintenance kept-by-systemd

harper_stop
h_systemctl restart harper-sysopsd.service
is "restarted with Harper down: the first get_status has them, from systemd's fd store" \
   "$(ours maintenance)" kept-by-systemd
is "... the whole list too" "$(ops --no-ask-password '{"operation":"get_status"}' | python3 -c 'import json,sys
print(",".join(r["id"] + "=" + r["status"] for r in json.load(sys.stdin)))')" \
   "availability=Available,maintenance=kept-by-systemd,primary=right-after-restart"

# stop and start: systemd 252 empties the fd store; Harper is down, so nothing is known
h_systemctl stop harper-sysopsd.service
h_systemctl start harper-sysopsd.service
is "stopped and started with Harper down: get_status of an id is refused, exit 8" \
   "$(ops_rc '{"operation":"get_status","id":"maintenance"}')" 8
like "... with Harper's error shape, saying why" "$(json error <"$H_T/ops.out")" "does not know the statuses yet"
is "... the list too, exit 8, never []" "$(ops_rc '{"operation":"get_status"}')" 8
is "... over D-Bus: StatusesUnknown" "$(dbus_error "$(dcall GetStatus maintenance)")" \
   io.harperdb.SystemOperations1.Error.StatusesUnknown
is "... ListStatuses too" "$(dbus_error "$(dcall ListStatuses)")" io.harperdb.SystemOperations1.Error.StatusesUnknown
like "... and the Statuses property" "$(statuses)" "StatusesUnknown"
set_status primary set-while-unknown
is "a status set meanwhile is known at once" "$(ours primary)" set-while-unknown
ops --no-ask-password '{"operation":"clear_status","id":"availability"}' >/dev/null
is "... one cleared meanwhile too: none (exit 0, {})" "$(ops_rc '{"operation":"get_status","id":"availability"}')" 0
is "... the others still refused" "$(ops_rc '{"operation":"get_status","id":"maintenance"}')" 8

harper_start || { harper_logs; bail_out "Harper did not start again"; }
t=$(reaches_harper_ms maintenance right-after-harper-start)
check "a status set right after Harper started is in Harper within 1 s ($t ms)" under_1s "$t"
check "... the one set while Harper was down reached it too" h_wait 10 harper_has primary set-while-unknown
check "... and the list is known once Harper answered" h_wait 10 test "$(ops_rc '{"operation":"get_status"}')" = 0
ops --wait --no-ask-password '{"operation":"restart"}' >/dev/null
t=$(reaches_harper_ms availability Unavailable)
check "a status set right after a restart job's COMPLETE is in Harper within 1 s ($t ms)" under_1s "$t"
check "... and the earlier ones" h_wait 10 harper_has maintenance right-after-harper-start
h_systemctl stop harper-sysopsd.service
done_testing
