"""The ceiling apps: what this stack's server can do at best, measured beside Parley.

``trivial``: a Flask endpoint returning a constant JSON object. ``blob``: a 30 KB JSON document
read from Redis on every request. Both run under the same gunicorn settings as Parley.
"""
from __future__ import annotations

import json
import os

import redis
from flask import Flask, Response

BLOB_KEY = "parley-bench:blob"


def blob() -> bytes:
    items = [{"id": i, "author_name": f"Reader {i}", "body_html": "<p>" + "word " * 20 + "</p>",
              "score": i % 7, "created_at": "2026-01-01T00:00:00+00:00"} for i in range(150)]
    return json.dumps({"items": items}).encode()[: 30 * 1024]


def create_app() -> Flask:
    app = Flask(__name__)
    client = redis.Redis.from_url(os.environ["REDIS_URL"])

    @app.get("/trivial")
    def trivial():
        return {"ok": True}

    @app.get("/blob")
    def cached_blob():
        return Response(client.get(BLOB_KEY), mimetype="application/json")

    return app
