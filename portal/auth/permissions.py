"""Who may do what, in one place: the role groups, the named permissions, the view decorators.

A view is guarded by a decorator; a template, a service or a view asks ``can("moderate")``
(the signed-in visitor) or ``can("see_ticket", ticket, user=agent)``. Every answer comes
from the one registry below, so a rule changes here and nowhere else. The forum adds
its own reading rules with ``register`` (the forum imports the portal, never the reverse).
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from flask import abort
from flask_login import current_user

# ---- role groups: each defined once -------------------------------------------------------

STAFF = ("agent", "moderator", "editor", "supervisor", "admin")  # everyone but customers
SUPPORT_STAFF = ("agent", "supervisor", "admin")  # the ticket desk and the agent console
SUPERVISORS = ("supervisor", "admin")  # every team's tickets; canned responses
TICKET_ASSIGNEES = ("agent", "supervisor")  # who may be handed a ticket or a conversation
MODERATORS = ("moderator", "supervisor", "admin")  # the forum's moderation
EDITORS = ("editor", "supervisor", "admin")  # review and publish knowledge-base drafts


def holds(user, roles: tuple[str, ...]) -> bool:
    """Whether ``user`` holds one of ``roles``. Anonymous visitors hold none; a deactivated
    account keeps its roles (a former agent's old posts keep their staff badge)."""
    return bool(not getattr(user, "is_anonymous", True) and user.has_role(*roles))


def signed_in(user) -> bool:
    return bool(getattr(user, "is_authenticated", False))


def sees_all(user) -> bool:
    """Supervisors and admins see every team's tickets; agents see their teams' and their own."""
    return holds(user, SUPERVISORS)


def team_ids(user) -> list[int]:
    return [t.id for t in getattr(user, "teams", [])]


def sees_ticket(user, ticket) -> bool:
    if sees_all(user):
        return True
    return holds(user, SUPPORT_STAFF) and (ticket.assignee_id == user.id or ticket.team_id in team_ids(user))


def owns_chat(user, ticket) -> bool:
    """Who may act as the ticket's owner in its chat (write in it, pass it on, end it): its
    assignee, or a supervisor. Colleagues see it; they do not take it over."""
    return sees_all(user) or (holds(user, SUPPORT_STAFF) and ticket.assignee_id == user.id)


# ---- the named permissions ----------------------------------------------------------------

Predicate = Callable[[Any, Any], bool]  # (user, object or None) -> allowed


def _signed_in_as(roles: tuple[str, ...]) -> Predicate:
    return lambda user, obj=None: signed_in(user) and holds(user, roles)


def _holding(roles: tuple[str, ...]) -> Predicate:
    return lambda user, obj=None: holds(user, roles)


PERMISSIONS: dict[str, Predicate] = {
    "work_tickets": _signed_in_as(SUPPORT_STAFF),
    "see_ticket": sees_ticket,
    "own_chat": owns_chat,
    "see_all_tickets": _holding(SUPERVISORS),
    "take_tickets": _holding(TICKET_ASSIGNEES),
    "manage_canned_responses": _signed_in_as(SUPERVISORS),
    "moderate": _signed_in_as(MODERATORS),
    "edit_articles": _signed_in_as(EDITORS),
    "see_vote_counts": _signed_in_as(STAFF),
    "wear_staff_badge": _holding(STAFF),
    "supervise": _signed_in_as(SUPERVISORS),  # the supervisor's dashboard, the team's coaching and training
}


def can(permission: str, obj=None, user=None) -> bool:
    """Whether ``user`` (the signed-in visitor when not given) may do ``permission``, to ``obj`` if it takes one."""
    predicate = PERMISSIONS.get(permission)
    if predicate is None:
        raise LookupError(f"No permission is called {permission!r}.")
    return bool(predicate(current_user if user is None else user, obj))


def register(permission: str, predicate: Predicate) -> None:
    """Add a plug-in's permission; registering the same one again is harmless, a second meaning is not."""
    if PERMISSIONS.setdefault(permission, predicate) is not predicate:
        raise ValueError(f"The permission {permission!r} is already defined.")


def init_app(app) -> None:
    app.jinja_env.globals["can"] = can  # a global, so macros imported without context can ask too


# ---- view decorators: 401 for a visitor who is not signed in, 403 for one who may not ------

def _guard(allowed: Callable[[], bool]):
    def decorator(view):
        @wraps(view)
        def wrapped(*args, **kwargs):
            if not current_user.is_authenticated:
                abort(401)  # the error handler sends a browser to the login page
            if not allowed():
                abort(403)
            return view(*args, **kwargs)

        return wrapped

    return decorator


member_required = _guard(lambda: True)


def role_required(*roles: str):
    """Allow the view only to signed-in users holding one of ``roles`` (401 otherwise 403)."""
    return _guard(lambda: current_user.has_role(*roles))


def permission_required(permission: str):
    return _guard(lambda: can(permission))


support_staff_required = permission_required("work_tickets")
moderator_required = permission_required("moderate")
editor_required = permission_required("edit_articles")
