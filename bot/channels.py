"""The channel the portal talks to the bot through: Rasa's REST channel, for the portal only.

Rasa's REST channel (`/webhooks/rest/webhook`) takes a message from anyone who can reach the
port, as any sender id, so anyone on the machine could write into a customer's conversation.
This one is the same channel behind `/webhooks/portal/webhook` that answers 401 unless the
request carries the JWT the portal signs for Rasa's HTTP API (HS256 with RASA_TOKEN, short-lived;
portal/chat/rasa_client.py). credentials.yml names it instead of `rest`.
"""

from __future__ import annotations

import os

import jwt

SECRET_VARIABLE = "RASA_TOKEN"


def is_the_portal(authorization: str, secret: str) -> bool:
    """Whether an Authorization header holds a current JWT signed with ``secret``."""
    scheme, _, token = (authorization or "").partition(" ")
    if not secret or scheme.lower() != "bearer" or not token:
        return False
    try:
        jwt.decode(token, secret, algorithms=["HS256"], options={"require": ["exp"]})
    except jwt.PyJWTError:
        return False
    return True


try:  # Rasa is in the bot's virtualenv only; the check above is shared and tested without it
    from rasa.core.channels.rest import RestInput
    from sanic import response
except ImportError:  # pragma: no cover - the portal's virtualenv
    RestInput = None

if RestInput is not None:

    class PortalInput(RestInput):
        @classmethod
        def name(cls) -> str:
            return "portal"

        def blueprint(self, on_new_message):
            webhook = super().blueprint(on_new_message)
            secret = os.environ.get(SECRET_VARIABLE, "")

            @webhook.middleware("request")
            async def only_the_portal(request):
                if not is_the_portal(request.headers.get("Authorization", ""), secret):
                    return response.json({"error": "unauthorised"}, status=401)
                return None

            return webhook
