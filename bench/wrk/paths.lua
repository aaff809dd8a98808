-- Cycles through the request paths listed in a file (one per line), so each request can
-- ask for something new (an uncached day); threads start at different lines.
--   wrk ... -s bench/wrk/paths.lua URL -- PATHS_FILE THREADS
local next_id = 0

function setup(thread)
  thread:set("id", next_id)
  next_id = next_id + 1
end

function init(args)
  paths = {}
  for line in io.lines(args[1]) do
    if #line > 0 then paths[#paths + 1] = line end
  end
  step = tonumber(args[2] or "1")
  position = id
end

function request()
  local path = paths[(position % #paths) + 1]
  position = position + step
  return wrk.format("GET", path)
end
