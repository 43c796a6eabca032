#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
# free-ports.py REGISTRY OWNER_PID N: print N different loopback TCP ports that nobody listens
# on, reserved for OWNER_PID (a test's shell) in REGISTRY, one "port pid" per line.
#
# Why not the kernel's choice (bind to port 0): that port comes from the ephemeral range, and in
# the seconds before the test's server binds it (Harper installs for 3 s first), another test's
# outgoing connection or one of Harper's worker threads (each listens on [::]:0) may take it:
# "Address already in use". These ports are below the ephemeral range, never one of Harper's
# defaults, and the registry keeps tests that run at the same time from picking the same one.
# Entries of processes that are gone are dropped.
import fcntl
import os
import random
import socket
import sys

LOW, HIGH = 20000, 32767          # below net.ipv4.ip_local_port_range's default 32768


def alive(pid):
    try:
        os.kill(pid, 0)
        return True
    except ProcessLookupError:
        return False
    except PermissionError:
        return True


def bindable(port):
    """Nobody has the port on 127.0.0.1, nor on [::] (which would take 127.0.0.1 too)."""
    for family, addr in ((socket.AF_INET, "127.0.0.1"), (socket.AF_INET6, "::")):
        try:
            s = socket.socket(family)
        except OSError:
            continue              # no IPv6 on this host
        try:
            s.bind((addr, port))
        except OSError:
            return False
        finally:
            s.close()
    return True


def main(registry, owner, count):
    with open(registry, "a+") as f:
        fcntl.flock(f, fcntl.LOCK_EX)
        f.seek(0)
        kept = [line.split() for line in f if len(line.split()) == 2]
        kept = [(int(p), int(pid)) for p, pid in kept if alive(int(pid))]
        taken = {p for p, _ in kept}
        low, high = int(os.environ.get("H_PORTS_LOW", LOW)), int(os.environ.get("H_PORTS_HIGH", HIGH))
        candidates = [p for p in range(low, high + 1) if p not in taken]
        random.shuffle(candidates)
        mine = []
        for port in candidates:
            if bindable(port):
                mine.append(port)
                if len(mine) == count:
                    break
        if len(mine) < count:
            sys.exit(f"free-ports: fewer than {count} free ports in {low}-{high}")
        f.seek(0)
        f.truncate()
        f.writelines(f"{p} {pid}\n" for p, pid in kept + [(p, owner) for p in mine])
    print(" ".join(map(str, mine)))


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]), int(sys.argv[3]))
