"""Sign-ins that end: each one a random token with its own row, which signing out deletes.

Flask's session cookie is signed, not stored, so by itself a copied cookie keeps working
until it expires, whatever its owner does. Here the session and remember-me cookies carry
only the sign-in's token (``User.get_id``), and a token works while its row exists:
signing out deletes it, changing the password deletes all of the user's rows (the browser
that changed it gets a new one), and every sign-in makes a new token. Other browsers
stay signed in when one signs out.
"""

from __future__ import annotations

import hashlib
import secrets

import sqlalchemy as sa
from flask import current_app, request, session
from flask_login import current_user, login_user, logout_user

from portal.auth.models import LoginSession, User
from portal.clock import utcnow
from portal.extensions import db

MAX_TOKEN_LENGTH = 100


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def sign_in(user: User, remember: bool = False) -> None:
    """Start a new sign-in for ``user`` in this browser (a new token every time)."""
    now = utcnow()
    token = secrets.token_urlsafe(32)
    db.session.execute(sa.delete(LoginSession).where(LoginSession.user_id == user.id, LoginSession.expires_at <= now))
    db.session.add(LoginSession(user_id=user.id, token_hash=_digest(token),
                                expires_at=now + current_app.config["REMEMBER_COOKIE_DURATION"]))
    db.session.commit()
    user.session_token = token
    login_user(user, remember=remember)


def user_for_token(token: str) -> User | None:
    """The user of a live sign-in (flask-login's user loader), or None."""
    if not token or len(token) > MAX_TOKEN_LENGTH:
        return None
    user = db.session.scalar(sa.select(User).join(LoginSession, LoginSession.user_id == User.id)
                             .where(LoginSession.token_hash == _digest(token), LoginSession.expires_at > utcnow()))
    if user is not None:
        user.session_token = token
    return user


def sign_out() -> None:
    """End this browser's sign-in: its row, its session cookie's contents, its remember-me cookie."""
    token = getattr(current_user, "session_token", None)
    if token:
        db.session.execute(sa.delete(LoginSession).where(LoginSession.token_hash == _digest(token)))
        db.session.commit()
    session.clear()
    logout_user()  # after clear(): it asks for the remember-me cookie to be deleted


def sign_in_again(user: User) -> None:
    """After a password change ended every sign-in: this browser gets a new one (remembered if it was)."""
    remembered = current_app.config.get("REMEMBER_COOKIE_NAME", "remember_token") in request.cookies
    sign_in(user, remember=remembered)
