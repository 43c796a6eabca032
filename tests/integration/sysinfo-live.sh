#!/bin/bash
# SPDX-License-Identifier: MIT
# system_information of this machine (src/sysinfo, printed by sysinfo-dump) against what the
# usual tools say: nproc/getconf, free -b, df -B1, ip -j addr/route, uname -r, hostname.
# Needs no bus and no root; python3 reads the JSON.
. "$(dirname "$0")/../lib/harness.sh"

dump=$BUILDDIR/src/sysinfo/sysinfo-dump
[ -x "$dump" ] || bail_out "not built: $dump"
command -v python3 >/dev/null || skip_all "python3 not found"

T=$(mktemp -d /tmp/sysinfo-live.XXXXXX) || bail_out "mktemp"
trap 'rm -rf "$T"' EXIT

# the dump runs as the "instance" unit's main process: this shell, with its own cgroup
check "sysinfo-dump answers for this machine" "$dump" --instance-pid $$ '[]'
# the clocks before and after it: its time section lies between (on a loaded machine the checks
# below come long after it)
before_ms=$(date +%s%3N) before_up=$(cut -d' ' -f1 /proc/uptime)
"$dump" --instance-pid $$ '[]' >"$T/all.json" 2>"$T/err" || bail_out "sysinfo-dump failed: $(cat "$T/err")"
after_ms=$(date +%s%3N) after_up=$(cut -d' ' -f1 /proc/uptime)
check "the answer has Harper's 11 sections in Harper's order, then ours, then harper" python3 - "$T/all.json" <<'EOF'
import json, sys
d = json.load(open(sys.argv[1]))
want = ["system", "time", "cpu", "memory", "disk", "network", "harperdb_processes", "table_size", "metrics", "threads",
        "replication", "unit_metrics", "process_threads", "database_files", "harper"]
assert list(d) == want, list(d)
# sysinfo-dump asks no Harper: what only Harper knows is null, and harper says so
harper_only = ["table_size", "metrics", "threads"]
assert all(d[k] is not None for k in want if k not in harper_only), [k for k in want if d[k] is None]
assert all(d[k] is None for k in harper_only), [k for k in harper_only if d[k] is not None]
assert d["harper"] == {"answered": False, "error": "Harper was not asked."}, d["harper"]
EOF

q() { python3 -c "import json,sys; d=json.load(open('$T/all.json')); print($1)"; }

is "cpu.cores is getconf _NPROCESSORS_ONLN" "$(q 'd["cpu"]["cores"]')" "$(getconf _NPROCESSORS_ONLN)"
is "cpu.current_load.cpus has one entry per CPU" "$(q 'len(d["cpu"]["current_load"]["cpus"])')" "$(getconf _NPROCESSORS_ONLN)"
like "cpu.current_load.currentLoad is a percentage" "$(q 'd["cpu"]["current_load"]["currentLoad"]')" '^[0-9]+(\.[0-9]+)?(e-[0-9]+)?$'
is "memory.total is free -b's total" "$(q 'd["memory"]["total"]')" "$(free -b | awk '/^Mem:/ {print $2}')"
is "memory.swaptotal is free -b's swap total" "$(q 'd["memory"]["swaptotal"]')" "$(free -b | awk '/^Swap:/ {print $2}')"
rss=$(awk '/^VmRSS:/ {print $2 * 1024}' /proc/$$/status)
check "memory.rss is this shell's VmRSS (within 10 %)" python3 -c "import json; d=json.load(open('$T/all.json')); assert abs(d['memory']['rss'] - $rss) <= $rss / 10"
is "system.kernel is uname -r" "$(q 'd["system"]["kernel"]')" "$(uname -r)"
is "system.hostname is hostname" "$(q 'd["system"]["hostname"]')" "$(hostname)"
is "system.platform is linux" "$(q 'd["system"]["platform"]')" linux
check "time.current is date's, between its readings before and after the dump" \
    python3 -c "import json; d=json.load(open('$T/all.json')); assert $before_ms <= d['time']['current'] <= $after_ms"
check "time.uptime is /proc/uptime's, between its readings before and after the dump (to 0.01 s)" \
    python3 -c "import json; d=json.load(open('$T/all.json')); assert $before_up - 0.01 <= d['time']['uptime'] <= $after_up + 0.01"

# df's filesystem of /: same size, used and available within 1 % (the disk moves meanwhile)
read -r dsize davail < <(df -B1 --output=size,avail / | tail -1)
check "disk.size row of / matches df -B1 (size exact, available within 1 %)" python3 - "$T/all.json" "$dsize" "$davail" <<'EOF'
import json, sys
d = json.load(open(sys.argv[1]))
rows = [r for r in d["disk"]["size"] if r["mount"] == "/"]
assert len(rows) == 1, d["disk"]["size"]
size, avail = int(sys.argv[2]), int(sys.argv[3])
assert rows[0]["size"] == size, (rows[0]["size"], size)
assert abs(rows[0]["available"] - avail) <= avail / 100 + 1, (rows[0]["available"], avail)
EOF

# ip -j addr: every interface, its MAC, MTU and addresses
ip -j addr >"$T/ip.json"
check "network.interfaces match ip -j addr (names, mac, mtu, ip4 and ip6 among its addresses)" python3 - "$T/all.json" "$T/ip.json" <<'EOF'
import json, sys
d = json.load(open(sys.argv[1]))
ip = json.load(open(sys.argv[2]))
ours = {i["iface"]: i for i in d["network"]["interfaces"]}
theirs = {i["ifname"]: i for i in ip}
assert sorted(ours) == sorted(theirs), (sorted(ours), sorted(theirs))
for name, i in theirs.items():
    o = ours[name]
    assert o["mac"] == i.get("address", ""), (name, o["mac"], i.get("address"))
    assert o["mtu"] == i["mtu"], (name, o["mtu"], i["mtu"])
    v4 = [a["local"] for a in i.get("addr_info", []) if a["family"] == "inet"]
    v6 = [a["local"] for a in i.get("addr_info", []) if a["family"] == "inet6"]
    assert (o["ip4"] in v4) if v4 else o["ip4"] == "", (name, o["ip4"], v4)
    assert (o["ip6"] in v6) if v6 else o["ip6"] == "", (name, o["ip6"], v6)
    assert o["operstate"] == i["operstate"].lower(), (name, o["operstate"], i["operstate"])
stats = {s["iface"] for s in d["network"]["stats"]}
assert stats == set(theirs), (stats, set(theirs))
EOF
defdev=$(ip -j route show default | python3 -c "import json,sys; r=json.load(sys.stdin); print(r[0]['dev'] if r else '')")
is "network.default_interface is ip route's default" "$(q 'd["network"]["default_interface"] or ""')" "$defdev"

is "harperdb_processes.core holds this shell" "$(q "[p['pid'] for p in d['harperdb_processes']['core'] if p['pid'] == $$]")" "[$$]"
is "... with its name" "$(q "[p['name'] for p in d['harperdb_processes']['core'] if p['pid'] == $$][0]")" bash
is "process_threads lists this shell's one thread" "$(q '[t["threadId"] for t in d["process_threads"]]')" "[$$]"

is "switched off, network is Harper's empty shape" "$("$dump" --no-network '["network"]')" \
    '{"network":{"default_interface":null,"latency":{},"interfaces":[],"stats":[],"connections":[]}}'
is "switched off, disk is only the basis" "$("$dump" --no-disk '["disk"]')" '{"disk":{"free_space_basis":"filesystem"}}'

# (not under ASan, which the sanitizer leg of .ci/run builds with: valgrind cannot run it)
if command -v valgrind >/dev/null && ! ldd "$dump" | grep -q libasan; then
    check "valgrind finds no leak or error in a full collect (twice, one state)" \
        valgrind -q --leak-check=full --show-leak-kinds=all --errors-for-leak-kinds=all --error-exitcode=99 \
        "$dump" --instance-pid $$ --repeat 2 '[]'
fi

done_testing
