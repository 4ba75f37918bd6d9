-- wrk script: POST the image files given after `--` in turn (raw body, image/jpeg) and count
-- non-200 answers.  wrk -t1 -c4 -d10s -s bench/wrk_images.lua URL -- a.jpg b.jpg ...
local bodies = {}
local next_body = 0
local failures = 0

function init(args)
  for _, path in ipairs(args) do
    local f = assert(io.open(path, "rb"))
    bodies[#bodies + 1] = f:read("*all")
    f:close()
  end
end

function request()
  next_body = next_body % #bodies + 1
  return wrk.format("POST", nil, {["Content-Type"] = "image/jpeg"}, bodies[next_body])
end

function response(status, headers, body)
  if status ~= 200 then failures = failures + 1 end
end

function done(summary, latency, requests)
  io.write(string.format("wrk: %d requests, %.1f req/s, p50 %.1f ms, p99 %.1f ms, %d errors\n",
    summary.requests, summary.requests / (summary.duration / 1e6),
    latency:percentile(50) / 1000, latency:percentile(99) / 1000,
    summary.errors.status + summary.errors.connect + summary.errors.read + summary.errors.write +
    summary.errors.timeout))
end
