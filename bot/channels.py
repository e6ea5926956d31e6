"""The channel the portal talks to the bot through: Rasa's REST channel, for the portal only.

Rasa's REST channel (`/webhooks/rest/webhook`) takes a message from anyone who can reach the
port, as any sender id, so anyone on the machine could write into a customer's conversation.
This one is the same channel behind `/webhooks/portal/webhook` that answers 401 unless the
request carries the JWT the portal signs for Rasa's HTTP API (HS256 with RASA_TOKEN, short-lived;
portal/chat/rasa_client.py). credentials.yml names it instead of `rest`.

It also answers 503 to a message while this Rasa's action server is unreachable: every user turn
runs custom slot mappings there (bot/actions/mood.py), so such a Rasa would answer with an error
turn. With several Rasa servers, the portal takes the 503 to the next one (its own action server
up) for that message. The check asks the action server's /health (open, runs nothing:
bot/actions/server.py) with a short timeout and keeps the answer for a second, so a busy channel
asks at most about once a second.
"""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import Awaitable, Callable
from urllib.parse import urlsplit, urlunsplit

import jwt

SECRET_VARIABLE = "RASA_TOKEN"
HEALTH_CACHE_SECONDS = 1.0
HEALTH_TIMEOUT_SECONDS = 2.0  # a busy action server is not taken for a dead one (that one refuses at once)


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


def health_url(webhook_url: str) -> str:
    """rasa_sdk's health route beside its webhook: http://h:5055/webhook -> http://h:5055/health."""
    parts = urlsplit(webhook_url)
    path = parts.path.rstrip("/")
    base = path.rsplit("/", 1)[0] if path.endswith("/webhook") else path
    return urlunsplit((parts.scheme, parts.netloc, f"{base}/health", "", ""))


class ActionServerCheck:
    """Whether an action server answers its health check, asked at most once per `ttl` seconds
    (one probe at a time: requests meanwhile wait for its answer or take the cached one)."""

    def __init__(self, probe: Callable[[str], Awaitable[bool]], ttl: float = HEALTH_CACHE_SECONDS,
                 clock: Callable[[], float] = time.monotonic):
        self._probe = probe
        self._ttl = ttl
        self._clock = clock
        self._answers: dict[str, tuple[float, bool]] = {}
        self._lock = asyncio.Lock()

    def _cached(self, url: str) -> bool | None:
        checked = self._answers.get(url)
        if checked and self._clock() - checked[0] < self._ttl:
            return checked[1]
        return None

    async def healthy(self, url: str) -> bool:
        cached = self._cached(url)
        if cached is not None:
            return cached
        async with self._lock:
            cached = self._cached(url)
            if cached is None:
                cached = await self._probe(url)
                self._answers[url] = (self._clock(), cached)
        return cached


async def answers_health(url: str, timeout: float = HEALTH_TIMEOUT_SECONDS) -> bool:
    import aiohttp

    try:
        async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=timeout)) as session:
            async with session.get(url) as answer:
                return answer.status == 200
    except (TimeoutError, aiohttp.ClientError, OSError):
        return False


def action_webhook(app) -> str | None:
    """The action server URL this Rasa's agent calls (its endpoints file), if it has a model to
    run actions with (without one it runs nothing, whatever the action server's state)."""
    agent = getattr(app.ctx, "agent", None)
    if agent is None or not agent.is_ready():
        return None
    return getattr(agent.action_endpoint, "url", None) or None


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
            actions = ActionServerCheck(answers_health)

            @webhook.middleware("request")
            async def only_the_portal(request):
                if not is_the_portal(request.headers.get("Authorization", ""), secret):
                    return response.json({"error": "unauthorised"}, status=401)
                if request.method == "POST" and request.path.endswith("/webhook"):
                    url = action_webhook(request.app)
                    if url and not await actions.healthy(health_url(url)):
                        return response.json({"error": "this assistant's action server is unreachable"},
                                             status=503)
                return None

            return webhook
