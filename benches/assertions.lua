-- wrk script for benches/assertions.sh: client-credentials token requests of a secret client or
-- of a private_key_jwt client.
-- args: secret <client_id> <client_secret>   |   assertion <assertions file>
-- The assertions file holds one client assertion a line (examples/client_assertions.rs, made
-- before the round: an assertion is good once). Every body is built in `init`; both modes go
-- through the same Lua `request` call per request, so the generator's cost is the same on both
-- sides but for the bytes sent.
local bodies, next_body = {}, 0

function init(args)
  wrk.method = "POST"
  wrk.path = "/oauth/token"
  wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
  if args[1] == "secret" then
    bodies[1] = "grant_type=client_credentials&client_id=" .. args[2] .. "&client_secret=" .. args[3]
  else
    local prefix = "grant_type=client_credentials"
      .. "&client_assertion_type=urn%3Aietf%3Aparams%3Aoauth%3Aclient-assertion-type%3Ajwt-bearer"
      .. "&client_assertion="
    for line in io.lines(args[2]) do
      bodies[#bodies + 1] = prefix .. line
    end
  end
end

function request()
  -- The secret's one body every time; each assertion once (past the last, the last again: a
  -- replay, refused and counted as non2xx).
  next_body = next_body + 1
  return wrk.format(nil, nil, nil, bodies[next_body] or bodies[#bodies])
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format("RESULT requests=%d duration_s=%.3f rps=%.1f p50_ms=%.3f p99_ms=%.3f non2xx=%d socket_errors=%d\n",
    summary.requests, summary.duration / 1e6, summary.requests / (summary.duration / 1e6),
    latency:percentile(50) / 1000, latency:percentile(99) / 1000, e.status,
    e.connect + e.read + e.write + e.timeout))
end
