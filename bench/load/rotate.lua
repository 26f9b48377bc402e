-- Each connection walks the portal's pages in turn (paths come from the PATHS env variable).
local paths = {}
for p in string.gmatch(os.getenv("PATHS") or "/", "[^,]+") do table.insert(paths, p) end
local counter = 0
request = function()
  counter = counter + 1
  return wrk.format("GET", paths[(counter % #paths) + 1])
end
