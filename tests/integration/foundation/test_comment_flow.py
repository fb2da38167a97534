"""A comment's life through the real services, Redis and database."""


def test_pending_comment_is_hidden_until_a_moderator_approves_it(stack):
    stack.publish_article()
    r = stack.post_comment(body="Thank you for this report.")
    assert r.status_code == 202
    created = r.get_json()
    assert created["status"] == "pending" and created["edit_token"]
    assert stack.thread()["items"] == []

    stack.decide(created["id"])
    stack.pump()
    thread = stack.thread()
    assert [c["id"] for c in thread["items"]] == [created["id"]]
    assert thread["total"] == 1


def test_author_sees_own_pending_comment_only_with_the_edit_token(stack):
    stack.publish_article()
    created = stack.post_comment().get_json()
    own = stack.comments.get(f"/api/comments/{created['id']}", headers={"X-Edit-Token": created["edit_token"]})
    assert own.status_code == 200 and own.get_json()["status"] == "pending"
    # the post is answered from the values it wrote, not a read back: it must match the row
    assert created["comment"] == own.get_json()
    other = stack.comments.get(f"/api/comments/{created['id']}", headers={"X-Edit-Token": "wrong"})
    assert other.status_code == 403
    assert "author_email" not in own.get_json()


def test_reply_appears_under_its_parent(stack):
    stack.publish_article()
    parent = stack.post_comment(body="First.").get_json()["id"]
    stack.decide(parent)
    reply = stack.post_comment(body="A reply.", parent_id=parent).get_json()["id"]
    stack.decide(reply)
    stack.pump()
    [top] = stack.thread()["items"]
    assert top["id"] == parent
    assert [r["id"] for r in top["replies"]] == [reply]
    assert top["reply_count"] == 1


def test_replies_beyond_max_depth_attach_to_the_deepest_allowed_ancestor(stack):
    stack.publish_article()
    ids = []
    parent = None
    for depth in range(7):
        cid = stack.post_comment(body=f"level {depth}", parent_id=parent).get_json()["id"]
        stack.decide(cid)
        ids.append(cid)
        parent = cid
    node = stack.thread()["items"][0]
    depths = []
    while node["replies"]:
        depths.append(node["depth"])
        node = node["replies"][0]
    assert max(depths) < 4 and node["depth"] == 4
    assert len(node["replies"]) == 0


def test_votes_change_the_most_voted_order(stack):
    stack.publish_article()
    first = stack.post_comment(body="one").get_json()["id"]
    second = stack.post_comment(body="two").get_json()["id"]
    for cid in (first, second):
        stack.decide(cid)
    assert [c["id"] for c in stack.thread(sort="most_voted")["items"]] == [second, first]
    for voter in ("voter-aaaaaaa1", "voter-aaaaaaa2"):
        r = stack.comments.put(f"/api/comments/{first}/vote", json={"voter_id": voter, "value": 1})
        assert r.status_code == 200
    assert [c["id"] for c in stack.thread(sort="most_voted")["items"]] == [first, second]
    assert [c["id"] for c in stack.thread(sort="oldest")["items"]] == [first, second]
    assert [c["id"] for c in stack.thread(sort="newest")["items"]] == [second, first]


def test_a_voter_can_change_and_withdraw_a_vote_but_not_double_it(stack):
    stack.publish_article()
    cid = stack.post_comment().get_json()["id"]
    stack.decide(cid)
    put = lambda v: stack.comments.put(f"/api/comments/{cid}/vote", json={"voter_id": "voter-12345678", "value": v})
    assert put(1).get_json()["score"] == 1
    assert put(1).get_json()["score"] == 1
    assert put(-1).get_json()["score"] == -1
    assert put(0).get_json()["score"] == 0


def test_deleted_comment_with_replies_stays_as_a_placeholder(stack):
    stack.publish_article()
    created = stack.post_comment(body="I will regret this.").get_json()
    stack.decide(created["id"])
    reply = stack.post_comment(body="reply", parent_id=created["id"]).get_json()["id"]
    stack.decide(reply)
    r = stack.comments.delete(f"/api/comments/{created['id']}", headers={"X-Edit-Token": created["edit_token"]})
    assert r.status_code == 204
    [top] = stack.thread()["items"]
    assert top["status"] == "deleted" and "regret" not in top["body_html"] and top["author_name"] == ""
    assert top["replies"][0]["id"] == reply


def test_edit_is_refused_once_the_comment_has_approved_replies(stack):
    stack.publish_article()
    created = stack.post_comment().get_json()
    stack.decide(created["id"])
    stack.decide(stack.post_comment(parent_id=created["id"]).get_json()["id"])
    r = stack.comments.patch(f"/api/comments/{created['id']}", json={"body": "changed"},
                             headers={"X-Edit-Token": created["edit_token"]})
    assert r.status_code == 409
    assert r.get_json()["error"]["code"] == "has_replies"


def test_edit_sends_an_approved_comment_back_to_screening_in_pre_mode(stack):
    stack.publish_article()
    created = stack.post_comment().get_json()
    stack.decide(created["id"])
    r = stack.comments.patch(f"/api/comments/{created['id']}", json={"body": "changed *text*"},
                             headers={"X-Edit-Token": created["edit_token"]})
    assert r.status_code == 200 and r.get_json()["status"] == "pending"
    assert stack.thread()["items"] == []


def test_post_moderation_article_shows_a_comment_at_once(stack):
    stack.publish_article(slug="open-thread", mode="post")
    r = stack.post_comment(article="open-thread")
    assert r.status_code == 201 and r.get_json()["status"] == "approved"
    assert len(stack.thread(article="open-thread")["items"]) == 1


def test_enough_reader_flags_take_a_comment_back_to_the_queue(stack):
    stack.publish_article()
    cid = stack.post_comment().get_json()["id"]
    stack.decide(cid)
    for ip in ("10.0.0.1", "10.0.0.2", "10.0.0.3"):
        r = stack.comments.post(f"/api/comments/{cid}/flags", json={"reason": "harassment"},
                                environ_base={"REMOTE_ADDR": ip})
        assert r.status_code == 202
    assert stack.thread()["items"] == []
    queue = stack.comments.get("/api/moderation/queue", headers=stack.auth(stack.moderator)).get_json()
    assert [i["id"] for i in queue["items"]] == [cid]


def test_moderation_log_records_who_decided_what_and_why(stack):
    stack.publish_article()
    cid = stack.post_comment().get_json()["id"]
    stack.decide(cid, "reject", "off topic")
    log = stack.comments.get("/api/moderation/log", query_string={"comment_id": cid},
                             headers=stack.auth(stack.moderator)).get_json()["items"]
    assert log[0]["actor"] == "test-moderator" and log[0]["to_status"] == "rejected"
    assert log[0]["reason"] == "off topic"


def test_thread_answers_304_for_a_matching_etag_and_changes_after_a_vote(stack):
    stack.publish_article()
    cid = stack.post_comment().get_json()["id"]
    stack.decide(cid)
    first = stack.comments.get("/api/comments", query_string={"article": "story"})
    etag = first.headers["ETag"]
    again = stack.comments.get("/api/comments", query_string={"article": "story"}, headers={"If-None-Match": etag})
    assert again.status_code == 304
    stack.comments.put(f"/api/comments/{cid}/vote", json={"voter_id": "voter-12345678", "value": 1})
    after = stack.comments.get("/api/comments", query_string={"article": "story"}, headers={"If-None-Match": etag})
    assert after.status_code == 200 and after.headers["ETag"] != etag


def test_cursor_pagination_walks_every_top_level_comment_once(stack):
    stack.publish_article()
    ids = []
    for i in range(7):
        cid = stack.post_comment(body=f"c{i}").get_json()["id"]
        stack.decide(cid)
        ids.append(cid)
    for sort in ("newest", "oldest", "most_voted"):
        seen, cursor = [], None
        while True:
            params = {"sort": sort, "limit": 3, **({"cursor": cursor} if cursor else {})}
            page = stack.thread(**params)
            seen += [c["id"] for c in page["items"]]
            cursor = page["next_cursor"]
            if not cursor:
                break
        assert sorted(seen) == sorted(ids) and len(seen) == len(ids)


def test_counts_endpoint_and_article_count_follow_approvals(stack):
    stack.publish_article()
    stack.publish_article(slug="other")
    for _ in range(2):
        stack.decide(stack.post_comment().get_json()["id"])
    stack.pump()
    counts = stack.comments.get("/api/comments/counts?article=story&article=other").get_json()["counts"]
    assert counts == {"story": 2, "other": 0}
    assert stack.articles.get("/api/articles/story").get_json()["approved_comment_count"] == 2
