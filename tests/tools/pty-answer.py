# SPDX-License-Identifier: MIT
# pty-answer.py ANSWER CMD...: runs CMD on a new terminal (so harper-ops starts pkttyagent) and
# types ANSWER and Enter at each "Password:" prompt, as a person would. Prints what the terminal
# showed; exits with CMD's status. Gives up (kills CMD) after 60 s.
import os, pty, select, signal, sys, termios, time

answer, cmd = sys.argv[1], sys.argv[2:]
pid, fd = pty.fork()
if pid == 0:
    os.execvp(cmd[0], cmd)
shown, answered, deadline = b"", 0, time.time() + 60
while time.time() < deadline:
    if not select.select([fd], [], [], 0.5)[0]:
        continue
    try:
        data = os.read(fd, 4096)
    except OSError:         # EIO: CMD and its children closed the terminal
        break
    if not data:
        break
    shown += data
    if shown.count(b"Password:") > answered:
        answered += 1
        # the agent turns echo off after the prompt, flushing what was typed before (TCSAFLUSH)
        while termios.tcgetattr(fd)[3] & termios.ECHO and time.time() < deadline:
            time.sleep(0.01)
        os.write(fd, answer.encode() + b"\n")
else:
    os.kill(pid, signal.SIGKILL)
sys.stdout.write(shown.decode(errors="replace"))
sys.exit(os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1]))
