#!/usr/bin/env bash
# HTTP benchmark: bakery's GET /v1/diag/echo against Debian's nginx returning a static 200,
# in the same run, with the same wrk threads and connections; then each at a fixed rate of
# half its measured maximum for latency; then bakery's idle RSS and time to `listening`.
# Everything listens on 127.0.0.1 and every load is bounded in time.
#   bench/http/run.sh [build-dir]     (DURATION=10 CONNECTIONS=64 THREADS=2 to change)
set -euo pipefail
cd "$(dirname "$0")/../.."
BUILD=${1:-build}
BIN=$BUILD/bakery
DURATION=${DURATION:-10}
CONNECTIONS=${CONNECTIONS:-64}
THREADS=${THREADS:-2}
# Fixed-rate runs use fewer connections: wrk's timers tick in whole milliseconds, so each tick
# releases up to one request per connection at once, and those bursts (not the server) would
# dominate p99. 16 connections sustain the rate (the printed rps shows it) with small bursts.
FIXED_CONNECTIONS=${FIXED_CONNECTIONS:-16}
IO_THREADS=${IO_THREADS:-$(nproc)}
OUT=$(mktemp -d /tmp/bakery-bench-XXXXXX)
trap 'kill $(jobs -p) 2>/dev/null || true; wait 2>/dev/null || true; rm -rf "$OUT"' EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

wait_http() {
  for _ in $(seq 1 200); do curl -sf -o /dev/null "$1" && return 0; sleep 0.05; done
  echo "not answering: $1" >&2; return 1
}

field() { sed -n "s/.*$1=\([0-9.]*\).*/\1/p" <<<"$2"; }

echo "# machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')"
echo "# wrk: -t$THREADS -c$CONNECTIONS -d${DURATION}s (fixed rate: -c$FIXED_CONNECTIONS); bakery --io-threads $IO_THREADS; nginx worker_processes $IO_THREADS"

# --- start-up time and idle RSS, beside nginx ---
python3 bench/http/startup.py "$BIN" bench/http/nginx.conf "$IO_THREADS"

# --- nginx baseline ---
NGINX_PORT=$(free_port)
mkdir -p "$OUT/nginx"
sed -e "s#@PORT@#$NGINX_PORT#" -e "s#@DIR@#$OUT/nginx#" -e "s#@WORKERS@#$IO_THREADS#" \
  bench/http/nginx.conf >"$OUT/nginx/nginx.conf"
nginx -c "$OUT/nginx/nginx.conf" -e "$OUT/nginx/error.log" &
NGINX_PID=$!
wait_http "http://127.0.0.1:$NGINX_PORT/"

# --- bakery ---
# bakery writes its JSON log line per request as in production; /dev/null takes it.
BAKERY_PORT=$(free_port)
"$BIN" serve --listen "127.0.0.1:$BAKERY_PORT" --aws-listen 127.0.0.1:0 --data-dir "$OUT/var" \
  --io-threads "$IO_THREADS" >/dev/null 2>"$OUT/bakery.err" &
BAKERY_PID=$!
BAKERY_URL="http://127.0.0.1:$BAKERY_PORT/v1/diag/echo"
NGINX_URL="http://127.0.0.1:$NGINX_PORT/"
wait_http "$BAKERY_URL"

run_max() { wrk -t"$THREADS" -c"$CONNECTIONS" -d"${DURATION}s" -s bench/http/max_rate.lua "$1" | grep '^max_rate'; }
run_fixed() {
  WRK_RATE=$2 WRK_THREADS=$THREADS wrk -t"$THREADS" -c"$FIXED_CONNECTIONS" -d"${DURATION}s" -s bench/http/fixed_rate.lua "$1" | grep "^fixed_rate"
}

# Warm both, then measure alternately so both see the same machine state.
wrk -t"$THREADS" -c"$CONNECTIONS" -d2s "$NGINX_URL" >/dev/null
wrk -t"$THREADS" -c"$CONNECTIONS" -d2s "$BAKERY_URL" >/dev/null
NGINX_MAX=$(run_max "$NGINX_URL")
BAKERY_MAX=$(run_max "$BAKERY_URL")
echo "nginx  $NGINX_MAX"
echo "bakery $BAKERY_MAX"
NGINX_RPS=$(field rps "$NGINX_MAX")
BAKERY_RPS=$(field rps "$BAKERY_MAX")
echo "ratio bakery/nginx requests_per_s $(python3 -c "print(f'{$BAKERY_RPS/$NGINX_RPS:.3f}')")"

HALF_NGINX=$(python3 -c "print(int($NGINX_RPS/2))")
HALF_BAKERY=$(python3 -c "print(int($BAKERY_RPS/2))")
echo "nginx  at ${HALF_NGINX} req/s: $(run_fixed "$NGINX_URL" "$HALF_NGINX")"
echo "bakery at ${HALF_BAKERY} req/s: $(run_fixed "$BAKERY_URL" "$HALF_BAKERY")"
echo "bakery_rss_after_load_kb $(awk '/VmRSS/ {print $2}' /proc/$BAKERY_PID/status)"
kill -TERM "$BAKERY_PID"
wait "$BAKERY_PID" 2>/dev/null || true

# --- the same function on the worker pool (a thread hand-off each way), beside nginx again ---
echo '{"functions": {"diag.echo": {"execution": "pool"}}}' >"$OUT/pool.json"
POOL_PORT=$(free_port)
"$BIN" serve --listen "127.0.0.1:$POOL_PORT" --aws-listen 127.0.0.1:0 --data-dir "$OUT/var-pool" \
  --io-threads "$IO_THREADS" --config "$OUT/pool.json" >/dev/null 2>"$OUT/pool.err" &
POOL_PID=$!
POOL_URL="http://127.0.0.1:$POOL_PORT/v1/diag/echo"
wait_http "$POOL_URL"
wrk -t"$THREADS" -c"$CONNECTIONS" -d2s "$POOL_URL" >/dev/null
NGINX_MAX2=$(run_max "$NGINX_URL")
POOL_MAX=$(run_max "$POOL_URL")
echo "nginx       $NGINX_MAX2"
echo "bakery-pool $POOL_MAX"
echo "ratio bakery-pool/nginx requests_per_s $(python3 -c "print(f'{$(field rps "$POOL_MAX")/$(field rps "$NGINX_MAX2"):.3f}')")"
HALF_POOL=$(python3 -c "print(int($(field rps "$POOL_MAX")/2))")
echo "bakery-pool at ${HALF_POOL} req/s: $(run_fixed "$POOL_URL" "$HALF_POOL")"

kill -TERM "$POOL_PID" "$NGINX_PID"
wait "$POOL_PID" 2>/dev/null || true
