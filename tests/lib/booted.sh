# SPDX-License-Identifier: MIT
# tests/lib/booted.sh - a booted Debian (the host's release: 12 or 13) in systemd-nspawn for tests
# (bash; source it; root).
#
# The tree comes from debootstrap once, into a cache outside the repository named after its
# package list; every run boots a fresh copy of it (an overlay: the cache stays as it is) with
# systemd as PID 1 (logind, polkitd, dbus), on its own network (--private-network: nothing it
# listens on touches the host), and with the project installed as a package would install it.
# The test runs in a mount namespace of its own (b_unshare): its mounts end with it.
#
#   b_unshare "$0" "$@"  first thing: re-runs the script in a private mount namespace
#   b_rootfs             the cached tree (debootstrap on first use), path in B_ROOTFS
#   b_prepare            fresh copy in $B_T/root, project built for /usr and installed into it
#   b_boot               boot it; B_PID1 is the container's systemd
#   b_in CMD...          run CMD inside as root (all namespaces of PID 1)
#   b_user USER CMD...   run CMD inside as USER, outside any login session
#   b_session USER SH    run the shell command SH inside as USER, in a logind session on seat0
#   b_reboot             systemctl reboot inside; nspawn exits 133 and boots the same tree again
#                        (as systemd-nspawn@.service does): a new PID 1, /run and fd store empty
#   b_poweroff           power off and wait for nspawn; b_down (EXIT trap) also removes $B_T
# Inputs: SRCDIR BUILDDIR B_CACHE B_KEEP. TAP helpers come from harness.sh.

B_LIB_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
. "$B_LIB_DIR/harness.sh"

: "${B_CACHE:=/var/cache/harper-sysops-test}"
# The host's release: the packages are built on the host, for its libraries
B_SUITE=$(. /etc/os-release && echo "${VERSION_CODENAME:-}")
# libpam-systemd must be named: debootstrap does not resolve polkitd's "default-logind | logind"
# alternative. The libraries are the project's run-time dependencies (Debian 13 renamed two in
# the 64-bit time_t transition); the tools are the test's.
B_T64=t64
[ "$B_SUITE" = bookworm ] && B_T64=''
B_PACKAGES=systemd,systemd-sysv,dbus,libpam-systemd,polkitd,libjson-c5,libmicrohttpd12$B_T64,libpam0g,libcurl4$B_T64,libyaml-0-2,man-db,curl,python3,procps,iproute2
B_T='' B_NS_PID='' B_PID1=''

b_unshare() {
    [ -n "${B_UNSHARED:-}" ] && return 0
    exec unshare -m --propagation private env B_UNSHARED=1 "$@"
}

_b_usec() { echo "${EPOCHREALTIME//[.,]/}"; }
_b_ms_since() { echo $(( ($(_b_usec) - $1) / 1000 )); }

# b_rootfs: B_ROOTFS is the cached tree for this package list; built once (≈ 2 min), under a
# lock so two runs do not both build it, into a temporary name so a broken build is not kept.
b_rootfs() {
    local hash
    hash=$(printf '%s %s\n' "$B_SUITE" "$B_PACKAGES" | sha256sum | cut -c1-16)
    B_ROOTFS=$B_CACHE/rootfs-$hash
    [ -x "$B_ROOTFS/usr/lib/systemd/systemd" ] && return 0
    mkdir -p "$B_CACHE" || return 1
    (
        flock -w 900 9 || exit 1
        [ -x "$B_ROOTFS/usr/lib/systemd/systemd" ] && exit 0
        rm -rf "$B_ROOTFS.new"
        if ! debootstrap --variant=minbase --include="$B_PACKAGES" "$B_SUITE" "$B_ROOTFS.new" \
                >"$B_CACHE/debootstrap-$hash.log" 2>&1; then
            echo "debootstrap failed: $B_CACHE/debootstrap-$hash.log" >&2
            tail -n 20 "$B_CACHE/debootstrap-$hash.log" >&2
            exit 1
        fi
        mv "$B_ROOTFS.new" "$B_ROOTFS"
    ) 9>"$B_CACHE/rootfs-$hash.lock"
}

# b_prepare: a fresh copy of the tree in $B_T/root with the project's packages installed into
# it (built into $BUILDDIR/booted-debs-<hash of the tracked files>, kept between runs).
b_prepare() {
    local t0
    B_T=$(mktemp -d /tmp/hsops-booted.XXXXXX) && chmod 755 "$B_T" || return 1
    trap b_down EXIT
    trap 'exit 130' INT          # ^C and meson's timeout (TERM) run the EXIT trap
    trap 'exit 143' TERM
    t0=$(_b_usec)
    mkdir "$B_T/root" "$B_T/upper" "$B_T/work" &&
        mount -t overlay overlay -o "lowerdir=$B_ROOTFS,upperdir=$B_T/upper,workdir=$B_T/work" "$B_T/root" ||
        return 1
    # shellcheck disable=SC2034 # for tests/integration/booted.sh's diag
    B_OVERLAY_MS=$(_b_ms_since "$t0")
    t0=$(_b_usec)
    b_build_project >"$B_T/build.log" 2>&1 || { tail -n 40 "$B_T/build.log" >&2; return 1; }
    # shellcheck disable=SC2034 # for tests/integration/booted.sh's diag
    B_BUILD_MS=$(_b_ms_since "$t0")
    b_install_project >"$B_T/install.log" 2>&1 || { tail -n 40 "$B_T/install.log" >&2; return 1; }
}

# The project's Debian packages (tests/lib/build-debs.sh), built again only when a tracked file
# changed (but for the integration tests' scripts: no package has them, and the build takes
# minutes).
b_build_project() {
    local hash
    hash=$(cd "$SRCDIR" && git ls-files -z -- . ':!tests/integration/*.sh' | xargs -0 sha256sum 2>/dev/null | sha256sum | cut -c1-16)
    B_DEBS=$BUILDDIR/booted-debs-$hash
    [ -f "$B_DEBS/built" ] && return 0
    rm -rf "$BUILDDIR"/booted-debs-*
    DEB_BUILD_OPTIONS="nocheck parallel=$(nproc)" "$SRCDIR/tests/lib/build-debs.sh" "$B_DEBS" && touch "$B_DEBS/built"
}

# As an admin installs it: dpkg -i of the daemon's and the HTTP bridge's packages (the Cockpit
# page's needs cockpit, which this tree has not), their maintainer scripts included.
b_install_project() {
    mkdir -p "$B_T/root/tmp/debs" &&
        cp "$B_DEBS"/harper-sysops_*.deb "$B_DEBS"/harper-sysops-http_*.deb "$B_T/root/tmp/debs/" &&
        chroot "$B_T/root" sh -c 'dpkg -i /tmp/debs/*.deb && rm -r /tmp/debs'
}

# b_boot: systemd as PID 1 of the copy, its own network; B_PID1 once it is running (or
# degraded). systemd need not be this host's PID 1: nothing to register with (--register=no
# --keep-unit), and nspawn keeps its state in /run/systemd, a tmpfs of the test's own.
b_boot() {
    mkdir -p /run/systemd && mount -t tmpfs tmpfs /run/systemd && _b_cgroups || return 1
    _b_start
}

# b_reboot: a reboot as the container's systemd does it (every unit stopped, then exit 133),
# and nspawn started again on the same tree, as systemd-nspawn@.service restarts on 133
b_reboot() {
    local rc
    b_in systemctl --no-block reboot >/dev/null 2>&1
    for _ in $(seq 1200); do kill -0 "$B_NS_PID" 2>/dev/null || break; sleep 0.05; done
    kill -0 "$B_NS_PID" 2>/dev/null && { echo "booted: the container did not reboot within 60 s" >&2; return 1; }
    wait "$B_NS_PID"
    rc=$?
    B_NS_PID='' B_PID1=''
    [ "$rc" = 133 ] || { echo "booted: nspawn exited $rc, not 133 (reboot)" >&2; tail -n 30 "$B_T/console.log" >&2; return 1; }
    _b_start
}

# nspawn in the run's cgroups; B_PID1 once the container's systemd is running (or degraded)
_b_start() {
    local t0
    t0=$(_b_usec)
    # $$ is the inner shell, which becomes nspawn
    sh -c 'root=$1; shift; for cg; do echo $$ >"$cg/cgroup.procs" || exit 1; done
        exec systemd-nspawn -q -D "$root" --register=no --keep-unit --private-network -b' \
        sh "$B_T/root" "${H_CGROUPS[@]}" >>"$B_T/console.log" 2>&1 </dev/null &
    B_NS_PID=$!
    # the container's systemd: a descendant of nspawn (the first child is an intermediate)
    for _ in $(seq 200); do
        B_PID1=$(_b_find_systemd "$B_NS_PID") && break
        kill -0 "$B_NS_PID" 2>/dev/null || break
        sleep 0.05
    done
    [ -n "$B_PID1" ] || { echo "booted: no systemd in the container" >&2; tail -n 30 "$B_T/console.log" >&2; return 1; }
    # until PID 1 has its private socket, systemctl cannot ask and says nothing; until it has
    # made /run/systemd/system, systemctl says "offline" without asking (sd_booted() is false)
    for _ in $(seq 600); do
        B_STATE=$(nsenter -t "$B_PID1" -a timeout 30 systemctl is-system-running --wait 2>/dev/null)
        [ -n "$B_STATE" ] && [ "$B_STATE" != offline ] && break
        sleep 0.05
    done
    # shellcheck disable=SC2034 # for tests/integration/booted.sh's diag
    B_BOOT_MS=$(_b_ms_since "$t0")
    case $B_STATE in
    running|degraded) return 0 ;;
    *) echo "booted: system state '$B_STATE'" >&2; tail -n 30 "$B_T/console.log" >&2; return 1 ;;
    esac
}

# nspawn --keep-unit makes the cgroup it runs in the container's (supervisor/ and payload/ in
# it); a cgroup of this run's keeps it away from the host's root cgroup and other runs. They
# go in H_CGROUPS, which h_down empties and removes.
_b_cgroups() {
    local cg name=${B_T##*/}
    H_CGROUPS=()
    for cg in /sys/fs/cgroup/unified /sys/fs/cgroup/systemd /sys/fs/cgroup; do
        [ -e "$cg/cgroup.procs" ] || continue
        mkdir "$cg/$name" && H_CGROUPS+=("$cg/$name") || return 1
    done
    [ ${#H_CGROUPS[@]} -gt 0 ]
}

_b_find_systemd() {
    local pid=$1 kid
    # shellcheck disable=SC2013 # the children files are space-separated pids
    for kid in $(cat /proc/"$pid"/task/*/children 2>/dev/null); do
        if [ "$(cat /proc/"$kid"/comm 2>/dev/null)" = systemd ]; then echo "$kid"; return 0; fi
        _b_find_systemd "$kid" && return 0
    done
    return 1
}

# b_in CMD...: CMD inside as root, with a clean environment (nothing of the host's)
b_in() {
    nsenter -t "$B_PID1" -a env -i PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
        LANG=C.UTF-8 "$@"
}
# b_user USER CMD...: CMD inside as USER with its groups, outside any login session
b_user() { local u=$1; shift; b_in setpriv --reuid="$u" --regid="$u" --init-groups -- "$@"; }
# b_session USER SHELLCMD: SHELLCMD inside as USER in a new logind session on seat0 (pam_systemd
# through runuser -l), as on a console login
b_session() { b_in env XDG_SEAT=seat0 runuser -l "$1" -c "$2"; }

# b_poweroff: an orderly power-off; nspawn exits with the container
b_poweroff() {
    [ -n "$B_NS_PID" ] || return 0
    [ -n "$B_PID1" ] && b_in systemctl --no-block poweroff >/dev/null 2>&1
    for _ in $(seq 300); do kill -0 "$B_NS_PID" 2>/dev/null || break; sleep 0.05; done
    if kill -0 "$B_NS_PID" 2>/dev/null; then
        echo "booted: the container did not power off; killing nspawn" >&2
        kill "$B_NS_PID"; sleep 2; kill -KILL "$B_NS_PID" 2>/dev/null
    fi
    wait "$B_NS_PID" 2>/dev/null
    B_NS_PID='' B_PID1=''
}

b_down() {
    trap - EXIT
    b_poweroff
    h_down          # the run's cgroups, and whatever is left in them
    if [ -n "$B_T" ]; then
        umount "$B_T/root" 2>/dev/null
        if [ -n "${B_KEEP:-}" ]; then echo "booted: kept $B_T" >&2; else rm -rf "$B_T"; fi
        B_T=
    fi
}
