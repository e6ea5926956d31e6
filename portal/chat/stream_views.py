"""The customer's side of live delivery: events for their own conversation, and typing."""

from flask import jsonify

from portal.chat import bp
from portal.chat.services import find_conversation
from portal.events.streams import event_response, last_event_id
from portal.handoff.messages import typing
from portal.visitor import current_owner


@bp.route("/api/chat/conversations/<public_id>/events")
def customer_events(public_id: str):
    user_id, visitor = current_owner()
    conv = find_conversation(public_id, user_id, visitor)
    return event_response([conv.id], last_event_id(), staff=False)


@bp.route("/api/chat/conversations/<public_id>/typing", methods=["POST"])
def customer_typing(public_id: str):
    user_id, visitor = current_owner()
    conv = find_conversation(public_id, user_id, visitor)
    if conv.status == "live":
        typing(conv, "customer")
    return jsonify({"ok": True})
