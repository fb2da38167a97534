import pytest

from tests.stack import Stack


@pytest.fixture
def stack(service_env):
    s = Stack()
    yield s
    for rt in s.runtimes.values():
        rt.db.dispose()
