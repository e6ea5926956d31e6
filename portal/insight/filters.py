"""The dashboard's filters, read from the query string: a range of days, a team, a channel.

Days are UTC, both ends included. Anything unreadable is refused with a 400 that says what
to send, never a 500: a supervisor's mistyped link gets a page that explains it.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from portal.conversations.models import CHANNELS
from portal.errors import DomainError
from portal.tickets.models import TEAMS

DEFAULT_DAYS = 30
MAX_DAYS = 366
EARLIEST, LATEST = date(2000, 1, 1), date(2099, 12, 31)
DAY_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
CHANNEL_NAMES = {"chat": "Chat widget", "forum": "Community forum", "message": "Left a message"}


class FilterError(DomainError):
    status = 400


@dataclass(frozen=True)
class Filters:
    start: date
    end: date  # included
    team: str | None  # a slug of TEAMS, None for every team
    channel: str | None  # one of CHANNELS, None for every channel
    now: datetime  # "still running" and "breached" are judged at this instant

    @property
    def start_at(self) -> datetime:
        return datetime.combine(self.start, time.min)

    @property
    def end_before(self) -> datetime:
        return datetime.combine(self.end + timedelta(days=1), time.min)

    def days(self) -> list[date]:
        return [self.start + timedelta(days=i) for i in range((self.end - self.start).days + 1)]

    def query(self) -> dict[str, str]:
        """The filters as query-string arguments (the export links carry the same ones)."""
        return {"from": self.start.isoformat(), "to": self.end.isoformat(), "team": self.team or "",
                "channel": self.channel or ""}

    def slug(self) -> str:
        return f"{self.start}_to_{self.end}_{self.team or 'all-teams'}_{self.channel or 'all-channels'}"


def parse_filters(args: Mapping[str, str], now: datetime) -> Filters:
    today = now.date()
    end = _day(args.get("to"), "to", today)
    start = _day(args.get("from"), "from", end - timedelta(days=DEFAULT_DAYS - 1))
    if start > end:
        raise FilterError("'from' must be on or before 'to'.")
    if (end - start).days + 1 > MAX_DAYS:
        raise FilterError(f"Choose at most {MAX_DAYS} days.")
    team = _choice(args.get("team"), "team", tuple(TEAMS))
    channel = _choice(args.get("channel"), "channel", CHANNELS)
    return Filters(start=start, end=end, team=team, channel=channel, now=now)


def _day(raw: str | None, name: str, default: date) -> date:
    if raw is None or raw.strip() == "":
        return default
    raw = raw.strip()
    try:
        day = date.fromisoformat(raw) if DAY_RE.match(raw) else None
    except ValueError:
        day = None
    if day is None:
        raise FilterError(f"'{name}' must be a date written YYYY-MM-DD.")
    if not EARLIEST <= day <= LATEST:
        raise FilterError(f"'{name}' must be between {EARLIEST} and {LATEST}.")
    return day


def _choice(raw: str | None, name: str, allowed: tuple[str, ...]) -> str | None:
    if raw is None or raw.strip() in ("", "all"):
        return None
    if raw.strip() not in allowed:
        raise FilterError(f"'{name}' must be one of: all, {', '.join(allowed)}.")
    return raw.strip()
