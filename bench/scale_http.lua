-- wrk script of bench/scale.sh: signed-in learners opening pages, or institution staff uploading
-- certificate scans (stored in S3), each connection pausing between requests as a person does.
--
--   wrk -t1 -c8 -d60s --latency -s bench/scale_http.lua http://127.0.0.1:8660 -- \
--       mode=pages data=/path/to/data.txt pause=200 label=evening-pages
--
-- Arguments after "--" (key=value):
--   mode   pages | uploads                                     (default pages)
--   data   file written by bench/scale_setup.py                (required)
--   pause  milliseconds a connection waits between requests   (default 0)
--   kb     size of an uploaded scan in KiB                    (default 200)
--   label  name of the run in the BENCH line                   (default the mode)
--
-- pages: each request is the next page (the "page" lines) for the next signed-in learner
-- ("session" lines); a 200 is a success. uploads: each request records an external certificate
-- (a fresh number) for a learner of the staff member's class ("upload" lines), with a PDF scan,
-- through the form with its CSRF token; the success answer is the redirect (302) to the list.
-- done() prints one "BENCH {json}" line in bench/progress.lua's format.

local threads = {}

function setup(thread)
  thread:set("tid", #threads)
  table.insert(threads, thread)
end

local cfg, pages, sessions, uploads = {}, {}, {}, {}
local n, seq = 0, 0
accepted, non200, events_sent, shown = 0, 0, 0, 0

-- A CSRF secret of Django's shape (32 letters and digits), sent as the cookie and the form field.
local CSRF = "benchscale0csrf0token0abcdefghij"
local BOUNDARY = "----zibobenchscaleboundary7MA4YWxkTrZu0gW"

function init(args)
  local i = 0
  while args[i] ~= nil do
    local key, value = args[i]:match("^([%w_]+)=(.*)$")
    if key then
      cfg[key] = value
    end
    i = i + 1
  end
  cfg.mode = cfg.mode or "pages"
  cfg.pause = tonumber(cfg.pause or 0)
  cfg.kb = tonumber(cfg.kb or 200)
  label, mode = cfg.label or cfg.mode, cfg.mode
  assert(cfg.data, "data=FILE is required (written by bench/scale_setup.py)")
  for line in io.lines(cfg.data) do
    local kind, rest = line:match("^(%a+) (.*)$")
    if kind == "page" then
      table.insert(pages, rest)
    elseif kind == "session" then
      local _, key = rest:match("^(%d+) (%w+)$")
      table.insert(sessions, key)
    elseif kind == "upload" then
      local key, id_number = rest:match("^(%w+) (%w+)$")
      table.insert(uploads, { key = key, id_number = id_number })
    end
  end
  assert(#pages > 0 and #sessions > 0, "no page or session lines in " .. cfg.data)
  assert(mode ~= "uploads" or #uploads > 0, "no upload lines in " .. cfg.data)
  math.randomseed(os.time() + tid * 7919)
  -- The scan: a PDF's first bytes (what the server checks), then filler.
  scan = "%PDF-1.4\n%" .. string.rep("0123456789abcdef", math.floor(cfg.kb * 64)) .. "\n%%EOF\n"
end

function delay()
  return cfg.pause
end

local function field(name, value)
  return "--" .. BOUNDARY .. "\r\nContent-Disposition: form-data; name=\"" .. name .. "\"\r\n\r\n" .. value .. "\r\n"
end

local function upload_request()
  local who = uploads[n % #uploads + 1]
  seq = seq + 1
  local number = string.format("BENCH-%d-%d-%06d", tid, os.time(), seq)
  local body = field("csrfmiddlewaretoken", CSRF)
    .. field("id_number", who.id_number)
    .. field("type", "qualification")
    .. field("number", number)
    .. field("issuer", "山东省人力资源和社会保障厅")
    .. field("issued_on", os.date("%Y-%m-%d", os.time() - 30 * 86400))
    .. "--" .. BOUNDARY .. "\r\nContent-Disposition: form-data; name=\"scan\"; filename=\"scan.pdf\"\r\n"
    .. "Content-Type: application/pdf\r\n\r\n" .. scan .. "\r\n--" .. BOUNDARY .. "--\r\n"
  return wrk.format("POST", "/certificates/external/", {
    ["Content-Type"] = "multipart/form-data; boundary=" .. BOUNDARY,
    ["Cookie"] = "sessionid=" .. who.key .. "; csrftoken=" .. CSRF,
  }, body)
end

function request()
  n = n + 1
  events_sent = events_sent + 1
  if mode == "uploads" then
    return upload_request()
  end
  local path = pages[n % #pages + 1]
  local key = sessions[(n * 7 + tid) % #sessions + 1]
  return wrk.format("GET", path, { ["Cookie"] = "sessionid=" .. key }, nil)
end

function response(status, headers, body)
  local ok = (mode == "uploads" and status == 302) or (mode ~= "uploads" and status == 200)
  if ok then
    accepted = accepted + 1
    return
  end
  non200 = non200 + 1
  if shown < 3 then
    shown = shown + 1
    -- A form's answer: show its error list rather than the page's head.
    local at = (body or ""):find('class="error"', 1, true) or (body or ""):find("errorlist\">", 1, true) or 1
    io.stderr:write(string.format("[%s] HTTP %d: %s\n", label, status, (body or ""):sub(at, at + 300)))
  end
end

function done(summary, latency, requests)
  local totals = { accepted = 0, non200 = 0, events_sent = 0 }
  for _, thread in ipairs(threads) do
    for key in pairs(totals) do
      totals[key] = totals[key] + (thread:get(key) or 0)
    end
  end
  local seconds = summary.duration / 1e6
  local errors = summary.errors
  io.write(string.format(
    'BENCH {"label":"%s","mode":"%s","duration_s":%.3f,"requests":%d,"rps":%.1f,'
      .. '"events_sent":%d,"accepted":%d,"events_per_s":%.1f,"rejected":0,"duplicate":0,"non200":%d,'
      .. '"socket_errors":%d,"p50_ms":%.2f,"p90_ms":%.2f,"p99_ms":%.2f,"max_ms":%.2f,"mean_ms":%.2f}\n',
    threads[1]:get("label"), threads[1]:get("mode"), seconds, summary.requests, summary.requests / seconds,
    totals.events_sent, totals.accepted, totals.accepted / seconds, totals.non200,
    errors.connect + errors.read + errors.write + errors.timeout,
    latency:percentile(50) / 1000, latency:percentile(90) / 1000, latency:percentile(99) / 1000,
    latency.max / 1000, latency.mean / 1000
  ))
end
