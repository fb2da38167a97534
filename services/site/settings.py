"""Demo site settings, read from the environment once by the factory."""
from __future__ import annotations

from dataclasses import dataclass

from shared.settings import env

#: shown above the comment form; a site sets its own with SITE_COMMENT_POLICY
DEFAULT_POLICY = ("We welcome informed comments that move the conversation forward. Keep it civil: comments "
                  "that promote discrimination, prejudice, racism or xenophobia, and personal attacks or "
                  "profanity, will not be published. Every submission is screened before it appears.")


@dataclass(frozen=True)
class Settings:
    site_name: str
    comment_policy: str


def load() -> Settings:
    e = env()
    return Settings(site_name=e.str("SITE_NAME", "Parley"),
                    comment_policy=e.str("SITE_COMMENT_POLICY", DEFAULT_POLICY))
