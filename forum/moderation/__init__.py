"""The one gate every new thread, reply and edit goes through: ``admission``.

It decides whether a text may be posted, and whether it goes out at once or waits for a
moderator: members under a suspension or ban are refused, watched words block, hold or
flag a post, a new member's first posts can wait for approval, and members who post
too fast are told to wait. The posting services only read the answer (and turn
``flag_words`` into a system flag on the saved post), so the rules can change here
without touching them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import lru_cache
from typing import Literal

import re2
import sqlalchemy as sa

from forum.models import Post, UserSanction, WatchedWord
from forum.settings import get_setting
from portal.auth.permissions import can
from portal.clock import utcnow
from portal.errors import DomainError
from portal.extensions import db

# Why a post was refused, and the HTTP status an API answers with.
REFUSAL_STATUS = {"login": 401, "sanction": 403, "watched_word": 422, "rate_limit": 429}


@dataclass(frozen=True)
class Admission:
    allowed: bool
    status: Literal["published", "pending"] = "published"
    reason: str = ""  # for a refusal, why; for "pending", what the author is told
    flag_words: list[str] = field(default_factory=list)
    refusal: str = ""  # a key of REFUSAL_STATUS when not allowed
    retry_after: int | None = None  # seconds, for a rate-limit refusal

    @property
    def http_status(self) -> int:
        return REFUSAL_STATUS.get(self.refusal, 200 if self.allowed else 403)


def is_moderator(user) -> bool:
    return user is not None and can("moderate", user=user)


# ------------------------------------------------------------------ sanctions
def active_sanction(user, now: datetime | None = None) -> UserSanction | None:
    """The suspension or ban in force for ``user``, the longest-lasting first (a ban before any suspension)."""
    if user is None or getattr(user, "id", None) is None:
        return None
    now = now or utcnow()
    return db.session.scalar(
        sa.select(UserSanction)
        .where(UserSanction.user_id == user.id, UserSanction.kind.in_(("suspend", "ban")),
               UserSanction.lifted_at.is_(None),
               sa.or_(UserSanction.ends_at.is_(None), UserSanction.ends_at > now))
        .order_by(UserSanction.ends_at.is_not(None), UserSanction.ends_at.desc())
        .limit(1)
    )


def sanction_message(sanction: UserSanction) -> str:
    if sanction.kind == "ban" or sanction.ends_at is None:
        text = "Your account has been banned from posting in the community."
    else:
        until = sanction.ends_at.strftime("%d %B %Y at %H:%M UTC")
        text = f"Your account is suspended from posting in the community until {until}."
    if sanction.reason:
        text += f" Reason given: {sanction.reason}"
    return text


# ------------------------------------------------------------------ watched words
class InvalidPattern(DomainError):
    """A watched word's regular expression does not compile, or needs a backtracking engine."""

    status = 400


# A moderator's regex runs on every member's post. Python's engine backtracks: `(a+)+$`
# against a long post runs for minutes and holds the worker. RE2 matches in time linear in
# the text, and refuses the constructs only backtracking can run (backreferences, look-arounds).
_NO_BACKTRACKING = (" Watched words match in time proportional to the post (RE2 syntax), so they cannot use "
                    r"backreferences (\1) or look-arounds ((?=…), (?!…), (?<=…), (?<!…)).")
_BACKTRACKING_ONLY = re.compile(r"invalid perl operator: \(\?<?[=!]|invalid escape sequence: \\[0-9]")


def _re2_options() -> re2.Options:
    options = re2.Options()
    options.case_sensitive = False
    options.log_errors = False  # a refused pattern is the moderator's answer, not a log line
    return options


def _re2_error(exc: Exception) -> str:
    detail = exc.args[0] if exc.args else ""
    detail = (detail.decode("utf-8", "replace") if isinstance(detail, bytes) else str(detail)) or "not valid"
    return f"{detail}.{_NO_BACKTRACKING if _BACKTRACKING_ONLY.search(detail) else ''}"


@lru_cache(maxsize=512)
def compile_pattern(pattern: str, is_regex: bool) -> re2._Regexp | re.Pattern:
    """Regexes as written (RE2); plain words (or phrases) match whole words only, so "ass" spares "class".

    A plain word is escaped text, which Python's engine finds without backtracking; its
    look-arounds give whole-word matching with Unicode letters, which RE2's ASCII \\b would not.
    """
    if is_regex:
        try:
            return re2.compile(pattern, _re2_options())
        except re2.error as exc:
            raise InvalidPattern(f"That regular expression does not work: {_re2_error(exc)}") from None
    return re.compile(rf"(?<!\w){re.escape(pattern.strip())}(?!\w)", re.IGNORECASE)


@dataclass(frozen=True)
class WordMatch:
    word: WatchedWord
    found: str  # the text that matched, as the author wrote it


def watched_word_matches(text: str) -> list[WordMatch]:
    matches = []
    for word in db.session.scalars(sa.select(WatchedWord).order_by(WatchedWord.id)):
        try:
            found = compile_pattern(word.pattern, word.is_regex).search(text)
        except InvalidPattern:  # saved before validation existed, or edited in the database: skip it
            continue
        if found:
            matches.append(WordMatch(word, found.group(0)))
    return matches


# ------------------------------------------------------------------ rate limit and approval
def rate_limit_refusal(user, now: datetime | None = None) -> Admission | None:
    limit, minutes = int(get_setting("post_rate_limit_posts")), int(get_setting("post_rate_limit_minutes"))
    if limit <= 0:
        return None
    now = now or utcnow()
    since = now - timedelta(minutes=minutes)
    recent = db.session.execute(
        sa.select(sa.func.count(Post.id), sa.func.min(Post.created_at))
        .where(Post.author_id == user.id, Post.created_at > since)
    ).one()
    if recent[0] < limit:
        return None
    wait = max(1, int((recent[1] + timedelta(minutes=minutes) - now).total_seconds()))
    wait_text = f"{-(-wait // 60)} minute{'s' if wait > 60 else ''}"
    return Admission(
        allowed=False, status="pending", refusal="rate_limit", retry_after=wait,
        reason=(f"You are posting faster than the community allows ({limit} posts every {minutes} minutes). "
                f"Please try again in about {wait_text}; your text is still in the form."),
    )


def needs_approval(user) -> int:
    """How many posts a new member must have published before posting freely (0 when they need none)."""
    required = int(get_setting("new_user_approval_posts"))
    if required <= 0:
        return 0
    published = db.session.scalar(
        sa.select(sa.func.count(Post.id)).where(Post.author_id == user.id, Post.status == "published"))
    return required if published < required else 0


# ------------------------------------------------------------------ the gate
def admission(user, title: str, body: str, *, editing: bool = False) -> Admission:
    """May ``user`` post this text (a thread's title and first post, or a reply with title="")?

    ``editing``: the text replaces a post already counted, so the rate limit and first-post
    approval do not apply again; sanctions and watched words do.
    """
    if user is None or not getattr(user, "is_authenticated", False):
        return Admission(allowed=False, status="pending", refusal="login",
                         reason="Please log in to post in the community.")
    sanction = active_sanction(user)
    if sanction is not None:
        return Admission(allowed=False, status="pending", refusal="sanction", reason=sanction_message(sanction))

    moderator = is_moderator(user)
    matches = watched_word_matches(f"{title}\n{body}")
    blocked = [m for m in matches if m.word.action == "block"]
    if blocked:
        found = ", ".join(f"“{m.found}”" for m in blocked)
        return Admission(allowed=False, status="pending", refusal="watched_word",
                         reason=f"Your post contains {found}, which is not allowed in the community. "
                                "Please change it and try again.")
    if not moderator and not editing:
        limited = rate_limit_refusal(user)
        if limited is not None:
            return limited
    if moderator:  # moderators are not held or flagged: they would only be approving themselves
        return Admission(allowed=True, status="published")

    held = [m for m in matches if m.word.action == "hold"]
    if held:
        return Admission(allowed=True, status="pending",
                         reason="Thanks! Your post will appear once a moderator has checked it.")
    flag_words = list(dict.fromkeys(m.word.pattern for m in matches if m.word.action == "flag"))
    if not editing:
        required = needs_approval(user)
        if required:
            return Admission(allowed=True, status="pending", flag_words=flag_words,
                             reason=f"Thanks! A new member's first {required} posts are checked by a moderator "
                                    "before they appear; yours will show up once approved.")
    return Admission(allowed=True, status="published", flag_words=flag_words)
