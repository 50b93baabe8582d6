-- wrk script: PUT a changing ~20 KB document; each connection of a thread
-- cycles over 64 documents of its own so every PUT is a real replace.
local tid = 0
local counter = 0
local head, tail

function setup(thread)
  tid = tid + 1
  thread:set("tid", tid)
end

function init(args)
  local f = io.open(args[1], "r")
  local doc = f:read("*a")
  f:close()
  local cut = doc:find("</resource%-lists>")
  head = doc:sub(1, cut - 1)
  tail = doc:sub(cut)
end

function request()
  counter = counter + 1
  local body = head .. '  <list name="bench-' .. counter .. '"/>\n' .. tail
  local path = "/xcap-root/resource-lists/users/sip:bench@example.org/t" .. tid .. "-" .. (counter % 64)
  return wrk.format("PUT", path, {["Content-Type"] = "application/resource-lists+xml",
    ["X-3GPP-Asserted-Identity"] = "sip:admin@example.org"}, body)
end
