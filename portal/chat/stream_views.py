"""The customer's side of live delivery: events for their own conversation, and typing."""

from flask import jsonify

from portal.chat import bp
from portal.chat.services import ChatError, find_conversation
from portal.errors import json_error
from portal.events.streams import event_response, last_event_id
from portal.handoff.messages import typing
from portal.visitor import current_owner


@bp.route("/api/chat/conversations/<public_id>/events")
def customer_events(public_id: str):
    user_id, visitor = current_owner()
    try:
        conv = find_conversation(public_id, user_id, visitor)
        after = last_event_id()
    except ChatError as exc:
        return json_error(exc.status, str(exc))
    return event_response([conv.id], after, staff=False)


@bp.route("/api/chat/conversations/<public_id>/typing", methods=["POST"])
def customer_typing(public_id: str):
    user_id, visitor = current_owner()
    try:
        conv = find_conversation(public_id, user_id, visitor)
    except ChatError as exc:
        return json_error(exc.status, str(exc))
    if conv.status == "live":
        typing(conv, "customer")
    return jsonify({"ok": True})
