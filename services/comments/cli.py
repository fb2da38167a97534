"""Operator commands that read the comments service's own data."""

from __future__ import annotations

import click


@click.command("export-decisions")
@click.option("--out", type=click.File("w", encoding="utf-8"), default="-", show_default=True)
def export_decisions(out) -> None:
    """Write moderators' decisions on held comments as labelled JSON Lines (for training)."""
    from services.comments.app import bootstrap
    from services.comments.decisions import write_decisions

    rt = bootstrap()
    with rt.db.session() as s:
        count = write_decisions(s, out)
    click.echo(f"{count} decisions", err=True)
