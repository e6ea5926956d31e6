"""Whom a failed login counts against: the account, from wherever it is tried.

The per-address limit slows one attacker; it does nothing against many addresses guessing
one account, so failed logins also count per account (LOGIN_ACCOUNT_RATE_LIMIT). That alone
would let anyone lock a person out of their own account by failing on purpose, so a browser
that has signed in to the account before carries a signed "device" cookie and counts in a
budget of its own (OWASP's device cookies): the guesser fills the account's budget, the owner
keeps theirs.
"""

from __future__ import annotations

import secrets

from flask import current_app, request
from itsdangerous import BadSignature, URLSafeSerializer

DEVICE_COOKIE = "calmline_device"
DEVICE_COOKIE_DAYS = 365


def _serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt="login-device")


def submitted_email() -> str:
    """The account a login form names, as accounts are looked up (``find_user_by_email``)."""
    return (request.form.get("email") or "").strip().lower()[:254]


def _device_of(email: str) -> str | None:
    try:
        data = _serializer().loads(request.cookies.get(DEVICE_COOKIE, ""))
    except BadSignature:
        return None
    if isinstance(data, dict) and data.get("email") == email and isinstance(data.get("device"), str):
        return data["device"]
    return None


def login_account_key() -> str:
    """The rate-limit key of this login attempt: the account's, or a known browser's own."""
    email = submitted_email()
    device = _device_of(email)
    return f"device:{device}" if device else f"account:{email}"


def login_failed(response) -> bool:
    return response.status_code == 401


def remember_device(response, email: str) -> None:
    """After a successful login: this browser has its own budget for this account from now on."""
    config = current_app.config
    device = _device_of(email) or secrets.token_urlsafe(16)
    value = _serializer().dumps({"email": email, "device": device})
    response.set_cookie(DEVICE_COOKIE, value, max_age=DEVICE_COOKIE_DAYS * 86400, httponly=True, samesite="Lax",
                        secure=config["SESSION_COOKIE_SECURE"])
