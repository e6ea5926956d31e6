"""The bot's handoff intake and the customer's rating."""

import sqlalchemy as sa
from flask import jsonify, request

from portal.botapi import bp
from portal.botapi.auth import service_token_required
from portal.botapi.tracker import merge_tracker_events
from portal.chat.satisfaction import record_satisfaction
from portal.conversations.models import Conversation
from portal.errors import json_error
from portal.extensions import csrf, db
from portal.handoff.tickets import open_handoff_ticket, open_ticket_for
from portal.tickets.services import HANDOFF_REASONS


@bp.route("/api/bot/handoffs", methods=["POST"])
@csrf.exempt
@service_token_required
def bot_handoff():
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        return json_error(400, "Send a JSON object.")
    conv_id, reason = data.get("conversation_id"), data.get("reason")
    events, category = data.get("events") or [], data.get("category") or "general"
    if not isinstance(conv_id, str) or not 1 <= len(conv_id) <= 64:
        return json_error(400, "'conversation_id' must be the chat's id.")
    if reason not in HANDOFF_REASONS:
        return json_error(400, f"'reason' must be one of: {', '.join(HANDOFF_REASONS)}.")
    if not isinstance(events, list) or not isinstance(category, str) or len(category) > 40:
        return json_error(400, "'events' must be a list and 'category' a short string.")
    conv = db.session.scalar(sa.select(Conversation).where(Conversation.public_id == conv_id))
    if conv is None:
        return json_error(404, "No such conversation.")
    existing = open_ticket_for(conv)
    if existing is not None:  # the bot retried: one handoff, one ticket
        return jsonify(_ticket_json(existing)), 200
    merge_tracker_events(conv, events)
    ticket, _ = open_handoff_ticket(conv, reason, category=category)
    return jsonify(_ticket_json(ticket)), 201


def _ticket_json(ticket) -> dict:
    return {"ticket_number": ticket.number, "priority": ticket.priority, "status": ticket.status,
            "sla_due_at": ticket.sla_due_at.isoformat() + "Z", "briefing": ticket.briefing}


@bp.route("/api/bot/satisfaction", methods=["POST"])
@csrf.exempt
@service_token_required
def bot_satisfaction():
    """The customer's rating (1 to 5), posted when it is clicked, and the optional comment,
    posted later on its own: what a post leaves out is never cleared."""
    data = request.get_json(silent=True)
    if not isinstance(data, dict) or not isinstance(data.get("conversation_id"), str):
        return json_error(400, "Send a JSON object with 'conversation_id'.")
    conv = db.session.scalar(sa.select(Conversation).where(Conversation.public_id == data["conversation_id"]))
    if conv is None:
        return json_error(404, "No such conversation.")
    ticket = record_satisfaction(conv, data.get("rating"), data.get("comment"))
    return jsonify({"conversation_id": conv.public_id, "path": conv.satisfaction_path,
                    "rating": conv.satisfaction_rating, "comment": conv.satisfaction_comment,
                    "ticket_number": ticket.number if ticket else None})
