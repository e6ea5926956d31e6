"""Account rules: creating users, roles and passwords."""

from __future__ import annotations

import re
import unicodedata
from functools import cache

import sqlalchemy as sa
from email_validator import EmailNotValidError, validate_email
from flask import current_app
from sqlalchemy.exc import IntegrityError
from werkzeug.security import check_password_hash, generate_password_hash

from portal.auth.models import ROLES, LoginSession, Role, User
from portal.auth.passwords import check_password_policy
from portal.auth.permissions import STAFF
from portal.clock import utcnow
from portal.errors import DomainError
from portal.extensions import db
from portal.plaintext import mixes_scripts, visible_text


class AccountError(DomainError):
    status = 400


class DisplayNameError(AccountError):
    """The name is refused (the form shows it under the name, not the email)."""


# Words in a name that would make a customer read as staff ("Brightnest Support", "Admin").
STAFF_WORDS = frozenset({"admin", "administrator", "moderator", "support", "staff", "official", "helpdesk"})
BADGE_MARKS = frozenset("\u2713\u2714\u2611\u2705\U0001f5f8")  # check marks: a "verified" badge


def normalise_email(email: str) -> str:
    """The address as stored, or AccountError. Before the @ only ASCII (``allow_smtputf8=False``):
    a look-alike letter there ("cu\u0455tomer@" with a Cyrillic one) would make a second account
    that reads like the first; in the domain no label may mix scripts ("ex\u0430mple.com")."""
    try:
        result = validate_email(email.strip(), check_deliverability=False, allow_smtputf8=False)
    except EmailNotValidError as exc:
        raise AccountError(str(exc)) from exc
    if mixes_scripts(result.domain):
        raise AccountError("The part after the @-sign mixes letters of different alphabets.")
    return result.normalized.lower()


def clean_display_name(name: str, roles=("customer",)) -> str:
    """The name as shown to others: no invisible characters, no mixed scripts in a word, and for
    a customer nothing that reads as staff (the brand, "Support", "Admin", a check mark)."""
    name = visible_text(name)
    if mixes_scripts(name):
        raise DisplayNameError("Write each word of your name in one alphabet.")
    if set(roles) & set(STAFF):
        return name
    folded = unicodedata.normalize("NFKC", name).casefold()
    words = set(re.split(r"[\W_\d]+", folded))
    brand = current_app.config.get("BRAND_NAME", "").casefold()
    squashed = re.sub(r"[\W_]+", "", folded)
    if words & STAFF_WORDS or (brand and brand in squashed) or BADGE_MARKS & set(name):
        raise DisplayNameError("That name is kept for our staff. Please choose another.")
    return name


def get_or_create_role(name: str) -> Role:
    if name not in ROLES:
        raise AccountError(f"Unknown role {name!r}; choose from {', '.join(ROLES)}.")
    role = db.session.scalar(sa.select(Role).where(Role.name == name))
    if role is None:
        role = Role(name=name)
        db.session.add(role)
    return role


def find_user_by_email(email: str) -> User | None:
    return db.session.scalar(sa.select(User).where(User.email == email.strip().lower()))


def create_user(email: str, password: str, roles: list[str] | tuple[str, ...] = ("customer",),
                name: str = "") -> User:
    email = normalise_email(email)
    name = clean_display_name(name, roles)
    _refuse_taken(email)
    check_password_policy(password, user_inputs=[email, name])
    return create_user_with_hash(email, generate_password_hash(password), roles, name=name)


def _refuse_taken(email: str) -> None:
    # Staff creating accounts are told; the public registration form never is (auth.registration).
    if find_user_by_email(email) is not None:
        raise AccountError("An account with that email already exists.")


def create_user_with_hash(email: str, password_hash: str, roles: list[str] | tuple[str, ...] = ("customer",),
                          name: str = "") -> User:
    """Create the account with a password hashed earlier (a registration link carries only the hash)."""
    email = normalise_email(email)
    name = clean_display_name(name, roles)
    _refuse_taken(email)
    user = User(email=email, name=name, password_hash=password_hash)
    user.roles = [get_or_create_role(r) for r in dict.fromkeys(roles)]
    db.session.add(user)
    try:
        db.session.commit()
    except IntegrityError:  # the same address, created a moment ago by another request
        db.session.rollback()
        raise AccountError("An account with that email already exists.") from None
    return user


@cache
def _dummy_hash() -> str:
    """A hash made like every user's (werkzeug's default scrypt), for addresses with no account."""
    return generate_password_hash("no account has this password")


def authenticate(email: str, password: str) -> User | None:
    """The user, or None. An unknown address costs one password check too, so the answer's
    timing does not tell which addresses have accounts."""
    user = find_user_by_email(email)
    if user is None:
        check_password_hash(_dummy_hash(), password)
        return None
    if not user.check_password(password):
        return None
    if not user.is_active:
        return None
    user.last_login_at = utcnow()
    db.session.commit()
    return user


def change_password(user: User, current: str, new: str) -> None:
    if not user.check_password(current):
        raise AccountError("Your current password is not correct.")
    check_password_policy(new, user_inputs=[user.email, user.name])
    user.set_password(new)
    # A new password ends every sign-in: whoever had a copy of a cookie is out.
    db.session.execute(sa.delete(LoginSession).where(LoginSession.user_id == user.id))
    db.session.commit()
