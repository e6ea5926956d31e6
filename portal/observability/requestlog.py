"""One log line per request, and a request id every log line of the request carries.

The id comes from the X-Request-ID header (a proxy or the caller sets it) when it is a sane
value, else it is generated here; the response returns it in the same header. The line names
the path but never a query string's values (a search text, a link's token) and, for routes
whose URL holds a token, the route rule instead of the path.
"""

from __future__ import annotations

import json
import logging
import re
import sys
import time
import uuid
from datetime import UTC, datetime

from flask import g, has_request_context, request

REQUEST_ID_HEADER = "X-Request-ID"
SANE_REQUEST_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:-]{0,127}")
SECRET_ARGS = ("token", "secret", "key")
log = logging.getLogger("calmline.request")

# The attributes every LogRecord has: what is not among them came in `extra=` and is logged.
_STANDARD = frozenset(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {"message", "asctime", "request_id"}


def request_id_from(header: str | None) -> str:
    if header and SANE_REQUEST_ID.fullmatch(header):
        return header
    return uuid.uuid4().hex


def current_request_id() -> str:
    return g.get("request_id", "-") if has_request_context() else "-"


class RequestIdFilter(logging.Filter):
    """Puts the request's id on every record logged while it is served ("-" outside requests)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not getattr(record, "request_id", None):
            record.request_id = current_request_id()
        return True


class JSONFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        line = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "pid": record.process,
            "message": record.getMessage(),
            "request_id": getattr(record, "request_id", "-"),
        }
        line.update({k: v for k, v in vars(record).items() if k not in _STANDARD and not k.startswith("_")})
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        return json.dumps(line, default=str)


TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s [%(request_id)s]: %(message)s"


def configure_logging(log_format: str) -> None:
    """One handler on the root logger, ours, with the request id filter and the chosen format."""
    root = logging.getLogger()
    handler = next((h for h in root.handlers if getattr(h, "calmline", False)), None)
    if handler is None:
        handler = logging.StreamHandler(sys.stderr)
        handler.calmline = True
        handler.addFilter(RequestIdFilter())
        root.addHandler(handler)
    handler.setFormatter(JSONFormatter() if log_format == "json" else logging.Formatter(TEXT_FORMAT))
    log.disabled = False  # an in-process `flask db upgrade` (alembic's fileConfig) disables existing loggers
    if root.level == logging.WARNING or root.level == logging.NOTSET:
        root.setLevel(logging.INFO)


def logged_path() -> str:
    if request.url_rule is not None and any(s in name for name in (request.view_args or {}) for s in SECRET_ARGS):
        return request.url_rule.rule
    return request.path


def start_request() -> None:
    g.request_started = time.perf_counter()
    g.request_id = request_id_from(request.headers.get(REQUEST_ID_HEADER))


def finish_request(response, observe) -> None:
    """Log the request's line and hand its route, method, status and duration to `observe`."""
    seconds = time.perf_counter() - g.get("request_started", time.perf_counter())
    route = request.url_rule.rule if request.url_rule is not None else "<unmatched>"
    observe(route, request.method, response.status_code, seconds)
    response.headers[REQUEST_ID_HEADER] = current_request_id()
    user = g.get("_login_user")  # only if the request loaded it: no query of its own (liveness needs none)
    user_id = user.id if user is not None and user.is_authenticated else None
    log.info("%s %s %s", request.method, logged_path(), response.status_code, extra={
        "method": request.method, "path": logged_path(), "route": route,
        "query_keys": sorted(k[:40] for k in request.args.keys())[:10] or None, "status": response.status_code,
        "duration_ms": round(seconds * 1000, 2), "user_id": user_id, "remote_addr": request.remote_addr,
    })
