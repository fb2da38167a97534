"""HTTP views of the notify service.

``POST /api/subscriptions`` is JSON for the widget. The signed links in emails lead to small
HTML pages: following a link (GET) only ever shows a page with a button, because mail
scanners fetch links; the button POSTs. The one-click unsubscribe POST of RFC 8058 needs no
cookie or login: the signed token in the URL is the authority.
"""
from __future__ import annotations

from flask import Response, current_app, request, url_for
from flask.views import MethodView
from flask_smorest import Blueprint
from sqlalchemy.exc import IntegrityError

from services.notify import handlers
from services.notify.links import ExpiredLink, InvalidLink
from services.notify.messages import render_page
from services.notify.schemas import DeliveryModeIn, SubscribeIn, SubscribeOut
from shared import ratelimit

blp = Blueprint("subscriptions", __name__, url_prefix="/api/subscriptions",
                description="Reply and new-comment notifications")
limiter = ratelimit.make_limiter()
HTML = {"content_type": "text/html"}


def link_errors(view):
    """Document the HTML answers of a signed link that is not valid or has expired."""
    view = blp.alt_response(400, description="the link is not valid", content_type="text/html")(view)
    return blp.alt_response(410, description="the link has expired", content_type="text/html")(view)
ANSWER = {"status": "check_your_inbox",
          "message": "If this address can receive our mail, a confirmation link is on its way."}


def rt():
    return current_app.extensions["parley"]


def deps() -> handlers.Deps:
    return rt().deps


def page(template: str, status: int = 200, **context):
    html = render_page(template, site_name=deps().site.name, **context)
    return Response(html, status, {"Content-Type": "text/html; charset=utf-8", "Cache-Control": "no-store",
                                   "X-Robots-Tag": "noindex"})


def _load(loader, token: str):
    """The token's value, or an HTML answer explaining why the link does not work."""
    try:
        return loader(token), None
    except ExpiredLink:
        return None, page("pages/done.html", 410, title="Link expired",
                          message="This link has expired. Subscribe again from the article to get a new one.")
    except InvalidLink:
        return None, page("pages/done.html", 400, title="Link not valid", message="This link is not valid.")


@blp.route("")
class Subscribe(MethodView):
    @blp.arguments(SubscribeIn)
    @blp.response(202, SubscribeOut)
    @limiter.limit(ratelimit.SUBSCRIBE)
    def post(self, data):
        """Ask for notifications; a confirmation mail is sent (same answer for every address)"""
        for attempt in (1, 2):  # two first-time subscribers racing on one address
            try:
                with rt().db.session() as s:
                    sub_id = handlers.subscribe(s, data["email"], data["kind"], data["article"],
                                                data.get("comment_id"), deps())
                break
            except IntegrityError:
                if attempt == 2:
                    raise
        if sub_id is not None:
            rt().enqueue_confirmation(sub_id)
        return ANSWER


@blp.route("/confirm/<token>")
class Confirm(MethodView):
    @blp.response(200, description="a page with a confirm button", **HTML)
    @link_errors
    def get(self, token):
        """Show the confirmation button (fetching the link confirms nothing)"""
        _, error = _load(deps().links.load_confirm, token)
        return error or page("pages/confirm.html", title="Confirm your subscription",
                             message="Press the button to start receiving these emails.",
                             action_url=request.base_url)

    @blp.response(200, description="confirmed", **HTML)
    @link_errors
    def post(self, token):
        """Confirm a subscription"""
        sub_id, error = _load(deps().links.load_confirm, token)
        if error:
            return error
        with rt().db.session() as s:
            sub = handlers.confirm(s, int(sub_id), deps())
            email = handlers.address_of_id(s, sub.address_id)
        return page("pages/done.html", title="Subscription confirmed",
                    message="Thank you: you will get an email when there is something new.",
                    link_url=deps().links.manage_url(email), link_label="Manage my subscriptions")


@blp.route("/unsubscribe/<token>")
class Unsubscribe(MethodView):
    @blp.response(200, description="a page with an unsubscribe button", **HTML)
    @link_errors
    def get(self, token):
        """Show the unsubscribe button (fetching the link unsubscribes nothing)"""
        _, error = _load(deps().links.load_unsubscribe, token)
        return error or page("pages/unsubscribe.html", title="Unsubscribe",
                             message="Press the button to stop these emails.", action_url=request.base_url)

    @blp.response(200, description="unsubscribed", **HTML)
    @link_errors
    def post(self, token):
        """Unsubscribe (RFC 8058 one-click target: no cookie or login needed)"""
        sub_id, error = _load(deps().links.load_unsubscribe, token)
        if error:
            return error
        with rt().db.session() as s:
            handlers.unsubscribe(s, int(sub_id))
        return page("pages/done.html", title="Unsubscribed", message="You will get no more of these emails.")


@blp.route("/unsubscribe-all/<token>")
class UnsubscribeAll(MethodView):
    @blp.response(200, description="a page with an unsubscribe button", **HTML)
    @link_errors
    def get(self, token):
        """Show the button that stops every email to the address"""
        _, error = _load(deps().links.load_unsubscribe_all, token)
        return error or page("pages/unsubscribe.html", title="Unsubscribe",
                             message="Press the button to stop every email we send you.",
                             action_url=request.base_url)

    @blp.response(200, description="unsubscribed", **HTML)
    @link_errors
    def post(self, token):
        """Stop every email to the address (one-click target of digests)"""
        email, error = _load(deps().links.load_unsubscribe_all, token)
        if error:
            return error
        with rt().db.session() as s:
            handlers.unsubscribe_all(s, email)
        return page("pages/done.html", title="Unsubscribed", message="You will get no more emails from us.")


def _manage_page(token: str, email: str, message: str = ""):
    with rt().db.read_session() as s:
        rows = handlers.subscriptions_of(s, email)
        address = handlers.address_of(s, email)
    base = deps().site.public_base_url.rstrip("/")
    subs = [{"kind": str(sub.kind), "article_title": title, "pending": sub.status == "pending",
             "article_url": f"{base}/articles/{sub.article}",
             "drop_url": url_for("subscriptions.ManageDrop", token=token, subscription_id=sub.id)}
            for sub, title in rows]
    return page("pages/manage.html", title="Your subscriptions", email=email, subscriptions=subs, message=message,
                drop_all_url=url_for("subscriptions.ManageDropAll", token=token),
                delivery_url=url_for("subscriptions.ManageDelivery", token=token) if address else "",
                delivery=str(address.delivery_mode) if address else "immediate",
                erase_url=url_for("subscriptions.ManageErase", token=token))


@blp.route("/manage/<token>")
class Manage(MethodView):
    @blp.response(200, description="the address's subscriptions", **HTML)
    @link_errors
    def get(self, token):
        """List the address's subscriptions, with buttons to drop any or all, or erase everything"""
        email, error = _load(deps().links.load_manage, token)
        return error or _manage_page(token, email)


def _manage_action(token: str, action, done: str):
    email, error = _load(deps().links.load_manage, token)
    if error:
        return error
    with rt().db.session() as s:
        action(s, email)
    return _manage_page(token, email, done)


@blp.route("/manage/<token>/drop/<int:subscription_id>")
class ManageDrop(MethodView):
    @blp.response(200, description="the updated page", **HTML)
    @link_errors
    def post(self, token, subscription_id):
        """Drop one subscription"""
        return _manage_action(token, lambda s, e: handlers.drop(s, e, subscription_id), "Subscription removed.")


@blp.route("/manage/<token>/drop-all")
class ManageDropAll(MethodView):
    @blp.response(200, description="the updated page", **HTML)
    @link_errors
    def post(self, token):
        """Drop every subscription of the address"""
        return _manage_action(token, handlers.unsubscribe_all, "All subscriptions removed.")


@blp.route("/manage/<token>/delivery")
class ManageDelivery(MethodView):
    @blp.arguments(DeliveryModeIn, location="form")
    @blp.response(200, description="the updated page", **HTML)
    @link_errors
    def post(self, data, token):
        """Choose immediate emails or an hourly or daily digest"""
        return _manage_action(token, lambda s, e: handlers.set_delivery_mode(s, e, data["delivery"]),
                              "Delivery preference saved.")


@blp.route("/manage/<token>/erase")
class ManageErase(MethodView):
    @blp.response(200, description="the updated page", **HTML)
    @link_errors
    def post(self, token):
        """Erase everything stored about the address"""
        email, error = _load(deps().links.load_manage, token)
        if error:
            return error
        with rt().db.session() as s:
            handlers.erase(s, email)
        return page("pages/done.html", title="Erased", message="We no longer store anything about this address.")
