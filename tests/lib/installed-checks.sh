# SPDX-License-Identifier: MIT
# tests/lib/installed-checks.sh - what an installation of harper-sysops holds, checked the
# same way on `meson install --destdir` (tests/integration/packaging.sh) and on the installed
# Debian packages (debian/tests/installed). Source it after tests/lib/harness.sh (the TAP
# functions).
#
#   installed_checks ROOT UNITDIR   ROOT: the install's root ("" for this system)
#   polkit_action_checks            the polkitd on the bus reads the six actions

_installed_files=(
    /usr/libexec/harper-sysopsd /usr/bin/harper-ops
    /usr/share/dbus-1/system.d/io.harperdb.SystemOperations1.conf
    /usr/share/dbus-1/system-services/io.harperdb.SystemOperations1.service
    /usr/share/dbus-1/interfaces/io.harperdb.SystemOperations1.xml
    /usr/share/dbus-1/interfaces/io.harperdb.SystemOperations1.Job.xml
    /usr/share/polkit-1/actions/io.harperdb.SystemOperations1.policy
    /usr/share/polkit-1/rules.d/io.harperdb.SystemOperations1.rules
    /usr/share/cockpit/harper-sysops/manifest.json /usr/share/cockpit/harper-sysops/index.js
    /usr/share/cockpit/harper-sysops/index.css
    /usr/libexec/harper-ops-http /etc/pam.d/harper-ops
    /usr/lib/sysusers.d/harper-sysops.conf
    /usr/share/bash-completion/completions/harper-ops
)
_installed_man_pages=(man1/harper-ops.1 man8/harper-sysopsd.8 man8/harper-ops-http.8
                      man5/sysops.json.5 man5/io.harperdb.SystemOperations1.5)

# _check_units ROOT UNITDIR NAME PROGRAM UNIT...: systemd-analyze verify accepts the units
# (the last one a service; their Documentation= pages found in ROOT) and rates the service's
# exposure at most 2.0. It resolves ExecStart= on the host, so the service is pointed at
# ROOT's PROGRAM.
_check_units() {
    local root=$1 unitdir=$2 name=$3 program=$4 dir service out
    shift 4
    dir=$(mktemp -d "${H_T:-/tmp}/units-$name.XXXXXX")
    (cd "$root$unitdir" && cp "$@" "$dir/")
    service=$dir/${*: -1}
    sed -i -E "s#^(Exec[A-Za-z]+)=/usr/libexec/$program#\1=$root/usr/libexec/$program#" "$service"
    out=$(cd "$dir" && MANPATH=$root/usr/share/man SYSTEMD_LOG_LEVEL=notice systemd-analyze verify "$@" 2>&1)
    is "$name: systemd-analyze verify finds nothing to complain about" "$out" ""
    out=$(systemd-analyze security --offline=yes --threshold=20 "$service" 2>&1)
    check "$name: systemd-analyze security rates the exposure at most 2.0" test $? = 0
    like "... (its rating)" "$(grep 'Overall exposure' <<<"$out")" "exposure level .*: [0-1]\.[0-9] OK|exposure level .*: 2\.0"
    rm -rf "$dir"
}

# _man_page_renders ROOT PAGE: installed (as meson installs it, or compressed as a package
# does) and man renders it without a warning.
_man_page_renders() {
    local file out
    # shellcheck disable=SC2012 # the first of two known paths that exists
    file=$(ls "$1/usr/share/man/$2" "$1/usr/share/man/$2.gz" 2>/dev/null | head -n1)
    [ -n "$file" ] || { echo "no $1/usr/share/man/$2{,.gz}"; return 1; }
    out=$(MANWIDTH=80 man --warnings -E ascii -l "$file" 2>&1 >/dev/null) && [ -z "$out" ] || { echo "$out"; return 1; }
}

installed_checks() {
    local root=$1 unitdir=$2 f unit socket tcp_socket service
    for f in "${_installed_files[@]}" "$unitdir"/harper-sysopsd.service \
             "$unitdir"/harper-ops-http.socket "$unitdir"/harper-ops-http-tcp.socket \
             "$unitdir"/harper-ops-http.service; do
        check "installed: $f" test -f "$root$f"
    done
    for f in "${_installed_man_pages[@]}"; do
        check "man page $f is installed and renders" _man_page_renders "$root" "$f"
    done
    is "the D-Bus alias points at the unit" "$(readlink "$root$unitdir/dbus-io.harperdb.SystemOperations1.service")" \
        harper-sysopsd.service
    unit=$root$unitdir/harper-sysopsd.service
    like "the unit runs the installed daemon" "$(cat "$unit")" "^ExecStart=/usr/libexec/harper-sysopsd$"
    like "the unit owns the bus name" "$(cat "$unit")" "^BusName=io.harperdb.SystemOperations1$"
    like "the unit names its man pages" "$(cat "$unit")" "^Documentation=man:harper-sysopsd\(8\) "
    like "the activation file names the unit's alias" "$(cat "$root/usr/share/dbus-1/system-services/io.harperdb.SystemOperations1.service")" \
        "^SystemdService=dbus-io.harperdb.SystemOperations1.service$"
    like "the sysusers.d entry creates the group harper-admin" \
        "$(grep -v '^#' "$root/usr/lib/sysusers.d/harper-sysops.conf")" "^g harper-admin - -$"
    _check_units "$root" "$unitdir" harper-sysopsd harper-sysopsd harper-sysopsd.service

    # harper-ops-http: its PAM service, its sockets, its unit
    like "the PAM service uses the host's password and account rules" \
        "$(grep -v '^#' "$root/etc/pam.d/harper-ops" | tr '\n' ';')" "^@include common-auth;@include common-account;$"
    socket=$root$unitdir/harper-ops-http.socket service=$root$unitdir/harper-ops-http.service
    tcp_socket=$root$unitdir/harper-ops-http-tcp.socket
    is "the default socket unit listens only under /run/harper-sysops/" \
        "$(grep '^ListenStream=' "$socket" | tr '\n' ';')" "ListenStream=/run/harper-sysops/http.sock;"
    like "anyone may connect to the unix socket (who they are decides the rest)" "$(cat "$socket")" "^SocketMode=0666$"
    is "no NoDelay= on the unix socket (TCP_NODELAY fails there)" "$(grep -c '^NoDelay=' "$socket")" 0
    is "the opt-in TCP socket unit listens on 127.0.0.1:9939 only, for harper-ops-http.service" \
        "$(grep -E '^(ListenStream|Service)=' "$tcp_socket" | tr '\n' ';')" \
        "ListenStream=127.0.0.1:9939;Service=harper-ops-http.service;"
    like "... with NoDelay=yes" "$(cat "$tcp_socket")" "^NoDelay=yes$"
    local harper_ports=" 9925 9926 9932 9933 1883 8883 "
    is "no socket unit listens on one of Harper's default ports" \
        "$(grep -ho '^ListenStream=.*' "$root$unitdir"/harper-ops-http*.socket | grep -oE '[0-9]+$' |
           while read -r p; do [[ $harper_ports == *" $p "* ]] && echo "$p"; done)" ""
    like "the service runs the installed program, from its sockets" "$(cat "$service")" \
        "^ExecStart=/usr/libexec/harper-ops-http$"
    like "its only capabilities: changing credentials, killing its workers, and PAM's audit record" \
        "$(grep '^CapabilityBoundingSet=' "$service")" "^CapabilityBoundingSet=CAP_SETUID CAP_SETGID CAP_KILL CAP_AUDIT_WRITE$"
    _check_units "$root" "$unitdir" harper-ops-http harper-ops-http harper-ops-http.socket harper-ops-http-tcp.socket \
        harper-ops-http.service
}

polkit_action_checks() {
    local a out
    for a in restart restart-service system-information set-status get-status clear-status; do
        out=$(pkaction --action-id "io.harperdb.SystemOperations1.$a" --verbose 2>&1)
        like "polkit action $a: auth_admin_keep for any, inactive and active" \
            "$(grep -E '^  implicit (any|inactive|active):' <<<"$out" | tr -s ' ' | tr '\n' ';')" \
            "^ implicit any: auth_admin_keep; implicit inactive: auth_admin_keep; implicit active: auth_admin_keep;$"
    done
}
