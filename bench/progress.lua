-- wrk script: simulated learners posting progress events (see docs/benchmarks.md).
--
--   wrk -t2 -c16 -d20s --latency -s bench/progress.lua http://127.0.0.1:8101 -- \
--       mode=mix data=/path/to/data.txt threads=2 label=gunicorn-mix
--
-- Arguments after "--" (key=value):
--   mode      baseline | drf | heartbeat | batch | mix       (default mix)
--   data      file written by bench/setup_data.py create      (required)
--   threads   the -t given to wrk, to split the learners      (default 2)
--   batch     events in one offline batch                     (default 50)
--   share     share of requests that are offline batches, mix (default 0.2)
--   interval  seconds between heartbeats in an offline batch (default 15)
--   label     name of the run in the BENCH line               (default the mode)
--
-- Learners are split between wrk threads (learner i goes to thread i % threads), so no two
-- threads ever write for the same learner; a thread hands its learners to its connections in
-- turn (wrk's Lua API has no per-connection hook), so with 200 learners, 2 threads and 16
-- connections a learner's next request is built about 100 requests after its previous one.
--
-- Each learner has two simulated devices:
--   * an online one (channel pc or wechat) playing one lesson: the learner's first event is a
--     `play`, every later single event a `heartbeat`; `at` is the current time (Asia/Shanghai,
--     +08:00, with milliseconds) and the position advances at real speed (1 s of media per
--     second), so every segment is real study;
--   * an offline one (channel app) whose backlog arrives as one batch: a new session of
--     `play`, heartbeats every `interval` s and a `pause`, positions advancing at real speed,
--     on another lesson. The k-th backlog of a learner ends 2 min + k × (its length + 30 s)
--     before the run started, so backlogs overlap neither each other nor the online session
--     (no takeover, no overlap), and all `at` are in the past.
-- Every event id is a fresh UUID (unique per thread by construction: thread id and counter).
--
-- response() counts, from each 200 answer, the events the server accepted, rejected or called
-- duplicate; done() prints one line "BENCH {json}" that bench/report.py reads.

local ffi = require("ffi")
ffi.cdef([[
typedef struct { long tv_sec; long tv_usec; } bench_timeval;
int gettimeofday(bench_timeval *tv, void *tz);
]])
local tv = ffi.new("bench_timeval")

local function now()
  ffi.C.gettimeofday(tv, nil)
  return tonumber(tv.tv_sec) + tonumber(tv.tv_usec) / 1e6
end

local SHANGHAI = 8 * 3600

local function iso(t)
  local s = math.floor(t)
  local ms = math.floor((t - s) * 1000)
  return os.date("!%Y-%m-%dT%H:%M:%S", s + SHANGHAI) .. string.format(".%03d+08:00", ms)
end

-- main state: number the threads, keep them for done() --------------------------------------

local threads = {}

function setup(thread)
  thread:set("tid", #threads)
  table.insert(threads, thread)
end

-- thread state -------------------------------------------------------------------------------

local cfg = {}
local learners = {}
local lessons = {}
local duration = 0
local next_learner = 1
local seq = 0
local run_start = 0

accepted, rejected, duplicate, non200, events_sent, shown = 0, 0, 0, 0, 0, 0

local function uuid4()
  seq = seq + 1
  -- version 4 layout; the last 12 hex digits are this thread's counter, the variant group
  -- carries the thread id, so ids never repeat within a run whatever the random numbers do.
  return string.format(
    "%04x%04x-%04x-4%03x-%x%x%02x-%04x%08x",
    math.random(0, 0xffff),
    math.random(0, 0xffff),
    math.random(0, 0xffff),
    math.random(0, 0xfff),
    8 + math.random(0, 3),
    tid % 16,
    math.random(0, 0xff),
    math.random(0, 0xffff),
    seq
  )
end

local function event(id, session, lesson, channel, kind, position, at)
  return string.format(
    '{"id":"%s","session":"%s","lesson":%d,"channel":"%s","type":"%s","position":%.3f,"at":"%s"}',
    id, session, lesson, channel, kind, position, iso(at)
  )
end

function init(args)
  local i = 0 -- wrk numbers the arguments from 0
  while args[i] ~= nil do
    local key, value = args[i]:match("^([%w_]+)=(.*)$")
    if key then
      cfg[key] = value
    end
    i = i + 1
  end
  cfg.mode = cfg.mode or "mix"
  cfg.threads = tonumber(cfg.threads or 2)
  cfg.batch = tonumber(cfg.batch or 50)
  cfg.share = tonumber(cfg.share or 0.2)
  cfg.interval = tonumber(cfg.interval or 15)
  cfg.label = cfg.label or cfg.mode
  assert(cfg.data, "data=FILE is required (written by bench/setup_data.py create)")
  label, mode = cfg.label, cfg.mode

  local index = 0
  for line in io.lines(cfg.data) do
    local kind, rest = line:match("^(%a+) (.*)$")
    if kind == "duration" then
      duration = tonumber(rest)
    elseif kind == "lessons" then
      for id in rest:gmatch("%d+") do
        table.insert(lessons, tonumber(id))
      end
    elseif kind == "learner" then
      local id, token = rest:match("^(%d+) (%x+)$")
      if index % cfg.threads == tid then
        table.insert(learners, {
          id = tonumber(id),
          index = index,
          headers = { ["Content-Type"] = "application/json", ["Authorization"] = "Token " .. token },
          lesson = lessons[index % #lessons + 1],
          channel = (index % 2 == 0) and "pc" or "wechat",
          backlogs = 0,
        })
      end
      index = index + 1
    end
  end
  assert(#learners > 0 and #lessons > 0 and duration > 0, "no learners or lessons in " .. cfg.data)
  math.randomseed(math.floor((now() % 100000) * 1000) + tid * 7919)
  run_start = now()
end

local baseline_headers = { ["Content-Type"] = "application/json" }

-- The online device: current time, position advancing at real speed.
local function online(learner)
  local t = now()
  local kind = "heartbeat"
  local pos = (learner.start_pos or 0) + (t - (learner.started or t))
  if not learner.session or pos > duration - 1 then
    learner.session, learner.started, learner.start_pos = uuid4(), t, (learner.index * 37) % (duration / 2)
    kind, pos = "play", learner.start_pos
  end
  return event(uuid4(), learner.session, learner.lesson, learner.channel, kind, pos, t)
end

-- The offline device's k-th backlog: play, heartbeats, pause, dated before the run.
local function backlog(learner)
  local k = learner.backlogs
  learner.backlogs = k + 1
  local n, step = cfg.batch, cfg.interval
  local length = (n - 1) * step
  local finish = run_start - 120 - k * (length + 30)
  local start = finish - length
  local lesson = lessons[(learner.index + 1 + k) % #lessons + 1]
  local pos0 = (k * length) % math.max(1, duration - length - 10)
  local session = uuid4()
  local parts = {}
  for i = 0, n - 1 do
    local kind = (i == 0 and "play") or (i == n - 1 and "pause") or "heartbeat"
    parts[i + 1] = event(uuid4(), session, lesson, "app", kind, pos0 + i * step, start + i * step)
  end
  return parts
end

function request()
  local learner = learners[next_learner]
  next_learner = next_learner % #learners + 1
  if mode == "baseline" or mode == "drf" then
    local t = now()
    if not learner.started then
      learner.started, learner.start_pos = t, (learner.index * 37) % (duration / 2)
    end
    local pos = learner.start_pos + (t - learner.started)
    local body = string.format('{"learner":%d,"lesson":%d,"position":%.3f}', learner.id, learner.lesson, pos)
    events_sent = events_sent + 1
    if mode == "drf" then -- the same upsert behind DRF and token authentication
      return wrk.format("POST", "/bench/drf-baseline/", learner.headers, body)
    end
    return wrk.format("POST", "/bench/baseline/", baseline_headers, body)
  end
  local events
  if mode == "batch" or (mode == "mix" and math.random() < cfg.share) then
    events = backlog(learner)
  else
    events = { online(learner) }
  end
  events_sent = events_sent + #events
  return wrk.format("POST", "/api/v1/progress/events/", learner.headers, '{"events":[' .. table.concat(events, ",") .. "]}")
end

local function count(body, pattern)
  local _, n = body:gsub(pattern, "")
  return n
end

function response(status, headers, body)
  if status ~= 200 then
    non200 = non200 + 1
    if shown < 3 then
      shown = shown + 1
      io.stderr:write(string.format("[%s] HTTP %d: %s\n", label, status, body:sub(1, 300)))
    end
    return
  end
  if mode == "baseline" or mode == "drf" then
    accepted = accepted + 1
    return
  end
  accepted = accepted + count(body, '"status":"accepted"')
  if body:find('"status":"rejected"', 1, true) or body:find('"status":"duplicate"', 1, true) then
    rejected = rejected + count(body, '"status":"rejected"')
    duplicate = duplicate + count(body, '"status":"duplicate"')
    if shown < 3 then
      shown = shown + 1
      io.stderr:write(string.format("[%s] not accepted: %s\n", label, body:sub(1, 300)))
    end
  end
end

-- main state: one summary line ---------------------------------------------------------------

function done(summary, latency, requests)
  local totals = { accepted = 0, rejected = 0, duplicate = 0, non200 = 0, events_sent = 0 }
  for _, thread in ipairs(threads) do
    for key in pairs(totals) do
      totals[key] = totals[key] + (thread:get(key) or 0)
    end
  end
  local seconds = summary.duration / 1e6
  local errors = summary.errors
  io.write(string.format(
    'BENCH {"label":"%s","mode":"%s","duration_s":%.3f,"requests":%d,"rps":%.1f,'
      .. '"events_sent":%d,"accepted":%d,"events_per_s":%.1f,"rejected":%d,"duplicate":%d,"non200":%d,'
      .. '"socket_errors":%d,"p50_ms":%.2f,"p90_ms":%.2f,"p99_ms":%.2f,"max_ms":%.2f,"mean_ms":%.2f}\n',
    threads[1]:get("label"), threads[1]:get("mode"), seconds, summary.requests, summary.requests / seconds,
    totals.events_sent, totals.accepted, totals.accepted / seconds, totals.rejected, totals.duplicate,
    totals.non200, errors.connect + errors.read + errors.write + errors.timeout,
    latency:percentile(50) / 1000, latency:percentile(90) / 1000, latency:percentile(99) / 1000,
    latency.max / 1000, latency.mean / 1000
  ))
end
