"""Error pages that answer HTML or JSON by what the client accepts; never a trace."""

from __future__ import annotations

import logging
from collections.abc import Callable

from flask import flash, g, jsonify, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from portal.extensions import db

log = logging.getLogger(__name__)

MESSAGES = {
    400: "The request could not be understood.",
    401: "Please log in to continue.",
    403: "You do not have permission to see this page.",
    404: "We could not find that page.",
    405: "That method is not allowed here.",
    413: "That request is too large.",
    429: "Too many attempts. Please wait a moment and try again.",
    500: "Something went wrong on our side. Please try again.",
}


class DomainError(ValueError):
    """A rule said no. Carries its HTTP status; the handler below answers HTML or JSON.

    Services raise these and views let them through: the one handler rolls the change back
    and answers, so a refusal reads the same from every page and every API."""

    status = 400
    retry_after: int | None = None  # seconds; sent as Retry-After (posting too fast)


class Forbidden(DomainError):
    """The rules do not let this person do this."""

    status = 403


class NotFound(DomainError):
    """Nothing this person may see has that id (another team's ticket looks the same)."""

    status = 404


class Conflict(DomainError):
    """The thing is not in a state that allows the change (already claimed, already hidden)."""

    status = 409


def wants_json() -> bool:
    if request.path.startswith("/api/") or request.is_json:
        return True
    best = request.accept_mimetypes.best_match(["text/html", "application/json"])
    return best == "application/json" and request.accept_mimetypes[best] > request.accept_mimetypes["text/html"]


def answer_refusals_with(answer: Callable[[DomainError], ResponseReturnValue]) -> None:
    """For the rest of this request, the handler below answers a refusal with `answer` instead
    of the error page: a form that flashes and goes back, a page with a way back. The change
    is still rolled back first, and the view needs no try/except."""
    g.refusal_answer = answer


def flash_and_return_to(url: str) -> Callable[[DomainError], ResponseReturnValue]:
    """The answer for a button on a page: the reason as a flash message, and back (303)."""

    def answer(exc: DomainError):
        flash(str(exc), "error")
        return redirect(url, 303)

    return answer


def json_error(status: int, message: str):
    return jsonify({"error": {"status": status, "message": message}}), status


def _respond(status: int, message: str):
    if wants_json():
        return json_error(status, message)
    return render_template("errors/error.html", status=status, message=message), status


def init_app(app) -> None:
    @app.errorhandler(CSRFError)
    def csrf_error(exc):
        return _respond(400, "Your form expired or was not sent from this site. Reload the page and try again.")

    @app.errorhandler(DomainError)
    def domain_error(exc: DomainError):
        db.session.rollback()  # nothing of the refused change is kept
        answer = g.get("refusal_answer")
        if answer is not None:
            return answer(exc)
        response, status = _respond(exc.status, str(exc))
        return response, status, {"Retry-After": str(exc.retry_after)} if exc.retry_after else {}

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException):
        if exc.code == 401 and not wants_json():
            return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))
        message = MESSAGES.get(exc.code or 500, exc.description or "Error")
        if exc.code == 429:
            message = f"{MESSAGES[429]} (limit: {exc.description})"
        return _respond(exc.code or 500, message)

    @app.errorhandler(Exception)
    def unhandled(exc):
        log.exception("unhandled error on %s %s", request.method, request.path)
        return _respond(500, MESSAGES[500])
