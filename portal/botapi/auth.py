"""Service-to-service authentication: the bot's action server sends BOT_SERVICE_TOKEN as a bearer token."""

import hmac
from functools import wraps

from flask import current_app, request

from portal.errors import json_error


def service_token_ok() -> bool:
    expected = current_app.config.get("BOT_SERVICE_TOKEN") or ""
    given = request.headers.get("Authorization", "")
    if not expected or not given.startswith("Bearer "):
        return False
    return hmac.compare_digest(given[len("Bearer "):].encode(), expected.encode())


def service_token_required(view):
    """A 401 unless the caller holds the service token (closed when none is configured)."""

    @wraps(view)
    def wrapped(*args, **kwargs):
        if not service_token_ok():
            return json_error(401, "A valid service token is required.")
        return view(*args, **kwargs)

    return wrapped
