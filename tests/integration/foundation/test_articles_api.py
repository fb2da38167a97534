"""The articles API as an editor and a reader use it."""


def _create(stack, **body):
    r = stack.articles.post("/api/articles", json=body, headers=stack.auth(stack.editor))
    assert r.status_code == 201, r.get_data(as_text=True)
    return r.get_json()


def _publish(stack, slug, when=None):
    r = stack.articles.post(f"/api/articles/{slug}/publish", json={"published_at": when} if when else {},
                            headers=stack.auth(stack.editor))
    assert r.status_code == 200, r.get_data(as_text=True)


def test_slug_is_derived_from_the_title_and_made_unique(stack):
    first = _create(stack, title="Workers Abroad")
    second = _create(stack, title="Workers abroad!")
    assert (first["slug"], second["slug"]) == ("workers-abroad", "workers-abroad-2")
    assert first["status"] == "draft" and first["moderation_mode"] == "pre"


def test_a_draft_is_hidden_from_readers_until_published(stack):
    _create(stack, title="Draft story")
    assert stack.articles.get("/api/articles/draft-story").status_code == 404
    assert stack.articles.get("/api/articles").get_json()["items"] == []
    _publish(stack, "draft-story")
    assert stack.articles.get("/api/articles/draft-story").status_code == 200


def test_list_is_newest_first_filtered_by_category_and_since(stack):
    for i, (cat, day) in enumerate([("Forced Labor", "2024-07-01"), ("Debt Bondage", "2024-07-05"),
                                    ("Forced Labor", "2024-07-09")]):
        _create(stack, title=f"Story {i}", categories=[cat])
        _publish(stack, f"story-{i}", f"{day}T10:00:00+00:00")
    slugs = lambda **q: [a["slug"] for a in stack.articles.get("/api/articles", query_string=q).get_json()["items"]]
    assert slugs() == ["story-2", "story-1", "story-0"]
    assert slugs(category="forced-labor") == ["story-2", "story-0"]
    assert slugs(category="Debt Bondage") == ["story-1"]
    assert slugs(since="2024-07-04T00:00:00Z") == ["story-2", "story-1"]
    page = stack.articles.get("/api/articles", query_string={"limit": 2}).get_json()
    rest = stack.articles.get("/api/articles", query_string={"limit": 2, "cursor": page["next_cursor"]}).get_json()
    assert [a["slug"] for a in page["items"] + rest["items"]] == ["story-2", "story-1", "story-0"]
    counts = {c["slug"]: c["count"] for c in stack.articles.get("/api/categories").get_json()["items"]}
    assert counts == {"forced-labor": 2, "debt-bondage": 1}


def test_body_html_is_sanitised_on_the_way_in(stack):
    a = _create(stack, title="Unsafe", body='<p>ok</p><script>alert(1)</script><img src=x onerror="y()">')
    assert "<script" not in a["body_html"] and "onerror" not in a["body_html"]
    assert a["body_html"].startswith('<p id="p1">ok</p>')


def test_unpublish_and_delete_reach_the_comments_projection(stack):
    stack.publish_article(slug="gone")
    stack.articles.post("/api/articles/gone/unpublish", headers=stack.auth(stack.editor))
    stack.pump()
    assert stack.post_comment(article="gone").status_code == 409
    assert stack.articles.delete("/api/articles/gone", headers=stack.auth(stack.editor)).status_code == 204
    stack.pump()
    assert stack.post_comment(article="gone").status_code == 404


def test_a_taken_slug_is_a_409_and_a_bad_url_a_422(stack):
    _create(stack, title="One", slug="one")
    r = stack.articles.post("/api/articles", json={"title": "Two", "slug": "one"}, headers=stack.auth(stack.editor))
    assert r.status_code == 409
    r = stack.articles.post("/api/articles", json={"title": "Two", "hero_image_url": "javascript:alert(1)"},
                            headers=stack.auth(stack.editor))
    assert r.status_code == 422 and "hero_image_url" in r.get_json()["error"]["details"]
