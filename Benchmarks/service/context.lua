-- GET /v1/users/{id}/context for creators drawn uniformly from 1…CREATORS (admin token: any creator).
local creators = tonumber(os.getenv("CREATORS") or "100000")
local query = os.getenv("CONTEXT_QUERY") or "k=10"
local token = os.getenv("TOKEN")
math.randomseed(os.time() + tonumber(tostring({}):sub(8), 16) % 1000)
request = function()
  return wrk.format("GET", "/v1/users/" .. math.random(1, creators) .. "/context?" .. query, { ["Authorization"] = "Bearer " .. token })
end
