#!/bin/bash
# What `meson install` ships: every file in its standard directory, units that systemd accepts
# and rates well hardened (harper-sysopsd, harper-ops-http and its sockets), harper-ops-http's
# PAM service, and the six polkit actions as polkitd reads them.
. "$(dirname "$0")/../lib/harness.sh"
h_users
h_up || bail_out "stack did not come up"

dest=$H_T/install
meson setup "$H_T/build" "$SRCDIR" --prefix=/usr --sysconfdir=/etc -Dtests=false >"$H_T/setup.log" 2>&1 &&
    meson install -C "$H_T/build" --destdir "$dest" --quiet >"$H_T/install.log" 2>&1
check "meson install succeeds" test $? = 0
unitdir=$(pkg-config --variable=systemdsystemunitdir systemd 2>/dev/null || echo /lib/systemd/system)
for f in /usr/libexec/harper-sysopsd /usr/bin/harper-ops \
         /usr/share/dbus-1/system.d/io.harperdb.SystemOperations1.conf \
         /usr/share/dbus-1/system-services/io.harperdb.SystemOperations1.service \
         /usr/share/dbus-1/interfaces/io.harperdb.SystemOperations1.xml \
         /usr/share/dbus-1/interfaces/io.harperdb.SystemOperations1.Job.xml \
         /usr/share/polkit-1/actions/io.harperdb.SystemOperations1.policy \
         /usr/share/polkit-1/rules.d/io.harperdb.SystemOperations1.rules \
         /usr/share/cockpit/harper-sysops/manifest.json /usr/share/cockpit/harper-sysops/sysops.js \
         "$unitdir/harper-sysopsd.service" \
         /usr/libexec/harper-ops-http /etc/pam.d/harper-ops "$unitdir/harper-ops-http.socket" \
         "$unitdir/harper-ops-http-tcp.socket" \
         "$unitdir/harper-ops-http.service"; do
    check "installed: $f" test -f "$dest$f"
done
is "the D-Bus alias points at the unit" "$(readlink "$dest$unitdir/dbus-io.harperdb.SystemOperations1.service")" \
    harper-sysopsd.service
unit=$dest$unitdir/harper-sysopsd.service
like "the unit runs the installed daemon" "$(cat "$unit")" "^ExecStart=/usr/libexec/harper-sysopsd$"
like "the unit owns the bus name" "$(cat "$unit")" "^BusName=io.harperdb.SystemOperations1$"
like "the activation file names the unit's alias" "$(cat "$dest/usr/share/dbus-1/system-services/io.harperdb.SystemOperations1.service")" \
    "^SystemdService=dbus-io.harperdb.SystemOperations1.service$"

# check_units NAME PROGRAM UNIT...: systemd-analyze verify accepts the units (the last one a
# service) and rates the service's exposure at most 2.0. It resolves ExecStart= on the host,
# so the service is pointed at the freshly installed PROGRAM.
check_units() {
    local name=$1 program=$2 dir=$H_T/units-$1 service out
    shift 2
    mkdir -p "$dir" && cp "$@" "$dir/"
    service=$dir/$(basename "${@: -1}")
    sed -i "s#^ExecStart=/usr/libexec/$program#ExecStart=$dest/usr/libexec/$program#" "$service"
    out=$(cd "$dir" && SYSTEMD_LOG_LEVEL=notice systemd-analyze verify "${@##*/}" 2>&1)
    is "$name: systemd-analyze verify finds nothing to complain about" "$out" ""
    out=$(systemd-analyze security --offline=yes --threshold=20 "$service" 2>&1)
    check "$name: systemd-analyze security rates the exposure at most 2.0" test $? = 0
    like "... (its rating)" "$(grep 'Overall exposure' <<<"$out")" "exposure level .*: [0-1]\.[0-9] OK|exposure level .*: 2\.0"
}
check_units harper-sysopsd harper-sysopsd "$unit"

# harper-ops-http: its PAM service, its sockets, its unit
like "the PAM service uses the host's password and account rules" \
    "$(grep -v '^#' "$dest/etc/pam.d/harper-ops" | tr '\n' ';')" "^@include common-auth;@include common-account;$"
socket=$dest$unitdir/harper-ops-http.socket service=$dest$unitdir/harper-ops-http.service
tcp_socket=$dest$unitdir/harper-ops-http-tcp.socket
is "the default socket unit listens only under /run/harper-sysops/" \
    "$(grep '^ListenStream=' "$socket" | tr '\n' ';')" "ListenStream=/run/harper-sysops/http.sock;"
like "anyone may connect to the unix socket (who they are decides the rest)" "$(cat "$socket")" "^SocketMode=0666$"
is "no NoDelay= on the unix socket (TCP_NODELAY fails there)" "$(grep -c '^NoDelay=' "$socket")" 0
is "the opt-in TCP socket unit listens on 127.0.0.1:9939 only, for harper-ops-http.service" \
    "$(grep -E '^(ListenStream|Service)=' "$tcp_socket" | tr '\n' ';')" \
    "ListenStream=127.0.0.1:9939;Service=harper-ops-http.service;"
like "... with NoDelay=yes" "$(cat "$tcp_socket")" "^NoDelay=yes$"
harper_ports=" 9925 9926 9932 9933 1883 8883 "
is "no socket unit listens on one of Harper's default ports" \
    "$(grep -ho '^ListenStream=.*' "$dest$unitdir"/harper-ops-http*.socket | grep -oE '[0-9]+$' |
       while read -r p; do [[ $harper_ports == *" $p "* ]] && echo "$p"; done)" ""
like "the service runs the installed program, from its sockets" "$(cat "$service")" \
    "^ExecStart=/usr/libexec/harper-ops-http$"
like "its only capabilities: changing credentials, killing its workers, and PAM's audit record" \
    "$(grep '^CapabilityBoundingSet=' "$service")" "^CapabilityBoundingSet=CAP_SETUID CAP_SETGID CAP_KILL CAP_AUDIT_WRITE$"
check_units harper-ops-http harper-ops-http "$socket" "$tcp_socket" "$service"

# polkitd (running with the project's policy) reads the six actions with auth_admin_keep
for a in restart restart-service system-information set-status get-status clear-status; do
    out=$(pkaction --action-id "io.harperdb.SystemOperations1.$a" --verbose 2>&1)
    like "polkit action $a: auth_admin_keep for any, inactive and active" \
        "$(grep -E '^  implicit (any|inactive|active):' <<<"$out" | tr -s ' ' | tr '\n' ';')" \
        "^ implicit any: auth_admin_keep; implicit inactive: auth_admin_keep; implicit active: auth_admin_keep;$"
done

done_testing
