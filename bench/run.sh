#!/usr/bin/env bash
# `make bench`: the micro-benchmarks (each beside its baseline), then the HTTP benchmarks (against
# nginx, dynalite, and auth.py: authorized against public route, login, failed logins). Results
# go to stdout; bench/RESULTS.md records them with these commands.
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
for b in gateway_bench observability_bench table_bench pattern_bench bus_bench authorizer_bench \
  jwt_bench; do
  "$BUILD/bench/micro/$b" --benchmark_min_time=0.5 --benchmark_counters_tabular=true
done
bench/http/run.sh "$BUILD"
/usr/bin/python3 bench/http/dynamodb.py "$BUILD"
/usr/bin/python3 bench/http/auth.py "$BUILD"
