"""Role checks attached to views as decorators."""

from __future__ import annotations

from functools import wraps

from flask import abort
from flask_login import current_user


def role_required(*roles: str):
    """Allow the view only to signed-in users holding one of ``roles`` (401 otherwise 403)."""

    def decorator(view):
        @wraps(view)
        def wrapped(*args, **kwargs):
            if not current_user.is_authenticated:
                abort(401)
            if not current_user.has_role(*roles):
                abort(403)
            return view(*args, **kwargs)

        return wrapped

    return decorator


def is_staff() -> bool:
    return bool(current_user.is_authenticated and current_user.is_staff)


def sees_all(user) -> bool:
    """Supervisors and admins see every team's tickets; agents see their teams' and their own."""
    return user.has_role("supervisor", "admin")


def team_ids(user) -> list[int]:
    return [t.id for t in getattr(user, "teams", [])]
