"""/metrics for Prometheus and /readyz for load balancers (/healthz, liveness, is portal.api's)."""

from __future__ import annotations

import hmac
import ipaddress

import sqlalchemy as sa
from flask import Blueprint, Response, abort, current_app, jsonify, request

from portal.extensions import db

bp = Blueprint("observability", __name__)


def metrics_allowed() -> bool:
    """With METRICS_TOKEN, a bearer token equal to it; without, loopback callers that no proxy
    forwarded (a reverse proxy on the same box connects from loopback too)."""
    token = current_app.config.get("METRICS_TOKEN") or ""
    if token:
        given = request.headers.get("Authorization", "")
        return given.startswith("Bearer ") and hmac.compare_digest(given[7:].encode(), token.encode())
    if "X-Forwarded-For" in request.headers or "Forwarded" in request.headers:
        return False
    try:
        return ipaddress.ip_address(request.remote_addr or "").is_loopback
    except ValueError:
        return False


def waiting_tickets() -> int:
    from portal.conversations.models import Conversation
    from portal.handoff import lifecycle
    from portal.tickets.models import Ticket

    query = (sa.select(sa.func.count()).select_from(Ticket).join(Conversation, Ticket.conversation_id == Conversation.id)
             .where(Ticket.assignee_id.is_(None), Ticket.status == "open", Conversation.status == lifecycle.HANDOFF))
    try:
        return int(db.session.scalar(query) or 0)
    except Exception:
        db.session.rollback()
        raise


@bp.route("/metrics")
def metrics():
    if not metrics_allowed():
        abort(404)  # no hint that the endpoint exists
    from portal.metrics import exposition

    body, content_type = exposition(waiting_tickets)
    return Response(body, content_type=content_type, headers={"Cache-Control": "no-store"})


def _check(name: str, probe, status: dict) -> bool:
    """Run one probe; record ok or the failure's class name (never its message: it may hold a URL)."""
    try:
        result = probe()
    except Exception as exc:
        status[name] = {"ok": False, "error": exc.__class__.__name__}
        return False
    status[name] = result if isinstance(result, dict) else {"ok": True}
    return bool(status[name].get("ok", True))


def _database() -> None:
    try:
        db.session.execute(sa.text("SELECT 1"))
    except Exception:
        db.session.rollback()
        raise


def _redis() -> None:
    import redis

    client = redis.Redis.from_url(current_app.config["REDIS_URL"], socket_connect_timeout=1, socket_timeout=1)
    try:
        client.ping()
    finally:
        client.close()


@bp.route("/readyz")
def ready():
    """Can this process serve customers now: database, Redis (when set), search. The assistant is
    reported but not required: with the bot down customers still search, leave messages, and
    reach people."""
    status: dict = {}
    failed = [name for name, probe in (
        ("database", _database),
        ("redis", _redis if current_app.config.get("REDIS_URL") else None),
        ("search", lambda: current_app.extensions["search"].status()),
    ) if probe is not None and not _check(name, probe, status)]
    _check("rasa", lambda: current_app.extensions["rasa"].status(), status)
    status["rasa"]["required"] = False
    status["status"] = "ready" if not failed else "unready"
    if failed:
        status["failed"] = failed
    return jsonify(status), 503 if failed else 200
