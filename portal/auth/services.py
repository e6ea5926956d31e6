"""Account rules: creating users, roles and passwords."""

from __future__ import annotations

import sqlalchemy as sa
from email_validator import EmailNotValidError, validate_email

from portal.auth.models import ROLES, Role, User
from portal.auth.passwords import check_password_policy
from portal.clock import utcnow
from portal.errors import DomainError
from portal.extensions import db


class AccountError(DomainError):
    status = 400


def normalise_email(email: str) -> str:
    try:
        return validate_email(email.strip(), check_deliverability=False).normalized.lower()
    except EmailNotValidError as exc:
        raise AccountError(str(exc)) from exc


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
    if find_user_by_email(email) is not None:
        raise AccountError("An account with that email already exists.")
    check_password_policy(password, user_inputs=[email, name])
    user = User(email=email, name=name.strip())
    user.set_password(password)
    user.roles = [get_or_create_role(r) for r in dict.fromkeys(roles)]
    db.session.add(user)
    db.session.commit()
    return user


def authenticate(email: str, password: str) -> User | None:
    user = find_user_by_email(email)
    if user is None or not user.check_password(password):
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
    db.session.commit()
