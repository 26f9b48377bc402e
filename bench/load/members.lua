-- Signed-in members: each wrk thread holds ONE connection (run with -t equal to -c), so every
-- response answers the request this thread sent last, and can be checked against the member
-- who sent it. MEMBERS names a file of lines "id<TAB>email<TAB>csrf secret<TAB>cookie header";
-- PATHS the pages, comma-separated; PROFILE the one page that must show the member's address.
-- Thread k of n signs in as members k, k+n, k+2n, ... in turn, walking the pages.
--
-- Checked on every answer: status 200; the CSRF token in the page unmasks to THIS member's secret
-- (a page rendered for anyone else carries another secret); no other benchmark member's address
-- appears; the profile shows this member's own address. Any failure is counted, the first ones
-- are printed at once, and done() prints the totals that bench/load/run.py refuses to pass.

local threads = {}
local made = 0

function setup(thread)
  made = made + 1
  thread:set("index", made)
  table.insert(threads, thread)
end

local CHARS = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
local POS = {}
for i = 1, #CHARS do POS[CHARS:sub(i, i)] = i - 1 end

-- django.middleware.csrf._unmask_cipher_token: secret = cipher - mask, letter by letter, mod 62.
local function unmask(token)
  local out = {}
  for i = 1, 32 do
    local m, c = POS[token:sub(i, i)], POS[token:sub(32 + i, 32 + i)]
    if m == nil or c == nil then return nil end
    local x = (c - m) % 62
    out[i] = CHARS:sub(x + 1, x + 1)
  end
  return table.concat(out)
end

local mine = {}
local paths = {}
local profile = os.getenv("PROFILE") or "/accounts/profile/"
local counter = 0
local pending = nil
checked, failed, shown, stored = 0, 0, 0, 0

function init(args)
  for p in string.gmatch(os.getenv("PATHS") or "/", "[^,]+") do table.insert(paths, p) end
  local all = {}
  for line in io.lines(os.getenv("MEMBERS")) do
    local id, email, csrf, cookie = line:match("^([^\t]+)\t([^\t]+)\t([^\t]+)\t([^\t]+)$")
    table.insert(all, {id = id, email = email, csrf = csrf, cookie = cookie})
  end
  local n = tonumber(os.getenv("THREADS"))
  for i = index, #all, n do table.insert(mine, all[i]) end
end

request = function()
  counter = counter + 1
  -- Members change every request, pages every pass over this thread's members.
  local member = mine[(counter % #mine) + 1]
  local path = paths[(math.floor(counter / #mine) % #paths) + 1]
  pending = {member = member, path = path}
  return wrk.format("GET", path, {["Cookie"] = member.cookie})
end

local function fail(reason)
  failed = failed + 1
  if shown < 5 then
    shown = shown + 1
    io.stderr:write(string.format("MEMBER CHECK FAILED: member %s on %s: %s\n",
      pending and pending.member.id or "?", pending and pending.path or "?", reason))
  end
end

response = function(status, headers, body)
  checked = checked + 1
  if pending == nil then return fail("an answer to no request") end
  local member = pending.member
  if status ~= 200 then return fail("status " .. status) end
  local token = body:match('name="csrfmiddlewaretoken" value="([%w]+)"')
  if token == nil or #token ~= 64 then return fail("no CSRF token in the page") end
  if unmask(token) ~= member.csrf then return fail("the page carries another session's CSRF token") end
  for address in body:gmatch("bench%-%d+@bench%.invalid") do
    if address ~= member.email then return fail("the page shows " .. address) end
  end
  if pending.path == profile and not body:find(member.email, 1, true) then
    return fail("the profile does not show the member's own address")
  end
  if headers["X-Member-Page-Cache"] == "hit" then stored = stored + 1 end
end

function done(summary, latency, requests)
  local c, f, h = 0, 0, 0
  for _, thread in ipairs(threads) do
    c = c + thread:get("checked")
    f = f + thread:get("failed")
    h = h + thread:get("stored")
  end
  io.write(string.format("member checks: %d answers checked, %d failed, %d served stored\n", c, f, h))
end
