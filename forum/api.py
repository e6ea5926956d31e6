"""The forum's JSON: title suggestions while writing, deflection notes, staff stats, and the
bot's community answers (service token)."""

from __future__ import annotations

from flask import current_app, jsonify, request
from flask_login import current_user

from forum import bp
from forum.deflections import deflection_stats, record_opened
from forum.moderation import is_moderator
from forum.search import community_answers, similar_articles
from portal.errors import json_error
from portal.extensions import limiter
from portal.inputs import query_int
from portal.visitor import visitor_id

SUGGEST_MIN_LENGTH = 3


@bp.route("/api/forum/suggest")
@limiter.limit(lambda: current_app.config["FORUM_SUGGEST_RATE_LIMIT"])
def suggest():
    """Articles and answered threads like the title being typed, best first."""
    q = " ".join((request.args.get("q") or "").split())
    if len(q) < SUGGEST_MIN_LENGTH:
        return jsonify({"query": q, "results": []})
    limit = query_int("limit", 3, 1, 10)
    found = similar_articles(q, limit) + [{"type": "thread", **a.to_json()} for a in community_answers(q, limit)]
    found.sort(key=lambda r: -r["score"])
    return jsonify({"query": q, "results": [{"answered": False, **r} for r in found]})


@bp.route("/api/forum/deflections", methods=["POST"])
@limiter.limit(lambda: current_app.config["FORUM_SUGGEST_RATE_LIMIT"])
def deflection():
    """The person writing a thread opened a suggestion (CSRF token in X-CSRFToken)."""
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        return json_error(400, "Send a JSON object with 'query' and 'url'.")
    user_id = current_user.id if current_user.is_authenticated else None
    row = record_opened(data.get("query"), data.get("url"), user_id, visitor_id(create=True))
    return jsonify({"id": row.id}), 201


@bp.route("/api/forum/stats")
def stats_json():
    if not current_user.is_authenticated:
        return json_error(401, "Please log in.")
    if not is_moderator(current_user):
        return json_error(403, "Only moderators, supervisors and admins can see forum statistics.")
    return jsonify({"deflection": deflection_stats()})


def bot_community():
    """Answered community threads for the bot to offer: [{title, url, score, answered}].
    Registered under the portal's bot API (its service-token guard), see ``forum.init_app``."""
    answers = community_answers(request.args.get("q"), query_int("limit", 3, 1, 10))
    return jsonify({"query": " ".join((request.args.get("q") or "").split()),
                    "results": [a.to_json() for a in answers]})
