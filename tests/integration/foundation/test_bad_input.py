"""Bad input gets one JSON error shape and a 4xx, never a 500."""
import json

import pytest


def _error(r, status):
    assert r.status_code == status, r.get_data(as_text=True)
    body = r.get_json()
    assert set(body) == {"error"} and set(body["error"]) == {"code", "message", "details"}
    return body["error"]


def test_malformed_json_is_a_400(stack):
    r = stack.comments.post("/api/comments", data="{oops", content_type="application/json")
    _error(r, 400)


def test_schema_violations_are_a_422_naming_each_field(stack):
    stack.publish_article()
    r = stack.comments.post("/api/comments", json={"article": "story", "author_name": " ", "author_email": "nope",
                                                   "body": "", "parent_id": "x"})
    details = _error(r, 422)["details"]
    assert {"author_name", "author_email", "body", "parent_id"} <= set(details)


def test_unknown_article_is_a_404_and_unknown_comment_too(stack):
    _error(stack.post_comment(article="missing"), 404)
    _error(stack.comments.put("/api/comments/999/vote", json={"voter_id": "voter-12345678", "value": 1}), 404)
    _error(stack.articles.get("/api/articles/missing"), 404)


def test_closed_or_unpublished_article_is_a_409(stack):
    stack.publish_article(comment_status="closed")
    assert _error(stack.post_comment(), 409)["code"] == "comments_closed"


def test_missing_or_wrong_token_is_401_and_wrong_role_403(stack):
    _error(stack.articles.post("/api/articles", json={"title": "x"}), 401)
    _error(stack.articles.post("/api/articles", json={"title": "x"}, headers=stack.auth("pt_wrong")), 401)
    _error(stack.comments.get("/api/moderation/queue", headers={"Authorization": "Basic abc"}), 401)
    from services.comments.models import ApiToken as CommentsToken
    from shared.auth import Role, create_token

    editor_on_comments = create_token(stack.runtimes["comments"].db, CommentsToken, Role.EDITOR, "e")
    _error(stack.comments.get("/api/moderation/queue", headers=stack.auth(editor_on_comments)), 403)


def test_oversized_body_is_a_413(stack):
    r = stack.comments.post("/api/comments", data="x" * (70 * 1024), content_type="application/json")
    _error(r, 413)


def test_wrong_method_is_a_405_with_allow(stack):
    r = stack.comments.delete("/api/comments")
    _error(r, 405)
    assert "GET" in r.headers["Allow"] and "POST" in r.headers["Allow"]


@pytest.mark.parametrize("cursor", ["!!!", "e30", "WzEsMiwzXQ"])
def test_a_forged_cursor_is_a_422(stack, cursor):
    stack.publish_article()
    _error(stack.comments.get("/api/comments", query_string={"article": "story", "cursor": cursor}), 422)
    _error(stack.articles.get("/api/articles", query_string={"cursor": cursor}), 422)


def test_email_is_never_returned_by_public_endpoints(stack):
    stack.publish_article()
    created = stack.post_comment(email="secret.person@example.org").get_json()
    stack.decide(created["id"])
    assert "secret.person" not in stack.comments.get("/api/comments?article=story").get_data(as_text=True)
    assert "secret.person" not in str(created)


def test_script_in_a_comment_is_rendered_inert(stack):
    stack.publish_article()
    created = stack.post_comment(body="<script>alert(1)</script> [x](javascript:alert(2)) <img src=x onerror=y>")
    html = created.get_json()["comment"]["body_html"]
    assert "<script" not in html and "<img" not in html and 'href="javascript' not in html
    assert "&lt;script&gt;" in html  # shown as text, not dropped silently


@pytest.mark.parametrize("name", ["\u200b", "\u200d\u200b\u2060", " \u2060 "])
def test_an_invisible_author_name_is_refused_with_a_field_message(stack, name):
    stack.publish_article("story")
    r = stack.post_comment(name=name)
    assert r.status_code == 422
    assert "visible" in json.dumps(r.get_json()["error"]["details"]["author_name"])


def test_line_breaks_in_a_name_become_one_space(stack):
    stack.publish_article("story")
    r = stack.post_comment(name="Ann\r\nSmith\u200b")
    assert r.status_code == 202
    own = stack.comments.get(f"/api/comments/{r.get_json()['id']}", headers={"X-Edit-Token": r.get_json()["edit_token"]})
    assert own.get_json()["author_name"] == "Ann Smith"
