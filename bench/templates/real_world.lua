-- The real-world mix (bench/phases/real_world_mix.py): the public pages as visitors reach them.
-- Half the requests carry a fresh fbclid (a new value every time, as each Facebook click does),
-- half a partner's ref (one of $partners), half a campaign's UTM parameters with random values;
-- all of them, the page's own parameters included, in a shuffled order. With tracking = false,
-- the same pages with clean URLs. Each wrk thread draws from its own seed: the same run sends
-- the same requests. (bench/wrk.py fills in each $$name.)
local paths = $paths
local tracking = $tracking
local partners = $partners
local seed = $seed
local sources = { "newsletter", "facebook", "twitter", "mastodon", "partner", "press" }
local mediums = { "email", "social", "referral", "cpc", "embed" }
local alphabet = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_"
local headers = $headers
local pages = {}
local sent = 0
local threads = 0

setup = function(thread)
  threads = threads + 1
  thread:set("number", threads)
end

local function token(length)
  local letters = {}
  for i = 1, length do
    local at = math.random(#alphabet)
    letters[i] = alphabet:sub(at, at)
  end
  return table.concat(letters)
end

local function shuffle(list)
  for i = #list, 2, -1 do
    local j = math.random(i)
    list[i], list[j] = list[j], list[i]
  end
end

init = function(args)
  math.randomseed(seed + number)
  for i, path in ipairs(paths) do
    local base, query = path:match("^([^?]*)%??(.*)$$")
    local own = {}
    for part in query:gmatch("[^&]+") do own[#own + 1] = part end
    pages[i] = { base = base, own = own }
  end
end

request = function()
  sent = sent + 1
  local page = pages[math.random(#pages)]
  local parts = {}
  for _, part in ipairs(page.own) do parts[#parts + 1] = part end
  if tracking then
    if math.random() < 0.5 then
      -- The thread and the count make it new; the random part makes it look like one.
      parts[#parts + 1] = "fbclid=IwAR" .. number .. "x" .. sent .. token(24)
    end
    if math.random() < 0.5 then
      parts[#parts + 1] = "ref=partner-" .. math.random(partners)
    end
    if math.random() < 0.5 then
      parts[#parts + 1] = "utm_source=" .. sources[math.random(#sources)]
      parts[#parts + 1] = "utm_medium=" .. mediums[math.random(#mediums)]
      parts[#parts + 1] = "utm_campaign=" .. token(8)
    end
    shuffle(parts)
  end
  local path = page.base
  if #parts > 0 then path = path .. "?" .. table.concat(parts, "&") end
  return wrk.format("GET", path, headers)
end
