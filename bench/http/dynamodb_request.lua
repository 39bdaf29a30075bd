-- wrk script: replays pre-signed DynamoDB requests round-robin and counts non-2xx responses.
-- WRK_REQUESTS names a Lua file that returns a list of complete HTTP/1.1 requests (request
-- line, headers including Host and the SigV4 Authorization, body), written by dynamodb.py.
-- Prints one machine-readable summary line, and the first non-2xx response if there was one.
local threads = {}
local thread_count = 0

function setup(thread)
  thread:set("thread_index", thread_count)
  thread_count = thread_count + 1
  table.insert(threads, thread)
end

function init(args)
  pool = dofile(os.getenv("WRK_REQUESTS"))
  pool_size = #pool
  -- Threads start at different places in the pool so they do not send the same key at once.
  next_index = (thread_index * 7919) % pool_size
  non2xx = 0
  first_bad = ""
end

function request()
  next_index = next_index % pool_size + 1
  return pool[next_index]
end

function response(status, headers, body)
  if status < 200 or status > 299 then
    non2xx = non2xx + 1
    if first_bad == "" then
      first_bad = tostring(status) .. " " .. tostring(body)
    end
  end
end

function done(summary, latency, requests)
  local bad = 0
  local sample = ""
  for _, thread in ipairs(threads) do
    bad = bad + (thread:get("non2xx") or 0)
    local first = thread:get("first_bad") or ""
    if sample == "" and first ~= "" then sample = first end
  end
  local errors = summary.errors
  io.write(string.format(
    "dynamodb_rate requests=%d duration_s=%.2f rps=%.0f p50_us=%d p99_us=%d errors=%d" ..
    " timeouts=%d non2xx=%d\n",
    summary.requests, summary.duration / 1e6, summary.requests / (summary.duration / 1e6),
    latency:percentile(50), latency:percentile(99),
    errors.connect + errors.read + errors.write + errors.timeout, errors.timeout, bad))
  if sample ~= "" then
    io.write("first_non2xx " .. string.gsub(string.sub(sample, 1, 500), "[\r\n]", " ") .. "\n")
  end
end
