#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""harper-ops's bash completion as a person uses it: an interactive bash on a terminal
(readline, bash-completion, the shipped completion file), keys with Tab, and the command
line that bash then runs. TAP on stdout. Usage: completion.py SRCDIR"""
import os
import pty
import re
import select
import sys
import time

SRCDIR = sys.argv[1]
BASH_COMPLETION = "/usr/share/bash-completion/bash_completion"
# keys typed (\t is Tab) -> the arguments harper-ops is then run with
CASES = [
    ("harper-ops --pre\t\n", ["--pretty"]),
    ("harper-ops --time\t5 --wa\t\n", ["--timeout=5", "--wait"]),
    ("harper-ops '{\"operation\":\"get_status\",\"id\":\"pr\t\n",
     ['{"operation":"get_status","id":"primary"}']),
    ("harper-ops '{\"operation\":\"restart_service\",\"service\":\"clustering_c\t}'\n",
     ['{"operation":"restart_service","service":"clustering_config"}']),
    ("harper-ops '{\"operation\":\"restart_service\",\"service\":\"http_workers\",\t\n",
     ['{"operation":"restart_service","service":"http_workers","replicated":true}']),
    ("harper-ops '{\"operation\":\"set_status\",\"id\":\"availability\",\"status\":\"U\t\n",
     ['{"operation":"set_status","id":"availability","status":"Unavailable"}']),
    ("harper-ops '{\"operation\":\"system_information\",\"attributes\":[\"table\t\n",
     ['{"operation":"system_information","attributes":["table_size"]}']),
    ("harper-ops '{\"operation\":\"clear_st\t\tm\t\n",
     ['{"operation":"clear_status","id":"maintenance"}']),
]


def read_until(fd, pattern, seconds):
    out, end = b"", time.time() + seconds
    while time.time() < end and not re.search(pattern, out):
        if select.select([fd], [], [], 0.1)[0]:
            try:
                out += os.read(fd, 65536)
            except OSError:
                break
    return out.decode(errors="replace")


def run(keys):
    """The arguments bash runs harper-ops with after keys, or the terminal's text."""
    pid, fd = pty.fork()
    if pid == 0:
        os.environ.update(TERM="dumb", INPUTRC="/dev/null", HOME="/nonexistent")
        os.execvp("bash", ["bash", "--norc", "--noprofile", "-i"])
    setup = (f"PS1='$ '; bind 'set bell-style none'; . {BASH_COMPLETION}; "
             f". {SRCDIR}/completion/harper-ops; "
             "harper-ops() { printf 'ARGV'; printf '<%s>' \"$@\"; echo; }; echo READY\n")
    os.write(fd, setup.encode())
    read_until(fd, rb"\nREADY\r?\n", 10)
    for i, text in enumerate(keys.split("\t")):   # each Tab sees the line typed before it
        os.write(fd, (("\t" if i else "") + text).encode())
        time.sleep(0.2)
    out = read_until(fd, rb"\nARGV[^\n]*\n", 10)
    os.kill(pid, 9)
    os.waitpid(pid, 0)
    m = re.search(r"\nARGV((?:<[^>]*>)*)\r?\n", out)
    return re.findall(r"<([^>]*)>", m.group(1)) if m else out


print("TAP version 13")
if not os.path.exists(BASH_COMPLETION):
    print("1..0 # SKIP bash-completion is not installed")
    sys.exit(0)
failed = 0
for i, (keys, want) in enumerate(CASES, 1):
    got = run(keys)
    passed = got == want
    failed += not passed
    print(("ok" if passed else "not ok") + f" {i} - completes {keys.strip()!r}")
    if not passed:
        print(f"#   got:  {got!r}\n#   want: {want!r}")
print(f"1..{len(CASES)}")
sys.exit(1 if failed else 0)
