"""The console's inbox settings: the agent's own availability and the people a conversation can
be passed to, each with theirs. The rules are portal.handoff.availability's."""

from __future__ import annotations

import sqlalchemy as sa

from portal.auth.models import Role, User
from portal.auth.permissions import TICKET_ASSIGNEES
from portal.extensions import db
from portal.handoff.availability import availability_by_user

ORDER = {"available": 0, "away": 1, "offline": 2}


def people_to_pass_to(me: User) -> list[dict]:
    """Everyone a ticket can be passed to (agents and supervisors, active), available first, then
    by name; the server still checks the one chosen (agent.services.transfer)."""
    users = list(db.session.scalars(sa.select(User).join(User.roles).where(
        Role.name.in_(TICKET_ASSIGNEES), User.active.is_(True)).distinct()))
    status = availability_by_user(users)
    people = [{"id": u.id, "name": u.name or u.email, "availability": status[u.id],
               "teams": sorted(t.slug for t in u.teams), "me": u.id == me.id} for u in users]
    return sorted(people, key=lambda p: (ORDER[p["availability"]], p["name"].lower()))
