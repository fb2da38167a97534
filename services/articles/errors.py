"""What the articles domain refuses, by name (``shared/http.py`` answers each kind with its status)."""
from __future__ import annotations

from shared.errors import Conflict, Invalid


class SlugTaken(Conflict):
    message = "An article with this slug exists."

    def __init__(self):
        super().__init__(details={"slug": ["Already taken."]})


class SlugFixed(Invalid):
    message = "The slug cannot change once set."

    def __init__(self):
        super().__init__(details={"slug": ["Cannot be changed."]})
