"""Creating an account through a link mailed to the address.

"Create an account" answers the same whether the address has one or not, so it does not
tell an attacker which addresses are customers': the address gets either a link that
creates the account or a note that it has one already. The link carries the request,
signed and valid for LINK_HOURS (the password only as its hash), so nothing is stored until
the address's owner follows it. Both branches hash the password, so they take as long.
"""

from __future__ import annotations

from flask import current_app, request, url_for
from itsdangerous import BadSignature, URLSafeTimedSerializer
from werkzeug.security import generate_password_hash

from portal.auth.models import User
from portal.auth.passwords import check_password_policy
from portal.auth.services import clean_display_name, create_user_with_hash, find_user_by_email, normalise_email
from portal.errors import DomainError
from portal.mail import send_mail

LINK_HOURS = 24


class RegistrationLinkError(DomainError):
    status = 400


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt="register")


def _absolute(path: str) -> str:
    """A link for an email: on PUBLIC_URL when set, never on a Host header an attacker chose."""
    return (current_app.config.get("PUBLIC_URL") or request.host_url.rstrip("/")) + path


def start_registration(email: str, password: str, name: str = "") -> str:
    """Check what the form may say (address format, name, password strength), then mail the
    address. Returns the address as written to."""
    email = normalise_email(email)
    name = clean_display_name(name)
    check_password_policy(password, user_inputs=[email, name])
    password_hash = generate_password_hash(password)
    brand = current_app.config["BRAND_NAME"]
    if find_user_by_email(email) is None:
        token = _serializer().dumps({"email": email, "name": name, "hash": password_hash})
        link = _absolute(url_for("auth.confirm_registration", token=token))
        body = (f"To finish creating your {brand} account, open this link within {LINK_HOURS} hours:\n\n{link}\n\n"
                "If you did not ask for an account, ignore this email and nothing will be created.")
        send_mail(email, f"Finish creating your {brand} account", body)
    else:
        body = (f"Someone asked to create a {brand} account with this address, but you have one already. "
                f"Log in here: {_absolute(url_for('auth.login'))}\n\n"
                "If it was not you, you can ignore this email: nothing has changed.")
        send_mail(email, f"You already have a {brand} account", body)
    return email


def read_registration_link(token: str) -> dict:
    """What a link asks for, or RegistrationLinkError when it is forged, damaged or too old."""
    try:
        data = _serializer().loads(token, max_age=LINK_HOURS * 3600)
    except BadSignature:
        raise RegistrationLinkError("This link is not valid or has expired. Please create your account again.") \
            from None
    if not isinstance(data, dict) or not all(isinstance(data.get(k), str) for k in ("email", "name", "hash")):
        raise RegistrationLinkError("This link is not valid. Please create your account again.")
    return data


def finish_registration(token: str) -> User | None:
    """The new customer account, or None when the address has one already (the link was used)."""
    data = read_registration_link(token)
    if find_user_by_email(data["email"]) is not None:
        return None
    return create_user_with_hash(data["email"], data["hash"], ["customer"], name=data["name"])
