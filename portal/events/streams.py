"""Answering a client that follows events: a Server-Sent Events stream, or one JSON batch."""

from flask import Response, current_app, jsonify, request, stream_with_context

from portal.errors import json_error
from portal.events.feed import events_after, sse_stream
from portal.inputs import MAX_ID, parse_int


def last_event_id() -> int:
    """Where the client resumes: the EventSource's Last-Event-ID, or ?after= when polling."""
    raw = request.headers.get("Last-Event-ID") or request.args.get("after")
    return parse_int(raw, "after", 0, 0, MAX_ID)


def event_response(conversation_ids: list, after: int, staff: bool):
    """SSE when the client asks for text/event-stream; otherwise one JSON batch (polling).

    A stream holds one of the worker's threads for as long as it is open. When this worker's
    stream slots (SSE_MAX_STREAMS) are taken, the stream is refused with 503: the widget and
    the console then follow by polling, and the threads left keep answering messages."""
    if "text/event-stream" in request.headers.get("Accept", ""):
        slots = current_app.extensions["event_stream_slots"]
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
