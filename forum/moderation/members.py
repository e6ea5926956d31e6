"""Moderators' work on members (warnings, suspensions, bans) and on the rules the
admission gate applies (settings, watched words).

Like forum.moderation.actions: each function changes rows, writes the ModerationLog
row, raises a ModerationError for a refusal, and leaves the commit to the caller.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa

from forum.models import WATCHED_WORD_ACTIONS, UserSanction, WatchedWord
from forum.moderation import InvalidPattern, active_sanction, compile_pattern, is_moderator
from forum.moderation.actions import Conflict, ModerationError, NotAllowed, log_action, tell_member
from forum.settings import SPECS, all_settings, set_setting
from portal.auth.models import User
from portal.clock import utcnow
from portal.extensions import db

MAX_SANCTION_REASON = 500
MAX_SUSPENSION = timedelta(days=3650)
MAX_PATTERN = 200


# ------------------------------------------------------------------ sanctions
def _check_target(target, moderator) -> None:
    if target.id == moderator.id:
        raise NotAllowed("You cannot warn, suspend or ban yourself.")
    if is_moderator(target):
        raise NotAllowed("Moderators, supervisors and admins cannot be sanctioned; an admin can change their roles.")


def _required_reason(reason: str, what: str) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise ModerationError(f"Give a reason for the {what}: the member is shown it.")
    if len(reason) > MAX_SANCTION_REASON:
        raise ModerationError(f"Keep the reason under {MAX_SANCTION_REASON} characters.")
    return reason


def _record(target, moderator, kind: str, reason: str, ends_at: datetime | None = None) -> UserSanction:
    sanction = UserSanction(user_id=target.id, kind=kind, reason=reason, ends_at=ends_at,
                            created_by_id=moderator.id)
    db.session.add(sanction)
    db.session.flush()
    data: dict[str, Any] = {"sanction_id": sanction.id}
    if ends_at is not None:
        data["ends_at"] = ends_at.isoformat(timespec="minutes")
    log_action(moderator, kind, "user", target.id, reason, **data)
    return sanction


def warn_user(target, moderator, reason: str) -> UserSanction:
    _check_target(target, moderator)
    reason = _required_reason(reason, "warning")
    sanction = _record(target, moderator, "warn", reason)
    tell_member(target.id, f"A community moderator sent you a warning: {reason}", "", moderator)
    return sanction


def suspend_user(target, moderator, ends_at: datetime | None, reason: str) -> UserSanction:
    _check_target(target, moderator)
    reason = _required_reason(reason, "suspension")
    now = utcnow()
    if ends_at is None:
        raise ModerationError("Choose when the suspension ends.")
    if ends_at <= now:
        raise ModerationError("The suspension must end in the future.")
    if ends_at - now > MAX_SUSPENSION:
        raise ModerationError("A suspension can last at most ten years; ban the member instead.")
    current = active_sanction(target)
    if current is not None and current.kind == "ban":
        raise Conflict("This member is already banned; lift the ban first if a suspension is meant instead.")
    sanction = _record(target, moderator, "suspend", reason, ends_at)
    until = ends_at.strftime("%d %B %Y at %H:%M UTC")
    tell_member(target.id, f"You are suspended from posting in the community until {until}. Reason: {reason}",
           "", moderator)
    return sanction


def ban_user(target, moderator, reason: str) -> UserSanction:
    _check_target(target, moderator)
    reason = _required_reason(reason, "ban")
    current = active_sanction(target)
    if current is not None and current.kind == "ban":
        raise Conflict("This member is already banned.")
    sanction = _record(target, moderator, "ban", reason)
    tell_member(target.id, f"You are banned from posting in the community. Reason: {reason}", "", moderator)
    return sanction


def lift_sanction(sanction: UserSanction, moderator, reason: str = "") -> None:
    if sanction.lifted_at is not None:
        raise Conflict("This sanction was already lifted.")
    if sanction.ends_at is not None and sanction.ends_at <= utcnow():
        raise Conflict("This suspension has already ended.")
    sanction.lifted_at = utcnow()
    db.session.flush()
    log_action(moderator, "lift", "user", sanction.user_id, reason, sanction_id=sanction.id, kind=sanction.kind)
    if sanction.kind != "warn":
        still = active_sanction(db.session.get(User, sanction.user_id))
        text = ("Your restriction was lifted: you can post in the community again." if still is None else
                f"One of your restrictions was lifted, but another is still in force ({still.kind}).")
        tell_member(sanction.user_id, text, "", moderator)


def sanctions_of(user_id: int) -> list[UserSanction]:
    return list(db.session.scalars(
        sa.select(UserSanction).where(UserSanction.user_id == user_id).order_by(UserSanction.id.desc())))


def is_in_force(sanction: UserSanction, now: datetime | None = None) -> bool:
    now = now or utcnow()
    return sanction.lifted_at is None and (sanction.ends_at is None or sanction.ends_at > now)


# ------------------------------------------------------------------ settings
def update_settings(values: dict[str, int], moderator) -> dict[str, list[int]]:
    """Store the settings that changed; returns {key: [old, new]} (and logs it when anything changed)."""
    current = all_settings()
    changed: dict[str, list[int]] = {}
    for key, value in values.items():
        spec = SPECS.get(key)
        if spec is None:
            raise ModerationError(f"There is no setting called {key!r}.")
        if not isinstance(value, int) or isinstance(value, bool) or not spec.minimum <= value <= spec.maximum:
            raise ModerationError(f"{spec.label} must be a whole number from {spec.minimum} to {spec.maximum}.")
        if current[key] != value:
            changed[key] = [current[key], value]
            set_setting(key, value, moderator.id)
    if changed:
        log_action(moderator, "settings", "settings", 0, "", changes=changed)
    return changed


# ------------------------------------------------------------------ watched words
def _clean_word(pattern: str, is_regex: bool, action: str, except_id: int | None = None) -> str:
    pattern = (pattern or "").strip()
    if not pattern:
        raise ModerationError("Enter a word, a phrase or a regular expression.")
    if len(pattern) > MAX_PATTERN:
        raise ModerationError(f"Keep the pattern under {MAX_PATTERN} characters.")
    if action not in WATCHED_WORD_ACTIONS:
        raise ModerationError(f"Choose what happens to a matching post: {', '.join(WATCHED_WORD_ACTIONS)}.")
    try:
        compiled = compile_pattern(pattern, bool(is_regex))
    except InvalidPattern as exc:
        raise ModerationError(str(exc)) from None
    if compiled.search("") is not None:
        raise ModerationError("That pattern matches empty text, so it would catch every post.")
    clash = db.session.scalar(sa.select(WatchedWord).where(sa.func.lower(WatchedWord.pattern) == pattern.lower()))
    if clash is not None and clash.id != except_id:
        raise Conflict(f"“{pattern}” is already a watched word ({clash.action}).")
    return pattern


def add_word(pattern: str, is_regex: bool, action: str, moderator) -> WatchedWord:
    pattern = _clean_word(pattern, is_regex, action)
    word = WatchedWord(pattern=pattern, is_regex=bool(is_regex), action=action, created_by_id=moderator.id)
    db.session.add(word)
    db.session.flush()
    log_action(moderator, "word_add", "word", word.id, "", pattern=pattern, is_regex=bool(is_regex), word_action=action)
    return word


def update_word(word: WatchedWord, pattern: str, is_regex: bool, action: str, moderator) -> None:
    pattern = _clean_word(pattern, is_regex, action, except_id=word.id)
    before = {"pattern": word.pattern, "is_regex": word.is_regex, "word_action": word.action}
    if (pattern, bool(is_regex), action) == (word.pattern, word.is_regex, word.action):
        raise Conflict("Nothing changed.")
    word.pattern, word.is_regex, word.action = pattern, bool(is_regex), action
    log_action(moderator, "word_edit", "word", word.id, "", before=before,
               after={"pattern": pattern, "is_regex": bool(is_regex), "word_action": action})


def delete_word(word: WatchedWord, moderator) -> None:
    log_action(moderator, "word_delete", "word", word.id, "", pattern=word.pattern, is_regex=word.is_regex,
               word_action=word.action)
    db.session.delete(word)


def watched_words() -> list[WatchedWord]:
    return list(db.session.scalars(sa.select(WatchedWord).order_by(WatchedWord.action, WatchedWord.pattern)))


def unchecked_word_ids(words: list[WatchedWord]) -> set[int]:
    """Words that no longer compile (saved before regexes ran on RE2, or edited in the database).

    Posts are not checked against them, so the list tells moderators to edit them.
    """
    broken = set()
    for word in words:
        try:
            compile_pattern(word.pattern, word.is_regex)
        except InvalidPattern:
            broken.add(word.id)
    return broken
