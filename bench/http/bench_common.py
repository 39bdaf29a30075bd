"""What the HTTP benchmark scripts (auth.py, dynamodb.py) share: the machine and version
lines, server processes started and stopped, wrk runs, formatting, and the main wrapper.

Standard library only. The scripts import it from their own directory.
"""
import contextlib
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
from collections import deque

ROOT = os.path.realpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
WRK = "/usr/bin/wrk"


class Failure(Exception):
    """A benchmark that cannot go on: printed as FAILED, exit status 1."""


def log(*args):
    print(*args, flush=True)


def machine_line():
    model = "unknown"
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    return f"nproc {len(os.sched_getaffinity(0))}, {model}"


def load_average():
    with open("/proc/loadavg") as f:
        return " ".join(f.read().split()[:3])


def version_of(cmd):
    try:
        out = subprocess.run(cmd, capture_output=True, text=True, timeout=10)
        return (out.stdout + out.stderr).strip().splitlines()[0]
    except (OSError, IndexError, subprocess.TimeoutExpired):
        return "unknown"


def tree_dirty():
    try:
        out = subprocess.run(["git", "-C", ROOT, "status", "--porcelain"], capture_output=True,
                             text=True, timeout=10)
        return bool(out.stdout.strip())
    except (OSError, subprocess.TimeoutExpired):
        return False


def bakery_version(binary):
    """`bakery <path> (commit <hash>[, uncommitted changes])` for the versions line."""
    commit = version_of(["git", "-C", ROOT, "rev-parse", "--short", "HEAD"])
    return f"bakery {binary} (commit {commit}{', uncommitted changes' if tree_dirty() else ''})"


def bakery_binary():
    """(the build directory named on the command line, default `build`; its bakery binary)."""
    build = sys.argv[1] if len(sys.argv) > 1 else "build"
    binary = os.path.join(build if os.path.isabs(build) else os.path.join(ROOT, build), "bakery")
    if not os.access(binary, os.X_OK):
        raise Failure(f"no bakery binary at {binary}")
    return build, binary


class Server:
    """A child process whose stdout is drained by a thread: line by line until the listening
    line, then in large reads that are thrown away, so that the drain costs about what writing
    to /dev/null would (`bakery serve` logs a JSON line per app request)."""

    def __init__(self, name, argv, stderr_path, cwd, keep_stdin=False):
        self.name = name
        self.stderr_path = stderr_path
        self.tail = deque(maxlen=50)
        self.err = open(stderr_path, "wb")
        self.proc = subprocess.Popen(argv, cwd=cwd, stdin=subprocess.PIPE if keep_stdin else
                                     subprocess.DEVNULL, stdout=subprocess.PIPE,
                                     stderr=self.err)
        self.ready = threading.Event()
        self.port = None

    def wait_for(self, prefix, timeout=30.0):
        """Reads stdout until a line starts with prefix; returns the port at its end."""
        threading.Thread(target=self._drain, args=(prefix,), daemon=True).start()
        if not self.ready.wait(timeout) or self.port is None:
            raise Failure(f"{self.name} did not print '{prefix}' within {timeout:.0f} s; "
                          f"stdout tail: {list(self.tail)}; stderr: {self.stderr_tail()}")
        return self.port

    def _drain(self, prefix):
        out = self.proc.stdout
        for raw in out:
            line = raw.decode(errors="replace").rstrip("\n")
            self.tail.append(line)
            if line.startswith(prefix):
                self.port = int(line[len(prefix):].strip().rsplit(":", 1)[-1])
                break
        self.ready.set()
        fd = out.fileno()
        while True:
            try:
                chunk = os.read(fd, 1 << 16)
            except OSError:
                return
            if not chunk:
                return

    def alive(self):
        return self.proc.poll() is None

    def check_alive(self):
        if not self.alive():
            raise Failure(f"{self.name} exited ({self.proc.returncode}); stderr: "
                          f"{self.stderr_tail()}")

    def stderr_tail(self, limit=2000):
        self.err.flush()
        with open(self.stderr_path, "rb") as f:
            data = f.read()
        return data[-limit:].decode(errors="replace")

    def stop(self):
        if self.proc.stdin:
            try:
                self.proc.stdin.close()  # dynalite exits when its stdin closes
            except OSError:
                pass
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)
        self.err.close()


@contextlib.contextmanager
def workspace(prefix):
    """(a fresh temporary directory, a list for the Servers started in it). On leaving, also
    on errors and Ctrl-C, the servers are stopped in reverse order and the directory removed."""
    work = tempfile.mkdtemp(prefix=prefix)
    servers = []
    try:
        yield work, servers
    finally:
        for s in reversed(servers):
            s.stop()
        shutil.rmtree(work, ignore_errors=True)


def log_stderr_tails(servers):
    for s in servers:
        tail = s.stderr_tail().strip()
        if tail:
            log(f"# {s.name} stderr (tail):\n{tail}")


def parse_latency(text, percentile):
    """Reads one line of wrk's --latency distribution ("  99%    1.23ms") into microseconds."""
    units = {"us": 1.0, "ms": 1e3, "s": 1e6, "m": 60e6}
    in_dist = False
    for line in text.splitlines():
        if "Latency Distribution" in line:
            in_dist = True
            continue
        if in_dist:
            parts = line.split()
            if len(parts) == 2 and parts[0] == f"{percentile}%":
                value = parts[1]
                for unit in ("us", "ms", "s", "m"):
                    if value.endswith(unit) and value[:-len(unit)].replace(".", "").isdigit():
                        return float(value[:-len(unit)]) * units[unit]
    raise Failure(f"no {percentile}% line in wrk output:\n{text}")


def wrk_argv(script, url, threads, connections, duration, headers=()):
    argv = [WRK, f"-t{threads}", f"-c{connections}", f"-d{duration}s", "--latency", "-s",
            script]
    for header in headers:
        argv += ["-H", header]
    return argv + [url]


def run_wrk(argv, duration, summary, env=None):
    """Runs wrk, whose script prints one `<summary> key=value ...` line. Returns (that line's
    fields, with rps, requests, errors and non2xx as numbers and p50_us and p99_us from wrk's
    latency distribution; wrk's stdout)."""
    out = subprocess.run(argv, env=env, capture_output=True, text=True, timeout=duration + 60)
    if out.returncode != 0:
        raise Failure(f"wrk failed ({out.returncode}): {out.stderr}\n{out.stdout}")
    fields = None
    for line in out.stdout.splitlines():
        if line.startswith(summary + " "):
            fields = dict(kv.split("=", 1) for kv in line.split()[1:])
    if fields is None:
        raise Failure(f"wrk printed no summary:\n{out.stdout}\n{out.stderr}")
    result = dict(fields, rps=float(fields["rps"]), requests=int(fields["requests"]),
                  errors=int(fields["errors"]), non2xx=int(fields["non2xx"]),
                  p50_us=parse_latency(out.stdout, 50), p99_us=parse_latency(out.stdout, 99))
    return result, out.stdout


def fmt_us(us):
    return f"{us / 1000:.2f} ms" if us >= 1000 else f"{us:.0f} µs"


def _on_signal(signum, frame):
    raise SystemExit(128 + signum)


def run(main):
    """Runs main() as the script: its return value is the exit status; a Failure prints
    FAILED and exits 1; SIGTERM and SIGHUP exit with 128 + the signal, cleanup done."""
    signal.signal(signal.SIGTERM, _on_signal)
    signal.signal(signal.SIGHUP, _on_signal)
    try:
        sys.exit(main())
    except Failure as e:
        print(f"FAILED: {e}", file=sys.stderr, flush=True)
        sys.exit(1)
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr, flush=True)
        sys.exit(130)
