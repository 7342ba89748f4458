-- wrk script for benches/load.sh.
-- args: <mode: token|jwks> <client_id> <client_secret> <seeded: N random seed-i clients, 0 = none>
local threads = {}

function setup(thread)
  table.insert(threads, thread)
end

function init(args)
  mode, client_id, client_secret, seeded = args[1], args[2], args[3], tonumber(args[4] or "0")
  failures = 0
  math.randomseed(os.time() + (tonumber(tostring({}):sub(8), 16) or 0))
  if mode == "token" then
    wrk.method = "POST"
    wrk.path = "/oauth/token"
    wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
    wrk.body = "grant_type=client_credentials&client_id=" .. client_id .. "&client_secret=" .. client_secret
  else
    wrk.method = "GET"
    wrk.path = "/.well-known/jwks.json"
  end
  fixed = wrk.format()
end

function request()
  if mode == "token" and seeded > 0 then
    local i = math.random(0, seeded - 1)
    local body = "grant_type=client_credentials&client_id=seed-" .. i .. "&client_secret=seed-secret-" .. i
    return wrk.format(nil, nil, nil, body)
  end
  return fixed
end

function response(status, headers, body)
  if status < 200 or status > 299 then
    failures = failures + 1
  end
end

function done(summary, latency, requests)
  local f = 0
  for _, t in ipairs(threads) do
    f = f + t:get("failures")
  end
  local e = summary.errors
  io.write(string.format("RESULT requests=%d duration_s=%.3f rps=%.1f p50_ms=%.3f p99_ms=%.3f max_ms=%.3f non2xx=%d socket_errors=%d\n",
    summary.requests, summary.duration / 1e6, summary.requests / (summary.duration / 1e6),
    latency:percentile(50) / 1000, latency:percentile(99) / 1000, latency.max / 1000, f,
    e.connect + e.read + e.write + e.timeout))
end
