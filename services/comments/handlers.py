"""What the comments consumer does with each event type it reads (see ``app.create_consumer``):
article events keep the local projection, screening verdicts land on their comments. The
reader and moderator commands are in ``commands.py``, the status machine in ``status.py``.
"""
from __future__ import annotations

# decide, submit_comment and Decision are named here for bench/seed.py, which still imports
# them from this module; new code imports them from commands.py and models.py
from services.comments.commands import decide, submit_comment  # noqa: F401
from services.comments.models import Decision  # noqa: F401
from services.comments.projection import ARTICLE_EVENTS, project_article
from services.comments.verdicts import apply_verdict
from shared.events import EventType

EVENT_HANDLERS = {
    **{etype: [project_article] for etype in ARTICLE_EVENTS},
    EventType.COMMENT_MODERATED: [apply_verdict],
}
