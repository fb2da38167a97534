-- wrk: POST a new comment on the benchmark article; each request has its own text
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
local n = 0
request = function()
  n = n + 1
  local body = string.format('{"article":"bench-post","author_name":"Bench","author_email":"bench%d@example.org","body":"Load test comment %d from thread %s"}', n, n, tostring(wrk.thread))
  return wrk.format(nil, "/api/comments", nil, body)
end
