"""What the notify domain refuses, by name (``shared/http.py`` answers each kind with its status)."""
from __future__ import annotations

from shared.errors import Invalid, NotFound


class ArticleNotFound(NotFound):
    def __init__(self, slug: str):
        super().__init__(f"No article {slug!r}.", details={"article": ["Unknown article."]})


class RepliesNeedComment(Invalid):
    message = "A replies subscription needs the comment."

    def __init__(self):
        super().__init__(details={"comment_id": ["Required."]})


class SubscriptionGone(NotFound):
    message = "This subscription no longer exists."


class NotSubscribed(NotFound):
    message = "No such subscription for this address."


class AddressUnknown(NotFound):
    message = "Nothing is stored about this address."
