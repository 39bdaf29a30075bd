-- wrk script: prints one machine-readable summary line for a saturating run.
function done(summary, latency, requests)
  io.write(string.format("max_rate requests=%d duration_s=%.2f rps=%.0f p50_us=%d p99_us=%d errors=%d non2xx=%d\n",
    summary.requests, summary.duration / 1e6, summary.requests / (summary.duration / 1e6),
    latency:percentile(50), latency:percentile(99),
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout,
    summary.errors.status))
end
