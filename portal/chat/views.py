from flask import current_app, jsonify, request
from flask_login import current_user

from portal.chat import bp
from portal.chat.services import (
    ChatError,
    already_sent,
    conversation_of_retry,
    find_conversation,
    leave_message,
    post_customer_message,
    start_conversation,
    validate_client_id,
    validate_text,
)
from portal.extensions import limiter
from portal.visitor import current_owner


def json_body() -> dict:
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        raise ChatError("Send a JSON object (Content-Type: application/json).")
    return data


@bp.route("/api/chat/messages", methods=["POST"])
@limiter.limit(lambda: current_app.config["CHAT_RATE_LIMIT"])
def post_message():
    data = json_body()
    text = validate_text(data.get("text"))
    page = data.get("page") or ""
    if not isinstance(page, str):
        raise ChatError("'page' must be a string.")
    client_id = validate_client_id(data.get("client_id"))
    label = data.get("label")
    if label is not None and (not isinstance(label, str) or len(label) > 120):
        raise ChatError("'label' must be a button title of at most 120 characters.")
    user_id, visitor = current_owner()
    conv_id = data.get("conversation_id")
    if conv_id:
        conv = find_conversation(conv_id, user_id, visitor)
    else:
        conv = conversation_of_retry(client_id, user_id, visitor) or start_conversation(user_id, visitor)
    email = current_user.email if current_user.is_authenticated else None
    earlier = already_sent(conv, client_id, "customer")
    if earlier is not None:  # a retry of a message we stored: acknowledge it again, store nothing
        return jsonify({"conversation_id": conv.public_id, "status": conv.status, "duplicate": True,
                        "assistant_available": True, "message": earlier.to_dict(), "replies": []}), 201
    result = post_customer_message(conv, text, page, user_email=email, label=label, client_id=client_id)
    return jsonify({
        "conversation_id": result.conversation.public_id,
        "status": result.conversation.status,
        "assistant_available": result.assistant_available,
        "message": result.customer_message.to_dict(),
        "replies": [m.to_dict() for m in result.replies],
    }), 201


@bp.route("/api/chat/conversations/<public_id>")
def get_conversation(public_id: str):
    user_id, visitor = current_owner()
    conv = find_conversation(public_id, user_id, visitor)
    return jsonify({"conversation_id": conv.public_id, "status": conv.status,
                    "messages": [m.to_dict() for m in conv.messages]})


@bp.route("/api/chat/conversations/<public_id>/leave-message", methods=["POST"])
def leave_message_view(public_id: str):
    user_id, visitor = current_owner()
    data = request.get_json(silent=True) or {}
    email = data.get("email", "") if isinstance(data, dict) else ""
    if not isinstance(email, str) or len(email) > 254:
        raise ChatError("'email' must be an email address.")
    if current_user.is_authenticated:
        email = current_user.email
    conv = find_conversation(public_id, user_id, visitor)
    ticket = leave_message(conv, contact_email=email)
    return jsonify({"ticket_number": ticket.number, "status": ticket.status, "priority": ticket.priority}), 201


@bp.route("/chat")
def page():
    from flask import render_template

    return render_template("chat/page.html")
