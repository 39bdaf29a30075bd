-- wrk script: each connection paces itself to `rate / connections` requests per second, so
-- the whole run offers about `rate` requests/s (set WRK_RATE and WRK_CONNECTIONS), and prints
-- latency percentiles in microseconds. wrk measures from each request's send, so latency
-- under a saturating load is understated (coordinated omission); at half load it holds.
local rate = tonumber(os.getenv("WRK_RATE") or "1000")
local connections = tonumber(os.getenv("WRK_CONNECTIONS") or "16")
local interval_ms = 1000.0 * connections / rate

function delay()
  return interval_ms
end

function done(summary, latency, requests)
  io.write(string.format("fixed_rate requests=%d duration_s=%.2f rps=%.0f p50_us=%d p90_us=%d p99_us=%d p999_us=%d max_us=%d errors=%d\n",
    summary.requests, summary.duration / 1e6, summary.requests / (summary.duration / 1e6),
    latency:percentile(50), latency:percentile(90), latency:percentile(99),
    latency:percentile(99.9), latency.max,
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.status +
    summary.errors.timeout))
end
