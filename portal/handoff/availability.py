"""Whether anybody can pick a handoff up now: agents' availability and business hours, and the
honest message to the customer when nobody can.

An agent is available when they chose "available" in the console (agents who never chose are
available; supervisors and admins must choose it, and count only if they also hold the agent
role) and their console checked in within PRESENCE_SECONDS. Away and offline never count.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from flask import current_app

from portal import errors
from portal.auth.models import User
from portal.auth.permissions import holds, sees_all, team_ids
from portal.clock import utcnow
from portal.extensions import db
from portal.hours import business_hours_text, is_open
from portal.tickets.models import AgentPresence, Ticket

AVAILABILITY = ("available", "away", "offline")
AGENT_ROLE = ("agent",)


class AvailabilityError(errors.DomainError):
    status = 400


def touch_presence(user: User) -> None:
    row = db.session.get(AgentPresence, user.id)
    if row is None:
        db.session.add(AgentPresence(user_id=user.id, last_seen_at=utcnow()))
    else:
        row.last_seen_at = utcnow()
    db.session.commit()


def set_availability(user: User, status) -> str:
    """The agent's own choice; it also counts as their console checking in."""
    if not isinstance(status, str) or status not in AVAILABILITY:
        raise AvailabilityError("'status' must be available, away or offline.")
    row = db.session.get(AgentPresence, user.id)
    if row is None:
        row = AgentPresence(user_id=user.id)
        db.session.add(row)
    row.availability, row.last_seen_at = status, utcnow()
    db.session.commit()
    return status


def chosen_availability(user: User, chosen: str | None) -> str:
    """What the agent chose, or for one who never chose: available for agents, offline for
    supervisors and admins (they are on the desk only when they say so)."""
    if chosen in AVAILABILITY:
        return chosen
    return "available" if holds(user, AGENT_ROLE) and not sees_all(user) else "offline"


def _since() -> datetime:
    return utcnow() - timedelta(seconds=current_app.config["PRESENCE_SECONDS"])


def availability_of(user: User, row: AgentPresence | None, since: datetime | None = None) -> str:
    """Offline when the console is closed, whatever was chosen."""
    if row is None or row.last_seen_at < (since or _since()):
        return "offline"
    return chosen_availability(user, row.availability)


def my_availability(user: User) -> str:
    """The switch's position: the agent's choice (or its default), even with the console just opened."""
    row = db.session.get(AgentPresence, user.id)
    return chosen_availability(user, row.availability if row else None)


def availability_by_user(users: list[User]) -> dict[int, str]:
    ids = [u.id for u in users]
    rows = {r.user_id: r for r in db.session.scalars(sa.select(AgentPresence).where(AgentPresence.user_id.in_(ids)))}
    since = _since()
    return {u.id: availability_of(u, rows.get(u.id), since) for u in users}


def counts_as_available(user: User, row: AgentPresence | None, since: datetime | None = None) -> bool:
    """Who the customer may be promised: an active agent whose console is open and who is available."""
    return bool(user.active and holds(user, AGENT_ROLE) and availability_of(user, row, since) == "available")


def agents_available(team_id: int | None) -> int:
    """Available agents who can see the team's queue (any team's when None)."""
    since = _since()
    rows = db.session.execute(sa.select(User, AgentPresence).join(AgentPresence, AgentPresence.user_id == User.id)
                              .where(AgentPresence.last_seen_at >= since, User.active.is_(True))).all()
    return sum(1 for user, row in rows if counts_as_available(user, row, since)
               and (team_id is None or sees_all(user) or team_id in team_ids(user)))


def within_business_hours(now: datetime | None = None) -> bool:
    local = (now or utcnow()).replace(tzinfo=ZoneInfo("UTC")).astimezone(ZoneInfo(current_app.config["BUSINESS_TIMEZONE"]))
    return is_open(current_app.config["BUSINESS_HOURS"], local)


def expected_reply(ticket: Ticket) -> str:
    hours = current_app.config["SLA_HOURS"][ticket.priority]
    return f"within {int(hours)} hour{'s' if hours != 1 else ''}" if hours < 48 else f"within {int(hours // 24)} days"


def availability_notice(ticket: Ticket) -> str | None:
    """The honest message when nobody can pick up now, or None when someone can."""
    open_now = within_business_hours()
    if open_now and agents_available(ticket.team_id):
        return None
    why = ("Nobody from our team is available right now" if open_now else
           f"Our team answers live {business_hours_text()}")
    return (f"{why}, so nobody can pick this up straight away. Your ticket {ticket.number} is open with "
            f"everything you've told us, and we'll reply {expected_reply(ticket)}. You can follow it and "
            "answer under My tickets.")
