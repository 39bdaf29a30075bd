-- wrk script: offers a fixed request rate (WRK_RATE requests/s over all threads) and prints
-- latency percentiles in microseconds. wrk has no rate option (wrk2 is not packaged), so each
-- thread keeps a schedule of send slots, `threads / rate` seconds apart, and delay() holds
-- every request until its slot. wrk's timers have 1 ms resolution, so sends are released in
-- 1 ms batches; the average rate holds. Needs enough connections to keep the schedule
-- (WRK_CONNECTIONS); the printed rps shows whether it did.
local ffi = require("ffi")
ffi.cdef[[
  typedef struct { long tv_sec; long tv_nsec; } timespec_t;
  int clock_gettime(int clk, timespec_t* ts);
]]
local ts = ffi.new("timespec_t")
local function now_ms()
  ffi.C.clock_gettime(1, ts)  -- CLOCK_MONOTONIC
  return tonumber(ts.tv_sec) * 1000 + tonumber(ts.tv_nsec) / 1e6
end

local rate = tonumber(os.getenv("WRK_RATE") or "1000")
local threads = tonumber(os.getenv("WRK_THREADS") or "2")
local interval_ms = 1000.0 * threads / rate
local next_slot = nil

function delay()
  local now = now_ms()
  if next_slot == nil or next_slot < now - 100 then next_slot = now end  -- start, or fell behind
  local wait = next_slot - now
  next_slot = next_slot + interval_ms
  if wait <= 0 then return 0 end
  return math.floor(wait + 0.5)
end

function done(summary, latency, requests)
  io.write(string.format("fixed_rate requests=%d duration_s=%.2f rps=%.0f p50_us=%d p90_us=%d p99_us=%d p999_us=%d max_us=%d errors=%d\n",
    summary.requests, summary.duration / 1e6, summary.requests / (summary.duration / 1e6),
    latency:percentile(50), latency:percentile(90), latency:percentile(99),
    latency:percentile(99.9), latency.max,
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.status +
    summary.errors.timeout))
end
