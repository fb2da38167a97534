"""Moderators' decisions on held comments, as labelled examples for the learned check.

Why here: the comments service owns the moderator queue and its decision log; moderation
never reads another service's database. `parley moderation export-decisions` writes them
as the JSON Lines that `parley moderation train --decisions FILE` reads.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import IO

from sqlalchemy import select
from sqlalchemy.orm import Session

from services.comments.models import Actor, Comment, CommentStatus, Decision, ModerationLog

# a moderator's approval says civil; a rejection or a spam verdict says uncivil
LABELS = {Decision.APPROVE.value: "civil", Decision.REJECT.value: "uncivil", Decision.SPAM.value: "uncivil"}
_NOT_MODERATORS = [a.value for a in Actor]


def held_decisions(s: Session) -> Iterator[dict]:
    """Every decision a moderator took on a comment waiting in the queue, oldest first. A
    comment decided twice appears twice: the later decision is the one to trust, and a
    reader of the file can keep the last line per comment."""
    rows = s.execute(
        select(ModerationLog, Comment.body_md)
        .join(Comment, Comment.id == ModerationLog.comment_id)
        .where(ModerationLog.action.in_(list(LABELS)), ModerationLog.actor.not_in(_NOT_MODERATORS),
               ModerationLog.from_status == CommentStatus.PENDING.value)
        .order_by(ModerationLog.at, ModerationLog.id)
    )
    for log, body in rows:
        yield {"id": f"decision-{log.id}", "comment_id": log.comment_id, "text": body,
               "label": LABELS[log.action], "decision": log.action, "reason": log.reason,
               "moderator": log.actor, "at": log.at.isoformat()}


def write_decisions(s: Session, out: IO[str]) -> int:
    count = 0
    for row in held_decisions(s):
        out.write(json.dumps(row, ensure_ascii=False) + "\n")
        count += 1
    return count
