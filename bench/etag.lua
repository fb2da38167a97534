-- wrk: conditional GET of the 200-comment thread with a matching ETag (expects 304)
wrk.headers["If-None-Match"] = os.getenv("BENCH_ETAG")
