#!/usr/bin/env python3
"""Start-up time and idle memory of `bakery serve` beside nginx, measured the same way.

For each run: exec the server on a free loopback port with an empty data directory, then
connect in a tight loop; the time from exec to the first accepted connection is the start-up
time. For bakery the time to its `listening aws` line (both listeners ready) is reported too.
Idle RSS is read from /proc one second after start (nginx: master plus workers).
    startup.py BAKERY_BINARY NGINX_CONF_TEMPLATE WORKERS [RUNS]
"""
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_accepting(port, start, deadline=10.0):
    while time.perf_counter() - start < deadline:
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return time.perf_counter() - start
    raise RuntimeError(f"port {port} never accepted")


def rss_kb(pids):
    total = 0
    for pid in pids:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
    return total


def children(pid):
    out = subprocess.run(["pgrep", "-P", str(pid)], capture_output=True, text=True).stdout
    return [int(p) for p in out.split()]


def run_bakery(binary, work):
    port = free_port()
    data = tempfile.mkdtemp(dir=work)
    shutil.rmtree(data)  # an empty, missing data dir: bakery creates it
    start = time.perf_counter()
    proc = subprocess.Popen([binary, "serve", "--listen", f"127.0.0.1:{port}",
                             "--aws-listen", "127.0.0.1:0", "--data-dir", data],
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    accept = wait_accepting(port, start)
    for line in proc.stdout:
        if line.startswith("listening aws"):
            break
    listening = time.perf_counter() - start
    time.sleep(1)
    rss = rss_kb([proc.pid])
    proc.terminate()
    proc.wait()
    return accept, listening, rss


def run_nginx(template, workers, work):
    port = free_port()
    d = tempfile.mkdtemp(dir=work)
    conf = open(template).read().replace("@PORT@", str(port)).replace("@DIR@", d)
    conf = conf.replace("@WORKERS@", str(workers))
    path = os.path.join(d, "nginx.conf")
    with open(path, "w") as f:
        f.write(conf)
    start = time.perf_counter()
    proc = subprocess.Popen(["nginx", "-c", path, "-e", os.path.join(d, "error.log")],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    accept = wait_accepting(port, start)
    time.sleep(1)
    rss = rss_kb([proc.pid] + children(proc.pid))
    proc.terminate()
    proc.wait()
    return accept, rss


def main():
    binary, template, workers = sys.argv[1], sys.argv[2], int(sys.argv[3])
    runs = int(sys.argv[4]) if len(sys.argv) > 4 else 9
    work = tempfile.mkdtemp(prefix="bakery-startup-")
    try:
        b = [run_bakery(binary, work) for _ in range(runs)]
        n = [run_nginx(template, workers, work) for _ in range(runs)]
    finally:
        shutil.rmtree(work, ignore_errors=True)
    b_accept = statistics.median(x[0] for x in b) * 1000
    b_listen = statistics.median(x[1] for x in b) * 1000
    b_rss = statistics.median(x[2] for x in b)
    n_accept = statistics.median(x[0] for x in n) * 1000
    n_rss = statistics.median(x[1] for x in n)
    print(f"startup runs={runs} bakery_accepting_ms={b_accept:.1f} bakery_listening_line_ms={b_listen:.1f} "
          f"nginx_accepting_ms={n_accept:.1f} ratio_bakery/nginx={b_accept / n_accept:.2f} "
          f"(max bakery listening {max(x[1] for x in b) * 1000:.1f} ms)")
    print(f"idle_rss bakery_kb={b_rss} nginx_kb={n_rss} ratio_bakery/nginx={b_rss / n_rss:.2f}")


if __name__ == "__main__":
    main()
