-- POST /v1/search by vector, exact, k = 10: 64 random Gaussian query vectors made once per thread.
local dimensions = tonumber(os.getenv("DIMENSIONS") or "1536")
local token = os.getenv("TOKEN")
local bodies = {}
math.randomseed(os.time() + tonumber(tostring({}):sub(8), 16) % 1000)
for q = 1, 64 do
  local values = {}
  for i = 1, dimensions do
    values[i] = string.format("%.5f", math.sqrt(-2 * math.log(math.random())) * math.cos(2 * math.pi * math.random()))
  end
  bodies[q] = '{"vector": [' .. table.concat(values, ",") .. '], "k": 10, "mode": "exact"}'
end
local headers = { ["Authorization"] = "Bearer " .. token, ["Content-Type"] = "application/json" }
request = function()
  return wrk.format("POST", "/v1/search", headers, bodies[math.random(1, #bodies)])
end
