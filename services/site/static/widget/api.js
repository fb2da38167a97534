// The comments and notify APIs, and one error type whose message a reader can act on.

export class ApiError extends Error {
  constructor(status, body = {}, retryAfter = null) {
    const error = body.error || {};
    super(error.message || "");
    this.status = status;  // 0: the network or the service is down
    this.code = error.code || "";
    this.details = error.details || {};
    this.retryAfter = retryAfter;
  }

  /** The sentence to show the reader. */
  get readerMessage() {
    if (this.status === 0 || this.status >= 500) return "Comments are unavailable right now. Please try again in a little while.";
    if (this.status === 429) {
      const wait = this.retryAfter ? ` Please wait ${this.retryAfter} seconds and try again.` : " Please wait a moment and try again.";
      return `You are going a little fast: slow down.${wait}`;
    }
    if (this.status === 409) return this.message || "This can no longer be changed.";
    if (this.status === 422) return "Please check the highlighted fields.";
    if (this.status === 404) return this.message || "This comment no longer exists.";
    if (this.status === 403) return "This comment can only be changed from the browser that posted it.";
    return this.message || "Something went wrong. Please try again.";
  }
}

export class Api {
  constructor(base = "") {
    this.base = base.replace(/\/+$/, "");
  }

  async request(method, path, { body, headers = {}, etag } = {}) {
    const init = { method, headers: { Accept: "application/json", ...headers }, credentials: "omit" };
    if (body !== undefined) {
      init.body = JSON.stringify(body);
      init.headers["Content-Type"] = "application/json";
    }
    if (etag) init.headers["If-None-Match"] = etag;
    let resp;
    try {
      resp = await fetch(this.base + path, init);
    } catch {
      throw new ApiError(0);
    }
    if (resp.status === 304) return { status: 304, etag: resp.headers.get("ETag") || etag, data: null };
    let data = null;
    if (resp.status !== 204) {
      try {
        data = await resp.json();
      } catch {
        data = null;
      }
    }
    if (!resp.ok) {
      const retry = parseInt(resp.headers.get("Retry-After") || "", 10);
      throw new ApiError(resp.status, data || {}, Number.isFinite(retry) ? retry : null);
    }
    if (data === null && resp.status !== 204) throw new ApiError(502);  // a proxy's HTML error page
    return { status: resp.status, etag: resp.headers.get("ETag"), data };
  }

  thread(article, sort, { cursor, limit = 10, etag } = {}) {
    const q = new URLSearchParams({ article, sort, limit: String(limit) });
    if (cursor) q.set("cursor", cursor);
    return this.request("GET", `/api/comments?${q}`, { etag });
  }

  post(comment) {
    return this.request("POST", "/api/comments", { body: comment });
  }

  own(id, token) {
    return this.request("GET", `/api/comments/${id}`, { headers: { "X-Edit-Token": token } });
  }

  edit(id, token, body) {
    return this.request("PATCH", `/api/comments/${id}`, { body: { body }, headers: { "X-Edit-Token": token } });
  }

  remove(id, token) {
    return this.request("DELETE", `/api/comments/${id}`, { headers: { "X-Edit-Token": token } });
  }

  vote(id, voterId, value) {
    return this.request("PUT", `/api/comments/${id}/vote`, { body: { voter_id: voterId, value } });
  }

  flag(id, reason, note) {
    return this.request("POST", `/api/comments/${id}/flags`, { body: { reason, note } });
  }

  subscribe(email, kind, article, commentId = null) {
    return this.request("POST", "/api/subscriptions", { body: { email, kind, article, comment_id: commentId } });
  }
}
