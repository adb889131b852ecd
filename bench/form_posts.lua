-- wrk script: every request sends another prepared form, each once (bench/http_app.py's
-- measure_form_posts: a matter's send in bench/matters_http.py, a rating in bench/reviews_http.py).
--
--   wrk -t1 ... -s bench/form_posts.lua http://127.0.0.1:PORT/ -- POSTS STATE ACCEPTED
--
-- POSTS: one request a line, "path<TAB>cookie<TAB>form body" (e.g. a draft's
-- /my/matters/<ref>/send, its applicant's session and CSRF cookies, the form with the CSRF token
-- and a new idempotency key). STATE: a JSON object this script keeps between runs of wrk
-- (warm-up, measured runs, retries): the next line to send and the counts so far. ACCEPTED: what
-- the Location of an accepted post's 303 holds ("?sent=1"). One thread (-t1): it walks the
-- lines. It prints wrk_report.lua's line as usual.
local folder = debug.getinfo(1, "S").source:sub(2):match("^(.*/)") or "./"
dofile(folder .. "wrk_report.lua")
local report = done

local COUNTS = { "sent", "accepted", "refused", "beyond" }

local function read_state(path)
  local state = { next = 1, sent = 0, accepted = 0, refused = 0, beyond = 0 }
  local file = io.open(path, "r")
  if file then
    local text = file:read("*a")
    file:close()
    for key, value in text:gmatch('"(%w+)": (%d+)') do
      state[key] = tonumber(value)
    end
  end
  return state
end

-- In the thread: the lines not sent yet, each made into its request once, here.
function init(args)
  state_path = args[2]
  accepted_mark = args[3]
  first = read_state(state_path).next
  prepared = {}
  local line_number = 0
  for line in io.lines(args[1]) do
    line_number = line_number + 1
    if line_number >= first then
      local path, cookie, body = line:match("^([^\t]*)\t([^\t]*)\t(.*)$")
      prepared[#prepared + 1] = wrk.format("POST", path, {
        ["Cookie"] = cookie,
        ["Content-Type"] = "application/x-www-form-urlencoded",
      }, body)
    end
  end
  sent, accepted, refused, beyond = 0, 0, 0, 0
  verified = false
end

function request()
  if not verified then
    -- wrk's own look at the script (script_verify_request), never sent: the first line again.
    verified = true
    return prepared[1] or wrk.format("POST", "/")
  end
  sent = sent + 1
  local next_request = prepared[sent]
  if next_request == nil then
    -- Out of lines: the last one again (an idempotent repeat), counted: the run is void.
    beyond = beyond + 1
    next_request = prepared[#prepared]
  end
  return next_request
end

-- An accepted post answers 303 to a page whose address holds ACCEPTED; others are counted apart.
function response(status, headers, body)
  local location = headers["location"] or headers["Location"] or ""
  if status == 303 and location:find(accepted_mark, 1, true) then
    accepted = accepted + 1
  else
    refused = refused + 1
  end
end

local threads = {}

function setup(thread)
  threads[#threads + 1] = thread
end

done = function(summary, latency, requests)
  report(summary, latency, requests)
  local thread = threads[1]
  local path = thread:get("state_path")
  local state = read_state(path)
  local this_run = {}
  for _, key in ipairs(COUNTS) do
    this_run[key] = thread:get(key)
    state[key] = state[key] + this_run[key]
  end
  -- Requests sent but not answered when wrk stopped reached the server all the same.
  state.next = thread:get("first") + this_run.sent - this_run.beyond
  local file = assert(io.open(path, "w"))
  file:write(string.format(
    '{"next": %d, "sent": %d, "accepted": %d, "refused": %d, "beyond": %d}\n',
    state.next, state.sent, state.accepted, state.refused, state.beyond))
  file:close()
end
