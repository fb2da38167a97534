"""``make bench``: Parley under load, beside its own ceiling measured in the same run.

Starts the stack in production shape (gunicorn via ``parley serve``, relays, consumers,
Celery workers; a Redis server on 127.0.0.1:6379 when one answers, else the embedded one;
PostgreSQL when DATABASE_URL is set, else SQLite), loads it with wrk from a separate process,
and writes ``bench/results/latest.md`` and ``latest.json``.
"""
from __future__ import annotations

import json
import os
import platform
import re
import subprocess
import sys
import tempfile
import urllib.request
from pathlib import Path

from bench import scenarios
from bench.stack import BenchStack

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"


def wrk(url: str, *, seconds: int, connections: int, script: str | None = None, env: dict | None = None) -> dict:
    cmd = ["wrk", "-t2", f"-c{connections}", f"-d{seconds}s", "--latency"]
    if script:
        cmd += ["-s", str(ROOT / "bench" / script)]
    out = subprocess.run(cmd + [url], capture_output=True, text=True, env={**os.environ, **(env or {})}).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    pct = {p: _ms(v) for p, v in re.findall(r"^\s+(50|99)%\s+(\S+)", out, re.M)}
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    return {"rps": rps, "p50_ms": pct.get("50"), "p99_ms": pct.get("99"),
            "non_2xx_3xx": int(non2xx.group(1)) if non2xx else 0}


def _ms(v: str) -> float:
    value, unit = float(re.match(r"[\d.]+", v).group(0)), re.sub(r"[\d.]+", "", v)
    return value * {"us": 0.001, "ms": 1, "s": 1000, "m": 60000}[unit]


def main() -> None:
    if subprocess.run(["which", "wrk"], capture_output=True).returncode != 0:
        subprocess.run(["apt-get", "install", "-y", "-qq", "wrk"], check=True)
    seconds = int(os.environ.get("BENCH_SECONDS", "10"))
    report: dict = {"machine": {"cores": os.cpu_count(), "python": platform.python_version(),
                                "platform": platform.platform()}, "results": {}}
    with tempfile.TemporaryDirectory() as tmp, BenchStack(Path(tmp)) as stack:
        report["setup"] = stack.describe()
        r = report["results"]
        r["ceiling_trivial"] = wrk(stack.ceiling_url("/trivial"), seconds=seconds, connections=32)
        r["ceiling_blob_30kb"] = wrk(stack.ceiling_url("/blob"), seconds=seconds, connections=32)
        thread_url = stack.url("/api/comments?article=bench-thread&sort=most_voted&limit=200")
        r["thread_200"] = wrk(thread_url, seconds=seconds, connections=32)
        etag = urllib.request.urlopen(thread_url).headers["ETag"]
        r["thread_200_etag_304"] = wrk(thread_url, seconds=seconds, connections=32, script="etag.lua",
                                       env={"BENCH_ETAG": etag})
        # before the post flood, whose screening backlog would otherwise be measured too
        r["pipeline_visible"] = scenarios.pipeline_latency(stack, rate=100, seconds=min(seconds, 10))
        r["reply_email"] = scenarios.reply_email_latency(stack)
        before = stack.outbox_count("comments")
        r["post_comment"] = wrk(stack.url("/"), seconds=seconds, connections=16, script="post.lua")
        r["post_comment"]["stored_with_event"] = stack.outbox_count("comments") - before
        # the same flood with the pipeline stopped: what the API costs on its own (the events
        # wait in the outbox and flow once it resumes); the target is judged on the row above
        before = stack.outbox_count("comments")
        with stack.pipeline_stopped():
            r["post_comment_api_only"] = wrk(stack.url("/"), seconds=seconds, connections=16, script="post.lua")
        r["post_comment_api_only"]["stored_with_event"] = stack.outbox_count("comments") - before
        # the floods leave thousands of comments to screen; let the pipeline finish them so the
        # scenarios below do not share the cores with that backlog
        r["post_backlog_drained_s"] = stack.wait_until_screened("bench-post")
        r["worker_backlog"] = scenarios.worker_backlog(stack, comments=int(os.environ.get("BENCH_BACKLOG", "4000")))
        r["screening"] = scenarios.screening_throughput()
        r["screening_scaling"] = scenarios.screening_scaling()
        from bench import previous_policy

        r["screening_previous_policy"] = previous_policy.compare()
        r["fanout_10k"] = scenarios.notify_fanout(stack, subscribers=int(os.environ.get("BENCH_FANOUT", "10000")))
    trivial = report["results"]["ceiling_trivial"]["rps"]
    for row in report["results"].values():
        if isinstance(row, dict) and "rps" in row:
            row["ratio_to_trivial"] = round(row["rps"] / trivial, 3)
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "latest.json").write_text(json.dumps(report, indent=2))
    (RESULTS / "latest.md").write_text(scenarios.markdown(report))
    print((RESULTS / "latest.md").read_text())


if __name__ == "__main__":
    sys.exit(main())
