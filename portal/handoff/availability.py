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
from portal.hours import business_hours_text, is_open
from portal.tickets.models import AgentPresence, Ticket


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


def within_business_hours(now: datetime | None = None) -> bool:
    local = (now or utcnow()).replace(tzinfo=ZoneInfo("UTC")).astimezone(ZoneInfo(current_app.config["BUSINESS_TIMEZONE"]))
    return is_open(current_app.config["BUSINESS_HOURS"], local)


def expected_reply(ticket: Ticket) -> str:
    hours = current_app.config["SLA_HOURS"][ticket.priority]
    return f"within {int(hours)} hour{'s' if hours != 1 else ''}" if hours < 48 else f"within {int(hours // 24)} days"


def availability_notice(ticket: Ticket) -> str | None:
    """The honest message when nobody can pick up now, or None when someone can."""
    open_now = within_business_hours()
    if open_now and agents_online(ticket.team_id):
        return None
    why = ("Our team is offline right now" if open_now else
           f"Our team answers live {business_hours_text()}")
    return (f"{why}, so nobody can pick this up straight away. Your ticket {ticket.number} is open with "
            f"everything you've told us, and we'll reply {expected_reply(ticket)}. You can follow it and "
            "answer under My tickets.")
