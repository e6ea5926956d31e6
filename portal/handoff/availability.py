"""Whether anybody can pick a handoff up now: agents' presence and business hours, and the
honest message to the customer when nobody can."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from flask import current_app

from portal.auth.models import User
from portal.auth.permissions import can, sees_all, team_ids
from portal.clock import utcnow
from portal.extensions import db
from portal.tickets.models import AgentPresence, Ticket

DAYS = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]


def touch_presence(user: User) -> None:
    row = db.session.get(AgentPresence, user.id)
    if row is None:
        db.session.add(AgentPresence(user_id=user.id, last_seen_at=utcnow()))
    else:
        row.last_seen_at = utcnow()
    db.session.commit()


def agents_online(team_id: int | None) -> int:
    since = utcnow() - timedelta(seconds=current_app.config["PRESENCE_SECONDS"])
    users = db.session.scalars(sa.select(User).join(AgentPresence, AgentPresence.user_id == User.id)
                               .where(AgentPresence.last_seen_at >= since, User.active.is_(True)))
    return sum(1 for u in users if can("take_tickets", user=u)
               and (team_id is None or sees_all(u) or team_id in team_ids(u)))


def parse_business_hours(spec: str) -> tuple[set[int], int, int]:
    """"Mon-Fri 09:00-17:00" -> ({0..4}, 540, 1020). "always" means every minute."""
    spec = spec.strip().lower()
    if spec in ("always", "24/7"):
        return set(range(7)), 0, 24 * 60
    try:
        days, hours = spec.split()
        first, _, last = days.partition("-")
        start_day, end_day = DAYS.index(first[:3]), DAYS.index((last or first)[:3])
        opens, _, closes = hours.partition("-")
        to_min = lambda hm: int(hm.split(":")[0]) * 60 + int(hm.split(":")[1])  # noqa: E731
        day_set = {d % 7 for d in range(start_day, start_day + ((end_day - start_day) % 7) + 1)}
        return day_set, to_min(opens), to_min(closes)
    except (ValueError, IndexError) as exc:
        raise ValueError(f"BUSINESS_HOURS must look like 'Mon-Fri 09:00-17:00', not {spec!r}") from exc


def within_business_hours(now: datetime | None = None) -> bool:
    days, opens, closes = parse_business_hours(current_app.config["BUSINESS_HOURS"])
    local = (now or utcnow()).replace(tzinfo=ZoneInfo("UTC")).astimezone(ZoneInfo(current_app.config["BUSINESS_TIMEZONE"]))
    minute = local.hour * 60 + local.minute
    return local.weekday() in days and opens <= minute < closes


def expected_reply(ticket: Ticket) -> str:
    hours = current_app.config["SLA_HOURS"][ticket.priority]
    return f"within {int(hours)} hour{'s' if hours != 1 else ''}" if hours < 48 else f"within {int(hours // 24)} days"


def availability_notice(ticket: Ticket) -> str | None:
    """The honest message when nobody can pick up now, or None when someone can."""
    open_now = within_business_hours()
    if open_now and agents_online(ticket.team_id):
        return None
    why = ("Our team is offline right now" if open_now else
           f"Our team answers live during business hours ({current_app.config['BUSINESS_HOURS']})")
    return (f"{why}, so nobody can pick this up straight away. Your ticket {ticket.number} is open with "
            f"everything you've told us, and we'll reply {expected_reply(ticket)}. You can follow it and "
            "answer under My tickets.")
