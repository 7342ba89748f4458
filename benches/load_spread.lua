-- wrk script for `benches/load.sh --clients N --spread`: a random one of the N seeded clients
-- (`seed-<i>` / `seed-secret-<i>`, examples/seed_clients.rs) per request.
-- args: <mode: token> <unused> <unused> <N>
-- Defining `request` makes wrk call Lua for every request (it costs wrk CPU); only this case
-- needs it. Failures are wrk's own count of statuses above 399.
function init(args)
  seeded = tonumber(args[4])
  math.randomseed(os.time() + (tonumber(tostring({}):sub(8), 16) or 0))
  wrk.method = "POST"
  wrk.path = "/oauth/token"
  wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
end

function request()
  local i = math.random(0, seeded - 1)
  return wrk.format(nil, nil, nil, "grant_type=client_credentials&client_id=seed-" .. i .. "&client_secret=seed-secret-" .. i)
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format("RESULT requests=%d duration_s=%.3f rps=%.1f p50_ms=%.3f p99_ms=%.3f max_ms=%.3f non2xx=%d socket_errors=%d\n",
    summary.requests, summary.duration / 1e6, summary.requests / (summary.duration / 1e6),
    latency:percentile(50) / 1000, latency:percentile(99) / 1000, latency.max / 1000, e.status,
    e.connect + e.read + e.write + e.timeout))
end
