#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""harper-bench.py: harper-sysopsd against the real Harper's own operations, interleaved in one run
(bench/harper-bench.sh brings up the stack and calls it; run as root, which reaches Harper's socket
through CAP_DAC_OVERRIDE):
  restart       A  harper-ops --wait restart, from the call to its exit (the job COMPLETE)
                B  Harper's own restart over its socket, from the call until it answers again
  readiness     during A: the job's EndTime minus the wall-clock time of Harper's first answer
                on its socket, which a prober asking every 1-2 ms sees (goal <= 20 ms p50); and,
                as the daemon also waits for Harper's TCP port, the split of that delay
  http_workers  A  harper-ops --wait restart_service http_workers
                B  Harper's own restart_service, then get_job every 20 ms until COMPLETE
Exits 1 when a restart fails, never because a goal was missed ("goal missed" is printed)."""
import argparse
import http.client
import json
import socket
import subprocess
import sys
import threading
import time

READINESS_GOAL_MS = 20
JOB_POLL_S = 0.02
TIMEOUT_S = 120


def wall_ms():     # the clock of the job's EndTime
    return time.time() * 1e3


def mono_ms():
    return time.monotonic() * 1e3


class Failed(Exception):
    pass


class Gone(OSError):
    """Nobody listens on the socket (no file, or connection refused): Harper is down."""


class UnixHTTPConnection(http.client.HTTPConnection):
    def __init__(self, path, timeout):
        super().__init__("localhost", timeout=timeout)
        self.path = path

    def connect(self):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.settimeout(self.timeout)
        try:
            self.sock.connect(self.path)
        except OSError as e:
            raise Gone(e) from e


class TCPHTTPConnection(http.client.HTTPConnection):
    def connect(self):
        try:
            super().connect()
        except OSError as e:
            raise Gone(e) from e


def connection(endpoint, timeout):
    """A unix socket path, or a TCP port on loopback (an int)."""
    if isinstance(endpoint, int):
        return TCPHTTPConnection("127.0.0.1", endpoint, timeout=timeout)
    return UnixHTTPConnection(endpoint, timeout)


def harper_post(endpoint, body, timeout=10):
    """One POST / of BODY to Harper: (HTTP status, JSON answer or None). Raises Gone when nobody
    listens, OSError or HTTPException when no whole answer came."""
    conn = connection(endpoint, timeout)
    try:
        conn.request("POST", "/", json.dumps(body), {"Content-Type": "application/json"})
        answer = conn.getresponse()
        text = answer.read()
        try:
            return answer.status, json.loads(text)
        except ValueError:
            return answer.status, None
    finally:
        conn.close()


class FirstAnswer(threading.Thread):
    """Asks Harper (its socket, or its TCP port) every 1-2 ms until it has seen Harper gone and
    then answering again (any HTTP answer counts); at_wall_ms / at_mono_ms: that first answer."""

    def __init__(self, endpoint):
        super().__init__(daemon=True)
        self.endpoint, self.at_wall_ms, self.at_mono_ms = endpoint, None, None
        self.stop = threading.Event()

    def run(self):
        gone = False
        while not self.stop.is_set():
            try:
                harper_post(self.endpoint, {}, timeout=1)
                if gone:
                    self.at_mono_ms, self.at_wall_ms = mono_ms(), wall_ms()
                    return
            except Gone:
                gone = True
            except (OSError, http.client.HTTPException):
                pass        # Harper on its way down or up: neither gone nor answering
            time.sleep(0.001)

    def result(self, timeout_s):
        self.join(timeout_s)
        self.stop.set()
        if self.at_wall_ms is None:
            raise Failed(f"Harper did not answer again on {self.endpoint} within {timeout_s} s")
        return self


def harper_ops(command, body):
    """harper-ops --wait BODY; the job's final record. Raises Failed unless it is COMPLETE."""
    run = subprocess.run([command, "--wait", "--no-ask-password", json.dumps(body)],
                         capture_output=True, text=True, timeout=TIMEOUT_S)
    try:
        record = json.loads(run.stdout)
    except ValueError:
        record = {}
    if run.returncode != 0 or record.get("status") != "COMPLETE":
        raise Failed(f"harper-ops --wait {json.dumps(body)}: exit {run.returncode}: "
                     f"{run.stdout.strip()} {run.stderr.strip()}")
    return record


def restart_via_daemon(opts):
    """ms from the call to harper-ops' exit; the job's EndTime against Harper's first answers on its
    socket and on its TCP port (the daemon waits for both)."""
    on_socket, on_tcp = FirstAnswer(opts.socket), FirstAnswer(opts.tcp_port)
    start = mono_ms()
    on_socket.start()
    on_tcp.start()
    record = harper_ops(opts.harper_ops, {"operation": "restart"})
    took = mono_ms() - start
    on_socket.result(5)    # Harper answered before the job ended: they have the answer already
    on_tcp.result(5)
    return took, {"readiness": record["end_datetime"] - on_socket.at_wall_ms,
                  "tcp_after_socket": on_tcp.at_wall_ms - on_socket.at_wall_ms,
                  "end_after_both": record["end_datetime"] - max(on_socket.at_wall_ms, on_tcp.at_wall_ms)}


def restart_via_harper(opts):
    """ms from Harper's own restart until it answers on its socket again"""
    prober = FirstAnswer(opts.socket)
    start = mono_ms()
    prober.start()
    status, answer = harper_post(opts.socket, {"operation": "restart"})
    if status != 200:
        raise Failed(f"Harper's restart: HTTP {status} {answer}")
    return prober.result(TIMEOUT_S).at_mono_ms - start, {}


def workers_via_daemon(opts):
    start = mono_ms()
    harper_ops(opts.harper_ops, {"operation": "restart_service", "service": "http_workers"})
    return mono_ms() - start, {}


def harper_job_status(path, job):
    """(status, record) of Harper's job; (None, None) while Harper, re-creating its socket, gives no answer."""
    try:
        status, records = harper_post(path, {"operation": "get_job", "id": job})
    except (OSError, http.client.HTTPException):
        return None, None
    record = records[0] if status == 200 and isinstance(records, list) and records else {}
    return record.get("status"), record


def workers_via_harper(opts):
    """ms from Harper's own restart_service until get_job (every 20 ms) says COMPLETE"""
    start = mono_ms()
    status, answer = harper_post(opts.socket, {"operation": "restart_service", "service": "http_workers"})
    if status != 200 or not isinstance(answer, dict) or "job_id" not in answer:
        raise Failed(f"Harper's restart_service: HTTP {status} {answer}")
    while mono_ms() - start < TIMEOUT_S * 1e3:
        time.sleep(JOB_POLL_S)
        job_status, record = harper_job_status(opts.socket, answer["job_id"])
        if job_status == "COMPLETE":
            return mono_ms() - start, {}
        if job_status == "ERROR":
            raise Failed(f"Harper's job {answer['job_id']}: {record}")
    raise Failed(f"Harper's job {answer['job_id']} did not end within {TIMEOUT_S} s")


def harper_ready(opts):
    """get_status answers 200 on the socket and the TCP port answers at all, as the tests wait."""
    try:
        return (harper_post(opts.socket, {"operation": "get_status"})[0] == 200 and
                harper_post(opts.tcp_port, {}) is not None)
    except (OSError, http.client.HTTPException):
        return False


def settle(opts):
    """Until Harper is ready, then a moment for its start-up work: each run starts alike."""
    deadline = mono_ms() + TIMEOUT_S * 1e3
    while not harper_ready(opts):
        if mono_ms() > deadline:
            raise Failed(f"Harper was not ready again within {TIMEOUT_S} s")
        time.sleep(0.05)
    time.sleep(opts.settle)


WAYS = [    # (figure, way, label, function); a round runs them in this order
    ("restart", "A", "harper-ops --wait restart -> job COMPLETE", restart_via_daemon),
    ("restart", "B", "Harper's restart -> answers again", restart_via_harper),
    ("http_workers", "A", "harper-ops --wait restart_service", workers_via_daemon),
    ("http_workers", "B", "Harper's restart_service -> get_job COMPLETE", workers_via_harper),
]


def run_rounds(opts):
    """{(figure, way): [ms, ...]} and {name: [ms, ...]} of the readiness figures; N rounds of A B A B."""
    samples, readiness = {(f, w): [] for f, w, _, _ in WAYS}, {}
    for round_no in range(opts.runs):
        for figure, way, _, function in WAYS:
            settle(opts)
            took, extra = function(opts)
            samples[figure, way].append(took)
            for name, ms in extra.items():
                readiness.setdefault(name, []).append(ms)
            print(f"  round {round_no + 1}: {figure} {way} {took:.0f} ms"
                  + "".join(f", {name} {ms:.1f} ms" for name, ms in extra.items()), file=sys.stderr)
    return samples, readiness


def percentile(values, percent):
    """Nearest rank, as bench/restart-bench.c."""
    ordered = sorted(values)
    return ordered[max(0, (percent * len(ordered) + 99) // 100 - 1)]


def print_figures(opts, samples, readiness):
    print(f"{opts.label}: {opts.runs} runs per way, interleaved (A B A B ...)")
    print(f"{'':58} {'p50 ms':>8} {'p90 ms':>8}")
    for figure, way, label, _ in WAYS:
        values = samples[figure, way]
        print(f"{figure + ' ' + way + ' ' + label:58} {percentile(values, 50):8.1f} {percentile(values, 90):8.1f}")
        if way == "B":
            a = samples[figure, "A"]
            print(f"{figure + ' ratio A/B (p50)':58} {percentile(a, 50) / percentile(values, 50):8.3f}"
                  f"   (A - B {percentile(a, 50) - percentile(values, 50):.1f} ms)")
    delays = readiness["readiness"]
    p50, p90 = percentile(delays, 50), percentile(delays, 90)
    verdict = "goal met" if p50 <= READINESS_GOAL_MS else "goal missed"
    print(f"{'readiness: job EndTime - Harper first answer (socket)':58} {p50:8.1f} {p90:8.1f}"
          f"   (goal <= {READINESS_GOAL_MS} ms p50: {verdict})")
    for name, label in (("tcp_after_socket", "  first TCP answer - first socket answer"),
                        ("end_after_both", "  job EndTime - the later of both first answers")):
        print(f"{label:58} {percentile(readiness[name], 50):8.1f} {percentile(readiness[name], 90):8.1f}")
    print(f"  readiness delays, ms: {' '.join(f'{d:.1f}' for d in delays)}")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--socket", required=True, help="Harper's operations socket")
    parser.add_argument("--tcp-port", required=True, type=int, help="Harper's TCP operations port")
    parser.add_argument("--harper-ops", required=True, help="the harper-ops to run")
    parser.add_argument("--runs", "-n", type=int, default=5, help="runs per way (default 5)")
    parser.add_argument("--settle", type=float, default=1.0,
                        help="seconds to wait once Harper is ready, before each run (default 1)")
    parser.add_argument("--label", default="the real Harper", help="what the heading names")
    opts = parser.parse_args()
    if opts.runs < 1:
        parser.error("--runs must be positive")
    try:
        samples, readiness = run_rounds(opts)
    except (Failed, OSError, http.client.HTTPException, subprocess.TimeoutExpired) as e:
        print(f"harper-bench: {e}; no figures", file=sys.stderr)
        return 1
    print_figures(opts, samples, readiness)
    return 0


if __name__ == "__main__":
    sys.exit(main())
