#!/usr/bin/env bash
# HTTP benchmark: bakery's GET /v1/diag/echo against Debian's nginx returning a static 200
# (an 11-byte body, and a file of the echo response's size), in the same run, with the same
# wrk threads and connections, in alternating rounds; then each at a fixed rate of half its
# measured maximum for latency; start-up time and idle RSS beside nginx's.
# Everything listens on 127.0.0.1 and every load is bounded in time.
#   bench/http/run.sh [build-dir]   (DURATION=10 ROUNDS=3 CONNECTIONS=64 THREADS=2 to change)
set -euo pipefail
cd "$(dirname "$0")/../.."
BUILD=${1:-build}
BIN=$BUILD/bakery
DURATION=${DURATION:-10}
ROUNDS=${ROUNDS:-3}
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

# --- servers: nginx (both baselines) and bakery (diag.echo inline, and on the worker pool) ---
chmod 755 "$OUT"
NGINX_PORT=$(free_port)
mkdir -p "$OUT/nginx/www"
sed -e "s#@PORT@#$NGINX_PORT#" -e "s#@DIR@#$OUT/nginx#" -e "s#@WORKERS@#$IO_THREADS#" \
  bench/http/nginx.conf >"$OUT/nginx/nginx.conf"

# bakery writes its JSON log line per request as in production; /dev/null takes it.
start_bakery() {  # port data-dir [config]
  local extra=()
  [[ -n "${3:-}" ]] && extra=(--config "$3")
  "$BIN" serve --listen "127.0.0.1:$1" --aws-listen 127.0.0.1:0 --data-dir "$2" \
    --io-threads "$IO_THREADS" "${extra[@]}" >/dev/null 2>>"$OUT/bakery.err" &
}
BAKERY_PORT=$(free_port)
start_bakery "$BAKERY_PORT" "$OUT/var"
BAKERY_PID=$!
echo '{"functions": {"diag.echo": {"execution": "pool"}}}' >"$OUT/pool.json"
POOL_PORT=$(free_port)
start_bakery "$POOL_PORT" "$OUT/var-pool" "$OUT/pool.json"
POOL_PID=$!
BAKERY_URL="http://127.0.0.1:$BAKERY_PORT/v1/diag/echo"
POOL_URL="http://127.0.0.1:$POOL_PORT/v1/diag/echo"
wait_http "$BAKERY_URL"
wait_http "$POOL_URL"
# The same-size baseline serves what the echo returns to wrk's request (wrk sends only Host).
curl -s -H 'User-Agent:' -H 'Accept:' "$BAKERY_URL" >"$OUT/nginx/www/echo.json"
chmod -R a+rX "$OUT/nginx"
nginx -c "$OUT/nginx/nginx.conf" -e "$OUT/nginx/error.log" &
NGINX_PID=$!
NGINX_URL="http://127.0.0.1:$NGINX_PORT/"
NGINX_SAME_URL="http://127.0.0.1:$NGINX_PORT/echo.json"
wait_http "$NGINX_URL"
wait_http "$NGINX_SAME_URL"
echo "# echo response body: $(wc -c <"$OUT/nginx/www/echo.json") bytes; nginx same-size file: $(curl -s "$NGINX_SAME_URL" | wc -c) bytes"

run_max() { wrk -t"$THREADS" -c"$CONNECTIONS" -d"${DURATION}s" -s bench/http/max_rate.lua "$1" | grep '^max_rate'; }
run_fixed() {
  WRK_RATE=$2 WRK_THREADS=$THREADS wrk -t"$THREADS" -c"$FIXED_CONNECTIONS" -d"${DURATION}s" -s bench/http/fixed_rate.lua "$1" | grep "^fixed_rate"
}
median() { python3 -c "import statistics,sys; print(int(statistics.median(float(x) for x in sys.argv[1:])))" "$@"; }

for url in "$NGINX_URL" "$NGINX_SAME_URL" "$BAKERY_URL" "$POOL_URL"; do
  wrk -t"$THREADS" -c"$CONNECTIONS" -d2s "$url" >/dev/null  # warm-up
done
# Rounds alternate the servers so that each sees the same machine; medians are reported.
declare -A RPS
NAMES=(nginx nginx-same-size bakery bakery-pool)
URLS=("$NGINX_URL" "$NGINX_SAME_URL" "$BAKERY_URL" "$POOL_URL")
for round in $(seq 1 "$ROUNDS"); do
  for i in "${!NAMES[@]}"; do
    line=$(run_max "${URLS[$i]}")
    echo "round $round ${NAMES[$i]} $line"
    RPS[${NAMES[$i]}]="${RPS[${NAMES[$i]}]:-} $(field rps "$line")"
  done
done
for n in "${NAMES[@]}"; do declare "MED_${n//-/_}=$(median ${RPS[$n]})"; done
echo "median requests/s: nginx=$MED_nginx nginx-same-size=$MED_nginx_same_size bakery=$MED_bakery bakery-pool=$MED_bakery_pool"
ratio() { python3 -c "print(f'{$1/$2:.3f}')"; }
echo "ratio bakery/nginx $(ratio "$MED_bakery" "$MED_nginx")  bakery/nginx-same-size $(ratio "$MED_bakery" "$MED_nginx_same_size")"
echo "ratio bakery-pool/nginx $(ratio "$MED_bakery_pool" "$MED_nginx")  bakery-pool/nginx-same-size $(ratio "$MED_bakery_pool" "$MED_nginx_same_size")"

for i in "${!NAMES[@]}"; do
  var="MED_${NAMES[$i]//-/_}"
  half=$(( ${!var} / 2 ))
  echo "${NAMES[$i]} at ${half} req/s: $(run_fixed "${URLS[$i]}" "$half")"
done
echo "bakery_rss_after_load_kb $(awk '/VmRSS/ {print $2}' /proc/$BAKERY_PID/status)"

kill -TERM "$BAKERY_PID" "$POOL_PID" "$NGINX_PID"
wait "$BAKERY_PID" "$POOL_PID" 2>/dev/null || true
