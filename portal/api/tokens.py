"""Service-to-service authentication: the bot's action server sends BOT_SERVICE_TOKEN as a bearer token."""

import hmac

from flask import current_app, request


def service_token_ok() -> bool:
    expected = current_app.config.get("BOT_SERVICE_TOKEN") or ""
    given = request.headers.get("Authorization", "")
    if not expected or not given.startswith("Bearer "):
        return False
    return hmac.compare_digest(given[len("Bearer "):].encode(), expected.encode())
