-- wrk script for benches/load.sh and benches/profile.sh: one fixed request, no per-request Lua.
-- args: <mode: token|jwks> <client_id> <client_secret>
-- wrk sends the request formatted once at start-up when the script defines no `request`
-- function, and parses responses in C when it defines no `response` function: the load
-- generator's CPU comes out of the cores the server is measured on, so it stays that cheap.
-- Failures: wrk's own count of responses with a status above 399 (`summary.errors.status`);
-- the server answers these routes with 200 or an error status, never 1xx/3xx.
local threads = {}

function setup(thread)
  table.insert(threads, thread)
end

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
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format("RESULT requests=%d duration_s=%.3f rps=%.1f p50_ms=%.3f p99_ms=%.3f max_ms=%.3f non2xx=%d socket_errors=%d\n",
    summary.requests, summary.duration / 1e6, summary.requests / (summary.duration / 1e6),
    latency:percentile(50) / 1000, latency:percentile(99) / 1000, latency.max / 1000, e.status,
    e.connect + e.read + e.write + e.timeout))
end
