"""docker-compose.yml and deploy/ agree with the code, checked without a container engine.

A renamed subcommand, a missing ``create_app`` or a gateway route to a service that is not
there would otherwise show only as a container restarting forever. Scaled services must
have no fixed names or host ports, and Redis must keep the broker's data.
"""
from __future__ import annotations

import importlib
import importlib.util
import json
import os
import re
import shlex
import shutil
import subprocess
import tempfile
from pathlib import Path
from typing import NamedTuple

import click
import pytest

from services.cli import main as parley
from services.registry import API_PREFIXES, SERVICES

ROOT = Path(__file__).resolve().parents[2]
COMPOSE_FILE = ROOT / "docker-compose.yml"
NGINX_CONF = ROOT / "deploy" / "nginx.conf"
POSTGRES_INIT = ROOT / "deploy" / "postgres" / "init-databases.sql"
DOCKER_COMPOSE = shutil.which("docker-compose")

#: compose refuses to start without these; stand-in values let `docker-compose config` run
REQUIRED_VARIABLES = {"SECRET_KEY": "test-only", "EMAIL_HMAC_KEY": "test-only"}
#: the only services allowed to publish host ports; everything else must scale freely
PUBLISHING = {"gateway", "flower", "mailpit"}
#: the compose service that runs each API of services.registry
API_SERVICE = {"articles": "articles", "comments": "comments", "notify": "notify-api"}

needs_docker_compose = pytest.mark.skipif(
    DOCKER_COMPOSE is None, reason="docker-compose is not installed (apt-get install docker-compose)")


# --- reading the files ------------------------------------------------------------------------

@pytest.fixture(scope="module")
def services() -> dict[str, dict]:
    return _read_compose()["services"]


def _read_compose() -> dict:
    try:
        import yaml
    except ModuleNotFoundError:
        return _read_compose_with_docker_compose()
    return yaml.safe_load(COMPOSE_FILE.read_text())


def _read_compose_with_docker_compose() -> dict:
    """The file as docker-compose itself reads it, for when PyYAML is not installed here.

    Compose v2 prints JSON. v1 prints only YAML, but it is a Python program that needs PyYAML
    to run at all, so its own interpreter turns that YAML into JSON."""
    if DOCKER_COMPOSE is None:
        pytest.skip("reading docker-compose.yml needs PyYAML or the docker-compose binary; neither is installed")
    version = _compose("version", "--short").stdout.strip().lstrip("v")
    if not version.startswith("1."):
        return json.loads(_checked(_compose("config", "--format", "json")))
    interpreter = Path(DOCKER_COMPOSE).read_text().splitlines()[0].removeprefix("#!").split()
    to_json = "import json, sys, yaml; json.dump(yaml.safe_load(sys.stdin), sys.stdout)"
    rendered = _checked(_compose("config"))
    return json.loads(_checked(subprocess.run([*interpreter, "-c", to_json], input=rendered,
                                              capture_output=True, text=True, timeout=60)))


def _compose(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    """Run docker-compose on our file; an empty env file keeps a developer's .env out of it."""
    environment = {k: v for k, v in os.environ.items() if k not in REQUIRED_VARIABLES}
    with tempfile.TemporaryDirectory() as tmp:
        env_file = Path(tmp) / "empty.env"
        env_file.write_text("")
        return subprocess.run(
            [DOCKER_COMPOSE, "-f", str(COMPOSE_FILE), "--env-file", str(env_file), *args],
            env={**environment, **(REQUIRED_VARIABLES if env is None else env)},
            capture_output=True, text=True, timeout=120)


def _checked(result: subprocess.CompletedProcess) -> str:
    assert result.returncode == 0, result.stderr
    return result.stdout


def _argv(service: dict) -> list[str]:
    command = service.get("command") or []
    return shlex.split(command) if isinstance(command, str) else [str(arg) for arg in command]


def _mounts(service: dict) -> list[tuple[str, str]]:
    """(source, target) of each volume, in the short string form or the long mapping form."""
    pairs = []
    for volume in service.get("volumes", []):
        if isinstance(volume, dict):
            pairs.append((str(volume.get("source", "")), str(volume["target"])))
        else:
            source, target, *_ = str(volume).split(":")
            pairs.append((source, target))
    return pairs


# --- (1) every command exists in the code ---------------------------------------------------

def _parley_rejects(args: list[str]) -> str | None:
    """Why ``parley ARGS`` would be refused by its own parser (subcommands, Choice arguments,
    options), or None. Nothing is run."""
    group, ctx = parley, click.Context(parley, info_name="parley")
    try:
        while True:
            if not args:
                return f"`{ctx.command_path}` needs a subcommand"
            name, command, args = group.resolve_command(ctx, args)
            if not isinstance(command, click.Group):
                command.make_context(name, args, parent=ctx)
                return None
            group, ctx = command, click.Context(command, info_name=name, parent=ctx)
    except click.ClickException as exc:
        return exc.format_message()


def test_every_parley_command_in_compose_is_one_parley_accepts(services):
    commands = {name: _argv(s) for name, s in services.items() if _argv(s)[:1] == ["parley"]}
    assert {"relay", "consume", "worker", "migrate", "serve"} <= {argv[1] for argv in commands.values()}

    refused = {name: why for name, argv in commands.items() if (why := _parley_rejects(argv[1:]))}

    assert refused == {}


def test_every_gunicorn_target_in_compose_is_an_app_factory_that_exists(services):
    targets = {name: _argv(s)[-1] for name, s in services.items() if _argv(s)[:1] == ["gunicorn"]}
    assert set(targets) >= set(API_SERVICE.values())

    broken = {}
    for name, target in targets.items():
        module_name, _, call = target.partition(":")
        try:
            factory = getattr(importlib.import_module(module_name), call.removesuffix("()"), None)
        except ImportError as exc:  # a failure, not a skip: this container would never start
            broken[name] = f"{target}: {exc}"
            continue
        if not call.endswith("()") or not callable(factory):
            broken[name] = f"{target}: not a call of a factory in {module_name}"

    assert broken == {}


def test_every_relay_consumer_and_worker_in_compose_finds_the_code_it_starts(services):
    """The Choice of ``relay``/``consume``/``worker`` lists services that may not be built yet;
    ``parley consume`` even skips a missing one and exits, so check the factories themselves."""
    missing = {}
    for name, service in services.items():
        argv = _argv(service)
        if argv[:1] != ["parley"] or len(argv) < 3:
            continue
        subcommand, target = argv[1], argv[2]
        if subcommand in ("relay", "consume"):
            factory = {"relay": "create_relay", "consume": "create_consumer"}[subcommand]
            try:
                if not hasattr(importlib.import_module(f"services.{target}.app"), factory):
                    missing[name] = f"services.{target}.app:{factory}"
            except ImportError as exc:
                missing[name] = f"services.{target}.app:{factory}: {exc}"
        elif subcommand == "worker" and importlib.util.find_spec(f"services.{target}.worker") is None:
            missing[name] = f"services.{target}.worker (the Celery app `parley worker` starts)"

    assert missing == {}


# --- (2) anything can be scaled ---------------------------------------------------------------

def test_no_service_has_a_fixed_container_name_so_any_can_be_scaled(services):
    assert [name for name, s in services.items() if "container_name" in s] == []


def test_only_the_gateway_and_the_two_dashboards_publish_host_ports(services):
    publishing = {name for name, s in services.items() if s.get("ports")}

    assert "gateway" in publishing
    assert publishing <= PUBLISHING


# --- (3) Redis keeps the broker's data --------------------------------------------------------

def test_redis_keeps_queued_work_on_disk_and_never_evicts_it(services):
    argv = _argv(services["redis"])

    def option(flag: str) -> str | None:
        return argv[argv.index(flag) + 1] if flag in argv[:-1] else None

    assert option("--appendonly") == "yes"
    assert option("--maxmemory-policy") == "noeviction"
    assert "/data" in {target for _, target in _mounts(services["redis"])}


def test_postgres_creates_one_database_per_service_and_each_service_uses_its_own(services):
    created = set(re.findall(r"CREATE DATABASE (\w+)", POSTGRES_INIT.read_text(), re.IGNORECASE))
    urls = {k: v for k, v in services["migrate"]["environment"].items() if k.endswith("_DATABASE_URL")}
    mounted = {Path(source).name: target for source, target in _mounts(services["postgres"])}

    assert created == set(SERVICES)
    assert {k: v.rsplit("/", 1)[1] for k, v in urls.items()} == {f"{s.upper()}_DATABASE_URL": s for s in SERVICES}
    assert mounted.get(POSTGRES_INIT.name, "").startswith("/docker-entrypoint-initdb.d/")


# --- (4) the gateway proxies only to compose services, along the registry's routes -------------

class Location(NamedTuple):
    modifier: str  # "", "=", "~", "~*" or "^~", as in nginx
    pattern: str
    proxy_pass: str | None  # with nginx variables replaced by their `set` values


def _nginx_text() -> str:
    """The config without comments and with quoted strings emptied (they may hold braces)."""
    text = re.sub(r"#[^\n]*", "", NGINX_CONF.read_text())
    return re.sub(r"'[^']*'|\"[^\"]*\"", "''", text)


def _expand(url: str, text: str) -> str:
    variables = dict(re.findall(r"\bset\s+\$(\w+)\s+([^;\s]+)\s*;", text))
    return re.sub(r"\$(\w+)", lambda m: variables.get(m.group(1), m.group(0)), url)


def _upstream_hosts(url: str, text: str) -> list[str]:
    """Hosts a proxy_pass URL reaches: its own, or the servers of the upstream block it names."""
    host = re.sub(r"^\w+://", "", url).split("/", 1)[0].split(":", 1)[0]
    upstreams = {name: re.findall(r"\bserver\s+([^\s;:]+)", body)
                 for name, body in re.findall(r"\bupstream\s+(\S+)\s*\{([^}]*)\}", text)}
    return upstreams.get(host, [host])


def _locations() -> list[Location]:
    text = _nginx_text()
    found = []
    for modifier, pattern, body in re.findall(r"\blocation\s+(?:(=|~\*|~|\^~)\s+)?([^\s{]+)\s*\{([^{}]*)\}", text):
        proxy = re.search(r"\bproxy_pass\s+([^;\s]+)\s*;", body)
        found.append(Location(modifier, pattern, _expand(proxy.group(1), text) if proxy else None))
    return found


def _route(path: str) -> tuple[str, str]:
    """(host, path) nginx sends a request for ``path`` to, by nginx's order: an exact match,
    else the longest prefix if marked ``^~``, else the first matching regex, else the longest
    prefix."""
    locations = _locations()
    chosen = next((loc for loc in locations if loc.modifier == "=" and loc.pattern == path), None)
    if chosen is None:
        prefixes = [loc for loc in locations if loc.modifier in ("", "^~") and path.startswith(loc.pattern)]
        chosen = max(prefixes, key=lambda loc: len(loc.pattern), default=None)
        if chosen is None or chosen.modifier != "^~":
            chosen = next((loc for loc in locations if loc.modifier in ("~", "~*") and re.search(
                loc.pattern, path, re.IGNORECASE if loc.modifier == "~*" else 0)), chosen)
    assert chosen is not None and chosen.proxy_pass, f"no location proxies {path}"
    host_and_path = re.sub(r"^\w+://", "", chosen.proxy_pass)
    host, _, upstream_path = host_and_path.partition("/")
    return host.split(":", 1)[0], ("/" + upstream_path) if upstream_path else path


def test_every_gateway_proxy_pass_names_a_compose_service(services):
    text = _nginx_text()
    hosts = {host for url in re.findall(r"\bproxy_pass\s+([^;\s]+)\s*;", text)
             for host in _upstream_hosts(_expand(url, text), text)}

    assert hosts
    assert sorted(hosts - set(services)) == []


ROUTES = [
    *[(path, API_SERVICE[name], path)
      for name, prefixes in API_PREFIXES.items() for prefix in prefixes
      for path in (prefix, f"{prefix}/some/thing")],
    *[(f"/openapi/{name}.json", API_SERVICE[name], "/openapi.json") for name in API_PREFIXES],
    # what the one-process gateway of `make run` (services/gateway.py) leaves to the site
    ("/", "site", "/"),
    ("/api/articlesx", "site", "/api/articlesx"),
    ("/openapi/unknown.json", "site", "/openapi/unknown.json"),
]


@pytest.mark.parametrize("path, service, upstream_path", ROUTES)
def test_gateway_sends_each_path_where_the_make_run_gateway_does(path, service, upstream_path):
    assert _route(path) == (service, upstream_path)


# --- docker-compose itself --------------------------------------------------------------------

@needs_docker_compose
def test_docker_compose_accepts_the_file():
    result = _compose("config", "-q")

    assert result.returncode == 0, result.stderr


@needs_docker_compose
def test_compose_refuses_to_start_without_the_secret_keys():
    result = _compose("config", "-q", env={})

    assert result.returncode != 0
    assert "SECRET_KEY" in result.stderr
