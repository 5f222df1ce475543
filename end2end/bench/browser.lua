-- A browser's request headers (issue 27): a benchmark without them measures
-- a path no visitor takes (a page uncompressed).
wrk.headers["Accept"] = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
wrk.headers["Accept-Encoding"] = "gzip, deflate, br, zstd"
wrk.headers["Accept-Language"] = "fr-BE,fr;q=0.9,en;q=0.8"
