-- wrk script for the fetch-session benchmark.
--   wrk -t1 -c32 -d3s --latency -s bench/wrk/sessions.lua http://127.0.0.1:PORT -- /read cookies.txt
-- args[1]: the path; args[2]: a file with one Cookie header value per line
-- ("-" for none). Requests are formatted once in init() and rotated, so the
-- script costs wrk almost nothing per request. done() prints one JSON line.
local requests = {}
local count = 0
local i = 0

function init(args)
  local path = args[1] or "/"
  local file = args[2]
  if file ~= nil and file ~= "-" then
    for line in io.lines(file) do
      if line ~= "" then
        count = count + 1
        requests[count] = wrk.format("GET", path, { ["Cookie"] = line })
      end
    end
  end
  if count == 0 then
    count = 1
    requests[1] = wrk.format("GET", path)
  end
end

function request()
  i = i + 1
  if i > count then i = 1 end
  return requests[i]
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    '\nWRK_JSON {"requests":%d,"duration_us":%d,"bytes":%d,"errors":{"connect":%d,"read":%d,"write":%d,"status":%d,"timeout":%d},' ..
    '"latency_us":{"mean":%.1f,"p50":%d,"p90":%d,"p99":%d,"max":%d}}\n',
    summary.requests, summary.duration, summary.bytes, e.connect, e.read, e.write, e.status, e.timeout,
    latency.mean, latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max))
end
