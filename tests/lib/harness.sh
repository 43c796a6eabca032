# SPDX-License-Identifier: MIT
# tests/lib/harness.sh - integration-test harness for harper-sysops (bash; source it; root).
#
# Per test script it brings up a private copy of everything harper-sysopsd talks to:
#   - systemd --user, run as root in its own mount namespace and cgroup; it hosts
#     a private system-like bus (dbus-daemon + tests/bus.conf.in) as its own
#     dbus.socket/dbus.service, because it only ever joins a bus it started itself;
#   - real polkitd on that bus, seeing only the project's .policy/.rules;
#   - harper-sysopsd itself (h_daemon_start).
# H_BUS=dbus-broker (opt-in; the default is dbus-daemon) runs the same bus.conf, socket and
# unit with dbus-broker-launch instead (Debian's dbus-broker; its log in $H_T/dbus-broker.log).
# It refuses to start on a policy file it cannot parse, where dbus-daemon skips the file.
# The host is left alone apart from the test users (h_users), a lock file, and a
# cgroup named after the temp dir, removed again by h_down. Other harnesses may run
# at the same time, so every process is tracked and ended by its PID, never by name.
#
# Stack:  h_users [USER...]  h_up  h_down  h_polkit_start  h_polkit_stop  h_polkit_stalls
#         h_daemon_start [ARGS]  h_daemon_stop  h_stand_in_config FILE  as_user USER CMD...  h_systemctl ARGS
#         h_wait SECS CMD...  h_free_ports N  h_has_owner NAME  h_answers NAME
# TAP:    plan_tests N  check DESC CMD...  is DESC GOT WANT  like DESC GOT ERE
#         diag MSG  skip_all REASON  bail_out REASON  done_testing
# Inputs: SRCDIR BUILDDIR H_BUS H_KEEP H_UNITS_DIR H_POLICYDIR H_POLKIT_ACTIONS
#         H_POLKIT_RULES H_DAEMON_BIN H_DAEMON_WRAPPER H_DAEMON_TIMEOUT H_UP_TIMEOUT
# Outputs: H_T DBUS_SYSTEM_BUS_ADDRESS H_SYSTEMD_PID H_POLKIT_PID H_DAEMON_PID
#         H_DAEMON_STATUS H_BUS_NAME H_OBJ_PATH; logs in $H_T/*.log
# h_up installs an EXIT trap running h_down: a test that needs its own EXIT trap
# must call h_down from it. set -u is fine; with set -e the first failed check would
# end the script (check/is/like return their result, for `check ... || bail_out`). All output goes to stderr or logs, never stdout: stdout
# is the TAP stream, and meson rejects any line there that is not TAP.

H_LIB_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
: "${SRCDIR:=$(cd "$H_LIB_DIR/../.." && pwd)}"
: "${BUILDDIR:=$SRCDIR/build}"
export SRCDIR BUILDDIR

H_BUS_NAME=io.harperdb.SystemOperations1
# shellcheck disable=SC2034 # for the tests' busctl and gdbus calls
H_OBJ_PATH=/io/harperdb/SystemOperations1
H_T='' H_SYSTEMD_PID='' H_POLKIT_PID='' H_DAEMON_PID='' H_DAEMON_STATUS=''
H_CGROUPS=()

# ---------------------------------------------------------------- small helpers

_h_usec() { echo "${EPOCHREALTIME//[.,]/}"; }
_h_log() { [ -n "$H_T" ] && echo "$(date +%T.%N) $*" >>"$H_T/harness.log"; return 0; }

# _h_alive PID: the process exists and is not a zombie (kill -0 is true for zombies)
_h_alive() {
    local s
    { read -r s <"/proc/$1/stat"; } 2>/dev/null || return 1
    s=${s##*) }
    [ "${s:0:1}" != Z ]
}

# _h_until SECS PID CMD...: run CMD every 50 ms until it succeeds (0). Gives up after
# SECS (1), or as soon as process PID is gone (2; PID may be empty).
_h_until() {
    local end=$(( $(_h_usec) + $1 * 1000000 )) pid=$2
    shift 2
    until "$@" >/dev/null 2>&1; do
        [ -z "$pid" ] || _h_alive "$pid" || return 2
        (( $(_h_usec) < end )) || return 1
        sleep 0.05
    done
}
h_wait() { local s=$1; shift; _h_until "$s" "" "$@"; }

# h_free_ports N: N loopback ports for this test's servers, reserved until the test ends
# (tests/lib/free-ports.py says why not the kernel's port 0)
h_free_ports() {
    local registry=/run/hsops-test-ports
    [ -w /run ] || registry=/tmp/hsops-test-ports
    python3 "$H_LIB_DIR/free-ports.py" "$registry" "$$" "$1"
}

_h_dead() { ! _h_alive "$1"; }

# _h_spawn NAME CMD...: start CMD in the background, output appended to $H_T/NAME.log,
# PID in _h_pid. CMD is a grandchild, not a child, of the test shell: a test's bare
# `wait` for its own background jobs would otherwise block on systemd, polkitd and
# the daemon forever. A supervising subshell reaps it and writes its exit status to
# $H_T/NAME.status. bash starts background jobs of a script with SIGINT and SIGQUIT
# ignored; env puts them back to the defaults that systemd would give the service.
_h_spawn() {
    local f=$H_T/$1
    shift
    rm -f "$f.status"
    _h_pid=$(
        (
            set +e                      # the test may use set -e; the status must be written
            env --default-signal=INT,QUIT "$@" </dev/null >>"$f.log" 2>&1 3>&- &
            echo $! >&3
            exec 3>&-                   # lets $(...) return now
            trap '' INT TERM HUP        # meson's timeout signals the whole process group:
            wait $!                     # stay to record the status (CMD keeps defaults)
            echo $? >"$f.status"
        ) 3>&1 >/dev/null 2>&1 &
    )
}

# _h_kill PID SECS NAME: TERM, wait up to SECS, then KILL. CONT too: a test may
# have SIGSTOPped it, and a stopped process never acts on TERM. Returns once it has
# been reaped (its PID is gone); the exit status from $H_T/NAME.status goes to
# _h_status (empty if unknown). One that ignored TERM has its threads' stacks put on
# stderr first, so that the failure it causes says where it was stuck.
_h_kill() {
    _h_status=
    kill -TERM "$1" 2>/dev/null && kill -CONT "$1" 2>/dev/null
    if ! _h_until "$2" "" _h_dead "$1"; then
        echo "harness: $3 (PID $1) did not end within $2 s of SIGTERM; where it was:" >&2
        timeout 20 gdb -p "$1" -batch -ex "thread apply all bt" 2>/dev/null | grep -E '^(Thread|#)' | head -n 80 >&2
        kill -KILL "$1" 2>/dev/null
        _h_until 5 "" _h_dead "$1" || { echo "harness: PID $1 survives SIGKILL" >&2; return 1; }
    fi
    _h_read_status "$3"
}
_h_read_status() {   # the supervisor writes the file right after the process is reaped
    h_wait 2 test -s "$H_T/$1.status"
    _h_status=$(cat "$H_T/$1.status" 2>/dev/null)
}

# _h_fail MSG LOG...: report a failed start-up on stderr, with the logs that explain it
_h_fail() {
    local f
    echo "harness: $1" >&2
    shift
    for f in "$@"; do
        [ -s "$f" ] && { echo "----- $f" >&2; tail -n 60 "$f" >&2; }
    done
    return 1
}

# Every busctl call is bounded: a SIGSTOPped peer must not hang the harness.
# (No bus at all counts as "no owner": systemd may already be on its way out.)
h_has_owner() {
    [ "$(busctl --system --timeout=2 call org.freedesktop.DBus /org/freedesktop/DBus \
            org.freedesktop.DBus NameHasOwner s "$1" 2>/dev/null)" = "b true" ]
}
_h_no_owner() { ! h_has_owner "$1"; }
# h_answers NAME: NAME is owned and its owner processes messages (Peer.Ping works on
# any object path in sd-bus and GDBus).
h_answers() {
    busctl --system --timeout=2 call "$1" / org.freedesktop.DBus.Peer Ping >/dev/null 2>&1
}

# as_user USER CMD...: run CMD as USER with its primary and supplementary groups,
# keeping the environment (DBUS_SYSTEM_BUS_ADDRESS in particular).
as_user() {
    local u g
    u=$(id -u "$1") && g=$(id -g "$1") || return 1
    shift
    setpriv --reuid="$u" --regid="$g" --init-groups -- "$@"
}

# h_systemctl ARGS...: systemctl against our systemd (its private socket lives in $H_T/rt)
h_systemctl() { XDG_RUNTIME_DIR=$H_T/rt systemctl --user "$@"; }

# ---------------------------------------------------------------- users

# h_users [USER...]: group harper-admin, users hsops-admin (in harper-admin) and hsops-user,
# and each USER as another plain user. Idempotent. Test processes run it concurrently, and
# two useradds at once fail ("cannot lock /etc/passwd"), hence the flock; the retries are
# for anything else on the machine that holds the passwd lock for a moment.
_h_retry() {
    for _ in 1 2 3 4 5; do "$@" && return 0; sleep 0.5; done
    return 1
}
h_users() {
    local lock=/run/hsops-test-users.lock
    [ -w /run ] || lock=/tmp/hsops-test-users.lock
    (
        flock -w 60 9 || { echo "h_users: cannot take $lock" >&2; exit 1; }
        getent group harper-admin >/dev/null || _h_retry groupadd -r harper-admin || exit 1
        if ! id hsops-admin >/dev/null 2>&1; then
            _h_retry useradd -r -M -d /nonexistent -s /usr/sbin/nologin -G harper-admin hsops-admin || exit 1
        elif [[ " $(id -nG hsops-admin) " != *" harper-admin "* ]]; then
            _h_retry usermod -aG harper-admin hsops-admin || exit 1
        fi
        for u in hsops-user "$@"; do
            id "$u" >/dev/null 2>&1 || _h_retry useradd -r -M -d /nonexistent -s /usr/sbin/nologin "$u" || exit 1
        done
    ) 9>>"$lock"
}

# ---------------------------------------------------------------- bring-up

h_up() {
    local -; set +e     # a test may use set -e; these must run to the end
    local t0
    [ -z "$H_T" ] || { echo "h_up: already up ($H_T)" >&2; return 1; }
    t0=$(_h_usec)
    # 0755: the test users must reach bus.sock, and user polkitd its files
    H_T=$(mktemp -d /tmp/hsops-test.XXXXXX) && chmod 755 "$H_T" || return 1
    export H_T
    trap h_down EXIT
    trap 'exit 130' INT          # make ^C and meson's timeout (TERM) run the EXIT trap
    trap 'exit 143' TERM
    mkdir -m 755 "$H_T/units" && mkdir -m 700 "$H_T/rt" || return 1

    sed -e "s|@SOCKET@|$H_T/bus.sock|g" -e "s|@POLICYDIR@|${H_POLICYDIR:-$SRCDIR/dbus}|g" \
        "$H_LIB_DIR/../bus.conf.in" >"$H_T/bus.conf" || return 1
    export DBUS_SYSTEM_BUS_ADDRESS=unix:path=$H_T/bus.sock

    _h_systemd_start || return 1
    # dbus-daemon skips an included file it cannot parse and carries on: without
    # this check a broken project policy would only show up as AccessDenied later
    if grep -q "Encountered error" "$H_T/systemd.log"; then
        _h_fail "the bus rejected a policy file" "$H_T/systemd.log"
        return 1
    fi
    _h_log "systemd up after $(( ($(_h_usec) - t0) / 1000 )) ms"
    h_polkit_start || return 1
    _h_log "stack up after $(( ($(_h_usec) - t0) / 1000 )) ms"
}

_h_systemd_start() {
    # cgroup2 is at /sys/fs/cgroup/unified on a hybrid host, /sys/fs/cgroup on pure v2
    local cg2=/sys/fs/cgroup name=${H_T##*/} rc
    [ -e /sys/fs/cgroup/unified/cgroup.procs ] && cg2=/sys/fs/cgroup/unified
    [ -e "$cg2/cgroup.procs" ] || { echo "harness: no cgroup2 mount found" >&2; return 1; }

    [ -z "${H_UNITS_DIR:-}" ] || cp -a "$H_UNITS_DIR/." "$H_T/units/" || return 1
    cat >"$H_T/units/hsops-test.target" <<EOF
[Unit]
Description=harper-sysops test stack
Requires=basic.target
Wants=dbus.socket dbus.service
EOF
    cat >"$H_T/units/dbus.socket" <<EOF
[Socket]
ListenStream=$H_T/bus.sock
SocketMode=0666
EOF
    cat >"$H_T/units/dbus.service" <<EOF
[Unit]
Requires=dbus.socket
After=dbus.socket
[Service]
Type=notify
Sockets=dbus.socket
ExecStart=/usr/bin/dbus-daemon --config-file=$H_T/bus.conf --address=systemd: --nofork --nopidfile --systemd-activation
EOF
    case ${H_BUS:-dbus-daemon} in
    dbus-daemon) ;;
    dbus-broker) _h_broker_units || return 1 ;;
    *) echo "harness: H_BUS=$H_BUS: dbus-daemon or dbus-broker" >&2; return 1 ;;
    esac

    # systemd 257's user manager runs each unit that uses a file-system sandboxing option in a
    # user namespace even as root (an implied PrivateUsers=self, which maps root alone; 252
    # skipped it with CAP_SYS_ADMIN): other users' files and processes are nobody's there and
    # CAP_DAC_* cannot reach them, unlike under PID 1. The shipped unit gets the identity mapping
    # (uids and gids 0-65535 as they are), as close to PID 1 as a user manager goes.
    if [ "$(/lib/systemd/systemd --version | sed -n '1s/^systemd \([0-9]*\).*/\1/p')" -ge 257 ]; then
        mkdir -p "$H_T/units/harper-sysopsd.service.d" &&
            printf '[Service]\nPrivateUsers=identity\n' >"$H_T/units/harper-sysopsd.service.d/harness-userns.conf" ||
            return 1
    fi

    # A cgroup of its own (a user manager must own its subtree), created here so
    # that h_down can remove it even if the start fails half-way. On a hybrid host
    # systemd mirrors it into the v1 name=systemd tree; that copy goes too.
    mkdir "$cg2/$name" || return 1
    H_CGROUPS=("$cg2/$name")
    [ -d /sys/fs/cgroup/systemd ] && H_CGROUPS+=("/sys/fs/cgroup/systemd/$name")

    # Runs inside unshare -m. systemd --user refuses to start ("system has not been
    # booted with systemd") without /run/systemd/system, so fake that on a private
    # tmpfs; it also hides any journal socket, so log to the console (systemd.log),
    # and let units (dbus-daemon) inherit that too instead of losing their output.
    # The inaccessible nodes are what PID 1 leaves there on a real system: a service's
    # sandbox (ProtectHome=, PrivateDevices=, ...) masks paths with them.
    cat >"$H_T/systemd.sh" <<EOF
mount -t tmpfs -o mode=755 tmpfs /run/systemd && mkdir /run/systemd/system || exit 1
mkdir -m 755 /run/systemd/inaccessible && cd /run/systemd/inaccessible &&
    install -m 0 /dev/null reg && mkdir -m 0 dir && mkfifo -m 0 fifo && mknod -m 0 chr c 0 0 &&
    mknod -m 0 blk b 0 0 && python3 -c 'import socket; socket.socket(socket.AF_UNIX).bind("sock")' &&
    chmod 0 sock && cd / || exit 1
# In a systemd-nspawn container /proc/kmsg is nspawn's FIFO, bind-mounted from the container's
# /run; from the user namespace a unit of systemd 257 gets (above) it cannot be covered, so every unit with
# ProtectKernelLogs= exits 226/NAMESPACE. Here, and only in this namespace, procfs's own file
# comes back, as on a host.
[ ! -p /proc/kmsg ] || umount /proc/kmsg || exit 1
echo \$\$ >$cg2/$name/cgroup.procs || exit 1
exec /lib/systemd/systemd --user --unit=hsops-test.target --log-target=console \\
    --default-standard-output=inherit --default-standard-error=inherit
EOF
    mkdir -p /run/systemd    # mount point; exists on any systemd-ish host anyway
    # SYSTEMD_UNIT_PATH: our units, then the stock user units (basic.target,
    # exit.target, ...); /etc/systemd/user is left out (it may alias dbus.service to
    # dbus-broker). DBUS_SESSION_BUS_ADDRESS is the bus it registers systemd1 on.
    XDG_RUNTIME_DIR=$H_T/rt SYSTEMD_UNIT_PATH=$H_T/units:/usr/lib/systemd/user \
    DBUS_SESSION_BUS_ADDRESS=$DBUS_SYSTEM_BUS_ADDRESS \
        _h_spawn systemd unshare -m --propagation private sh "$H_T/systemd.sh"
    H_SYSTEMD_PID=$_h_pid    # unshare and sh exec, so this is systemd itself

    _h_until "${H_UP_TIMEOUT:-60}" "$H_SYSTEMD_PID" h_answers org.freedesktop.systemd1
    rc=$?
    [ $rc = 0 ] && return 0
    [ $rc = 2 ] && _h_fail "systemd --user exited during start-up" "$H_T/systemd.log"
    [ $rc = 1 ] && _h_fail "org.freedesktop.systemd1 did not answer within ${H_UP_TIMEOUT:-60} s" "$H_T/systemd.log"
}

# _h_broker_units: dbus.service runs dbus-broker-launch on the same bus.conf and socket.
# The launcher will not start without /run/systemd/journal/socket (its only log); in the
# private /run/systemd a socket unit stands in for journald, the messages go to dbus-broker.log.
_h_broker_units() {
    [ -x /usr/bin/dbus-broker-launch ] || { echo "harness: H_BUS=dbus-broker: dbus-broker not installed" >&2; return 1; }
    mkdir -p "$H_T/units/dbus.service.d" || return 1
    cat >"$H_T/units/dbus.service.d/harness-broker.conf" <<EOF || return 1
[Unit]
Requires=harness-journal.socket
After=harness-journal.socket
[Service]
ExecStart=
ExecStart=/usr/bin/dbus-broker-launch --scope system --config-file $H_T/bus.conf
EOF
    printf '[Socket]\nListenDatagram=/run/systemd/journal/socket\n' >"$H_T/units/harness-journal.socket" &&
        printf '[Service]\nStandardInput=socket\nStandardOutput=append:%s\nExecStart=/bin/grep -a --line-buffered ^MESSAGE=\n' \
            "$H_T/dbus-broker.log" >"$H_T/units/harness-journal.service"
}

# h_polkit_start: real polkitd on our bus. The host's polkit dirs are never touched:
# the copies in $H_T are bind-mounted over them in a private mount namespace. (Copies,
# because polkitd drops to user polkitd, who may not be able to read the checkout.)
# The stock /usr/share/polkit-1/rules.d still loads (50-default.rules). polkitd
# watches $H_T/polkit-rules, so a test can add a rule there at any time; a restart
# re-copies the sources over it.
h_polkit_start() {
    local -; set +e
    local f rc
    [ -z "$H_POLKIT_PID" ] || { echo "h_polkit_start: already running ($H_POLKIT_PID)" >&2; return 1; }
    # shellcheck disable=SC2174 # $H_T exists: -m is for the directories made
    mkdir -p -m 755 "$H_T/polkit-actions" "$H_T/polkit-rules" || return 1
    for f in "${H_POLKIT_ACTIONS:-$SRCDIR/polkit}"/*.policy; do
        [ -e "$f" ] && install -m 644 "$f" "$H_T/polkit-actions/"
    done
    for f in "${H_POLKIT_RULES:-$SRCDIR/polkit}"/*.rules; do
        [ -e "$f" ] && install -m 644 "$f" "$H_T/polkit-rules/"
    done
    # shellcheck disable=SC2012 # a log line of our own files' names
    _h_log "polkit actions: $(ls "$H_T/polkit-actions" | tr '\n' ' ')rules: $(ls "$H_T/polkit-rules" | tr '\n' ' ')"

    # unshare and sh both exec: H_POLKIT_PID is polkitd itself (SIGSTOP-able). It
    # starts as root and switches to user polkitd, which is the only user the bus
    # policy lets own org.freedesktop.PolicyKit1. Without --no-debug its own messages
    # (rules loaded, "Terminating runaway script") reach polkitd.log, not just syslog.
    _h_spawn polkitd unshare -m --propagation private sh -c '
        mount --bind "$1" /usr/share/polkit-1/actions &&
        mount --bind "$2" /etc/polkit-1/rules.d &&
        exec /usr/lib/polkit-1/polkitd' sh "$H_T/polkit-actions" "$H_T/polkit-rules"
    H_POLKIT_PID=$_h_pid

    # a bound for a machine loaded far beyond its cores, not a speed: it answers in well under 1 s
    _h_until 30 "$H_POLKIT_PID" h_answers org.freedesktop.PolicyKit1
    rc=$?
    [ $rc = 0 ] && return 0
    [ $rc = 2 ] && _h_fail "polkitd exited during start-up" "$H_T/polkitd.log"
    [ $rc = 1 ] && _h_fail "org.freedesktop.PolicyKit1 did not answer within 30 s" "$H_T/polkitd.log"
    h_polkit_stop >/dev/null 2>&1
    return 1
}

# h_polkit_stalls: how often polkitd gave up waiting for a rules script, as its log says.
# polkitd 122 (Debian 12) does so for scripts that had finished: its script thread signals
# without holding the lock, so the wakeup can be lost, and polkitd then answers no one for
# 15 s.
h_polkit_stalls() {
    local n   # grep -c fails when it counts 0: that must not end a caller under set -e
    n=$(grep -c "Terminating runaway script" "$H_T/polkitd.log" 2>/dev/null || true)
    echo "polkitd's 15 s waits for a rules script (its log): ${n:-0}"
}

h_polkit_stop() {
    local -; set +e
    [ -n "$H_POLKIT_PID" ] || return 0
    _h_kill "$H_POLKIT_PID" 5 polkitd
    H_POLKIT_PID=
    # the bus drops the name when it sees the connection close: wait for that, so a
    # following h_polkit_start cannot mistake the old owner for the new one
    _h_until 5 "" _h_no_owner org.freedesktop.PolicyKit1 ||
        _h_fail "org.freedesktop.PolicyKit1 still has an owner after polkitd exited"
}

# ---------------------------------------------------------------- the daemon

# h_stand_in_config FILE: the stand-in units (tests/units/stand-ins.json, a process per
# Harper service) for every service FILE does not name, written into FILE (created when
# missing). A FILE that is not a JSON object is left as it is, for tests of bad files.
h_stand_in_config() {
    python3 - "$SRCDIR/tests/units/stand-ins.json" "$1" <<'PY'
import json, os, sys
stand_ins, path = json.load(open(sys.argv[1])), sys.argv[2]
try:
    config = json.load(open(path)) if os.path.exists(path) else {}
except ValueError:
    sys.exit(0)
if isinstance(config, dict) and isinstance(config.get("services", {}), dict):
    services = config.setdefault("services", {})
    for name, service in stand_ins["services"].items():
        services.setdefault(name, service)
    config.setdefault("harper", stand_ins["harper"])
    json.dump(config, open(path, "w"))
PY
}

# h_daemon_start [ARGS...]: harper-sysopsd as root on our bus, output appended to
# $H_T/daemon.log. H_DAEMON_WRAPPER is a command prefix, word-split with shell
# quoting (eval), so it may say '--log-file=$H_T/valgrind.log' in single quotes.
# valgrind runs the program in its own process, so H_DAEMON_PID still gets signals.
h_daemon_start() {
    local -; set +e
    local -a wrap=()
    local secs=${H_DAEMON_TIMEOUT:-10} rc off
    [ -z "$H_DAEMON_PID" ] || { echo "h_daemon_start: already running ($H_DAEMON_PID)" >&2; return 1; }
    # Harper's services are the stand-in units unless the test manages a real Harper
    if [ -z "${H_REAL_HARPER:-}" ]; then
        local arg config=
        for arg in "$@"; do [[ $arg != --config=* ]] || config=${arg#--config=}; done
        [ -n "$config" ] || { config=$H_T/stand-ins.json; set -- --config="$config" "$@"; }
        h_stand_in_config "$config"
    fi
    if [ -n "${H_DAEMON_WRAPPER:-}" ]; then
        eval "wrap=($H_DAEMON_WRAPPER)"
        secs=${H_DAEMON_TIMEOUT:-30}       # valgrind: 0.5 s here, 20 s on a loaded machine
    fi
    _h_log "daemon: ${wrap[*]} ${H_DAEMON_BIN:-$BUILDDIR/src/harper-sysopsd} $*"
    touch "$H_T/daemon.log"
    off=$(stat -c %s "$H_T/daemon.log")     # on failure, show only this run's output
    _h_spawn daemon "${wrap[@]}" "${H_DAEMON_BIN:-$BUILDDIR/src/harper-sysopsd}" "$@"
    H_DAEMON_PID=$_h_pid
    H_DAEMON_STATUS=

    _h_until "$secs" "$H_DAEMON_PID" h_has_owner "$H_BUS_NAME"
    rc=$?
    [ $rc = 0 ] && return 0
    if [ $rc = 2 ]; then
        _h_read_status daemon; H_DAEMON_STATUS=$_h_status
        echo "harness: harper-sysopsd exited with status $H_DAEMON_STATUS during start-up" >&2
    else
        _h_kill "$H_DAEMON_PID" 5 daemon; H_DAEMON_STATUS=$_h_status
        echo "harness: $H_BUS_NAME got no owner within $secs s" \
             "(bus policy dir: ${H_POLICYDIR:-$SRCDIR/dbus})" >&2
    fi
    H_DAEMON_PID=
    echo "----- $H_T/daemon.log" >&2
    tail -c +$((off + 1)) "$H_T/daemon.log" | tail -n 60 >&2
    return 1
}

# h_daemon_stop: SIGTERM, wait (10 s, 30 s with a wrapper), then KILL. Its exit
# status (128+N if killed by signal N) goes to H_DAEMON_STATUS.
h_daemon_stop() {
    local -; set +e
    local secs=${H_DAEMON_TIMEOUT:-10}
    [ -n "$H_DAEMON_PID" ] || return 0
    [ -n "${H_DAEMON_WRAPPER:-}" ] && secs=${H_DAEMON_TIMEOUT:-30}
    _h_kill "$H_DAEMON_PID" "$secs" daemon
    H_DAEMON_STATUS=$_h_status H_DAEMON_PID=
    _h_log "daemon exited with status $H_DAEMON_STATUS"
    # as for polkitd: the name must be gone before a restart waits for it again
    _h_until 5 "" _h_no_owner "$H_BUS_NAME"
    return 0
}

# ---------------------------------------------------------------- teardown

# h_down: end everything this harness started, by PID and by its own cgroup.
# Idempotent, bounded (every wait has a timeout), and quiet.
h_down() {
    local -; set +e
    local cg
    trap - EXIT
    h_daemon_stop >/dev/null 2>&1
    if [ -n "$H_POLKIT_PID" ]; then _h_kill "$H_POLKIT_PID" 5 polkitd; H_POLKIT_PID=; fi
    if [ -n "$H_SYSTEMD_PID" ]; then
        # orderly first: systemd stops its units (the bus) and exits
        [ -S "$H_T/rt/systemd/private" ] &&
            XDG_RUNTIME_DIR=$H_T/rt timeout 5 systemctl --user --no-block exit >/dev/null 2>&1
        _h_until 5 "" _h_dead "$H_SYSTEMD_PID"
        _h_kill "$H_SYSTEMD_PID" 2 systemd
        H_SYSTEMD_PID=
    fi
    # whatever is left in our cgroups (units, their children) dies with the cgroup
    for cg in "${H_CGROUPS[@]}"; do
        [ -d "$cg" ] || continue
        if [ -e "$cg/cgroup.kill" ]; then
            echo 1 >"$cg/cgroup.kill"
        else    # the v1 mirror, or a kernel older than 5.14
            # shellcheck disable=SC2038 # xargs reads the pids in cgroup.procs, not file names
            find "$cg" -name cgroup.procs -exec cat {} + | xargs -r kill -KILL
        fi 2>/dev/null
        h_wait 5 _h_rmtree "$cg" || echo "harness: cannot remove cgroup $cg" >&2
    done
    H_CGROUPS=()
    if [ -n "$H_T" ]; then
        if [ -n "${H_KEEP:-}" ]; then echo "harness: kept $H_T" >&2; else rm -rf "$H_T"; fi
        H_T=
    fi
    return 0
}
_h_rmtree() { find "$1" -depth -type d -exec rmdir {} + 2>/dev/null; [ ! -d "$1" ]; }

# ---------------------------------------------------------------- TAP producer

_h_tap_n=0 _h_tap_failed=0 _h_tap_plan='' _h_tap_begun=''

_h_tap_begin() {   # meson accepts "TAP version" only on the very first line
    [ -n "$_h_tap_begun" ] || { echo "TAP version 13"; _h_tap_begun=1; }
}
diag() { _h_tap_begin; printf '%s\n' "$*" | sed 's/^/# /'; }

# _h_result RC DESC: one "ok N - DESC" line; returns 0 for a pass, 1 for a failure.
# '#' would start a directive (SKIP/TODO) and a newline a new line: escape both.
_h_result() {
    local d=${2//$'\n'/ }
    d=${d//#/\\#}
    _h_tap_begin
    _h_tap_n=$((_h_tap_n + 1))
    if [ "$1" = 0 ]; then
        echo "ok $_h_tap_n - $d"
    else
        echo "not ok $_h_tap_n - $d"
        _h_tap_failed=$((_h_tap_failed + 1))
        return 1
    fi
}
_h_diag_value() {   # label value: the value indented, one "#" line per line
    echo "#   $1:"
    if [ -z "$2" ]; then echo "#       (empty)"; else printf '%s\n' "$2" | sed 's/^/#       /'; fi
}

plan_tests() { _h_tap_begin; _h_tap_plan=$1; echo "1..$1"; }

# check DESC CMD...: passes if CMD exits 0. CMD runs in this shell (so it may change
# harness state, e.g. h_polkit_stop); its output is kept out of the TAP stream and
# shown as diagnostics on failure.
check() {
    local -; set +e
    local desc=$1 out rc
    shift
    out=$(mktemp "${H_T:-/tmp}/check.XXXXXX") || return 1
    "$@" >"$out" 2>&1
    rc=$?
    if _h_result "$rc" "$desc"; then rm -f "$out"; return 0; fi
    echo "#   command:$(printf ' %q' "$@")"
    echo "#   exit status: $rc"
    sed 's/^/#       /' "$out"
    rm -f "$out"
    return 1
}

is() {
    local -; set +e
    [ "$2" = "$3" ]
    _h_result $? "$1" && return 0
    _h_diag_value got "$2"
    _h_diag_value want "$3"
    return 1
}

like() {
    local -; set +e
    # grep would take each line of a pattern as a pattern of its own (any one would pass): a
    # pattern of several lines matches as many lines of the text in turn (its inner ^ and $ are
    # where the lines meet)
    local p=$3
    if [[ $p == *$'\n'* ]]; then
        p=${p//$'$\n'/$'\n'} p=${p//$'\n^'/$'\n'} p=${p//$'\n'/$'\x1f'}
        [[ $p == ^* ]] && p="(^|"$'\x1f'")${p#^}"
        [[ $p == *\$ ]] && p="${p%\$}(\$|"$'\x1f'")"
        grep -Eq -- "$p" <<<"${2//$'\n'/$'\x1f'}"
    else
        grep -Eq -- "$3" <<<"$2"
    fi
    _h_result $? "$1" && return 0
    _h_diag_value got "$2"
    _h_diag_value "want (grep -E)" "$3"
    return 1
}

skip_all() { _h_tap_begin; echo "1..0 # SKIP $*"; exit 0; }
bail_out() { _h_tap_begin; echo "Bail out! $*"; exit 1; }

done_testing() {
    local rc=0
    _h_tap_begin
    if [ -z "$_h_tap_plan" ]; then
        echo "1..$_h_tap_n"
    elif [ "$_h_tap_plan" != "$_h_tap_n" ]; then
        diag "planned $_h_tap_plan tests, ran $_h_tap_n"
        rc=1
    fi
    [ "$_h_tap_failed" = 0 ] || { diag "failed $_h_tap_failed of $_h_tap_n"; rc=1; }
    exit $rc
}
