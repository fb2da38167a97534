"""Rate limits per client: 429 with Retry-After, per address, and not dodged by a forged header."""
import pytest

from tests.stack import Stack


@pytest.fixture
def limited(service_env):
    service_env.setenv("RATELIMIT_ENABLED", "true")
    service_env.setenv("TRUSTED_PROXY_COUNT", "1")
    stack = Stack()
    stack.publish_article()
    return stack


def _post(stack, forwarded_for):
    return stack.comments.post("/api/comments", json={
        "article": "story", "author_name": "R", "author_email": "r@example.org", "body": "hello"},
        headers={"X-Forwarded-For": forwarded_for})


def test_too_many_posts_from_one_client_get_a_429_with_retry_after(limited):
    answers = [_post(limited, "203.0.113.7").status_code for _ in range(11)]
    assert answers[:10] == [202] * 10 and answers[10] == 429
    r = _post(limited, "203.0.113.7")
    assert r.status_code == 429 and int(r.headers["Retry-After"]) > 0
    assert r.get_json()["error"]["code"] == "rate_limited"
    assert _post(limited, "198.51.100.9").status_code == 202  # another reader is not affected


def test_a_forged_forwarded_for_entry_does_not_dodge_the_limit(limited):
    # our one proxy appends the real address last; a client can only add entries before it
    for n in range(10):
        assert _post(limited, f"10.9.9.{n}, 203.0.113.8").status_code == 202
    assert _post(limited, "10.9.9.99, 203.0.113.8").status_code == 429
