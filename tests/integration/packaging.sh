#!/bin/bash
# SPDX-License-Identifier: MIT
# What `meson install` ships (tests/lib/installed-checks.sh): every file in its standard
# directory, man pages that render, units that systemd accepts and rates well hardened
# (harper-sysopsd, harper-ops-http and its socket), harper-ops-http's PAM service, the
# harper-admin group's sysusers.d entry, and the six polkit actions as polkitd reads them.
. "$(dirname "$0")/../lib/harness.sh"
. "$(dirname "$0")/../lib/installed-checks.sh"
h_users
h_up || bail_out "stack did not come up"

dest=$H_T/install
meson setup "$H_T/build" "$SRCDIR" --prefix=/usr --sysconfdir=/etc -Dtests=false >"$H_T/setup.log" 2>&1 &&
    meson install -C "$H_T/build" --destdir "$dest" --quiet >"$H_T/install.log" 2>&1
check "meson install succeeds" test $? = 0
# the units go where the release's systemd.pc says (meson asks it too): /lib/systemd/system on
# Debian 12, /usr/lib/systemd/system on 13 (whose systemd.pc is in systemd-dev)
unitdir=$(pkg-config --variable=systemdsystemunitdir systemd)
check "pkg-config names systemd's unit directory (systemd.pc: tools/install-deps.sh)" test -n "$unitdir"
installed_checks "$dest" "$unitdir"
# polkitd (running with the project's policy) reads the six actions with auth_admin_keep
polkit_action_checks

done_testing
