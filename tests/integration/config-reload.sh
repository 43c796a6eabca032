#!/bin/bash
# SPDX-License-Identifier: MIT
# The configuration's life: a bad file at start is answered at once, on every call, naming the
# file and the problem, with nothing running; SIGHUP (systemctl reload) takes a good file and
# keeps statuses and running jobs, and a bad new file keeps the running configuration (the
# shipped unit's systemctl reload: tests/integration/hardened-unit.sh).
. "$(dirname "$0")/../lib/harness.sh"
. "$(dirname "$0")/../lib/sysops.sh"
H_UNITS_DIR=$SRCDIR/tests/units
h_users
h_up || bail_out "stack did not come up"
h_systemctl start harperdb.service harperdb-clustering.service || bail_out "the test units did not start"
ms() { date +%s%3N; }
reload() { kill -HUP "$H_DAEMON_PID"; sleep 0.5; }

# ---------------------------------------------------------------- a bad file at start
config=$H_T/sysops.json
echo '{"services":{"http_workers":{"action":"bounce"}}}' >"$config"
check "a bad configuration: the daemon still takes its name" h_daemon_start --config="$config"
start=$(ms)
out=$(dcall SetStatus primary up)
took=$(( $(ms) - start ))
is "... a call is refused with BadConfiguration" "$(dbus_error "$out")" io.harperdb.SystemOperations1.Error.BadConfiguration
like "... naming the file, the key, the problem and where to look" "$out" \
     "bad configuration: $config: 'services.http_workers.action' must be harper, restart, reload or reload-or-restart \\(fix it, then systemctl reload harper-sysopsd; journalctl -u harper-sysopsd\\)"
check "... at once ($took ms)" test "$took" -lt 1000
out=$(ops --status '{"operation":"get_status"}' 2>"$H_T/ops.err"); rc=$?
is "... harper-ops: 500 and exit 1" "$(head -n1 <<<"$out") (exit $rc)" "500 (exit 1)"
like "... its error names the problem" "$(tail -n1 <<<"$out")" "bad configuration: $config: 'services.http_workers.action'"
is "... nothing ran: no status set" "$(statuses | grep -c primary)" 0

# ---------------------------------------------------------------- reload with a good file
echo '{"jobs_kept":1}' >"$config"
h_stand_in_config "$config"
reload
out=$(dcall SetStatus primary up)
like "after a reload with a good file the calls are served" "$out" "'primary', 'up'"
for i in 1 2; do ops --wait '{"operation":"restart"}' >/dev/null; done
is "... with the new configuration (jobs_kept 1: one finished job kept)" \
   "$(gdbus call --system -d "$H_BUS_NAME" -o / -m org.freedesktop.DBus.ObjectManager.GetManagedObjects |
      grep -o "'$H_OBJ_PATH/job/[0-9]*'" | sort -u | wc -l)" 1

# ---------------------------------------------------------------- a running job and the statuses stay
echo '{"jobs_kept":5,"services":{"clustering_config":{"units":["hsops-slow.service"],"action":"restart"}}}' >"$config"
h_stand_in_config "$config"
reload
id=$(ops '{"operation":"restart_service","service":"clustering_config"}' | json job_id)
sleep 0.2
echo '{"jobs_kept":5,"services":{"clustering_config":{"units":["hsops-slow.service"],"action":"restart"}},"unit_timeout_sec":30}' >"$config"
h_stand_in_config "$config"
reload
check "a job running across a reload completes" h_wait 20 job_is "$id" COMPLETE
like "... the statuses stayed" "$(dcall GetStatus primary)" "'primary', 'up'"

# ---------------------------------------------------------------- a bad file on reload
echo '{"jobs_kept":"many"}' >"$config"
: >"$H_T/daemon.log.mark"
reload
like "a bad file on reload: the daemon says why" "$(tail -n 5 "$H_T/daemon.log")" \
     "Reload refused, the running configuration stays: $config: 'jobs_kept' must be a whole number"
like "... and keeps serving with the running configuration" "$(dcall GetStatus primary)" "'primary', 'up'"
is "... nothing refused" "$(dbus_error "$(dcall SetStatus maintenance later)")" ""
h_daemon_stop
# ---------------------------------------------------------------- --check-config finds Harper
# as a restart would, asking our systemd about the instance unit: a Harper root named by the
# unit's ROOTPATH=, then by the boot properties file in the unit's HOME=
harper=$H_T/harper home=$H_T/home check=$H_T/check.json
mkdir -p "$harper" "$home"
printf 'rootPath: %s\noperationsApi:\n  network:\n    domainSocket: %s/ops.sock\n    port: 127.0.0.1:19925\n' \
    "$harper" "$harper" >"$harper/harperdb-config.yaml"
for unit in hsops-rootpath:"ROOTPATH=$harper" hsops-home:"HOME=$home"; do
    printf '[Service]\nEnvironment=%s\nExecStart=/bin/sleep infinity\n' "${unit#*:}" >"$H_T/units/${unit%%:*}.service"
done
h_systemctl daemon-reload
check_config() {   # check_config JSON: --check-config's output and exit status for that file
    echo "$1" >"$check"
    "$BUILDDIR/src/harper-sysopsd" --check-config --config="$check" 2>&1
    echo "(exit $?)"
}
is "--check-config: where Harper is, found from the unit's ROOTPATH=, its socket and port" \
   "$(check_config '{"instance_unit":"hsops-rootpath.service"}')" "$check: OK
Harper: $harper/harperdb-config.yaml, from hsops-rootpath.service (user root): ROOTPATH=$harper in its environment
Harper's operations socket: $harper/ops.sock
Harper's operations port: http://127.0.0.1:19925/
(exit 0)"
is "... not found: what was looked at (the unit, its user, its environment, the home) and the keys" \
   "$(check_config '{"instance_unit":"hsops-home.service"}')" "$check: OK
Harper: not found: Cannot find Harper from hsops-home.service (user root): no ROOTPATH= in its environment, and \
$home/.harperdb/hdb_boot_properties.file: No such file or directory (harper.root_path or instance_unit in sysops.json(5) say where it is).
(exit 0)"
mkdir "$home/.harperdb"
echo "settings_path = $harper/harperdb-config.yaml" >"$home/.harperdb/hdb_boot_properties.file"
is "... found from the boot properties file in the unit's home" \
   "$(check_config '{"instance_unit":"hsops-home.service"}' | sed -n 2p)" \
   "Harper: $harper/harperdb-config.yaml, from hsops-home.service (user root): settings_path in $home/.harperdb/hdb_boot_properties.file"
is "... a unit systemd does not have: named, with the key that names Harper's unit" \
   "$(check_config '{"instance_unit":"hsops-nosuch.service"}' | sed -n 2p)" \
   "Harper: not found: systemd has no unit hsops-nosuch.service (instance_unit in sysops.json(5) names Harper's unit)."
is "... harper.root_path: found from the configuration" \
   "$(check_config "{\"instance_unit\":\"hsops-nosuch.service\",\"harper\":{\"root_path\":\"$harper\"}}" | sed -n 2p)" \
   "Harper: $harper/harperdb-config.yaml, from harper.root_path in sysops.json"
is "... harper.api false: not looked for" "$(check_config '{"harper":{"api":false}}')" "$check: OK
Harper: not looked for (harper.api is false).
(exit 0)"
done_testing
