#!/bin/bash
# SPDX-License-Identifier: MIT
# The shipped harper-sysopsd.service, sandbox and all, run by the harness's systemd manager
# (the daemon runs as root there, as under PID 1): it becomes ready through sd_notify, owns
# its bus name, and every operation still works inside the sandbox (restarts through systemd,
# statuses through polkit, system information from /proc, /sys, netlink and a data directory
# that belongs to another user). What the test changes in the unit, and why, is in the drop-in
# below; nothing else (with systemd 257 the harness adds PrivateUsers=identity, as its
# _h_systemd_start says why).
. "$(dirname "$0")/../lib/harness.sh"
. "$(dirname "$0")/../lib/sysops.sh"
H_UNITS_DIR=$SRCDIR/tests/units
h_users
h_up || bail_out "stack did not come up"
# the instance runs as its own user, as Harper's does (hsops-user stands in for harperdb)
mkdir -p "$H_T/units/harperdb.service.d"
printf '[Service]\nUser=hsops-user\n' >"$H_T/units/harperdb.service.d/user.conf"
h_systemctl daemon-reload
h_systemctl start harperdb.service harperdb-http@1.service harperdb-http@2.service harperdb-clustering.service ||
    bail_out "the test units did not start"

# Harper's data directory, private to its owner (hsops-user stands in for user harperdb)
hdb=$H_T/hdb
mkdir -p "$hdb/database" && head -c 4096 /dev/zero >"$hdb/database/data.mdb"
chown -R hsops-user "$hdb" && chmod 700 "$hdb" "$hdb/database"
# systemd is reached over its private socket, as "auto" does with PID 1: that must work from
# inside the sandbox too
echo "{\"system_information\":{\"data_dir\":\"$hdb\"},\"systemd_bus\":\"private:$H_T/rt/systemd/private\"}" >"$H_T/sysops.json"

h_stand_in_config "$H_T/sysops.json"
check "systemctl start harper-sysopsd.service succeeds (Type=notify: READY=1 came)" \
    h_shipped_unit_start "$H_T/sysops.json"
is "the unit is active" "$(h_systemctl show -P ActiveState harper-sysopsd.service)" active
is "its main process owns the bus name" \
   "$(busctl --system status "$H_BUS_NAME" 2>/dev/null | sed -n 's/^PID=//p')" "$(h_systemctl show -P MainPID harper-sysopsd.service)"
is "... with an empty capability bounding set but CAP_DAC_READ_SEARCH and CAP_DAC_OVERRIDE" \
   "$(h_systemctl show -P CapabilityBoundingSet harper-sysopsd.service)" "cap_dac_override cap_dac_read_search"

out=$(ops -u hsops-admin '{"operation":"set_status","id":"primary","status":"sandboxed"}')
like "statuses: a harper-admin member sets one (polkit through the sandbox)" "$out" '"status":"sandboxed"'
before=$(h_systemctl show -P MainPID harperdb.service)
out=$(ops --wait '{"operation":"restart"}')
like "restart: the job completes" "$out" '"status":"COMPLETE"'
check "... and the instance has a new MainPID" test "$(h_systemctl show -P MainPID harperdb.service)" != "$before"
out=$(ops --wait '{"operation":"restart_service","service":"http_workers"}')
like "restart_service http_workers: COMPLETE" "$out" '"status":"COMPLETE"'

si=$(ops '{"operation":"system_information"}')
py() { python3 -c "import json,sys; d=json.load(sys.stdin); print($1)" <<<"$si"; }
is "system_information: all sections (Harper's 11, our 3) and harper" "$(py 'len(d)')" 15
is "network: the host's interfaces (netlink, no private network)" \
   "$(py 'sorted(i["iface"] for i in d["network"]["interfaces"])')" \
   "$(ip -j link | python3 -c 'import json,sys; print(sorted(l["ifname"] for l in json.load(sys.stdin)))')"
is "harperdb_processes: the instance's process (another user's), with its command and user" \
   "$(py 'd["harperdb_processes"]["core"][0]["pid"], d["harperdb_processes"]["core"][0]["command"], d["harperdb_processes"]["core"][0]["user"]')" \
   "$(h_systemctl show -P MainPID harperdb.service) sleep hsops-user"
diag "the instance's process as the sandboxed daemon sees it: $(py 'd["harperdb_processes"]["core"][0]')"
is "process_threads: the instance's main thread" "$(py '[t["threadId"] for t in d["process_threads"]]')" \
   "[$(h_systemctl show -P MainPID harperdb.service)]"
check "memory.rss: the instance's resident size" test "$(py 'd["memory"]["rss"]')" -gt 0
check "disk: the root filesystem is listed" python3 -c 'import json,sys
sys.exit(not any(f["mount"] == "/" for f in json.loads(sys.argv[1])["disk"]["size"]))' "$si"
is "database_files: the database in the other user's private directory" "$(py 'd["database_files"][0]["database"], d["database_files"][0]["size"]')" \
   "data 4096"
is "cpu and memory are there" "$(py 'd["cpu"]["cores"] > 0 and d["memory"]["total"] > 0')" True

# ---------------------------------------------------------------- the shipped unit: systemctl reload
config=$H_T/sysops.json
dcall SetStatus primary shipped >/dev/null
check "systemctl reload with a good file succeeds" h_systemctl reload harper-sysopsd.service
echo '{"peers":7}' >"$config"
out=$(h_systemctl reload harper-sysopsd.service 2>&1); rc=$?
check "systemctl reload with a bad file fails (exit $rc)" test "$rc" != 0
like "... and the unit's log says why" "$(h_systemctl status harper-sysopsd.service 2>&1; journalctl --user -u harper-sysopsd.service 2>/dev/null | tail -n 3)" \
     "'peers' must be a list|exit-code|status=1"
is "... the unit stays active" "$(h_systemctl show -P ActiveState harper-sysopsd.service)" active
like "... with its statuses" "$(dcall GetStatus primary)" "'primary', 'shipped'"
# the configuration is good again for the stop
echo "{\"systemd_bus\":\"private:$H_T/rt/systemd/private\"}" >"$config" && h_stand_in_config "$config"

check "systemctl stop harper-sysopsd.service succeeds" h_systemctl stop harper-sysopsd.service
is "... and it ended cleanly (status 0)" "$(h_systemctl show -P ExecMainStatus harper-sysopsd.service)" 0
done_testing
