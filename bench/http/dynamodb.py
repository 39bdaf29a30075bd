#!/usr/bin/python3
"""DynamoDB over HTTP: `bakery serve`'s AWS endpoint against dynalite, in the same run.

Both servers get the same table (pk S + sk N, PAY_PER_REQUEST) and the same items (loaded
with BatchWriteItem through boto3). Then, per server, a pool of distinct requests is signed
with SigV4 (botocore) and replayed by wrk round-robin (bench/http/dynamodb_request.lua), with
the same wrk threads, connections and duration for both servers, in alternating rounds:

  GetItem  an existing item, a random key per request
  Query    one whole 10-item partition, a random partition per request
  PutItem  a ~200-byte item at a random key (in partitions the Query never reads)

The pools are re-signed before every round (bakery accepts an X-Amz-Date within 15 minutes),
and any non-2xx response fails the run. The report gives median requests/s over the rounds,
wrk's p50/p99 latency (closed loop at saturation, so mostly queueing) and the ratio.
Everything listens on 127.0.0.1; every load is bounded in time; processes and the temporary
directory are removed on exit, also on Ctrl-C and errors.

  /usr/bin/python3 bench/http/dynamodb.py [build-dir]     (default build dir: build)
  DURATION=10 ROUNDS=3 CONNECTIONS=32 THREADS=2 WARMUP=2 PARTITIONS=1000 POOL=2000 to change;
  SYNC=none runs bakery with {"storage": {"sync": "none"}} instead of its default fsync.
"""
import http.client
import json
import os
import random
import shutil
import signal
import socket
import statistics
import string
import subprocess
import sys
import tempfile
import threading
import time
from collections import deque

import boto3
import botocore.auth
import botocore.awsrequest
import botocore.config
import botocore.credentials

ROOT = os.path.realpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
LUA_SCRIPT = os.path.join(ROOT, "bench", "http", "dynamodb_request.lua")

DURATION = int(os.environ.get("DURATION", "10"))
ROUNDS = int(os.environ.get("ROUNDS", "3"))
CONNECTIONS = int(os.environ.get("CONNECTIONS", "32"))
THREADS = int(os.environ.get("THREADS", "2"))
WARMUP = int(os.environ.get("WARMUP", "2"))
PARTITIONS = int(os.environ.get("PARTITIONS", "1000"))
ITEMS_PER_PARTITION = 10
SYNC = os.environ.get("SYNC", "")  # "" = bakery's default (fsync); "none" to compare
POOL = int(os.environ.get("POOL", "2000"))  # distinct signed requests per operation and server
TARGET_RATIO = 20.0

REGION = "us-east-1"
ACCESS_KEY = "test"
SECRET_KEY = "test"
TABLE = "bench_items"
OPERATIONS = ["GetItem", "Query", "PutItem"]
SERVERS = ["bakery", "dynalite"]


class Failure(Exception):
    pass


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


def fsync_ms(directory, n=200):
    """Median time of appending 300 bytes and fdatasync-ing, in the data dir's file system:
    what one durable write costs on this disk at this moment (it varies on shared VMs)."""
    path = os.path.join(directory, "fsync-probe")
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    times = []
    try:
        for _ in range(n):
            start = time.perf_counter()
            os.write(fd, b"x" * 300)
            os.fdatasync(fd)
            times.append(time.perf_counter() - start)
    finally:
        os.close(fd)
        os.unlink(path)
    return statistics.median(times) * 1000


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


class Server:
    """A child process whose stdout is drained by a thread (last lines kept for the report)."""

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
        self.prefix = None

    def wait_for(self, prefix, timeout=30.0):
        """Reads stdout until a line starts with prefix; returns the rest of that line."""
        self.prefix = prefix
        threading.Thread(target=self._drain, daemon=True).start()
        if not self.ready.wait(timeout) or self.port is None:
            raise Failure(f"{self.name} did not print '{prefix}' within {timeout:.0f} s; "
                          f"stdout tail: {list(self.tail)}; stderr: {self.stderr_tail()}")
        return self.port

    def _drain(self):
        for raw in self.proc.stdout:
            line = raw.decode(errors="replace").rstrip("\n")
            self.tail.append(line)
            if self.port is None and line.startswith(self.prefix):
                self.port = int(line[len(self.prefix):].strip().rsplit(":", 1)[-1])
                self.ready.set()
        self.ready.set()

    def alive(self):
        return self.proc.poll() is None

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


def client(port):
    return boto3.client(
        "dynamodb", endpoint_url=f"http://127.0.0.1:{port}", region_name=REGION,
        aws_access_key_id=ACCESS_KEY, aws_secret_access_key=SECRET_KEY,
        config=botocore.config.Config(retries={"max_attempts": 1, "mode": "standard"},
                                      connect_timeout=5, read_timeout=30))


def make_items():
    """The same ~200-byte items for both servers (seeded)."""
    rnd = random.Random(42)
    items = []
    for p in range(PARTITIONS):
        for s in range(ITEMS_PER_PARTITION):
            items.append({"pk": {"S": f"p{p:06d}"}, "sk": {"N": str(s)},
                          "owner": {"S": f"user-{rnd.randrange(100000):05d}"},
                          "count": {"N": str(rnd.randrange(1000000))},
                          "payload": {"S": "".join(rnd.choices(string.ascii_letters, k=140))}})
    return items


def create_and_load(port, items):
    c = client(port)
    c.create_table(TableName=TABLE,
                   KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"},
                              {"AttributeName": "sk", "KeyType": "RANGE"}],
                   AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"},
                                         {"AttributeName": "sk", "AttributeType": "N"}],
                   BillingMode="PAY_PER_REQUEST")
    deadline = time.monotonic() + 30
    while c.describe_table(TableName=TABLE)["Table"]["TableStatus"] != "ACTIVE":
        if time.monotonic() > deadline:
            raise Failure(f"table not ACTIVE after 30 s on port {port}")
        time.sleep(0.1)
    start = time.monotonic()
    for i in range(0, len(items), 25):
        pending = {TABLE: [{"PutRequest": {"Item": it}} for it in items[i:i + 25]]}
        for _ in range(20):
            out = c.batch_write_item(RequestItems=pending)
            pending = out.get("UnprocessedItems") or {}
            if not pending:
                break
            time.sleep(0.05)
        if pending:
            raise Failure(f"BatchWriteItem left items unprocessed on port {port}")
    loaded = time.monotonic() - start
    # A cheap check that both hold the same data: one partition read back.
    got = c.query(TableName=TABLE, KeyConditionExpression="pk = :p",
                  ExpressionAttributeValues={":p": {"S": "p000000"}})
    if got["Count"] != ITEMS_PER_PARTITION:
        raise Failure(f"Query after loading returned {got['Count']} items on port {port}")
    return loaded


def request_bodies(seed):
    """The same request bodies for both servers, per operation (seeded)."""
    rnd = random.Random(seed)
    bodies = {op: [] for op in OPERATIONS}
    for _ in range(POOL):
        bodies["GetItem"].append({
            "TableName": TABLE,
            "Key": {"pk": {"S": f"p{rnd.randrange(PARTITIONS):06d}"},
                    "sk": {"N": str(rnd.randrange(ITEMS_PER_PARTITION))}}})
        bodies["Query"].append({
            "TableName": TABLE, "KeyConditionExpression": "pk = :p",
            "ExpressionAttributeValues": {":p": {"S": f"p{rnd.randrange(PARTITIONS):06d}"}}})
        bodies["PutItem"].append({
            "TableName": TABLE,
            "Item": {"pk": {"S": f"w{rnd.randrange(1000000):06d}"},
                     "sk": {"N": str(rnd.randrange(1000))},
                     "owner": {"S": f"user-{rnd.randrange(100000):05d}"},
                     "count": {"N": str(rnd.randrange(1000000))},
                     "payload": {"S": "".join(rnd.choices(string.ascii_letters, k=140))}}})
    return {op: [json.dumps(b, separators=(",", ":")) for b in bs] for op, bs in bodies.items()}


def sign(port, op, body, signer):
    req = botocore.awsrequest.AWSRequest(
        method="POST", url=f"http://127.0.0.1:{port}/", data=body.encode(),
        headers={"Content-Type": "application/x-amz-json-1.0",
                 "X-Amz-Target": f"DynamoDB_20120810.{op}"})
    signer.add_auth(req)
    headers = [("Host", f"127.0.0.1:{port}")]
    for name, value in req.headers.items():
        if name.lower() != "host":
            headers.append((name, value))
    headers.append(("Content-Length", str(len(req.body))))
    head = "".join(f"{k}: {v}\r\n" for k, v in headers)
    return f"POST / HTTP/1.1\r\n{head}\r\n".encode() + req.body


def lua_string(data):
    out = ['"']
    for b in data:
        c = chr(b)
        if c == "\\" or c == '"':
            out.append("\\" + c)
        elif 32 <= b < 127:
            out.append(c)
        else:
            out.append(f"\\{b:03d}")
    out.append('"')
    return "".join(out)


def write_pool(path, raw_requests):
    with open(path, "w") as f:
        f.write("return {\n")
        for r in raw_requests:
            f.write(lua_string(r))
            f.write(",\n")
        f.write("}\n")


def send_raw(port, raw):
    with socket.create_connection(("127.0.0.1", port), timeout=10) as s:
        s.sendall(raw)
        resp = http.client.HTTPResponse(s, method="POST")
        resp.begin()
        return resp.status, resp.read()


def check_pool(name, port, op, raws):
    """Sends a few of the signed requests as wrk will, and checks the answers make sense."""
    for raw in raws[:3]:
        status, body = send_raw(port, raw)
        if status != 200:
            raise Failure(f"{name} {op}: status {status}: {body[:500]!r}")
        doc = json.loads(body or b"{}")
        if op == "GetItem" and "Item" not in doc:
            raise Failure(f"{name} GetItem of an existing key returned no Item: {body[:300]!r}")
        if op == "Query" and doc.get("Count") != ITEMS_PER_PARTITION:
            raise Failure(f"{name} Query returned {doc.get('Count')} items: {body[:300]!r}")


def sign_pools(work, ports, bodies, tag):
    creds = botocore.credentials.Credentials(ACCESS_KEY, SECRET_KEY)
    signer = botocore.auth.SigV4Auth(creds, "dynamodb", REGION)
    paths = {}
    for name in SERVERS:
        for op in OPERATIONS:
            raws = [sign(ports[name], op, b, signer) for b in bodies[op]]
            check_pool(name, ports[name], op, raws)
            path = os.path.join(work, f"{tag}-{name}-{op}.lua")
            write_pool(path, raws)
            paths[(name, op)] = path
    return paths


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


def run_wrk(port, pool_path, duration):
    env = dict(os.environ, WRK_REQUESTS=pool_path)
    argv = ["/usr/bin/wrk", f"-t{THREADS}", f"-c{CONNECTIONS}", f"-d{duration}s", "--latency",
            "-s", LUA_SCRIPT, f"http://127.0.0.1:{port}/"]
    out = subprocess.run(argv, env=env, capture_output=True, text=True, timeout=duration + 60)
    if out.returncode != 0:
        raise Failure(f"wrk failed ({out.returncode}): {out.stderr}\n{out.stdout}")
    summary = None
    first_bad = ""
    for line in out.stdout.splitlines():
        if line.startswith("dynamodb_rate "):
            summary = dict(kv.split("=", 1) for kv in line.split()[1:])
        elif line.startswith("first_non2xx "):
            first_bad = line[len("first_non2xx "):]
    if summary is None:
        raise Failure(f"wrk printed no summary:\n{out.stdout}\n{out.stderr}")
    result = {"rps": float(summary["rps"]), "requests": int(summary["requests"]),
              "errors": int(summary["errors"]), "timeouts": int(summary["timeouts"]),
              "non2xx": int(summary["non2xx"]),
              "p50_us": parse_latency(out.stdout, 50), "p99_us": parse_latency(out.stdout, 99),
              "first_bad": first_bad}
    if result["non2xx"]:
        raise Failure(f"{result['non2xx']} non-2xx responses of {result['requests']}; first: "
                      f"{first_bad}")
    return result


def fmt_ratio(r):
    return f"{r:.2f}" if r < 10 else f"{r:.1f}"


def fmt_us(us):
    return f"{us / 1000:.2f} ms" if us >= 1000 else f"{us:.0f} µs"


def main():
    build = sys.argv[1] if len(sys.argv) > 1 else "build"
    binary = os.path.join(build if os.path.isabs(build) else os.path.join(ROOT, build), "bakery")
    if not os.access(binary, os.X_OK):
        raise Failure(f"no bakery binary at {binary}")
    dynalite_js = os.path.join(ROOT, "tests", "conformance", "dynalite_server.js")

    log(f"# machine: {machine_line()}")
    log(f"# load average before the run (1/5/15 min): {load_average()}")
    log(f"# wrk: -t{THREADS} -c{CONNECTIONS} -d{DURATION}s, {ROUNDS} alternating rounds, "
        f"{WARMUP}s warm-up per server and operation; pools of {POOL} signed requests")
    with open(os.path.join(ROOT, "node_modules", "dynalite", "package.json")) as f:
        dynalite_version = json.load(f)["version"]
    commit = version_of(["git", "-C", ROOT, "rev-parse", "--short", "HEAD"])
    log(f"# versions: {version_of(['/usr/bin/wrk', '-v'])}; node "
        f"{version_of(['node', '--version'])}; dynalite {dynalite_version}; bakery {binary} "
        f"(commit {commit}{', uncommitted changes' if tree_dirty() else ''})")

    work = tempfile.mkdtemp(prefix="bakery-bench-dynamodb-")
    servers = []
    try:
        argv = [binary, "serve", "--listen", "127.0.0.1:0", "--aws-listen", "127.0.0.1:0",
                "--data-dir", os.path.join(work, "var")]
        if SYNC:
            config = os.path.join(work, "bakery.json")
            with open(config, "w") as f:
                json.dump({"storage": {"sync": SYNC}}, f)
            argv += ["--config", config]
        bakery = Server("bakery", argv,
                        os.path.join(work, "bakery.err"), ROOT)
        servers.append(bakery)
        dynalite = Server("dynalite", ["node", dynalite_js, "0", ROOT],
                          os.path.join(work, "dynalite.err"), ROOT, keep_stdin=True)
        servers.append(dynalite)
        ports = {"bakery": bakery.wait_for("listening aws "),
                 "dynalite": dynalite.wait_for("listening ")}
        log(f"# bakery serve (storage sync: {SYNC or 'fsync, the default'}; data dir on "
            f"{version_of(['stat', '-f', '-c', '%T', work])}) on 127.0.0.1:{ports['bakery']}; "
            f"dynalite (in memory) on 127.0.0.1:{ports['dynalite']}")

        items = make_items()
        size = statistics.mean(len(json.dumps(it, separators=(",", ":"))) for it in items)
        for name in SERVERS:
            took = create_and_load(ports[name], items)
            log(f"# {name}: loaded {len(items)} items ({PARTITIONS} partitions x "
                f"{ITEMS_PER_PARTITION}, ~{size:.0f} bytes of JSON each) with BatchWriteItem in "
                f"{took:.1f} s")

        log(f"# fdatasync of a 300-byte append in the data dir's file system: "
            f"{fsync_ms(work):.2f} ms (median of 200) before the rounds")
        bodies = request_bodies(7)
        results = {(n, op): [] for n in SERVERS for op in OPERATIONS}
        paths = sign_pools(work, ports, bodies, "warmup")
        for op in OPERATIONS:
            for name in SERVERS:
                if WARMUP > 0:
                    run_wrk(ports[name], paths[(name, op)], WARMUP)
        for rnd in range(1, ROUNDS + 1):
            paths = sign_pools(work, ports, bodies, f"round{rnd}")  # fresh X-Amz-Date per round
            for op in OPERATIONS:
                order = SERVERS if rnd % 2 else list(reversed(SERVERS))
                for name in order:
                    r = run_wrk(ports[name], paths[(name, op)], DURATION)
                    results[(name, op)].append(r)
                    log(f"round {rnd} {op:8s} {name:8s} {r['rps']:10.0f} req/s  p50 "
                        f"{fmt_us(r['p50_us'])}  p99 {fmt_us(r['p99_us'])}  "
                        f"socket errors {r['errors']} (timeouts {r['timeouts']}, wrk's limit 2 s)  "
                        f"non-2xx {r['non2xx']}")
                    for s in servers:
                        if not s.alive():
                            raise Failure(f"{s.name} exited ({s.proc.returncode}); stderr: "
                                          f"{s.stderr_tail()}")

        log("")
        log(f"Machine: {machine_line()}; load average before the run: see above.")
        log(f"Command: /usr/bin/python3 bench/http/dynamodb.py {build}  (wrk -t{THREADS} "
            f"-c{CONNECTIONS} -d{DURATION}s, {ROUNDS} rounds, medians)")
        log("")
        log("| operation | bakery req/s | dynalite req/s | ratio bakery/dynalite | "
            "bakery p50 / p99 | dynalite p50 / p99 | rounds bakery | rounds dynalite |")
        log("|---|---|---|---|---|---|---|---|")
        verdicts = []
        for op in OPERATIONS:
            med = {}
            for name in SERVERS:
                rs = results[(name, op)]
                med[name] = {k: statistics.median(r[k] for r in rs)
                             for k in ("rps", "p50_us", "p99_us")}
                med[name]["rounds"] = " / ".join(f"{r['rps']:,.0f}" for r in rs)
            ratio = med["bakery"]["rps"] / med["dynalite"]["rps"]
            verdicts.append((op, ratio))
            log(f"| {op} | {med['bakery']['rps']:,.0f} | {med['dynalite']['rps']:,.0f} | "
                f"**{fmt_ratio(ratio)}×** | {fmt_us(med['bakery']['p50_us'])} / "
                f"{fmt_us(med['bakery']['p99_us'])} | {fmt_us(med['dynalite']['p50_us'])} / "
                f"{fmt_us(med['dynalite']['p99_us'])} | {med['bakery']['rounds']} | "
                f"{med['dynalite']['rounds']} |")
        log("")
        log("Latencies are wrk's (closed loop, all connections busy: mostly queueing time); "
            "p50/p99 are medians over the rounds.")
        for op, ratio in verdicts:
            log(f"target ≥ {TARGET_RATIO:.0f}× dynalite, {op}: "
                f"{'met' if ratio >= TARGET_RATIO else 'NOT met'} ({fmt_ratio(ratio)}×)")
        log(f"# fdatasync after the rounds: {fsync_ms(work):.2f} ms; load average after the run "
            f"(1/5/15 min): {load_average()}")
        for s in servers:
            tail = s.stderr_tail().strip()
            if tail:
                log(f"# {s.name} stderr (tail):\n{tail}")
        return 0
    finally:
        for s in reversed(servers):
            s.stop()
        shutil.rmtree(work, ignore_errors=True)


def on_signal(signum, frame):
    raise SystemExit(128 + signum)


if __name__ == "__main__":
    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGHUP, on_signal)
    try:
        sys.exit(main())
    except Failure as e:
        print(f"FAILED: {e}", file=sys.stderr, flush=True)
        sys.exit(1)
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr, flush=True)
        sys.exit(130)
