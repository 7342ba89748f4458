-- wrk script for benches/dpop.sh: client-credentials token requests, bearer or DPoP-bound.
-- args: <client_id> <client_secret> [proofs file]
-- With a proofs file (one DPoP proof a line, examples/dpop_proofs.rs), each request carries the
-- next proof in its `DPoP` header; without, the same request without it. Both modes go through
-- the same Lua `request` call per request, so the generator's cost is the same on both sides.
local body, proofs, next_proof = nil, {}, 0

function init(args)
  body = "grant_type=client_credentials&client_id=" .. args[1] .. "&client_secret=" .. args[2]
  wrk.method = "POST"
  wrk.path = "/oauth/token"
  wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
  if args[3] then
    for line in io.lines(args[3]) do
      proofs[#proofs + 1] = line
    end
  end
end

function request()
  if #proofs == 0 then
    return wrk.format(nil, nil, nil, body)
  end
  -- A proof is good once: past the last one, requests fail (counted as non2xx).
  next_proof = next_proof + 1
  -- Headers given to wrk.format replace wrk.headers: the content type goes again.
  return wrk.format(nil, nil, {
    ["Content-Type"] = "application/x-www-form-urlencoded",
    ["DPoP"] = proofs[next_proof] or "spent",
  }, body)
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format("RESULT requests=%d duration_s=%.3f rps=%.1f p50_ms=%.3f p99_ms=%.3f non2xx=%d socket_errors=%d\n",
    summary.requests, summary.duration / 1e6, summary.requests / (summary.duration / 1e6),
    latency:percentile(50) / 1000, latency:percentile(99) / 1000, e.status,
    e.connect + e.read + e.write + e.timeout))
end
