"""Creating an account through a link mailed to the address.

"Create an account" answers the same whether the address has one or not, so it does not
tell an attacker which addresses are customers': the address gets either a link that
creates the account or a note that it has one already. The request waits in
``pending_registrations`` for LINK_HOURS; the link carries only a random token, whose SHA-256
is all the table keeps, so the password's hash never leaves the database and a link is good
once. Both branches hash the password, so they take as long.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

import sqlalchemy as sa
from flask import current_app, request, url_for
from werkzeug.security import generate_password_hash

from portal.auth.models import PendingRegistration, User
from portal.auth.passwords import check_password_policy
from portal.auth.services import clean_display_name, create_user_with_hash, find_user_by_email, normalise_email
from portal.clock import utcnow
from portal.errors import DomainError
from portal.extensions import db
from portal.mail import send_mail

LINK_HOURS = 24
MAX_TOKEN_LENGTH = 100
PENDING_PER_ADDRESS = 5  # older requests for the same address are dropped


class RegistrationLinkError(DomainError):
    status = 400


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def public_url(path: str) -> str:
    """A link for an email: on PUBLIC_URL (required in production), so never on a Host header
    an attacker chose; in development, on the address the page was opened at."""
    return (current_app.config.get("PUBLIC_URL") or request.host_url.rstrip("/")) + path


def _remember(email: str, name: str, password_hash: str) -> str:
    now = utcnow()
    db.session.execute(sa.delete(PendingRegistration).where(PendingRegistration.expires_at <= now))
    older = db.session.scalars(sa.select(PendingRegistration.id).where(PendingRegistration.email == email)
                               .order_by(PendingRegistration.id.desc()).offset(PENDING_PER_ADDRESS - 1)).all()
    if older:
        db.session.execute(sa.delete(PendingRegistration).where(PendingRegistration.id.in_(older)))
    token = secrets.token_urlsafe(32)
    db.session.add(PendingRegistration(token_hash=_digest(token), email=email, name=name,
                                       password_hash=password_hash, expires_at=now + timedelta(hours=LINK_HOURS)))
    db.session.commit()
    return token


def start_registration(email: str, password: str, name: str = "") -> str:
    """Check what the form may say (address format, name, password strength), then mail the
    address. Returns the address as written to."""
    email = normalise_email(email)
    name = clean_display_name(name)
    check_password_policy(password, user_inputs=[email, name])
    password_hash = generate_password_hash(password)
    brand = current_app.config["BRAND_NAME"]
    if find_user_by_email(email) is None:
        token = _remember(email, name, password_hash)
        link = public_url(url_for("auth.confirm_registration", token=token))
        body = (f"To finish creating your {brand} account, open this link within {LINK_HOURS} hours:\n\n{link}\n\n"
                "If you did not ask for an account, ignore this email and nothing will be created.")
        send_mail(email, f"Finish creating your {brand} account", body)
    else:
        body = (f"Someone asked to create a {brand} account with this address, but you have one already. "
                f"Log in here: {public_url(url_for('auth.login'))}\n\n"
                "If it was not you, you can ignore this email: nothing has changed.")
        send_mail(email, f"You already have a {brand} account", body)
    return email


def read_registration_link(token: str) -> PendingRegistration:
    """The request a link stands for, or RegistrationLinkError when it is unknown, used or too old."""
    pending = None
    if len(token) <= MAX_TOKEN_LENGTH:
        pending = db.session.scalar(sa.select(PendingRegistration)
                                    .where(PendingRegistration.token_hash == _digest(token)))
    if pending is None or pending.expires_at <= utcnow():
        raise RegistrationLinkError("This link is not valid: it has been used or is more than a day old. If you "
                                    "finished creating your account, log in; otherwise create it again.")
    return pending


def finish_registration(token: str) -> User | None:
    """The new customer account, or None when the address has one already. The request and
    every other pending one for the address go: each link works once."""
    pending = read_registration_link(token)
    email, name, password_hash = pending.email, pending.name, pending.password_hash
    db.session.execute(sa.delete(PendingRegistration).where(PendingRegistration.email == email))
    db.session.commit()
    if find_user_by_email(email) is not None:
        return None
    return create_user_with_hash(email, password_hash, ["customer"], name=name)
