#!/bin/bash
# What `meson install` ships for harper-ops-http: the program, the PAM service, the socket and
# service units; systemd accepts the units and rates the service well hardened.
. "$(dirname "$0")/../lib/harness.sh"
h_users
h_up || bail_out "stack did not come up"

dest=$H_T/install
meson setup "$H_T/build" "$SRCDIR" --prefix=/usr --sysconfdir=/etc -Dtests=false >"$H_T/setup.log" 2>&1 &&
    meson install -C "$H_T/build" --destdir "$dest" --quiet >"$H_T/install.log" 2>&1
check "meson install succeeds" test $? = 0
unitdir=$(pkg-config --variable=systemdsystemunitdir systemd 2>/dev/null || echo /lib/systemd/system)
for f in /usr/libexec/harper-ops-http /etc/pam.d/harper-ops "$unitdir/harper-ops-http.socket" \
         "$unitdir/harper-ops-http.service"; do
    check "installed: $f" test -f "$dest$f"
done
like "the PAM service uses the host's password and account rules" \
    "$(grep -v '^#' "$dest/etc/pam.d/harper-ops" | tr '\n' ';')" "^@include common-auth;@include common-account;$"
socket=$dest$unitdir/harper-ops-http.socket service=$dest$unitdir/harper-ops-http.service
like "the socket unit listens under /run/harper-sysops/ and on 127.0.0.1:9925" \
    "$(grep '^ListenStream=' "$socket" | tr '\n' ';')" \
    "^ListenStream=/run/harper-sysops/http.sock;ListenStream=127.0.0.1:9925;$"
like "anyone may connect to the unix socket (who they are decides the rest)" "$(cat "$socket")" "^SocketMode=0666$"
like "the service runs the installed program, from its sockets" "$(cat "$service")" \
    "^ExecStart=/usr/libexec/harper-ops-http$"

# systemd-analyze resolves ExecStart= on the host: point it at the freshly built program
mkdir -p "$H_T/units-check"
sed "s#^ExecStart=.*#ExecStart=$dest/usr/libexec/harper-ops-http#" "$service" >"$H_T/units-check/harper-ops-http.service"
cp "$socket" "$H_T/units-check/"
out=$(SYSTEMD_LOG_LEVEL=notice systemd-analyze verify "$H_T/units-check/harper-ops-http.socket" \
      "$H_T/units-check/harper-ops-http.service" 2>&1)
is "systemd-analyze verify finds nothing to complain about" "$out" ""
out=$(systemd-analyze security --offline=yes --threshold=20 "$H_T/units-check/harper-ops-http.service" 2>&1)
check "systemd-analyze security rates the service's exposure at most 2.0" test $? = 0
like "... (its rating)" "$(grep 'Overall exposure' <<<"$out")" "exposure level .*: [0-1]\.[0-9] OK|exposure level .*: 2\.0"
like "its only capabilities: changing credentials, killing its workers, and PAM's audit record" \
    "$(grep '^CapabilityBoundingSet=' "$service")" "^CapabilityBoundingSet=CAP_SETUID CAP_SETGID CAP_KILL CAP_AUDIT_WRITE$"

done_testing
