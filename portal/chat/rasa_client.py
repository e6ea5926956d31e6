"""The one place the portal talks to Rasa: its channel for the portal and tracker API.

Both are called with a short-lived JWT signed with RASA_TOKEN, in the `Authorization` header
(bot/rasa_server.py gives Rasa the same secret for its HTTP API, bot/channels.py checks it on the
channel): the secret itself is never sent, and never in a URL.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import jwt
import requests

from portal.inputs import is_local_path

TOKEN_SECONDS = 60


class BotUnavailable(RuntimeError):
    """Rasa (or its action server) did not answer in time or answered with an error."""


@dataclass
class BotReply:
    text: str = ""
    buttons: list[dict] = field(default_factory=list)
    articles: list[dict] = field(default_factory=list)
    custom: dict = field(default_factory=dict)

    def payload(self) -> dict:
        data = {}
        if self.buttons:
            data["buttons"] = self.buttons
        if self.articles:
            data["articles"] = self.articles
        if self.custom:
            data["custom"] = self.custom
        return data


class RasaClient:
    def __init__(self, base_url: str, token: str | None = None, timeout: float = 10.0):
        self.base_url = base_url.rstrip("/")
        self.token = token
        self.timeout = timeout
        self._http = requests.Session()

    def send(self, sender_id: str, text: str, metadata: dict | None = None) -> list[BotReply]:
        try:
            response = self._http.post(
                f"{self.base_url}/webhooks/portal/webhook",
                json={"sender": sender_id, "message": text, "metadata": metadata or {}},
                headers=self.auth_headers(), timeout=self.timeout,
            )
        except requests.RequestException as exc:
            raise BotUnavailable(f"assistant unreachable: {exc.__class__.__name__}") from exc
        if response.status_code != 200:
            raise BotUnavailable(f"assistant answered {response.status_code}")
        try:
            items = response.json()
        except ValueError as exc:
            raise BotUnavailable("assistant answered with something that is not JSON") from exc
        if not isinstance(items, list):
            raise BotUnavailable("assistant answered with an unexpected shape")
        return [parse_reply(item) for item in items if isinstance(item, dict)]

    def auth_headers(self) -> dict[str, str]:
        """Rasa's JWT auth (rasa/server.py requires_auth): an admin may act on any conversation."""
        if not self.token:
            return {}
        claims = {"user": {"username": "calmline-portal", "role": "admin"}, "exp": int(time.time()) + TOKEN_SECONDS}
        return {"Authorization": f"Bearer {jwt.encode(claims, self.token, algorithm='HS256')}"}

    def _api(self, path: str, body) -> dict | list:
        try:
            response = self._http.post(f"{self.base_url}{path}", json=body, headers=self.auth_headers(),
                                       timeout=self.timeout)
        except requests.RequestException as exc:
            raise BotUnavailable(f"assistant unreachable: {exc.__class__.__name__}") from exc
        if response.status_code != 200:
            raise BotUnavailable(f"assistant answered {response.status_code}: {response.text[:200]}")
        try:
            return response.json()
        except ValueError as exc:
            raise BotUnavailable("assistant answered with something that is not JSON") from exc

    def append_events(self, sender_id: str, events: list[dict]) -> None:
        """Rasa's tracker events API: e.g. resume a paused conversation and reset slots."""
        self._api(f"/conversations/{sender_id}/tracker/events", events)

    def trigger_intent(self, sender_id: str, intent: str, entities: dict | None = None) -> list[BotReply]:
        """Make the bot act as if the customer had said `intent`; returns what it says."""
        data = self._api(f"/conversations/{sender_id}/trigger_intent",
                         {"name": intent, "entities": entities or {}})
        items = data.get("messages") if isinstance(data, dict) else None
        return [parse_reply(item) for item in items or [] if isinstance(item, dict)]

    def status(self) -> dict:
        try:
            response = self._http.get(f"{self.base_url}/status", headers=self.auth_headers(), timeout=2)
            return {"ok": response.status_code == 200}
        except requests.RequestException as exc:
            return {"ok": False, "error": exc.__class__.__name__}


def parse_reply(item: dict) -> BotReply:
    custom = item.get("custom") if isinstance(item.get("custom"), dict) else {}
    articles = custom.get("articles") if isinstance(custom.get("articles"), list) else []
    buttons = [
        {"title": str(b.get("title", ""))[:120], "payload": str(b.get("payload", ""))[:300]}
        for b in item.get("buttons") or []
        if isinstance(b, dict)
    ]
    clean_articles = [
        {"title": str(a.get("title", ""))[:200], "url": a["url"],
         "type": "thread" if a.get("type") == "thread" else "article"}
        for a in articles
        # Only our own pages: a path, never another site ("//host", "/\\host").
        if isinstance(a, dict) and is_local_path(a.get("url")) and len(a["url"]) <= 300
    ]
    rest = {k: v for k, v in custom.items() if k != "articles"}
    return BotReply(text=str(item.get("text") or "")[:4000], buttons=buttons, articles=clean_articles, custom=rest)
