"""The demo site the gateway serves at ``/``: HTML shells whose data all comes from the APIs.

The pages hold no content of their own. Scripts under ``/static`` fetch the article, the
sidebar and the thread from the articles and comments APIs (same origin, through the
gateway), so the site shows exactly what any other embedding site would. Only the article's
slug goes into a page on the server, through Jinja's escaping.

Every response carries a Content-Security-Policy that allows scripts and styles from this
origin only: nothing a reader types can run as script even if it slipped into the markup.
"""
from __future__ import annotations

import re
from pathlib import Path

from flask import Flask, abort, render_template, request, send_from_directory

from services.site import settings as settings_mod

HERE = Path(__file__).parent
STATIC = HERE / "static"
SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")

CSP = ("default-src 'self'; img-src 'self' https: data:; style-src 'self'; script-src 'self'; "
       "connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'; object-src 'none'")

def create_app(settings: settings_mod.Settings | None = None) -> Flask:
    settings = settings or settings_mod.load()
    app = Flask(__name__, static_folder=str(STATIC), static_url_path="/static",
                template_folder=str(HERE / "templates"))
    app.config["SITE_NAME"] = settings.site_name
    app.config["COMMENT_POLICY"] = settings.comment_policy

    @app.after_request
    def security_headers(resp):
        resp.headers["Content-Security-Policy"] = CSP
        resp.headers.setdefault("X-Content-Type-Options", "nosniff")
        resp.headers.setdefault("Referrer-Policy", "strict-origin-when-cross-origin")
        if request.path.startswith("/static/widget/"):
            # the widget is embedded by other sites, and module scripts load in CORS mode;
            # these files are public and sent without credentials, so any origin may have them
            resp.headers["Access-Control-Allow-Origin"] = "*"
        return resp

    @app.get("/healthz")
    def healthz():
        return {"ok": True}

    @app.get("/")
    def home():
        return render_template("home.html", site_name=app.config["SITE_NAME"])

    @app.get("/articles/<slug>")
    def article(slug: str):
        if not SLUG.match(slug) or len(slug) > 200:
            abort(404)
        return render_template("article.html", slug=slug, site_name=app.config["SITE_NAME"],
                               policy=app.config["COMMENT_POLICY"])

    @app.get("/moderate")
    def moderate():
        return render_template("moderate.html", site_name=app.config["SITE_NAME"])

    @app.get("/favicon.ico")
    def favicon():
        return send_from_directory(STATIC / "site", "favicon.svg", mimetype="image/svg+xml")

    return app
