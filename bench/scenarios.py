"""Scenarios that need more than wrk: pipeline latency, screening throughput, mail fan-out."""
from __future__ import annotations

import json
import os
import threading
import time
import urllib.error
import urllib.request
import uuid
from pathlib import Path

TARGETS = {
    "thread_200": "≥ 60% of the trivial ceiling, p99 < 25 ms",
    "thread_200_etag_304": "cheaper than the full read",
    "post_comment": "≥ 600 posts/s, p99 < 50 ms",
    "pipeline_visible": "p50 < 150 ms, p99 < 1 s at 100 posts/s",
    "screening": "≥ 2,000 comments/s in batch, single < 20 ms",
    "worker_backlog": "≥ 1,000 comments/s screened by the worker under a backlog",
    "fanout_10k": "10,000 subscribers in < 60 s, each exactly once",
    "reply_email": "p50 < 1 s from the reply's approval to the email in the SMTP sink",
}


def _request(url: str, body: dict | None = None, headers: dict | None = None) -> dict:
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(url, data=data, headers={"Content-Type": "application/json", **(headers or {})})
    with urllib.request.urlopen(req, timeout=10) as resp:
        return json.loads(resp.read() or b"{}")


def pipeline_latency(stack, rate: int, seconds: int) -> dict:
    """POST civil comments at ``rate``/s; time each until it shows in the public thread.

    One poller reads the newest page of the thread (cached, ETag-checked) every 5 ms, so the
    measurement adds one cheap read per poll rather than one per pending comment."""
    posted: dict[int, float] = {}
    seen: dict[int, float] = {}
    errors: list = []
    stop = threading.Event()
    thread_url = stack.url("/api/comments?article=bench-pipe&sort=newest&limit=200")

    def poll():
        etag = None
        while not stop.is_set():
            req = urllib.request.Request(thread_url, headers={"If-None-Match": etag} if etag else {})
            try:
                with urllib.request.urlopen(req, timeout=10) as resp:
                    etag = resp.headers.get("ETag")
                    now = time.monotonic()
                    for item in json.loads(resp.read())["items"]:
                        seen.setdefault(item["id"], now)
            except urllib.error.HTTPError as exc:
                if exc.code != 304:
                    errors.append(exc.code)
            except OSError as exc:  # a slow answer under load must not end the measurement
                errors.append(str(exc))
            time.sleep(0.005)

    poller = threading.Thread(target=poll, daemon=True)
    poller.start()
    total = rate * seconds
    start = time.monotonic()
    for n in range(total):
        time.sleep(max(0.0, start + n / rate - time.monotonic()))
        t0 = time.monotonic()
        created = _request(stack.url("/api/comments"), {
            "article": "bench-pipe", "author_name": "Pipeline", "author_email": f"p{n}@example.org",
            "body": f"A thoughtful and civil question, number {n}, about who inspects these contracts."})
        posted[created["id"]] = t0
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and not set(posted) <= set(seen):
        time.sleep(0.05)
    stop.set()
    latencies = sorted(seen[c] - t0 for c, t0 in posted.items() if c in seen)
    return {"posted": total, "shown": len(latencies), "p50_ms": _pct(latencies, 50), "p99_ms": _pct(latencies, 99),
            "poll_errors": len(errors)}


def _pct(values: list[float], p: int) -> float | None:
    if not values:
        return None
    return round(values[min(len(values) - 1, int(len(values) * p / 100))] * 1000, 1)


def screening_throughput() -> dict:
    from services.moderation.benchmark import run

    return run()


def worker_backlog(stack, comments: int = 4000) -> dict:
    """The moderation worker draining a backlog. With the worker stopped, ``comments``
    realistic comments (the screening benchmark's texts, 800 authors) are posted and
    published; the intake consumer queues MODERATION_QUEUED_BATCHES tasks and, by
    backpressure, leaves the rest in the stream. Then the worker starts (compose's
    concurrency, see ``bench.stack.WORKERS``). Its rate is counted from its first verdict to its
    last (model loading excluded) from the verdict rows in the moderation database, so it
    includes the intake handing it batches; "applied" is how long after the last verdict
    the comments service had applied them all."""
    from concurrent.futures import ThreadPoolExecutor

    from sqlalchemy import func, select

    from bench.stack import WORKERS
    from services.comments.models import Outbox
    from services.moderation.benchmark import _comments
    from services.moderation.models import VerdictRecord

    article, run = "bench-backlog", uuid.uuid4().hex[:6]
    texts = [c.text for c in _comments(comments, seed=11)]
    db = stack.runtime("moderation").db

    def verdicts() -> int:
        with db.read_session() as s:
            return s.scalar(select(func.count()).select_from(VerdictRecord).where(VerdictRecord.article == article))

    def published() -> bool:  # every event out of the outbox: in the stream or the Celery queue
        with stack.runtime("comments").db.read_session() as s:
            return not s.scalar(select(func.count()).select_from(Outbox).where(Outbox.published_at.is_(None)))

    def post(n: int) -> None:
        _request(stack.url("/api/comments"), {"article": article, "author_name": f"Reader {n % 800}",
                                              "author_email": f"r{n % 800}-{run}@example.org", "body": texts[n]})

    before = verdicts()
    with stack.pipeline_stopped("worker", "moderation"):
        with ThreadPoolExecutor(8) as pool:
            list(pool.map(post, range(comments)))
        _wait_until(published, 120)
    started, first = time.monotonic(), None
    while time.monotonic() - started < 600:
        done = verdicts() - before
        if done and first is None:
            first = (time.monotonic(), done)
        if done >= comments:
            break
        time.sleep(0.05)
    finished = time.monotonic()
    applied_s = stack.wait_until_screened(article)
    rate = (done - first[1]) / (finished - first[0]) if first and finished > first[0] else None
    return {"comments": comments, "screened": done, "worker_per_s": round(rate) if rate else None,
            "worker_start_s": round(first[0] - started, 1) if first else None,
            "applied_within_s_after_last_verdict": applied_s,
            "note": f"one worker, --concurrency={dict(WORKERS)['moderation']}; relays, consumers and the API share "
                    f"the {os.cpu_count()} cores"}


def screening_scaling(n: int = 4000) -> dict:
    """Batch screening in 1 process, then 2 at once: what a second moderation worker adds."""
    import subprocess
    import sys

    code = ("import json,sys; from services.moderation.benchmark import run; "
            f"print(json.dumps(run(n={n}, single=10)))")

    def total(processes: int) -> float:
        t0 = time.monotonic()
        procs = [subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE) for _ in range(processes)]
        for p in procs:
            p.communicate()
        return processes * n / (time.monotonic() - t0)

    one, two = total(1), total(2)
    return {"one_process_per_s": round(one), "two_processes_per_s": round(two), "speedup": round(two / one, 2),
            "note": "wall-clock over whole processes (model load included), CPU-bound work on 2 cores"}


def reply_email_latency(stack, replies: int = 30, rate: float = 2.0) -> dict:
    """Reply approved -> "new reply" email received by the SMTP sink.

    ``replies`` parent comments, each watched by its own confirmed "replies" subscriber (one
    address per parent, so the per-address hourly cap never applies), then one reply to each,
    ``rate`` per second. Each reply is approved by screening; its approval time is the
    comment's ``updated_at`` in the comments database and its arrival the mail file's mtime,
    both read from this machine's clock."""
    from sqlalchemy import insert, select

    from services.comments.models import Comment
    from services.notify.models import Address, Subscription

    article, run = "bench-pipe", uuid.uuid4().hex[:8]
    parents = [_request(stack.url("/api/comments"), {
        "article": article, "author_name": "Watcher", "author_email": f"watch{n}-{run}@example.org",
        "body": f"A question for the editors, number {n}: who audits the recruitment agencies?"})["id"]
        for n in range(replies)]
    _wait_until(lambda: _approved(stack, parents) == len(parents), 60)
    rt = stack.runtime("notify")
    with rt.db.session() as s:
        s.execute(insert(Address), [{"email": f"watch{n}-{run}@example.org", "email_key": f"w{n}{run}"}
                                    for n in range(replies)])
        ids = dict(s.execute(select(Address.email, Address.id)).all())
        s.execute(insert(Subscription), [{"address_id": ids[f"watch{n}-{run}@example.org"], "kind": "replies",
                                          "article": article, "comment_id": parent, "status": "confirmed"}
                                         for n, parent in enumerate(parents)])
    mail_dir = stack.tmp / "mail"
    reply_ids = []
    start = time.monotonic()
    for n, parent in enumerate(parents):
        time.sleep(max(0.0, start + n / rate - time.monotonic()))
        reply_ids.append(_request(stack.url("/api/comments"), {
            "article": article, "parent_id": parent, "author_name": "Replier",
            "author_email": f"replier{n}-{run}@example.org",
            "body": f"Thanks for asking, the labour inspectorate does, in theory ({n})."})["id"])
    wanted = {f"watch{n}-{run}@example.org": cid for n, cid in enumerate(reply_ids)}
    arrived: dict[str, float] = {}
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and len(arrived) < len(wanted):
        for path in mail_dir.glob("*.eml") if mail_dir.exists() else ():
            to = _to(path)
            if to in wanted and to not in arrived:
                arrived[to] = path.stat().st_mtime
        time.sleep(0.2)
    c_rt = stack.runtime("comments")
    with c_rt.db.read_session() as s:
        approved = dict(s.execute(select(Comment.id, Comment.updated_at).where(Comment.id.in_(reply_ids))).all())
    latencies = sorted(arrived[to] - approved[cid].timestamp() for to, cid in wanted.items() if to in arrived)
    return {"replies": replies, "emails": len(arrived), "p50_ms": _pct(latencies, 50), "max_ms": _pct(latencies, 100)}


def _approved(stack, ids: list[int]) -> int:
    from sqlalchemy import func, select

    from services.comments.models import Comment, CommentStatus

    rt = stack.runtime("comments")
    with rt.db.read_session() as s:
        return s.scalar(select(func.count()).select_from(Comment).where(
            Comment.id.in_(ids), Comment.status == CommentStatus.APPROVED))


def _wait_until(predicate, seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline and not predicate():
        time.sleep(0.1)


def notify_fanout(stack, subscribers: int) -> dict:
    """One approved comment to ``subscribers`` confirmed article subscribers, through the sink."""
    from sqlalchemy import insert, select

    from services.notify.models import Address, ArticleInfo, Subscription
    from shared.auth import Role, create_token
    from services.comments.models import ApiToken

    rt = stack.runtime("notify")
    with rt.db.session() as s:
        if s.get(ArticleInfo, "bench-fanout") is None:
            s.add(ArticleInfo(slug="bench-fanout", title="bench-fanout", status="published", revision=99))
        s.execute(insert(Address), [{"email": f"fan{n}@example.org", "email_key": f"k{n}"}
                                    for n in range(subscribers)])
        ids = list(s.scalars(select(Address.id)))
        s.execute(insert(Subscription), [{"address_id": i, "kind": "article", "article": "bench-fanout",
                                          "comment_id": 0, "status": "confirmed"} for i in ids])
    token = create_token(stack.runtime("comments").db, ApiToken, Role.MODERATOR, "bench")
    created = _request(stack.url("/api/comments"), {"article": "bench-fanout", "author_name": "Fan",
                                                    "author_email": "author@example.org", "body": "Hello all."})
    mail_dir = stack.tmp / "mail"
    before = len(list(mail_dir.glob("*.eml"))) if mail_dir.exists() else 0
    t0 = time.monotonic()
    _request(stack.url(f"/api/moderation/comments/{created['id']}/decision"), {"decision": "approve"},
             headers={"Authorization": f"Bearer {token}"})
    deadline = t0 + 300
    while time.monotonic() < deadline:
        count = len(list(mail_dir.glob("*.eml"))) - before if mail_dir.exists() else 0
        if count >= subscribers:
            break
        time.sleep(0.5)
    elapsed = time.monotonic() - t0
    recipients = [_to(p) for p in sorted(mail_dir.glob("*.eml"))]
    wanted = [r for r in recipients if r.startswith("fan")]
    return {"subscribers": subscribers, "messages": len(wanted), "distinct": len(set(wanted)),
            "seconds": round(elapsed, 1), "exactly_once": len(wanted) == len(set(wanted)) == subscribers}


def _to(path: Path) -> str:
    for line in path.read_text(errors="replace").splitlines():
        if line.lower().startswith("to:"):
            return line[3:].strip()
        if not line:
            break
    return ""


def markdown(report: dict) -> str:
    r, setup = report["results"], report["setup"]
    lines = ["# Parley benchmark", "",
             f"Machine: {report['machine']['cores']} cores, Python {report['machine']['python']}, "
             f"{report['machine']['platform']}.",
             "Setup: " + "; ".join(f"{k}: {v}" for k, v in setup.items()) + ".", "",
             "| scenario | req/s | ratio to trivial ceiling | p50 ms | p99 ms | target |", "|---|---|---|---|---|---|"]
    for name in ("ceiling_trivial", "ceiling_blob_30kb", "thread_200", "thread_200_etag_304", "post_comment",
                 "post_comment_api_only"):
        row = r.get(name)
        if row is None:
            continue
        lines.append(f"| {name} | {row['rps']:.0f} | {row.get('ratio_to_trivial', '')} | {row['p50_ms']} | "
                     f"{row['p99_ms']} | {TARGETS.get(name, 'ceiling')} |")
    lines += ["", f"Posts stored with their event in the outbox during the post run: "
                  f"{r['post_comment'].get('stored_with_event')}; post_comment_api_only is the same flood with "
                  f"the relays, consumers and workers stopped, so the API has both cores; its events "
                  f"flow when they start again. The post target is judged on post_comment. The pipeline then "
                  f"took {r.get('post_backlog_drained_s')} s to screen the floods' backlog before the scenarios "
                  f"below ran.", "",
              f"Pipeline, POST to approved and visible: {json.dumps(r['pipeline_visible'])} "
              f"(target {TARGETS['pipeline_visible']}).", "",
              f"Screening: {json.dumps(r['screening'])} (target {TARGETS['screening']}).", "",
              f"Moderation worker under a backlog: {json.dumps(r.get('worker_backlog'))} "
              f"(target {TARGETS['worker_backlog']}).", "",
              f"Reply approved to email in the SMTP sink: {json.dumps(r.get('reply_email'))} "
              f"(target {TARGETS['reply_email']}).", "",
              f"Notification fan-out: {json.dumps(r['fanout_10k'])} (target {TARGETS['fanout_10k']}).", "",
              f"Screening scaling, 1 vs 2 processes: {json.dumps(r.get('screening_scaling'))}.", ""]
    if r.get("screening_previous_policy"):
        from bench import previous_policy

        lines += previous_policy.markdown(r["screening_previous_policy"])
    return "\n".join(lines)
