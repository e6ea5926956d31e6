"""Forum moderation settings: defaults from the app config (FORUM_* keys), overrides in the
forum_settings table, so moderators can change them at /moderation/settings without a deploy.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from flask import current_app, has_app_context

from forum.models import ForumSetting
from portal.extensions import db


@dataclass(frozen=True)
class SettingSpec:
    config_key: str  # the app config key holding the deployment's default
    default: int  # used when the config does not say
    minimum: int
    maximum: int
    label: str
    help: str


SPECS: dict[str, SettingSpec] = {
    "auto_hide_flags": SettingSpec(
        "FORUM_AUTO_HIDE_FLAGS", 3, 0, 100, "Hide a post after this many flags",
        "Flags from different members; the post stays in the queue for a moderator. 0 turns it off."),
    "new_user_approval_posts": SettingSpec(
        "FORUM_NEW_USER_APPROVAL_POSTS", 0, 0, 100, "Approve a new member's first posts",
        "A member with fewer published posts than this waits for approval. 0 turns it off."),
    "post_rate_limit_posts": SettingSpec(
        "FORUM_POST_RATE_LIMIT_POSTS", 10, 0, 1000, "Posts allowed per member",
        "Threads and replies together, within the window below. Moderators are exempt. 0 turns it off."),
    "post_rate_limit_minutes": SettingSpec(
        "FORUM_POST_RATE_LIMIT_MINUTES", 5, 1, 1440, "Rate limit window (minutes)",
        "The number of minutes the limit above counts over."),
}

# Kept for callers that only need the built-in numbers (the config may override them).
DEFAULTS: dict[str, Any] = {key: spec.default for key, spec in SPECS.items()}


def default_for(key: str) -> Any:
    spec = _spec(key)
    if has_app_context():
        return current_app.config.get(spec.config_key, spec.default)
    return spec.default


def get_setting(key: str) -> Any:
    _spec(key)
    row = db.session.get(ForumSetting, key)
    return default_for(key) if row is None else row.value


def all_settings() -> dict[str, Any]:
    stored = {row.key: row.value for row in db.session.scalars(sa.select(ForumSetting))}
    return {key: stored.get(key, default_for(key)) for key in SPECS}


def set_setting(key: str, value: Any, user_id: int | None = None) -> None:
    _spec(key)
    row = db.session.get(ForumSetting, key)
    if row is None:
        row = ForumSetting(key=key)
        db.session.add(row)
    row.value = value
    row.updated_by_id = user_id


def _spec(key: str) -> SettingSpec:
    try:
        return SPECS[key]
    except KeyError:
        raise KeyError(f"unknown forum setting {key!r}") from None
