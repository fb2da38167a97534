"""An in-process Parley stack on real backends, stepped by hand so tests are deterministic.

The services are built exactly as in production (settings from the environment, migrations,
factories); only the loops are driven by :meth:`Stack.pump` instead of running forever.
"""
from __future__ import annotations

import importlib

from werkzeug.test import Client

from services.registry import app_module
from shared.auth import Role, create_token
from shared.db import upgrade


class Stack:
    def __init__(self, services=("articles", "comments")):
        self.runtimes, self.clients, self.relays, self.consumers = {}, {}, {}, {}
        for name in services:
            mod = app_module(name)
            rt = mod.bootstrap()
            upgrade(mod.MIGRATIONS, rt.db.url)
            self.runtimes[name] = rt
            if hasattr(mod, "create_app"):
                self.clients[name] = Client(mod.create_app(runtime=rt))
            if hasattr(mod, "create_relay"):
                self.relays[name] = mod.create_relay(rt)
            self.consumers[name] = mod.create_consumer(rt, block_ms=0)
        self.editor = self._token("articles", Role.EDITOR) if "articles" in services else None
        self.moderator = self._token("comments", Role.MODERATOR) if "comments" in services else None

    def _token(self, service, role):
        models = importlib.import_module(f"services.{service}.models")
        return create_token(self.runtimes[service].db, models.ApiToken, role, f"test-{role}")

    def pump(self, max_rounds: int = 50) -> None:
        """Relay every outbox and run every consumer until nothing moves."""
        idle = 0
        for _ in range(max_rounds):
            moved = sum(r.publish_pending() for r in self.relays.values())
            moved += sum(c.run_once(block_ms=0) for c in self.consumers.values())
            idle = idle + 1 if moved == 0 else 0
            if idle >= 2:
                return
        raise AssertionError("the stack did not settle")

    # -- API helpers ------------------------------------------------------------------------

    @property
    def articles(self) -> Client:
        return self.clients["articles"]

    @property
    def comments(self) -> Client:
        return self.clients["comments"]

    def auth(self, token):
        return {"Authorization": f"Bearer {token}"}

    def publish_article(self, slug="story", mode="pre", **fields):
        body = {"title": f"Story {slug}", "slug": slug, "body": "<p>Body text.</p>", "moderation_mode": mode,
                "categories": ["Forced Labor"], **fields}
        r = self.articles.post("/api/articles", json=body, headers=self.auth(self.editor))
        assert r.status_code == 201, r.get_data(as_text=True)
        r = self.articles.post(f"/api/articles/{slug}/publish", json={}, headers=self.auth(self.editor))
        assert r.status_code == 200, r.get_data(as_text=True)
        self.pump()
        return slug

    def post_comment(self, article="story", body="A civil remark.", parent_id=None, email="reader@example.org",
                     name="Reader", **extra):
        return self.comments.post("/api/comments", json={
            "article": article, "parent_id": parent_id, "author_name": name, "author_email": email,
            "body": body, **extra})

    def decide(self, comment_id, decision="approve", reason="ok"):
        r = self.comments.post(f"/api/moderation/comments/{comment_id}/decision",
                               json={"decision": decision, "reason": reason}, headers=self.auth(self.moderator))
        assert r.status_code == 200, r.get_data(as_text=True)
        return r

    def thread(self, article="story", **params):
        r = self.comments.get("/api/comments", query_string={"article": article, **params})
        assert r.status_code == 200, r.get_data(as_text=True)
        return r.get_json()
