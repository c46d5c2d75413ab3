-- GET /v1/users/{id}/context for creators 1…CREATORS in turn, each wrk thread (THREADS of them, as
-- wrk's -t) its share, then round again: the warm-up of the cached load (admin token: any creator).
local creators = tonumber(os.getenv("CREATORS") or "10000")
local threads = tonumber(os.getenv("THREADS") or "2")
local query = os.getenv("CONTEXT_QUERY") or "k=10"
local token = os.getenv("TOKEN")
local started = 0
function setup(thread)
  thread:set("first", started)
  started = started + 1
end
local sent = 0
request = function()
  local id = ((first or 0) + sent * threads) % creators + 1
  sent = sent + 1
  return wrk.format("GET", "/v1/users/" .. id .. "/context?" .. query, { ["Authorization"] = "Bearer " .. token })
end
