#!/usr/bin/python3
"""Auth over HTTP (issue #5): what an authorized route, a login and a failed login cost.

Two `bakery serve` processes in the same run, each with a fresh data directory and a config
whose sign-up and lockout limits are too high to throttle the benchmark:

  default  the production password cost (Argon2id t=2, m=19456 KiB)
  cheap    passwordCost {iterations: 1, memoryKiB: 8} (libsodium's minimum)

One tenant is signed up on each. Then:

  a. wrk against GET /v1/diag/echo (public) and GET /v1/diag/echo-authorized (the same inline
     function behind the authorizer, with `Authorization: Bearer <access token>`) on the
     default server, alternating in rounds: requests/s, wrk's p50/p99, ratio authorized/public.
     The echo returns the request's headers, so a third route, the public one sent the same
     header, separates the authorizer's cost from that of a longer request and response.
     The token is fresh each round (a login) and repeated by every request, as a client reuses
     its 15-minute token, so the authorizer's verified-token cache answers all but the first.
  b. Login latency: sequential successful logins, alternating between the two servers, one
     fresh connection each; the Argon2id share is (default - cheap) / default of the medians.
  c. Failed logins on the default server, interleaved in shuffled triples: an unknown user of
     the known tenant, a wrong password of the known user, and an unknown tenant; p10/p50/p90
     of each, the ratio of medians, and a Mann-Whitney U test (normal approximation, two-sided)
     of each against the wrong password.

Every answer is checked (200/201/401 as expected); any other fails the run. Everything listens
on 127.0.0.1; every load is bounded in count or time; processes and the temporary directory
are removed on exit, also on Ctrl-C and errors.

  /usr/bin/python3 bench/http/auth.py [build-dir]     (default build dir: build)
  DURATION=10 ROUNDS=2 CONNECTIONS=32 THREADS=2 WARMUP=2 LOGINS=50 FAILED=100 to change.
"""
import http.client
import json
import math
import os
import random
import shlex
import statistics
import sys
import time

# Python puts the script's directory first on sys.path; this keeps it so under `python3 -P`.
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bench_common  # noqa: E402
from bench_common import (ROOT, Failure, Server, bakery_binary, bakery_version,  # noqa: E402
                          fmt_us, load_average, log, log_stderr_tails, machine_line, version_of,
                          workspace)

LUA_SCRIPT = os.path.join(ROOT, "bench", "http", "max_rate.lua")

DURATION = int(os.environ.get("DURATION", "10"))
ROUNDS = int(os.environ.get("ROUNDS", "2"))
CONNECTIONS = int(os.environ.get("CONNECTIONS", "32"))
THREADS = int(os.environ.get("THREADS", "2"))
WARMUP = int(os.environ.get("WARMUP", "2"))
LOGINS = int(os.environ.get("LOGINS", "50"))
FAILED = int(os.environ.get("FAILED", "100"))
LOGIN_WARMUP = 3  # logins per server before the measured ones, discarded

SLUG = "bench-bakery"
EMAIL = "owner@bench.example.com"
PASSWORD = "a long benchmark passphrase 7"
WRONG_PASSWORD = "a long benchmark passphrase 8"
UNKNOWN_EMAIL = "nobody@bench.example.com"
UNKNOWN_SLUG = "no-such-bakery"
# High enough that nothing in this script is throttled (the config's maxima are 1,000 failures
# per account and 1,000,000 per source address).
LIMITS = {"signupsPerIpPerHour": 1000000, "accountFailuresBeforeLockout": 1000,
          "ipFailuresBeforeLockout": 1000000}
CHEAP_COST = {"iterations": 1, "memoryKiB": 8}


def start_server(binary, work, name, auth):
    data = os.path.join(work, f"var-{name}")
    config = os.path.join(work, f"{name}.json")
    with open(config, "w") as f:
        json.dump({"auth": auth}, f)
    argv = [binary, "serve", "--listen", "127.0.0.1:0", "--aws-listen", "127.0.0.1:0",
            "--data-dir", data, "--config", config]
    return Server(name, argv, os.path.join(work, f"{name}.err"), ROOT)


def request(port, method, path, body=None, headers=None):
    """One request on a fresh connection: (status, parsed JSON or raw bytes, seconds)."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        data = json.dumps(body).encode() if body is not None else None
        hdrs = {"content-type": "application/json"} if data is not None else {}
        hdrs.update(headers or {})
        conn.connect()  # the timed part is the request, not the TCP handshake
        start = time.perf_counter()
        conn.request(method, path, body=data, headers=hdrs)
        resp = conn.getresponse()
        raw = resp.read()
        took = time.perf_counter() - start
    finally:
        conn.close()
    try:
        doc = json.loads(raw) if raw else {}
    except ValueError:
        doc = raw
    return resp.status, doc, took


def expect(what, status, doc, want):
    if status != want:
        raise Failure(f"{what}: status {status}, expected {want}: {str(doc)[:500]}")


def sign_up(port):
    status, doc, _ = request(port, "POST", "/v1/tenants", {
        "name": "Bench Bakery", "slug": SLUG,
        "owner": {"email": EMAIL, "password": PASSWORD, "name": "Bench Owner"}})
    expect("sign-up", status, doc, 201)
    return doc["accessToken"]


def login(port, slug=SLUG, email=EMAIL, password=PASSWORD, want=200):
    status, doc, took = request(port, "POST", "/v1/auth/login",
                                {"tenant": slug, "email": email, "password": password})
    expect(f"login {slug}/{email}", status, doc, want)
    if want == 401 and "InvalidCredentialsException" not in json.dumps(doc):
        raise Failure(f"a failed login answered {str(doc)[:300]}")
    return doc, took


def wrk_argv(url, duration, token=None):
    headers = [f"authorization: Bearer {token}"] if token else []
    return bench_common.wrk_argv(LUA_SCRIPT, url, THREADS, CONNECTIONS, duration, headers)


def run_wrk(url, duration, token=None):
    result, _ = bench_common.run_wrk(wrk_argv(url, duration, token), duration, "max_rate")
    if result["non2xx"]:
        raise Failure(f"{result['non2xx']} non-2xx responses of {result['requests']} from {url}")
    return result


def percentile(values, p):
    """Linear interpolation between closest ranks (numpy's default)."""
    s = sorted(values)
    if len(s) == 1:
        return s[0]
    k = (len(s) - 1) * p / 100.0
    lo = math.floor(k)
    hi = min(lo + 1, len(s) - 1)
    return s[lo] + (s[hi] - s[lo]) * (k - lo)


def mann_whitney(a, b):
    """Two-sided Mann-Whitney U test with the normal approximation and tie correction:
    (U of a, p-value). a and b come from the same distribution when p is not small."""
    n1, n2 = len(a), len(b)
    pooled = sorted([(v, 0) for v in a] + [(v, 1) for v in b])
    ranks = [0.0] * len(pooled)
    ties = 0.0
    i = 0
    while i < len(pooled):
        j = i
        while j + 1 < len(pooled) and pooled[j + 1][0] == pooled[i][0]:
            j += 1
        for k in range(i, j + 1):
            ranks[k] = (i + j) / 2.0 + 1
        t = j - i + 1
        ties += t ** 3 - t
        i = j + 1
    r1 = sum(r for r, (_, g) in zip(ranks, pooled) if g == 0)
    u1 = r1 - n1 * (n1 + 1) / 2.0
    n = n1 + n2
    mu = n1 * n2 / 2.0
    sigma = math.sqrt(n1 * n2 / 12.0 * ((n + 1) - ties / (n * (n - 1))))
    if sigma == 0:
        return u1, 1.0
    z = (abs(u1 - mu) - 0.5) / sigma  # continuity correction
    return u1, min(1.0, math.erfc(max(z, 0.0) / math.sqrt(2)))


def ms(seconds):
    return f"{seconds * 1000:.1f}"


def main():
    build, binary = bakery_binary()

    log(f"# machine: {machine_line()}")
    log(f"# load average before the run (1/5/15 min): {load_average()}")
    log(f"# versions: {version_of(['/usr/bin/wrk', '-v'])}; {bakery_version(binary)}")

    with workspace("bakery-bench-auth-") as (work, servers):
        default = start_server(binary, work, "default", dict(LIMITS))
        servers.append(default)
        cheap = start_server(binary, work, "cheap", dict(LIMITS, passwordCost=CHEAP_COST))
        servers.append(cheap)
        ports = {s.name: s.wait_for("listening http://") for s in servers}
        log(f"# bakery serve, default password cost (Argon2id t=2, m=19456 KiB) on "
            f"127.0.0.1:{ports['default']}; passwordCost {json.dumps(CHEAP_COST)} on "
            f"127.0.0.1:{ports['cheap']}; auth limits {json.dumps(LIMITS)}")
        for s in servers:
            sign_up(s.port)

        # --- a. public against authorized route, same function, same server ---
        port = default.port
        public_url = f"http://127.0.0.1:{port}/v1/diag/echo"
        authorized_url = f"http://127.0.0.1:{port}/v1/diag/echo-authorized"
        token = login(port)[0]["accessToken"]
        status, doc, _ = request(port, "GET", "/v1/diag/echo-authorized")
        expect("echo-authorized without a token", status, doc, 401)
        status, doc, _ = request(port, "GET", "/v1/diag/echo-authorized",
                                 headers={"authorization": f"Bearer {token}"})
        expect("echo-authorized with a token", status, doc, 200)
        status, doc, _ = request(port, "GET", "/v1/diag/echo")
        expect("echo", status, doc, 200)
        sizes = {}
        for name, path, hdrs in (("public", "/v1/diag/echo", {}),
                                 ("public + header", "/v1/diag/echo",
                                  {"authorization": f"Bearer {token}"}),
                                 ("authorized", "/v1/diag/echo-authorized",
                                  {"authorization": f"Bearer {token}"})):
            # wrk sends only Host (and the header): so does this, for the response size.
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
            conn.putrequest("GET", path, skip_accept_encoding=True)
            for k, v in hdrs.items():
                conn.putheader(k, v)
            conn.endheaders()
            resp = conn.getresponse()
            sizes[name] = len(resp.read())
            conn.close()
            expect(f"{name} GET {path}", resp.status, "", 200)
        log(f"# wrk: -t{THREADS} -c{CONNECTIONS} -d{DURATION}s --latency, {ROUNDS} alternating "
            f"rounds, {WARMUP}s warm-up per route; access token {len(token)} bytes, a fresh one "
            f"per round")
        # (name, url, sends the token). The echo returns the request's headers, so a token
        # makes its response ~650 bytes longer: "public + header" sends the same header to the
        # public route (which reads no credentials) and isolates the authorizer's own cost.
        routes = [("public", public_url, False), ("public + header", public_url, True),
                  ("authorized", authorized_url, True)]
        if WARMUP > 0:
            for _, url, sends in routes:
                run_wrk(url, WARMUP, token if sends else None)
        wrk_results = {name: [] for name, _, _ in routes}
        for rnd in range(1, ROUNDS + 1):
            token = login(port)[0]["accessToken"]
            shift = (rnd - 1) % len(routes)  # each route takes each place in turn
            for name, url, sends in routes[shift:] + routes[:shift]:
                r = run_wrk(url, DURATION, token if sends else None)
                wrk_results[name].append(r)
                log(f"round {rnd} {name:15s} {r['rps']:10.0f} req/s  p50 {fmt_us(r['p50_us'])}  "
                    f"p99 {fmt_us(r['p99_us'])}  socket errors {r['errors']}  "
                    f"non-2xx {r['non2xx']}")
                default.check_alive()
        wrk_command = shlex.join(wrk_argv(authorized_url, DURATION, "<token>"))

        # --- b. login latency, default cost against the cheapest, alternating ---
        for _ in range(LOGIN_WARMUP):
            for s in servers:
                login(s.port)
        logins = {s.name: [] for s in servers}
        for i in range(LOGINS):
            for s in (servers if i % 2 == 0 else list(reversed(servers))):
                logins[s.name].append(login(s.port)[1])
        for s in servers:
            s.check_alive()

        # --- c. failed logins: unknown user, wrong password, unknown tenant, interleaved ---
        kinds = {
            "unknown user": dict(email=UNKNOWN_EMAIL, password=PASSWORD),
            "wrong password": dict(password=WRONG_PASSWORD),
            "unknown tenant": dict(slug=UNKNOWN_SLUG, password=PASSWORD),
        }
        failed = {k: [] for k in kinds}
        rnd = random.Random(5)
        for k in kinds:  # one discarded attempt each: first-failure paths create rows
            login(port, want=401, **kinds[k])
        for _ in range(FAILED):
            order = list(kinds)
            rnd.shuffle(order)
            for k in order:
                failed[k].append(login(port, want=401, **kinds[k])[1])
        # The account is not locked: the right password still logs in.
        login(port)
        default.check_alive()

        # --- report ---
        log("")
        log(f"Machine: {machine_line()}; load average after the run: {load_average()}.")
        log(f"Command: /usr/bin/python3 bench/http/auth.py {build}  (ROUNDS={ROUNDS} "
            f"DURATION={DURATION} LOGINS={LOGINS} FAILED={FAILED})")
        log(f"wrk command (per route and round): {wrk_command}")
        log("")
        log("a. Authorized route against the public one (same inline function, same server)")
        log("")
        log("| route | response body | median req/s | rounds | p50 | p99 |")
        log("|---|---|---|---|---|---|")
        med = {}
        paths = {"public": "/v1/diag/echo", "public + header": "/v1/diag/echo",
                 "authorized": "/v1/diag/echo-authorized"}
        for name, _, sends in routes:
            rs = wrk_results[name]
            rounds = " / ".join(f"{r['rps']:,.0f}" for r in rs)
            med[name] = {k: statistics.median(r[k] for r in rs) for k in
                         ("rps", "p50_us", "p99_us")}
            log(f"| {name} `GET {paths[name]}`{' + bearer token' if sends else ''} | "
                f"{sizes[name]} B | {med[name]['rps']:,.0f} | {rounds} | "
                f"{fmt_us(med[name]['p50_us'])} | {fmt_us(med[name]['p99_us'])} |")
        for num, den in (("authorized", "public"), ("authorized", "public + header"),
                         ("public + header", "public")):
            ratio = med[num]["rps"] / med[den]["rps"]
            per_round = [a["rps"] / p["rps"] for a, p in zip(wrk_results[num], wrk_results[den])]
            log(f"| **ratio {num} / {den}** | | **{ratio:.3f}** | "
                f"{' / '.join(f'{r:.3f}' for r in per_round)} | | |")
        log("")
        log(f"b. Successful login, {LOGINS} sequential per server (fresh connection each, "
            f"alternating servers; client-side time from request to full response)")
        log("")
        log("| password cost | p50 | p90 | p99 | mean |")
        log("|---|---|---|---|---|")
        labels = {"default": "Argon2id t=2, m=19456 KiB (default)",
                  "cheap": f"t={CHEAP_COST['iterations']}, m={CHEAP_COST['memoryKiB']} KiB"}
        for s in servers:
            v = logins[s.name]
            log(f"| {labels[s.name]} | {ms(percentile(v, 50))} ms | {ms(percentile(v, 90))} ms | "
                f"{ms(percentile(v, 99))} ms | {ms(statistics.mean(v))} ms |")
        d50 = percentile(logins["default"], 50)
        c50 = percentile(logins["cheap"], 50)
        log(f"| **Argon2id share of a login** (median default - median cheap) / median default "
            f"| **{(d50 - c50) / d50 * 100:.0f} %** ({ms(d50 - c50)} ms of {ms(d50)} ms) | | | |")
        log("")
        log(f"c. Failed logins on the default server, {FAILED} of each kind, interleaved in "
            f"shuffled triples (401 InvalidCredentialsException every time)")
        log("")
        log("| kind | p10 | p50 | p90 | median / wrong password | Mann-Whitney p (vs wrong "
            "password) | median difference / IQR of wrong password |")
        log("|---|---|---|---|---|---|---|")
        base = failed["wrong password"]
        base50 = percentile(base, 50)
        iqr = percentile(base, 75) - percentile(base, 25)
        verdicts = []
        for k in kinds:
            v = failed[k]
            v50 = percentile(v, 50)
            if k == "wrong password":
                cells = "1 | — | —"
            else:
                _, p = mann_whitney(v, base)
                effect = (v50 - base50) / iqr if iqr > 0 else float("inf")
                cells = f"{v50 / base50:.3f} | {p:.3f} | {effect:+.2f}"
                verdicts.append((k, p, v50 - base50, effect))
            log(f"| {k} | {ms(percentile(v, 10))} ms | {ms(v50)} ms | {ms(percentile(v, 90))} ms "
                f"| {cells} |")
        log("")
        for k, p, diff, effect in verdicts:
            same = p >= 0.05 and abs(effect) < 0.5
            log(f"{k} against wrong password: median difference {diff * 1000:+.2f} ms "
                f"({effect:+.2f} IQR), p = {p:.3f}: "
                f"{'indistinguishable at this sample size' if same else 'DISTINGUISHABLE'}")
        log_stderr_tails(servers)
        return 0


if __name__ == "__main__":
    bench_common.run(main)
