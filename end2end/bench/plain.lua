-- A browser's request headers without Accept-Encoding: the same page
-- uncompressed, to compare with browser.lua in the same run.
wrk.headers["Accept"] = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
wrk.headers["Accept-Language"] = "fr-BE,fr;q=0.9,en;q=0.8"
