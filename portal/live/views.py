"""The customer's side of live delivery: events for their own conversation, and typing."""

from flask import Response, current_app, jsonify, request, stream_with_context

from portal.chat.services import ChatError, find_conversation
from portal.chat.views import _owner
from portal.errors import json_error
from portal.live import bp
from portal.live.events import events_after, sse_stream


def last_event_id() -> int:
    raw = request.headers.get("Last-Event-ID") or request.args.get("after") or "0"
    try:
        value = int(raw)
    except ValueError:
        raise ChatError("'after' (or Last-Event-ID) must be an event id.") from None
    if value < 0:
        raise ChatError("'after' (or Last-Event-ID) must be an event id.")
    return value


def event_response(conversation_ids: list, after: int, staff: bool):
    """SSE when the client asks for text/event-stream; otherwise one JSON batch (polling).

    A stream holds one of the worker's threads for as long as it is open. When this worker's
    stream slots (SSE_MAX_STREAMS) are taken, the stream is refused with 503: the widget and
    the console then follow by polling, and the threads left keep answering messages."""
    if "text/event-stream" in request.headers.get("Accept", ""):
        slots = current_app.extensions["live_stream_slots"]
        if not slots.take(current_app.config["SSE_MAX_STREAMS"]):
            response, status = json_error(503, "Live streams are busy on this server: follow by polling "
                                               "this address with ?after=<last event id>.")
            response.headers["Retry-After"] = "5"
            return response, status
        response = Response(stream_with_context(sse_stream(conversation_ids, after, staff)),
                            mimetype="text/event-stream",
                            headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"})
        response.call_on_close(slots.give_back)  # the server closes every response, finished or cut off
        return response
    rows = events_after(conversation_ids, after, staff)
    return jsonify({"events": rows, "last_event_id": rows[-1]["id"] if rows else after})


@bp.route("/api/chat/conversations/<public_id>/events")
def customer_events(public_id: str):
    user_id, visitor = _owner()
    conv = find_conversation(public_id, user_id, visitor)
    return event_response([conv.id], last_event_id(), staff=False)


@bp.route("/api/chat/conversations/<public_id>/typing", methods=["POST"])
def customer_typing(public_id: str):
    from portal.agent.services import typing

    user_id, visitor = _owner()
    conv = find_conversation(public_id, user_id, visitor)
    if conv.status == "live":
        typing(conv, "customer")
    return jsonify({"ok": True})
