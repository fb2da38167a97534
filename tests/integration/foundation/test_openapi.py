"""Every route a service answers is in the OpenAPI document it serves."""
import re

import pytest


@pytest.mark.parametrize("service", ["articles", "comments", "notify"])
def test_every_route_is_in_the_openapi_document(service_env, service):
    from tests.stack import Stack

    client = Stack(services=(service,)).clients[service]
    spec = client.get("/openapi.json").get_json()
    app = client.application
    documented = {(path, method.upper()) for path, ops in spec["paths"].items() for method in ops}
    missing = []
    for rule in app.url_map.iter_rules():
        if rule.endpoint in ("static",) or rule.rule.startswith("/openapi"):
            continue
        path = re.sub(r"<(?:[a-z]+:)?([a-z_]+)>", r"{\1}", rule.rule)
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            if (path, method) not in documented:
                missing.append((path, method))
    assert not missing
    assert spec["components"]["schemas"]["Error"]["properties"].keys() == {"error"}
