-- A reader polling a live count: each wrk connection asks, then waits
-- POLL_MS (default 100 ms) before asking again, like a page refreshing a
-- number, so that many connections make a steady rate, not a flood.
local wait = tonumber(os.getenv("POLL_MS") or "100")
function delay()
  return wait
end
