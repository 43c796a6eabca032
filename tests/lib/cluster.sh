# SPDX-License-Identifier: MIT
# tests/lib/cluster.sh - a cluster of real Harper 4.7.29 nodes joined by Harper's own replication,
# each node a whole stack of its own, reached by its peers over a real OpenSSH server (source after
# harness.sh, sysops.sh and harper.sh; root).
#
# Node I (1, 2, ...; named by its address 127.0.0.(10+I), which is also Harper's replication.hostname,
# so Harper calls it by that name) has, like tests/lib/harper.sh's single node:
#   - its own harness stack (h_up: systemd --user as root in its own mount namespace and cgroup,
#     hosting a private system-like bus; the real polkitd with the project's policy and rules);
#   - Harper installed by harper_setup into that stack's folder, every listener on its own address and
#     ports picked at run time (never Harper's defaults), run by that manager as harperdb.service
#     (harper_unit: HARPER_EXIT_ON_RESTART=1, Restart=always, IPAddressAllow=localhost);
#   - harper-sysopsd from the build (h_daemon_start), with the cluster's one sysops.json;
#   - /usr/sbin/sshd -D with its own sshd_config, host key and log, on its address and the port
#     $CL_SSH_PORT that every node shares, in a cgroup of its own (h_down kills it with the node);
#     a session runs systemd-stdio-bridge on that node's bus (ForceCommand: systemd 252's bridge
#     ignores DBUS_SYSTEM_BUS_ADDRESS and always opens /run/dbus/system_bus_socket).
# What the cluster shares ($CL_T): the users hsops-peer (harper-admin, /bin/sh, password '*': no
# password, not locked) and hsops-peer-denied (no admin); one client key; known_hosts with every
# node's host key as [127.0.0.1X]:P; ssh-peers.conf (Host *: User, Port, IdentityFile,
# IdentitiesOnly, UserKnownHostsFile): the only thing an admin writes, and sysops.json
# {"ssh_config": ssh-peers.conf} ($CL_SYSOPS_JSON replaces it, for trying the harness with a daemon
# that does not know that key). Nothing says which nodes exist.
#
#   cl_init                      $CL_T, users, keys, ssh port, ssh-peers.conf, sysops.json; EXIT trap
#   cl_node_add I                node I up (stack, Harper answering, daemon, sshd); CL_NODES += I
#   cl_join I                    Harper's add_node on node 1 for node I (verify_tls false)
#   cl_on I CMD...               CMD with node I's harness variables (H_T, DBUS_SYSTEM_BUS_ADDRESS,
#                                H_DAEMON_PID, HARPER_SOCK, ...): harness.sh/harper.sh/sysops.sh
#                                functions act on node I (h_daemon_stop, harper_stop, ops, ...)
#   cl_ip I                      127.0.0.(10+I)
#   cl_op I JSON                 Harper's operation on node I's socket (harper_op)
#   cl_threads I                 node I's Harper worker threadIds (sorted; empty when down)
#   cl_repl_connected I [N]      node I's cluster_status: N-1 (default: all other nodes) connections,
#                                each with every database_socket connected
#   cl_cluster_whole             every node's cl_repl_connected
#   cl_sshd_start I [denied]     node I's sshd; "denied": in a mount namespace whose /etc/passwd
#                                gives the login hsops-peer the uid and groups of hsops-peer-denied
#                                (the node's admin maps the peers' account to a non-admin one)
#   cl_sshd_stop I               end it (by PID)
#   cl_bridge_call I USER ARGS   busctl over ssh (the daemon's transport) as USER into node I's bus
#   cl_poller_start / _stop      every 100 ms, each node's thread ids, hdb.pid and its replication
#                                (connections whole/all, the names of the whole ones); a line per
#                                sample in $CL_T/poll.log: REPLY_MS NODE THREADS|down|slow PID|-
#                                UP/ALL NAMES SENT_MS (down: its socket refused or was gone; slow:
#                                no answer within 1 s, which on a loaded host says nothing)
#   cl_rollout_check MODE START_MS END_MS I...   what the poller saw of a rollout over nodes I...
#                                (MODE threads: http_workers; pid: instance restarts)
#   cl_now_ms                    the clock of poll.log
#   cl_bg CMD...                 CMD in the background, ended by cl_down (CL_BG_PIDS)
#   cl_jobs I                    node I's harper-sysopsd's job objects, a line each:
#                                ID TYPE STATUS STEP=STATE,... (busctl on node I's bus)
#   cl_down                      everything down (Harper stopped, each node's h_down, poller); the
#                                EXIT trap; cl_leftovers says what is left (processes, listeners)
# Variables: CL_T CL_NODES CL_SSH_PORT CL_SSH_CONFIG CL_SYSOPS CL_KEY

CL_T='' CL_SSH_PORT='' CL_SSH_CONFIG='' CL_SYSOPS='' CL_KEY='' CL_POLLER_PID='' CL_CUR=''
CL_NODES=() CL_BG_PIDS=()
CL_PEER=hsops-peer CL_PEER_DENIED=hsops-peer-denied
declare -A _CL_STATE=() CL_SSHD_PID=()
# what harness.sh and harper.sh keep about "the" stack: one set per node
_CL_VARS=(H_T H_SYSTEMD_PID H_POLKIT_PID H_DAEMON_PID H_DAEMON_STATUS DBUS_SYSTEM_BUS_ADDRESS
    HARPER_ROOT HARPER_HOME HARPER_SOCK HARPER_OPS_PORT HARPER_HTTP_PORT HARPER_REPL_PORT
    HARPER_MQTT_PORT HARPER_PASSWORD HARPER_READY_MS HARPER_PROXY_PID HARPER_NODE_MODULES
    HARPER_ADDRESS HARPER_REPLICATION_HOSTNAME)

cl_ip() { echo "127.0.0.$((10 + $1))"; }
cl_now_ms() { local t=${EPOCHREALTIME//[.,]/}; echo "${t:0:-3}"; }

_cl_save() {
    local v
    for v in "${_CL_VARS[@]}"; do _CL_STATE[$1:$v]=${!v}; done
    _CL_STATE[$1:H_CGROUPS]="${H_CGROUPS[*]}"
}
_cl_load() {
    local v
    for v in "${_CL_VARS[@]}"; do printf -v "$v" '%s' "${_CL_STATE[$1:$v]}"; done
    read -ra H_CGROUPS <<<"${_CL_STATE[$1:H_CGROUPS]}"
    export H_T DBUS_SYSTEM_BUS_ADDRESS
    CL_CUR=$1
}
_cl_clear() {
    local v
    for v in "${_CL_VARS[@]}"; do printf -v "$v" '%s' ''; done
    HARPER_ADDRESS=127.0.0.1
    H_CGROUPS=() CL_CUR=
}
cl_on() {
    local _cl_i=$1 _cl_prev=$CL_CUR _cl_rc
    shift
    [ -z "$_cl_prev" ] || _cl_save "$_cl_prev"
    _cl_load "$_cl_i"
    "$@"
    _cl_rc=$?
    _cl_save "$_cl_i"
    if [ -n "$_cl_prev" ]; then _cl_load "$_cl_prev"; else _cl_clear; fi
    return $_cl_rc
}

cl_op() { cl_on "$1" harper_op "$2"; }

cl_bg() { "$@" & CL_BG_PIDS+=($!); }

_cl_jobs() {
    busctl --system --timeout=10 --json=short call "$H_BUS_NAME" / org.freedesktop.DBus.ObjectManager \
        GetManagedObjects | python3 -c '
import json, sys
objs = json.load(sys.stdin)["data"][0]
for path, ifaces in sorted(objs.items(), key=lambda kv: int(kv[0].rsplit("/", 1)[-1]) if kv[0].rsplit("/", 1)[-1].isdigit() else 0):
    j = ifaces.get("io.harperdb.SystemOperations1.Job")
    if not j: continue
    v = lambda k: j.get(k, {}).get("data", "")
    print(v("Id"), v("Type"), v("Status"), ",".join(f"{s}={st}" for s, st in v("Steps") or []) or "-")'
}
cl_jobs() { cl_on "$1" _cl_jobs; }

# ---------------------------------------------------------------- users, keys, configuration

# The peers' accounts, as an admin makes them once per node (here: one machine, made once).
# Idempotent, under h_users's lock. Password field '*': no password, and not locked ("!"), which
# sshd without PAM would refuse.
_cl_users() {
    local lock=/run/hsops-test-users.lock
    [ -w /run ] || lock=/tmp/hsops-test-users.lock
    h_users || return 1
    (
        flock -w 60 9 || { echo "cl_users: cannot take $lock" >&2; exit 1; }
        for u in "$CL_PEER" "$CL_PEER_DENIED"; do
            if ! id "$u" >/dev/null 2>&1; then
                _h_retry useradd -r -M -d /nonexistent -s /bin/sh "$u" || exit 1
            fi
            [ "$(getent passwd "$u" | cut -d: -f7)" = /bin/sh ] || _h_retry usermod -s /bin/sh "$u" || exit 1
            [ "$(getent shadow "$u" | cut -d: -f2)" = '*' ] || _h_retry usermod -p '*' "$u" || exit 1
        done
        [[ " $(id -nG "$CL_PEER") " == *" harper-admin "* ]] || _h_retry usermod -aG harper-admin "$CL_PEER" || exit 1
        [[ " $(id -nG "$CL_PEER_DENIED") " != *" harper-admin "* ]] ||
            { echo "cl_users: $CL_PEER_DENIED is in harper-admin" >&2; exit 1; }
    ) 9>>"$lock"
}

cl_init() {
    local -; set +e
    [ -z "$CL_T" ] || { echo "cl_init: already done ($CL_T)" >&2; return 1; }
    CL_T=$(mktemp -d /tmp/hsops-cluster.XXXXXX) && chmod 755 "$CL_T" || return 1
    trap cl_down EXIT
    trap 'exit 130' INT
    trap 'exit 143' TERM
    _cl_users || return 1
    # the harness's test lock and port registry belong to this shell: a port per run, shared by
    # every node's sshd (each on its own address)
    CL_SSH_PORT=$(h_free_ports 1) || return 1
    mkdir -m 755 "$CL_T/ssh" "$CL_T/ssh/authorized_keys" || return 1
    CL_KEY=$CL_T/ssh/id_ed25519
    ssh-keygen -q -t ed25519 -N '' -C hsops-cluster-test -f "$CL_KEY" || return 1
    for u in "$CL_PEER" "$CL_PEER_DENIED"; do
        install -m 644 "$CL_KEY.pub" "$CL_T/ssh/authorized_keys/$u" || return 1
    done
    : >"$CL_T/ssh/known_hosts"
    CL_SSH_CONFIG=$CL_T/ssh-peers.conf
    cat >"$CL_SSH_CONFIG" <<EOF
Host *
    User $CL_PEER
    Port $CL_SSH_PORT
    IdentityFile $CL_KEY
    IdentitiesOnly yes
    UserKnownHostsFile $CL_T/ssh/known_hosts
EOF
    CL_SYSOPS=$CL_T/sysops.json
    if [ -n "${CL_SYSOPS_JSON:-}" ]; then
        printf '%s\n' "$CL_SYSOPS_JSON" >"$CL_SYSOPS"
    else
        printf '{"ssh_config": "%s"}\n' "$CL_SSH_CONFIG" >"$CL_SYSOPS"
    fi
    [ -d /run/sshd ] || mkdir -m 755 /run/sshd    # sshd's privilege separation directory (its tmpfiles)
    : >"$CL_T/poll-nodes"
}

# ---------------------------------------------------------------- a node

cl_node_add() {
    local -; set +e
    local i=$1 ip
    ip=$(cl_ip "$1")
    [ -n "$CL_CUR" ] && _cl_save "$CL_CUR"
    _cl_clear
    # shellcheck disable=SC2034 # read by harper_setup (harper.sh)
    HARPER_ADDRESS=$ip HARPER_REPLICATION_HOSTNAME=$ip
    h_up || { _cl_save "$i"; CL_NODES+=("$i"); _cl_clear; return 1; }
    trap cl_down EXIT            # h_up's trap takes down one stack only
    _cl_save "$i"; CL_NODES+=("$i"); CL_CUR=$i
    _cl_node_rest "$i"
    local rc=$?
    _cl_save "$i"; _cl_clear
    [ $rc = 0 ] && echo "$ip ${_CL_STATE[$i:HARPER_ROOT]}" >>"$CL_T/poll-nodes"
    return $rc
}
_cl_node_rest() {   # in node $1's context
    local i=$1
    _h_log "cluster: node $i is $(cl_ip "$i")"
    harper_setup || return 1
    harper_unit || return 1
    harper_start 120 || { harper_logs; return 1; }
    h_daemon_start --config="$CL_SYSOPS" || return 1
    ssh-keygen -q -t ed25519 -N '' -C "node-$i" -f "$H_T/ssh_host_ed25519_key" || return 1
    echo "[$(cl_ip "$i")]:$CL_SSH_PORT $(cut -d' ' -f1,2 "$H_T/ssh_host_ed25519_key.pub")" >>"$CL_T/ssh/known_hosts"
    _cl_sshd_up "$i"
}

# node I's sshd_config: its address and the shared port, its host key, the cluster's authorized keys
_cl_sshd_config() {
    cat >"$H_T/sshd_config" <<EOF
ListenAddress $(cl_ip "$1"):$CL_SSH_PORT
HostKey $H_T/ssh_host_ed25519_key
PidFile $H_T/sshd.pid
AuthorizedKeysFile $CL_T/ssh/authorized_keys/%u
AllowUsers $CL_PEER $CL_PEER_DENIED
StrictModes no
UsePAM no
PasswordAuthentication no
KbdInteractiveAuthentication no
PubkeyAuthentication yes
PermitRootLogin no
X11Forwarding no
AllowTcpForwarding no
AllowAgentForwarding no
PermitTTY no
LogLevel VERBOSE
SetEnv DBUS_SYSTEM_BUS_ADDRESS=$DBUS_SYSTEM_BUS_ADDRESS
ForceCommand /usr/bin/systemd-stdio-bridge --bus-path=$DBUS_SYSTEM_BUS_ADDRESS
EOF
}

# _cl_sshd_up I [denied]: in node I's context. sshd and every session it forks live in the cgroup
# <H_T's name>-sshd, which h_down kills and removes with the node.
_cl_sshd_up() {
    local i=$1 mode=${2:-} cg2=/sys/fs/cgroup cg
    [ -e /sys/fs/cgroup/unified/cgroup.procs ] && cg2=/sys/fs/cgroup/unified
    cg=$cg2/${H_T##*/}-sshd
    [ -d "$cg" ] || { mkdir "$cg" && H_CGROUPS+=("$cg"); } || return 1
    _cl_sshd_config "$i" || return 1
    /usr/sbin/sshd -t -f "$H_T/sshd_config" >>"$H_T/sshd.log" 2>&1 ||
        { _h_fail "node $i: sshd rejects its configuration" "$H_T/sshd.log"; return 1; }
    rm -f "$H_T/sshd.pid"
    if [ "$mode" = denied ]; then
        # the login hsops-peer has hsops-peer-denied's uid, gid and groups in this sshd's eyes
        local d_uid d_gid
        d_uid=$(id -u "$CL_PEER_DENIED") d_gid=$(id -g "$CL_PEER_DENIED")
        awk -F: -v OFS=: -v u="$CL_PEER" -v uid="$d_uid" -v gid="$d_gid" \
            '$1 == u { $3 = uid; $4 = gid } { print }' /etc/passwd >"$H_T/passwd.denied" || return 1
        awk -F: -v OFS=: -v u="$CL_PEER" \
            '{ n = split($4, m, ","); s = ""; for (k = 1; k <= n; k++) if (m[k] != u) s = s (s == "" ? "" : ",") m[k]; $4 = s; print }' \
            /etc/group >"$H_T/group.denied" || return 1
        chmod 644 "$H_T/passwd.denied" "$H_T/group.denied"
        _h_spawn sshd unshare -m --propagation private sh -c '
            echo $$ >"$1/cgroup.procs" && mount --bind "$2" /etc/passwd && mount --bind "$3" /etc/group &&
            exec /usr/sbin/sshd -D -e -f "$4"' sh "$cg" "$H_T/passwd.denied" "$H_T/group.denied" "$H_T/sshd_config"
    else
        _h_spawn sshd sh -c 'echo $$ >"$1/cgroup.procs" && exec /usr/sbin/sshd -D -e -f "$2"' sh "$cg" "$H_T/sshd_config"
    fi
    # shellcheck disable=SC2154 # _h_spawn's result (harness.sh)
    CL_SSHD_PID[$i]=$_h_pid
    _h_until 10 "$_h_pid" _cl_listens "$(cl_ip "$i")" "$CL_SSH_PORT" ||
        { _h_fail "node $i: sshd does not listen on $(cl_ip "$i"):$CL_SSH_PORT" "$H_T/sshd.log"; return 1; }
}
_cl_listens() { ss -Htln "src $1 and sport = :$2" | grep -q .; }

cl_sshd_start() { cl_on "$1" _cl_sshd_up "$@"; }
cl_sshd_stop() {
    local pid=${CL_SSHD_PID[$1]:-}
    [ -n "$pid" ] || return 0
    cl_on "$1" _h_kill "$pid" 5 sshd
    CL_SSHD_PID[$1]=
    h_wait 5 eval "! _cl_listens $(cl_ip "$1") $CL_SSH_PORT"
}

# cl_bridge_call I USER BUSCTL-ARGS...: busctl into node I's bus the way harper-sysopsd goes
# (ssh -xT -oBatchMode=yes -oStrictHostKeyChecking=yes -F ssh-peers.conf -- HOST systemd-stdio-bridge),
# as root with the admin's ssh-peers.conf; USER other than hsops-peer: -l USER added
cl_bridge_call() {
    local ip user=$2 addr n=1 a
    ip=$(cl_ip "$1")
    shift 2
    local argv=(-xT -oBatchMode=yes -oStrictHostKeyChecking=yes -F "$CL_SSH_CONFIG")
    [ "$user" = "$CL_PEER" ] || argv+=(-l "$user")
    argv+=(-- "$ip" systemd-stdio-bridge)
    addr=unixexec:path=ssh
    for a in "${argv[@]}"; do
        a=${a//,/%2c}; a=${a//=/%3d}; a=${a//:/%3a}
        addr+=",argv$n=$a"; n=$((n + 1))
    done
    timeout 60 busctl --address="$addr" --timeout=30 "$@"
}

# ---------------------------------------------------------------- Harper's cluster

cl_threads() {
    cl_op "$1" '{"operation":"system_information","attributes":["threads"]}' 2>/dev/null |
        python3 -c 'import json,sys; print(" ".join(sorted(str(t["threadId"]) for t in json.load(sys.stdin)["threads"])))' 2>/dev/null
}

cl_join() {
    local i=$1 out
    out=$(cl_op 1 "{\"operation\":\"add_node\",\"hostname\":\"$(cl_ip "$i")\",\"url\":\"wss://$(cl_ip "$i"):${_CL_STATE[$i:HARPER_REPL_PORT]}\",\"verify_tls\":false,\"authorization\":{\"username\":\"$HARPER_ADMIN\",\"password\":\"${_CL_STATE[$i:HARPER_PASSWORD]}\"}}")
    _h_log "cluster: add_node $(cl_ip "$i") on node 1: $out"
    echo "$out"
    grep -q '"message"' <<<"$out" && ! grep -q '"error"' <<<"$out"
}

# node I's cluster_status says its replication is whole: N-1 connections (N: the nodes up, or
# the second argument), every database socket of each connected
cl_repl_connected() {
    local want=${2:-$((${#CL_NODES[@]} - 1))}
    cl_op "$1" '{"operation":"cluster_status"}' 2>/dev/null | python3 -c '
import json, sys
s = json.load(sys.stdin); c = s.get("connections") or []
ok = len(c) == int(sys.argv[1]) and all(x.get("database_sockets") and all(d.get("connected") for d in x["database_sockets"]) for x in c)
sys.exit(0 if ok else 1)' "$want"
}
cl_cluster_whole() {
    local i
    for i in "${CL_NODES[@]}"; do cl_repl_connected "$i" || return 1; done
}

# ---------------------------------------------------------------- the poller

cl_poller_start() {
    [ -z "$CL_POLLER_PID" ] || return 0
    python3 - "$CL_T/poll-nodes" "$CL_T/poll.log" <<'PY' >/dev/null 2>>"$CL_T/poller.err" &
import http.client, json, socket, sys, threading, time
nodes_file, log = sys.argv[1], open(sys.argv[2], "a", buffering=1)
lock = threading.Lock()
class UC(http.client.HTTPConnection):
    def __init__(s, path): super().__init__("localhost", timeout=1); s.path = path
    def connect(s): s.sock = socket.socket(socket.AF_UNIX); s.sock.settimeout(1); s.sock.connect(s.path)
def q(root, body):
    c = UC(root + "/operations-server")
    try:
        c.request("POST", "/", json.dumps(body), {"Content-Type": "application/json"})
        r = c.getresponse(); d = r.read()
        if r.status != 200: raise ValueError(r.status)
        return json.loads(d)
    finally: c.close()
def pid(root):
    try: return open(root + "/hdb.pid").read().strip() or "-"
    except OSError: return "-"
def watch(name, root):   # one thread per node: a node that hangs does not delay the others
    while True:
        sent = int(time.time() * 1000)
        try: th = ",".join(sorted(str(t["threadId"]) for t in q(root, {"operation": "system_information", "attributes": ["threads"]})["threads"])) or "none"
        except TimeoutError: th = "slow"
        except Exception: th = "down"
        if th not in ("down", "slow"):
            try:
                c = q(root, {"operation": "cluster_status"}).get("connections") or []
                whole = sorted(str(x.get("name")) for x in c if x.get("database_sockets") and all(d.get("connected") for d in x["database_sockets"]))
                repl = f"{len(whole)}/{len(c)} {','.join(whole) or 'none'}"
            except Exception: repl = "? ?"
        else: repl = "- -"
        with lock: log.write(f"{int(time.time() * 1000)} {name} {th} {pid(root)} {repl} {sent}\n")
        time.sleep(0.1)
started = set()
while True:
    try: nodes = [l.split() for l in open(nodes_file) if len(l.split()) == 2]
    except OSError: nodes = []
    for name, root in nodes:
        if name not in started:
            started.add(name); threading.Thread(target=watch, args=(name, root), daemon=True).start()
    time.sleep(0.5)
PY
    CL_POLLER_PID=$!
    h_wait 30 test -s "$CL_T/poll.log"
}
cl_poller_stop() {
    [ -n "$CL_POLLER_PID" ] || return 0
    kill "$CL_POLLER_PID" 2>/dev/null
    wait "$CL_POLLER_PID" 2>/dev/null
    CL_POLLER_PID=
}
# cl_rollout_check MODE START_MS END_MS NODE_IP...: from poll.log, the rollout over these nodes
# in this order. MODE threads: a node is "restarted" once all its worker threads are new (none of
# those it had at START) and at least as many (Harper's job runs in a thread of its own for a
# while); it "began" at its first state other than at START. MODE pid: restarted once it answers
# with a new hdb.pid; began at its first sample down or with another pid (a slow sample is left
# out: under load a Harper may take longer than the poller's 1 s to answer). Its replication
# is whole again when its cluster_status has as many connections with every database socket
# connected as before START (a node that was down stays down). Asserts: every node restarted
# between START and END (+ 5 s: the poller's lag); node k+1 began only after node k was restarted
# and its replication was whole again, a violation counting only when certain (a question sent
# after node k+1 was seen to have begun still saw node k not restarted, or not whole); never two
# of these nodes down at once. Prints what it saw (and "WHOLE NODE MS" per node whose
# replication was whole again); exit 1 on any violation.
cl_rollout_check() {
    python3 - "$CL_T/poll.log" "$@" <<'PY'
import sys
path, mode, start, end, order = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), sys.argv[5:]
GRACE = 5000   # the poller sees a state up to ~2 s late (two questions, 1 s timeout each): a node
               # restarted last may show its new threads just after the job ended
rows6 = []     # (reply ms, node, threads, pid, up/all, sent ms, names): every sample but the slow
for l in open(path):
    p = l.split()
    if len(p) == 7 and p[2] != "slow": rows6.append((int(p[0]), p[1], p[2], p[3], p[4], int(p[6]), p[5]))
rows = [r[:6] for r in rows6]
base = {}
for t, n, th, pid, repl, sent in rows:
    if t <= start: base[n] = (th, pid, repl)
ev = [r for r in rows if start < r[0] <= end + GRACE]
ev6 = [r for r in rows6 if start < r[0] <= end + GRACE]
base_names = {}
for r in rows6:
    if r[0] <= start and r[6] not in ("-", "?"): base_names[r[1]] = set() if r[6] == "none" else set(r[6].split(","))
for n in order: base_names.setdefault(n, set())
bad = []
def up_of(repl):
    return int(repl.split("/")[0]) if "/" in repl else -1
def is_whole(repl, n):   # connected to at least as many nodes as before START (a node down then stays down)
    return "/" in repl and up_of(repl) >= max(1, up_of(base[n][2]))
# began: the reply of its first sample that differs (it began at or before then).
# done / whole: the reply of its first sample that is; and "not yet" = the send time of the last
# sample before that one (it was not yet done/whole at or after then).
began, done, whole, not_done, not_whole = {}, {}, {}, {}, {}
for n in order:
    if n not in base or base[n][0] == "down":
        bad.append(f"{n}: not answering at START ({base.get(n)})"); continue
    b_th, b_pid, _ = base[n]
    for t, m, th, pid, repl, sent in ev:
        if m != n: continue
        if n not in began and (th == "down" or (th != b_th if mode == "threads" else pid != b_pid)):
            began[n] = t
        if n in began and n not in done:
            ok = False
            if th != "down":
                if mode == "threads":
                    new = th.split(",")
                    ok = not set(new) & set(b_th.split(",")) and len(new) >= len(b_th.split(","))
                else:
                    ok = pid not in ("-", b_pid)
            if ok: done[n] = t
            else: not_done[n] = sent
        if n in done and n not in whole:
            if is_whole(repl, n): whole[n] = t
            else: not_whole[n] = sent
def rel(d, n): return f"{d[n] - start} ms" if n in d else "never"
for n in order:
    print(f"{n}: began {rel(began, n)}, restarted {rel(done, n)}, its replication whole {rel(whole, n)} (after START; last seen not whole {rel(not_whole, n)})")
    if n not in done: bad.append(f"{n} was not restarted between START and END")
    if n in whole: print(f"WHOLE {n} {whole[n]}")
def names_of(repl_names): return set() if repl_names in ("-", "?", "none") else set(repl_names.split(","))
for a, b in zip(order, order[1:]):
    if b not in began: continue
    # a violation only when it is certain: the previous node was seen not yet restarted by a
    # question sent after the next node was seen to have begun; or it was not seen whole by the
    # time the next one began (+1 s: a question may take that long) and a question sent after that
    # saw it miss a connection other than to the next node (which is down then, by design)
    if a not in done or not_done.get(a, 0) >= began[b]:
        bad.append(f"{b} began ({rel(began, b)}) before {a} was restarted ({rel(done, a)}; seen not restarted at {rel(not_done, a)})")
        continue
    if a in whole and whole[a] <= began[b] + 1000: continue
    want = up_of(base[a][2]) - (1 if b in base_names[a] else 0)
    against = [(t, nm) for t, m, th, pid, repl, sent, nm in ev6 if m == a and sent >= began[b] and t <= end + GRACE
               and "/" in repl and len(names_of(nm) - {b}) < want]
    if a not in whole or against:
        bad.append(f"{b} began ({rel(began, b)}) before {a}'s cluster_status said its replication was whole"
                   f" (whole at {rel(whole, a)}; after {b} began, {a} was connected only to {against[0][1] if against else '?'}"
                   f" at {against[0][0] - start if against else '?'} ms)")
# never two nodes of the rollout down at once: a node is surely down from the moment a question
# that it did not answer was sent until that question failed
down = [(sent, t, n) for t, n, th, pid, repl, sent in ev if n in order and th == "down"]
worst = None
for s1, r1, n1 in down:
    for s2, r2, n2 in down:
        if n1 < n2 and s1 <= r2 and s2 <= r1:
            worst = worst or (max(s1, s2) - start, n1, n2)
print(f"two nodes surely not answering at once: {worst or 'never'}")
if worst: bad.append(f"two nodes did not answer at once: {worst}")
for b in bad: print("VIOLATION:", b)
sys.exit(1 if bad else 0)
PY
}

# ---------------------------------------------------------------- teardown

cl_down() {
    local -; set +e
    local i
    trap - EXIT
    cl_poller_stop
    for i in "${CL_BG_PIDS[@]}"; do kill "$i" 2>/dev/null; wait "$i" 2>/dev/null; done
    CL_BG_PIDS=()
    local stops=()    # every Harper stops at once (each flushes for a few seconds)
    for i in "${CL_NODES[@]}"; do (cl_on "$i" harper_stop) & stops+=($!); done
    [ ${#stops[@]} = 0 ] || wait "${stops[@]}"
    for i in "${CL_NODES[@]}"; do cl_on "$i" h_down; done
    CL_NODES=() CL_BG_PIDS=()
    if [ -n "$CL_T" ]; then
        if [ -n "${H_KEEP:-}" ]; then echo "cluster: kept $CL_T" >&2; else rm -rf "$CL_T"; fi
        CL_T=
    fi
    return 0
}

# cl_leftovers PIDS...: what is left after cl_down: any of PIDS alive, anything listening on the
# nodes' addresses or Harper's default ports. Prints it; exit 1 if anything.
cl_leftovers() {
    local p left=0
    for p in "$@"; do _h_alive "$p" && { echo "process $p ($(tr '\0' ' ' </proc/"$p"/cmdline 2>/dev/null)) is alive"; left=1; }; done
    if ss -Htlnp | grep -E '127\.0\.0\.1[1-9]:|:(9925|9926|9932|9933|1883|8883) '; then left=1; fi
    return $left
}
