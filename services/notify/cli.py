"""``parley notify``: what operators need to see of deliveries."""
from __future__ import annotations

import json

import click


@click.group()
def notify() -> None:
    """Notification deliveries."""


@notify.command("deliveries")
@click.option("--status", type=click.Choice(["pending", "sending", "sent", "digest", "failed", "skipped"]),
              default="failed", show_default=True)
@click.option("--limit", default=50, show_default=True)
def deliveries(status: str, limit: int) -> None:
    """List deliveries in STATUS (failed ones by default), newest first, as JSON lines."""
    from sqlalchemy import select

    from services.notify.container import bootstrap
    from services.notify.models import Address, Delivery

    rt = bootstrap()
    with rt.db.read_session() as s:
        rows = s.execute(select(Delivery, Address.email).join(Address, Address.id == Delivery.address_id)
                         .where(Delivery.status == status).order_by(Delivery.id.desc()).limit(limit)).all()
    for d, email in rows:
        click.echo(json.dumps({"id": d.id, "to": email, "comment_id": d.comment_id, "status": str(d.status),
                               "attempts": d.attempts, "last_error": d.last_error,
                               "created_at": d.created_at.isoformat()}))
