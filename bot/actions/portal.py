"""The portal, as the action server sees it: its HTTP API and a service token.

The action server never imports the portal's code or touches its database.
"""

from __future__ import annotations

import os
from typing import Any

import requests


class PortalUnavailable(RuntimeError):
    pass


class PortalClient:
    """``base_url`` may list several portal boxes, comma-separated, its own first: a box that
    refuses the connection (down, restarting) is passed over for the next. A request a box took
    and did not answer in time may have been carried out, so it is not sent again; one cut off
    mid-answer may be (opening a handoff and recording a rating are idempotent in the portal)."""

    def __init__(self, base_url: str, token: str, timeout: float = 5.0):
        self.base_urls = [u.strip().rstrip("/") for u in base_url.split(",") if u.strip()] or ["http://127.0.0.1:8000"]
        self.token = token
        self.timeout = timeout
        self._http = requests.Session()

    @property
    def base_url(self) -> str:
        return self.base_urls[0]

    def _call(self, method: str, path: str, **kwargs) -> requests.Response:
        for n, base in enumerate(self.base_urls):
            try:
                return getattr(self._http, method)(f"{base}{path}", **kwargs)
            except requests.ConnectionError as exc:  # refused, or a connect timeout (never a read timeout)
                if n == len(self.base_urls) - 1:
                    raise PortalUnavailable(exc.__class__.__name__) from exc
            except requests.RequestException as exc:
                raise PortalUnavailable(exc.__class__.__name__) from exc
        raise PortalUnavailable("no portal address")

    @classmethod
    def from_env(cls) -> PortalClient:
        return cls(os.environ.get("CALMLINE_PORTAL_URL", "http://127.0.0.1:8000"),
                   os.environ.get("BOT_SERVICE_TOKEN", ""),
                   timeout=float(os.environ.get("CALMLINE_PORTAL_TIMEOUT", "5")))

    def search(self, query: str, limit: int = 3) -> list[dict[str, Any]]:
        response = self._call("get", "/api/search", params={"q": query[:200], "limit": limit, "type": "article"},
                              timeout=self.timeout)
        if response.status_code == 400:  # nothing searchable in the text
            return []
        if response.status_code != 200:
            raise PortalUnavailable(f"search answered {response.status_code}")
        return [{"title": r["title"], "url": r["url"], "score": r.get("score", 0.0)}
                for r in response.json().get("results", [])][:limit]

    def community(self, query: str, limit: int = 1) -> list[dict[str, Any]]:
        """Answered community threads for the question, best first: [{title, url, score}]."""
        response = self._call("get", "/api/bot/community", params={"q": query[:200], "limit": limit},
                              headers={"Authorization": f"Bearer {self.token}"}, timeout=self.timeout)
        if response.status_code == 400:
            return []
        if response.status_code != 200:
            raise PortalUnavailable(f"community answered {response.status_code}")
        return [{"title": r["title"], "url": r["url"], "score": r.get("score", 0.0)}
                for r in response.json().get("results", [])][:limit]

    def open_handoff(self, conversation_id: str, reason: str, events: list[dict], category: str) -> dict[str, Any]:
        response = self._call(
            "post", "/api/bot/handoffs",
            json={"conversation_id": conversation_id, "reason": reason, "events": events, "category": category},
            headers={"Authorization": f"Bearer {self.token}"},
            timeout=self.timeout,
        )
        if response.status_code not in (200, 201):
            raise PortalUnavailable(f"handoff answered {response.status_code}")
        return response.json()

    def record_satisfaction(self, conversation_id: str, rating: int | None = None,
                            comment: str | None = None) -> dict[str, Any]:
        """The rating, or the comment, or both: what is left out is never touched."""
        body: dict[str, Any] = {"conversation_id": conversation_id}
        if rating is not None:
            body["rating"] = rating
        if comment:
            body["comment"] = comment
        response = self._call("post", "/api/bot/satisfaction", json=body,
                              headers={"Authorization": f"Bearer {self.token}"}, timeout=self.timeout)
        if response.status_code != 200:
            raise PortalUnavailable(f"satisfaction answered {response.status_code}")
        return response.json()


_portal: PortalClient | None = None


def get_portal() -> PortalClient:
    """The shared client, made on first use (never at import); tests swap it with set_portal."""
    global _portal
    if _portal is None:
        _portal = PortalClient.from_env()
    return _portal


def set_portal(client) -> None:
    global _portal
    _portal = client
