"""Browser tests: the real stack as subprocesses, driven through Debian's Chromium by Playwright.

The stack starts once per module (migrate, seed, gunicorn, relays, consumers and both Celery
workers, on a private Redis namespace and SQLite files), with an in-process SMTP server that
captures the confirmation mails. Without Chromium or Playwright the tests skip with one line,
except under ``CI=true``, where a missing browser is a failure.
"""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
import urllib.request
import uuid
from pathlib import Path

import pytest

from shared.embedded_redis import free_port
from tests.conftest import DatabaseFactory
from tests.e2e.conftest import start_worker

try:  # without Playwright the modules still import; the browser fixture then skips (or fails in CI)
    from playwright.sync_api import expect
except ImportError:  # pragma: no cover
    expect = None

ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = ROOT / "var" / "screenshots"
AXE = Path(__file__).parent / "node_modules" / "axe-core" / "axe.min.js"
ARTICLE = "north-korean-workers-sent-abroad"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--no-first-run", "--disable-sync"]


def _missing(reason: str):
    if os.environ.get("CI") == "true":
        pytest.fail(f"{reason} (CI=true: browser tests must run)", pytrace=False)
    pytest.skip(reason)


def _chromium() -> str | None:
    for candidate in (os.environ.get("PARLEY_CHROMIUM"), "/usr/bin/chromium", shutil.which("chromium")):
        if candidate and Path(candidate).is_file():
            return candidate
    return None


@pytest.fixture(scope="module")
def browser():
    path = _chromium()
    if path is None:
        _missing("no Chromium found (apt-get install chromium)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _missing("Playwright for Python is not installed")
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=path, args=CHROMIUM_ARGS)
        yield b
        b.close()


class Site:
    """The running stack: its base URL, a moderator token and the captured mail."""

    def __init__(self, url: str, moderator_token: str, smtp, embedder: str):
        self.url, self.moderator_token, self.smtp = url, moderator_token, smtp
        #: an origin of another site, allowed by CORS_ORIGINS, for embedding the widget
        self.embedder = embedder

    def article_url(self, slug: str = ARTICLE) -> str:
        return f"{self.url}/articles/{slug}"


def _parley(*args: str) -> list[str]:
    return [str(Path(sys.executable).parent / "parley"), *args]


def _wait_http(url: str, procs, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if any(p.poll() is not None for p in procs):
            raise RuntimeError("a stack process exited while starting")
        try:
            with urllib.request.urlopen(url, timeout=2) as r:
                if r.status == 200:
                    return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"{url} did not answer in {timeout}s")


@pytest.fixture(scope="module")
def site(browser, redis_server, tmp_path_factory):
    from tests.smtp_server import CapturingSmtpServer

    tmp = tmp_path_factory.mktemp("site")
    smtp = CapturingSmtpServer().start()
    port, embedder_port = free_port(), free_port()
    databases = DatabaseFactory(tmp)
    env = pytest.MonkeyPatch()
    for key, value in {
        "PARLEY_VAR_DIR": str(tmp / "var"), "REDIS_URL": redis_server, "PARLEY_NAMESPACE": f"b{uuid.uuid4().hex[:10]}",
        "SECRET_KEY": "browser-test", "MAIL_BACKEND": "smtp", "SMTP_HOST": smtp.host, "SMTP_PORT": str(smtp.port),
        "PUBLIC_BASE_URL": f"http://127.0.0.1:{port}", "CORS_ORIGINS": f"http://127.0.0.1:{port},http://localhost:{embedder_port}",
        "LOG_LEVEL": "WARNING", **{f"{s.upper()}_DATABASE_URL": databases.url(s)
                                   for s in ("articles", "comments", "moderation", "notify")},
    }.items():
        env.setenv(key, value)
    procs: list[subprocess.Popen] = []
    logs = tmp / "logs"
    logs.mkdir()
    try:
        for step in (("migrate",), ("seed",)):
            subprocess.run(_parley(*step), check=True, capture_output=True, timeout=120)
        token = subprocess.run(_parley("token", "create", "--role", "moderator", "--name", "Browser Test"),
                               check=True, capture_output=True, text=True, timeout=60).stdout.strip().splitlines()[-1]
        for name, args in {"web": ("serve", "--bind", f"127.0.0.1:{port}", "--workers", "2"),
                           "relays": ("relay", "articles", "comments", "moderation"),
                           "consumers": ("consume", "articles", "comments", "moderation", "notify")}.items():
            with open(logs / f"{name}.log", "wb") as log:  # the child keeps its own copy of the descriptor
                procs.append(subprocess.Popen(_parley(*args), stdout=log, stderr=subprocess.STDOUT))
        procs.append(start_worker("moderation", "--pool=solo", log_path=logs / "moderation.log"))
        procs.append(start_worker("notify", "--pool=solo", log_path=logs / "notify.log"))
        _wait_http(f"http://127.0.0.1:{port}/api/comments?article={ARTICLE}", procs)
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        yield Site(f"http://127.0.0.1:{port}", token, smtp, embedder=f"http://localhost:{embedder_port}")
    finally:
        for p in procs:
            p.terminate()
        for p in procs:
            try:
                p.wait(15)
            except subprocess.TimeoutExpired:
                p.kill()
        smtp.stop()
        env.undo()
        databases.drop_all()
        for log in sorted(logs.glob("*.log")):
            tail = log.read_text(errors="replace")[-1500:]
            if "Traceback" in tail:
                print(f"--- {log.name}\n{tail}")


@pytest.fixture
def context(browser):
    ctx = browser.new_context(viewport={"width": 1280, "height": 900})
    ctx.set_default_timeout(10_000)
    yield ctx
    ctx.close()


@pytest.fixture
def page(context):
    p = context.new_page()
    p.errors = []
    p.on("pageerror", lambda e: p.errors.append(str(e)))
    return p


def open_article(page, site, slug: str = ARTICLE):
    page.goto(site.article_url(slug), wait_until="domcontentloaded")
    page.locator(".parley-thread .parley-item").first.wait_for()
    page.locator("#story-body p").first.wait_for()
    return page


def run_axe(page) -> list[dict]:
    """Serious and critical axe-core violations on the page."""
    if not AXE.exists():
        _missing("axe-core is not installed (npm ci --prefix tests/browser)")
    page.add_script_tag(path=str(AXE))
    result = page.evaluate("async () => await axe.run(document, {resultTypes: ['violations']})")
    return [{"id": v["id"], "impact": v["impact"], "help": v["help"],
             "nodes": [n["target"] for n in v["nodes"]][:5]}
            for v in result["violations"] if v["impact"] in ("serious", "critical")]
