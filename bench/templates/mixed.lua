-- wrk going round every cached variant, each connection from its own start
-- (bench/wrk.py fills in the specs: one { path, { [name] = value, ... } } per variant).
local specs = {
$specs
}
local requests = {}
local turn = 0
init = function(args)
  for i, spec in ipairs(specs) do
    local headers = {}
    for name, value in pairs(spec[2]) do headers[name] = value end
    requests[i] = wrk.format("GET", spec[1], headers)
  end
  turn = math.random(#requests)
end
request = function()
  turn = turn % #requests + 1
  return requests[turn]
end
