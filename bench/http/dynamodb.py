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
import socket
import statistics
import string
import sys
import time

import boto3
import botocore.auth
import botocore.awsrequest
import botocore.config
import botocore.credentials

# Python puts the script's directory first on sys.path; this keeps it so under `python3 -P`.
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bench_common  # noqa: E402
from bench_common import (ROOT, Failure, Server, bakery_binary, bakery_version,  # noqa: E402
                          fmt_us, load_average, log, log_stderr_tails, machine_line, version_of,
                          workspace)

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


def run_wrk(port, pool_path, duration):
    argv = bench_common.wrk_argv(LUA_SCRIPT, f"http://127.0.0.1:{port}/", THREADS, CONNECTIONS,
                                 duration)
    result, stdout = bench_common.run_wrk(argv, duration, "dynamodb_rate",
                                          env=dict(os.environ, WRK_REQUESTS=pool_path))
    first_bad = ""
    for line in stdout.splitlines():
        if line.startswith("first_non2xx "):
            first_bad = line[len("first_non2xx "):]
    result.update(timeouts=int(result["timeouts"]), first_bad=first_bad)
    if result["non2xx"]:
        raise Failure(f"{result['non2xx']} non-2xx responses of {result['requests']}; first: "
                      f"{first_bad}")
    return result


def fmt_ratio(r):
    return f"{r:.2f}" if r < 10 else f"{r:.1f}"


def main():
    build, binary = bakery_binary()
    dynalite_js = os.path.join(ROOT, "tests", "conformance", "dynalite_server.js")

    log(f"# machine: {machine_line()}")
    log(f"# load average before the run (1/5/15 min): {load_average()}")
    log(f"# wrk: -t{THREADS} -c{CONNECTIONS} -d{DURATION}s, {ROUNDS} alternating rounds, "
        f"{WARMUP}s warm-up per server and operation; pools of {POOL} signed requests")
    with open(os.path.join(ROOT, "node_modules", "dynalite", "package.json")) as f:
        dynalite_version = json.load(f)["version"]
    log(f"# versions: {version_of(['/usr/bin/wrk', '-v'])}; node "
        f"{version_of(['node', '--version'])}; dynalite {dynalite_version}; "
        f"{bakery_version(binary)}")

    with workspace("bakery-bench-dynamodb-") as (work, servers):
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
                        s.check_alive()

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
        log_stderr_tails(servers)
        return 0


if __name__ == "__main__":
    bench_common.run(main)
