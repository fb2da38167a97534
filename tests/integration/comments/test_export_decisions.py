"""Moderators' decisions on held comments become labelled examples (issue 15, learning from moderators)."""

import json

from click.testing import CliRunner

from services.cli import main


def test_a_moderator_s_decisions_on_held_comments_are_exported_as_labels(stack):
    stack.publish_article("story", mode="pre")
    ids = [stack.post_comment(body=text).get_json()["id"] for text in
           ("A thoughtful remark about wages.", "Get lost, all of you.", "Buy cheap watches here.",
            "Still waiting in the queue.")]
    stack.decide(ids[0], "approve", "fine after all")
    stack.decide(ids[1], "reject", "personal attack")
    stack.decide(ids[2], "spam", "advert")

    result = CliRunner().invoke(main, ["moderation", "export-decisions"])
    assert result.exit_code == 0, result.output
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    assert [(r["comment_id"], r["label"], r["decision"], r["reason"]) for r in rows] == [
        (ids[0], "civil", "approve", "fine after all"),
        (ids[1], "uncivil", "reject", "personal attack"),
        (ids[2], "uncivil", "spam", "advert"),
    ]
    assert rows[0]["text"] == "A thoughtful remark about wages."
    assert all(r["moderator"] == "test-moderator" for r in rows)
    # nothing the comment's author or screening did, and no e-mail address, is in the file
    assert "reader@example.org" not in result.stdout
    assert "3 decisions" in result.stderr


def test_a_decision_on_a_published_comment_is_not_a_queue_decision(stack):
    stack.publish_article("story", mode="pre")
    cid = stack.post_comment(body="Fine words.").get_json()["id"]
    stack.decide(cid, "approve", "ok")
    stack.decide(cid, "reject", "removed later")  # from approved: a takedown, not a queue decision
    result = CliRunner().invoke(main, ["moderation", "export-decisions"])
    assert [json.loads(line)["decision"] for line in result.stdout.splitlines()] == ["approve"]
