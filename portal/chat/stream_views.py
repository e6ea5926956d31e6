"""The customer's side of live delivery: events for their own conversation, typing, and the
widget's welcome (greeting and suggested questions)."""

from functools import partial

from flask import jsonify, request

from portal.chat import bp
from portal.chat.services import ChatError, find_conversation
from portal.chat.welcome import WelcomeError, parse_page, welcome
from portal.events.streams import event_response, last_event_id
from portal.handoff.customer_presence import note_seen
from portal.handoff.messages import typing
from portal.visitor import current_owner


@bp.route("/api/chat/conversations/<public_id>/events")
def customer_events(public_id: str):
    user_id, visitor = current_owner()
    conv = find_conversation(public_id, user_id, visitor)
    # Following the chat is being there: a live reply is mailed only to a customer who left.
    return event_response([conv.id], last_event_id(), staff=False, on_tick=partial(note_seen, conv.id))


@bp.route("/api/chat/conversations/<public_id>/typing", methods=["POST"])
def customer_typing(public_id: str):
    user_id, visitor = current_owner()
    conv = find_conversation(public_id, user_id, visitor)
    if conv.status == "live":
        note_seen(conv.id)
        typing(conv, "customer")
    return jsonify({"ok": True})


@bp.route("/api/chat/welcome")
def customer_welcome():
    """The widget's greeting, its assistant's identity and suggested questions for a page."""
    try:
        page = parse_page(request.args.get("page"))
    except WelcomeError as exc:
        raise ChatError(str(exc)) from None
    return jsonify(welcome(page))
