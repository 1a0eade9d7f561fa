-- The cache-busting flood (bench/phases/cache_busting_flood.py): the public pages, each request
-- with a parameter no page reads (x) or a partner's ref, of a value never sent before, in turns.
-- Each wrk thread draws from its own seed. (bench/wrk.py fills in each $$name.)
local paths = $paths
local seed = $seed
local headers = $headers
local sent = 0
local threads = 0

setup = function(thread)
  threads = threads + 1
  thread:set("number", threads)
end

init = function(args)
  math.randomseed(seed + number)
end

request = function()
  sent = sent + 1
  local path = paths[math.random(#paths)]
  local name = (sent % 2 == 0) and "x" or "ref"
  local value = number .. "z" .. sent .. "z" .. math.random(1000000000)
  local joiner = path:find("?", 1, true) and "&" or "?"
  return wrk.format("GET", path .. joiner .. name .. "=" .. value, headers)
end
