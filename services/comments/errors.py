"""What the comments domain refuses, by name (``shared/http.py`` answers each kind with its status)."""
from __future__ import annotations

from shared.errors import Conflict, Forbidden, Invalid, LimitReached, NotFound


class ArticleNotFound(NotFound):
    def __init__(self, slug: str):
        super().__init__(f"No article {slug!r}.", details={"article": ["Unknown article."]})


class ArticleNotPublished(Conflict):
    code, message = "article_not_published", "This article is not published."


class CommentsClosed(Conflict):
    code, message = "comments_closed", "Comments are closed on this article."


class ParentNotInDiscussion(Invalid):
    message = "The parent comment is not in this discussion."

    def __init__(self):
        super().__init__(details={"parent_id": ["No approved comment with this id on this article."]})


class CommentNotFound(NotFound):
    message = "No such comment."


class EditTokenMismatch(Forbidden):
    message = "The edit token does not match this comment."


class EditWindowClosed(Conflict):
    code, message = "edit_window_closed", "The time to change this comment has passed."


class HasReplies(Conflict):
    code, message = "has_replies", "A comment with replies cannot be edited."


class NotEditable(Conflict):
    code = "not_editable"

    def __init__(self, status: str):
        super().__init__(f"A {status} comment cannot be edited.")


class VoteLimitReached(LimitReached):
    code, message = "vote_limit", "Too many votes on this comment from your network."

    def __init__(self):
        super().__init__(retry_after=3600)
