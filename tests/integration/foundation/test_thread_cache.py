"""The two-level thread cache: Redis plus a copy in each server process, never staler than Redis."""
import time

from services.comments.cache import ThreadCache


def test_a_copy_held_by_one_process_is_dropped_when_another_process_commits_a_change(redis_client, namespace):
    reader, writer = ThreadCache(redis_client, namespace), ThreadCache(redis_client, namespace)
    version, hit = reader.lookup("story", "newest|")
    assert hit is None
    reader.put("story", version, "newest|", "story.1", b"old page")
    assert reader.lookup("story", "newest|") == (version, ("story.1", b"old page"))
    writer.invalidate(["story"])  # another gunicorn worker (or the consumer) committed a change
    assert reader.lookup("story", "newest|") == (version + 1, None)


def test_a_local_copy_lives_no_longer_than_its_redis_entry(redis_client, namespace):
    """If the version bump after a commit is lost, the stale page must still go after the TTL."""
    cache = ThreadCache(redis_client, namespace, ttl=1)
    version, _ = cache.lookup("story", "newest|")
    cache.put("story", version, "newest|", "story.1", b"page")
    other = ThreadCache(redis_client, namespace, ttl=1)
    assert other.lookup("story", "newest|")[1] == ("story.1", b"page")  # copied with the remaining TTL
    time.sleep(1.2)
    assert cache.lookup("story", "newest|") == (version, None)
    assert other.lookup("story", "newest|") == (version, None)


def test_local_copies_are_bounded(redis_client, namespace):
    cache = ThreadCache(redis_client, namespace, local_entries=2)
    for n in range(5):
        cache.put(f"story-{n}", 0, "v", "e", b"x")
        cache.remember_query(f"article=story-{n}".encode(), f"story-{n}", "v")
    assert list(cache.local) == [("story-3", "v"), ("story-4", "v")]
    assert len(cache.queries) == 5 and cache.known_query(b"article=story-4") == ("story-4", "v")
    for n in range(5, 12):
        cache.remember_query(f"article=story-{n}".encode(), f"story-{n}", "v")
    assert len(cache.queries) == 8 and cache.known_query(b"article=story-0") is None


def test_redis_down_is_a_miss_not_an_error(namespace):
    import redis

    cache = ThreadCache(redis.Redis(port=1, socket_connect_timeout=0.2), namespace)
    assert cache.lookup("story", "v") == (None, None)
    cache.put("story", 0, "v", "e", b"x")  # silently not stored
    assert cache.local == {}


def test_only_validated_queries_take_the_fast_path(stack):
    stack.publish_article()
    cid = stack.post_comment(body="first").get_json()["id"]
    stack.decide(cid)
    client = stack.comments
    for _ in range(2):  # an invalid query is refused every time, never remembered
        bad = client.get("/api/comments?article=story&limit=100000")
        assert bad.status_code == 422 and "limit" in bad.get_json()["error"]["details"]
    ok = client.get("/api/comments?article=story&limit=5")
    assert ok.status_code == 200
    cache = stack.runtimes["comments"].thread_cache
    assert cache.known_query(b"article=story&limit=5") == ("story", "most_voted||5")
    assert cache.known_query(b"article=story&limit=100000") is None
    again = client.get("/api/comments?article=story&limit=5", headers={"Origin": "http://127.0.0.1:8000"})
    assert again.data == ok.data and again.headers["ETag"] == ok.headers["ETag"]
    # the after-request hooks still ran on the fast path
    assert again.headers["Access-Control-Allow-Origin"] == "http://127.0.0.1:8000"
    assert again.headers["X-Content-Type-Options"] == "nosniff"
    assert client.get("/api/comments?article=story&limit=5",
                      headers={"If-None-Match": ok.headers["ETag"]}).status_code == 304


def test_the_serialised_thread_is_what_its_documented_schema_dumps(stack):
    """The thread is serialised without the schema for speed; it must say what ThreadOut says."""
    from services.comments.schemas import ThreadOut
    from services.comments.threads import Sort, read_thread

    stack.publish_article()
    root = stack.post_comment(body="A *root* comment.", anchor={"paragraph_id": "p1", "quote": "Body"}).get_json()
    stack.decide(root["id"])
    reply = stack.post_comment(body="A reply.", parent_id=root["id"], name="Renée Ü").get_json()
    stack.decide(reply["id"])
    edited = stack.post_comment(body="Soon edited.").get_json()
    stack.decide(edited["id"])
    assert stack.comments.patch(f"/api/comments/{edited['id']}", json={"body": "Edited <b>now</b>."},
                                headers={"X-Edit-Token": edited["edit_token"]}).status_code == 200
    stack.decide(edited["id"])
    gone = stack.post_comment(body="Deleted later.").get_json()
    stack.decide(gone["id"])
    stack.decide(stack.post_comment(body="Under the deleted one.", parent_id=gone["id"]).get_json()["id"])
    assert stack.comments.delete(f"/api/comments/{gone['id']}",
                                 headers={"X-Edit-Token": gone["edit_token"]}).status_code == 204
    for sort in ("most_voted", "newest", "oldest"):
        served = stack.thread(sort=sort, limit=3)
        with stack.runtimes["comments"].db.read_session() as s:
            page = read_thread(s, "story", Sort(sort), None, 3, 100)
        documented = ThreadOut().dump({"article": "story", "sort": sort, "total": served["total"], **page})
        assert served == documented
        assert any(item["replies"] for item in served["items"])
    items = stack.thread(sort="oldest", limit=10)["items"]
    assert items[0]["anchor"] == {"paragraph_id": "p1", "quote": "Body"}
    assert items[1]["edited_at"] is not None
    assert items[2]["body_html"] == "<p>[deleted]</p>" and items[2]["author_name"] == ""
