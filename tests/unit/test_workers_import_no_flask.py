"""The Celery workers start without the web stack: importing a worker's entry point, the
task modules it includes and what those tasks build their runtime from loads no Flask
module. Each check runs in a fresh interpreter, since this test process has Flask loaded."""
from __future__ import annotations

import subprocess
import sys

import pytest

CHECK = """
import importlib, sys
worker = importlib.import_module(sys.argv[1])
worker.app.loader.import_default_modules()  # the tasks a started worker imports
importlib.import_module(sys.argv[2])
loaded = sorted(name for name in sys.modules if name == "flask" or name.startswith("flask."))
print(" ".join(loaded))
"""


@pytest.mark.parametrize("worker, container", [
    ("services.notify.worker", "services.notify.container"),
    ("services.moderation.worker", "services.moderation.container"),
])
def test_a_worker_entry_point_imports_no_flask(worker, container):
    run = subprocess.run([sys.executable, "-c", CHECK, worker, container], capture_output=True, text=True,
                         timeout=120)
    assert run.returncode == 0, run.stderr
    assert run.stdout.strip() == "", f"{worker} imported {run.stdout.strip()}"
