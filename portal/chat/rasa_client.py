"""The one place the portal talks to Rasa: its channel for the portal and tracker API.

Both are called with a short-lived JWT signed with RASA_TOKEN, in the `Authorization` header
(bot/rasa_server.py gives Rasa the same secret for its HTTP API, bot/channels.py checks it on the
channel): the secret itself is never sent, and never in a URL.

Several Rasa servers (RASA_URL="http://a:5005,http://b:5005") share one tracker store
(PostgreSQL) and one lock store (Redis), so any of them can serve any conversation. Each
conversation goes to the server that ranks first for its sender id by rendezvous
(highest-random-weight) hashing: it sticks to that server while it is up, and when a server is
added or removed only the conversations ranked first on it move. On a connection error or a
5xx (or 409, Rasa's "no model loaded"), the call goes to the next server in that
conversation's order, and the failed server is skipped by later calls for DOWN_SECONDS, so they
do not wait for its timeout again. A 5xx includes our channel's 503 when that Rasa's own action
server is unreachable (bot/channels.py). A server that took the message and did not answer
within RASA_TIMEOUT_SECONDS is still working on it, holding the conversation's lock: that message
is answered "assistant unavailable" (and kept), not sent on to run the turn twice, and the slow
server is tried last by the next calls.

What a retry can do: a message that reached a server which then died may have been
applied to the tracker before the failure (Rasa saves the turn before it answers). Sent again to
the next server, the customer's message and the bot's turn are then in the tracker twice. Rasa
has no idempotency key to prevent it (message ids in metadata are not deduplicated), so this is
accepted: the portal stores the customer's message once, before calling Rasa, and shows only
the reply it received; the duplicate lives only in Rasa's tracker. A message refused before it
reached Rasa (connection refused, connect timeout) is never applied twice. A server killed while
it holds a conversation's Redis lock blocks that conversation on the others until the lock's
lifetime ends (Rasa's TICKET_LOCK_LIFETIME, 60 s): those messages are answered "assistant
unavailable" and kept, as when the bot is down.
"""

from __future__ import annotations

import hashlib
import logging
import threading
import time
from dataclasses import dataclass, field

import jwt
import requests

from portal.inputs import is_local_path
from portal.metrics import RASA_FAILURES

log = logging.getLogger(__name__)

TOKEN_SECONDS = 60
DOWN_SECONDS = 5.0  # how long a server that failed is tried last
STATUS_SECONDS = 2.0  # how long status() keeps its answer
CONNECT_TIMEOUT = 2.0  # a dead host on another machine costs this, not the whole read timeout
FAILOVER_STATUSES = frozenset({409}) | frozenset(range(500, 600))


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


class _Failover(Exception):
    """This server failed in a way the next one may not: try it."""


class _TooSlow(Exception):
    """This server took the message and did not answer in time: not sent elsewhere."""


def server_urls(setting: str) -> list[str]:
    """RASA_URL's comma-separated servers, in the order given, without duplicates."""
    urls: list[str] = []
    for part in setting.split(","):
        url = part.strip().rstrip("/")
        if url and url not in urls:
            urls.append(url)
    if not urls:
        raise ValueError("RASA_URL names no Rasa server")
    return urls


def rendezvous_order(urls: list[str], key: str) -> list[str]:
    """The servers ranked for `key` by highest random weight (a stable hash of server and key)."""
    def weight(url: str) -> bytes:
        return hashlib.blake2b(f"{url}\n{key}".encode(), digest_size=8).digest()

    return sorted(urls, key=weight, reverse=True)


class RasaClient:
    def __init__(self, base_url: str, token: str | None = None, timeout: float = 10.0,
                 down_seconds: float = DOWN_SECONDS, status_seconds: float = STATUS_SECONDS,
                 clock=time.monotonic):
        self.base_urls = server_urls(base_url)
        self.token = token
        self.timeout = timeout
        self.down_seconds = down_seconds
        self.status_seconds = status_seconds
        self._status: tuple[float, dict] | None = None
        self._down_until: dict[str, float] = {}
        self._clock = clock  # seconds: how long a failed server is skipped, a status kept
        self._lock = threading.Lock()
        self._http = requests.Session()

    # ---- which server ----

    def servers_for(self, sender_id: str) -> list[str]:
        """This conversation's servers in the order to try: its rendezvous order, the ones that
        failed within the last few seconds moved to the end (still tried when all have failed)."""
        ranked = rendezvous_order(self.base_urls, sender_id)
        now = self._clock()
        with self._lock:
            down = {url for url, until in self._down_until.items() if until > now}
        return [url for url in ranked if url not in down] + [url for url in ranked if url in down]

    def _mark_down(self, url: str) -> None:
        with self._lock:
            self._down_until[url] = self._clock() + self.down_seconds

    def _mark_up(self, url: str) -> None:
        with self._lock:
            self._down_until.pop(url, None)

    def _post(self, sender_id: str, path: str, body) -> dict | list:
        """POST to this conversation's first server that answers; the JSON it answered."""
        last = "no server"
        for url in self.servers_for(sender_id):
            try:
                data = self._post_to(url, path, body)
            except _TooSlow as exc:
                self._mark_down(url)  # later messages try the other servers first for a while
                RASA_FAILURES.labels(str(self.base_urls.index(url) + 1)).inc()
                raise BotUnavailable(str(exc)) from exc
            except _Failover as exc:
                self._mark_down(url)
                last = str(exc)
                number = self.base_urls.index(url) + 1
                RASA_FAILURES.labels(str(number)).inc()
                log.warning("Rasa server %d failed (%s); trying the conversation's next server", number, last)
                continue
            self._mark_up(url)
            return data
        raise BotUnavailable(last if len(self.base_urls) == 1 else f"no assistant answered (last: {last})")

    def _post_to(self, url: str, path: str, body) -> dict | list:
        try:
            response = self._http.post(f"{url}{path}", json=body, headers=self.auth_headers(),
                                       timeout=(min(CONNECT_TIMEOUT, self.timeout), self.timeout))
        except requests.ReadTimeout as exc:
            # It got the message and is still at it (holding the conversation's lock): sent to the
            # next server, the turn would run twice. This message waits for no one else.
            raise _TooSlow(f"assistant did not answer within {self.timeout:g} s") from exc
        except requests.RequestException as exc:
            raise _Failover(f"assistant unreachable: {exc.__class__.__name__}") from exc
        if response.status_code in FAILOVER_STATUSES:
            raise _Failover(f"assistant answered {response.status_code}")
        if response.status_code != 200:
            raise BotUnavailable(f"assistant answered {response.status_code}: {response.text[:200]}")
        try:
            return response.json()
        except ValueError as exc:
            raise BotUnavailable("assistant answered with something that is not JSON") from exc

    # ---- the calls ----

    def send(self, sender_id: str, text: str, metadata: dict | None = None) -> list[BotReply]:
        items = self._post(sender_id, "/webhooks/portal/webhook",
                           {"sender": sender_id, "message": text, "metadata": metadata or {}})
        if not isinstance(items, list):
            raise BotUnavailable("assistant answered with an unexpected shape")
        return [parse_reply(item) for item in items if isinstance(item, dict)]

    def auth_headers(self) -> dict[str, str]:
        """Rasa's JWT auth (rasa/server.py requires_auth): an admin may act on any conversation."""
        if not self.token:
            return {}
        claims = {"user": {"username": "calmline-portal", "role": "admin"}, "exp": int(time.time()) + TOKEN_SECONDS}
        return {"Authorization": f"Bearer {jwt.encode(claims, self.token, algorithm='HS256')}"}

    def append_events(self, sender_id: str, events: list[dict]) -> None:
        """Rasa's tracker events API: e.g. resume a paused conversation and reset slots."""
        self._post(sender_id, f"/conversations/{sender_id}/tracker/events", events)

    def trigger_intent(self, sender_id: str, intent: str, entities: dict | None = None) -> list[BotReply]:
        """Make the bot act as if the customer had said `intent`; returns what it says."""
        data = self._post(sender_id, f"/conversations/{sender_id}/trigger_intent",
                          {"name": intent, "entities": entities or {}})
        items = data.get("messages") if isinstance(data, dict) else None
        return [parse_reply(item) for item in items or [] if isinstance(item, dict)]

    def status(self) -> dict:
        """Each server's answer, by position in RASA_URL (never its URL: /readyz is public);
        ok while at least one answers. Kept for STATUS_SECONDS: however often /readyz is asked,
        the servers are asked at most that often (a dead one costs a 2 s timeout each time)."""
        cached = self._status
        if cached is not None and self._clock() - cached[0] < self.status_seconds:
            return cached[1]
        result = self._ask_status()
        self._status = (self._clock(), result)
        return result

    def _ask_status(self) -> dict:
        servers = []
        for number, url in enumerate(self.base_urls, start=1):
            entry: dict = {"server": number}
            try:
                response = self._http.get(f"{url}/status", headers=self.auth_headers(), timeout=2)
                entry["ok"] = response.status_code == 200
                if not entry["ok"]:
                    entry["error"] = f"HTTP {response.status_code}"
            except requests.RequestException as exc:
                entry.update(ok=False, error=exc.__class__.__name__)
            servers.append(entry)
        result: dict = {"ok": any(s["ok"] for s in servers), "servers": servers}
        if not result["ok"]:
            result["error"] = servers[0].get("error", "unavailable")
        return result


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
