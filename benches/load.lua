-- wrk script for benches/load.sh and benches/profile.sh.
-- args: <mode: token|jwks> <client_id> <client_secret>
-- With LOAD_SPREAD=N in the environment, every token request is for a random one of N seeded
-- clients (`seed-<i>` / `seed-secret-<i>`, examples/seed_clients.rs) instead of <client_id>.
--
-- Without that, the script defines no `request` and no `response` function: wrk then sends one
-- request formatted at start-up and parses answers in C. The load generator's CPU comes out of
-- the cores the server is measured on, so it stays that cheap; only the random-client case pays
-- for a Lua call per request. Failures are wrk's own count of statuses above 399
-- (`summary.errors.status`); the server answers these routes with 200 or an error status.
local spread = tonumber(os.getenv("LOAD_SPREAD") or "0") or 0

function init(args)
  local mode, client_id, client_secret = args[1], args[2], args[3]
  if mode == "token" then
    wrk.method = "POST"
    wrk.path = "/oauth/token"
    wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
    wrk.body = "grant_type=client_credentials&client_id=" .. client_id .. "&client_secret=" .. client_secret
  else
    wrk.method = "GET"
    wrk.path = "/.well-known/jwks.json"
  end
  math.randomseed(os.time() + (tonumber(tostring({}):sub(8), 16) or 0))
end

if spread > 0 then
  function request()
    local i = math.random(0, spread - 1)
    return wrk.format(nil, nil, nil, "grant_type=client_credentials&client_id=seed-" .. i .. "&client_secret=seed-secret-" .. i)
  end
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format("RESULT requests=%d duration_s=%.3f rps=%.1f p50_ms=%.3f p99_ms=%.3f max_ms=%.3f non2xx=%d socket_errors=%d\n",
    summary.requests, summary.duration / 1e6, summary.requests / (summary.duration / 1e6),
    latency:percentile(50) / 1000, latency:percentile(99) / 1000, latency.max / 1000, e.status,
    e.connect + e.read + e.write + e.timeout))
end
