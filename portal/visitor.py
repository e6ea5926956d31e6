"""An anonymous visitor's id: a random token in an HttpOnly cookie."""

from __future__ import annotations

import re
import secrets

from flask import current_app, g, request
from flask_login import current_user

COOKIE = "calmline_visitor"
_VALID = re.compile(r"^[A-Za-z0-9_-]{20,64}$")


def visitor_id(create: bool = True) -> str | None:
    if "visitor_id" in g:
        return g.visitor_id
    value = request.cookies.get(COOKIE, "")
    if not _VALID.match(value):
        if not create:
            return None
        value = secrets.token_urlsafe(24)
        g.set_visitor_cookie = True
    g.visitor_id = value
    return value


def current_owner(create: bool = True) -> tuple[int | None, str | None]:
    """Who owns what this request looks at: the signed-in user's id, else the visitor cookie.
    ``create=False`` for pages that only look, so looking never hands out a cookie."""
    if current_user.is_authenticated:
        return current_user.id, None
    return None, visitor_id(create=create)


def init_app(app) -> None:
    @app.after_request
    def set_cookie(response):
        if g.get("set_visitor_cookie"):
            response.set_cookie(
                COOKIE, g.visitor_id, max_age=365 * 24 * 3600, httponly=True, samesite="Lax",
                secure=current_app.config["SESSION_COOKIE_SECURE"],
            )
        return response
