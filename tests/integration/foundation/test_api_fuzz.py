"""Schemathesis against each service's own OpenAPI document: no 500, no schema violation.

The stack is built per operation on real backends; the articles and comments services get a
published article, an approved comment and staff tokens so that generated requests reach the
interesting code paths, not only the 404s.
"""
from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode

from schemathesis.specs.openapi.checks import negative_data_rejection, positive_data_acceptance

from tests.stack import Stack

# Left out: "schema-valid request rejected" (opaque cursors, email syntax and business rules
# reject input the schema cannot describe) and "schema-violating request accepted" (unknown
# query parameters are ignored on purpose). Both answer in our error shape or succeed; what
# is checked is that no input, valid or not, gets a 5xx or a response outside the document.


def _stack(service: str) -> Stack:
    services = {"articles": ("articles", "comments"), "comments": ("articles", "comments"),
                "notify": ("articles", "notify")}[service]
    stack = Stack(services=services)
    r = stack.articles.post("/api/articles", json={"title": "Story", "slug": "story"},
                            headers=stack.auth(stack.editor))
    assert r.status_code == 201
    stack.articles.post("/api/articles/story/publish", json={}, headers=stack.auth(stack.editor))
    stack.pump()
    if "comments" in services:
        cid = stack.post_comment().get_json()["id"]
        stack.decide(cid)
    return stack


FUZZ = settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck), database=None)


@pytest.mark.parametrize("service", ["articles", "comments", "notify"])
def test_api_never_fails_on_generated_input(service_env, service):
    """Every operation of the service's document, positive and negative inputs."""
    stack = _stack(service)
    token = stack.editor if service == "articles" else stack.moderator if service == "comments" else None
    schema = schemathesis.openapi.from_wsgi("/openapi.json", stack.clients[service].application)
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    failures = []
    for result in schema.get_all_operations():
        operation = result.ok()

        @FUZZ
        @given(case=st.one_of(operation.as_strategy(generation_mode=GenerationMode.POSITIVE),
                              operation.as_strategy(generation_mode=GenerationMode.NEGATIVE)))
        def check(case):
            case.call_and_validate(headers=headers, excluded_checks=[positive_data_acceptance, negative_data_rejection])

        try:
            check()
        except Exception as exc:  # collect every operation's failure, then report them together
            failures.append(f"{operation.label}: {exc}")
    assert not failures, "\n\n".join(failures)
