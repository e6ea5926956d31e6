"""The widget's email question at handoff (portal.chat.contact): ask or not, answer, skip."""

from __future__ import annotations

from flask import current_app, jsonify
from flask_login import current_user

from portal.chat import bp
from portal.chat.contact import ContactError, contact_state, give_contact, skip_contact
from portal.chat.services import find_conversation
from portal.chat.views import json_body
from portal.extensions import limiter
from portal.visitor import current_owner


def _signed_in_email() -> str | None:
    return current_user.email if current_user.is_authenticated else None


@bp.route("/api/chat/conversations/<public_id>/contact")
def get_contact(public_id: str):
    conv = find_conversation(public_id, *current_owner(create=False))  # only looks: hands out no cookie
    return jsonify(contact_state(conv, _signed_in_email()))


@bp.route("/api/chat/conversations/<public_id>/contact", methods=["POST"])
@limiter.limit(lambda: current_app.config["CHAT_RATE_LIMIT"])
def post_contact(public_id: str):
    """{"email": "..."} to be written to, or {"skip": true}."""
    conv = find_conversation(public_id, *current_owner())
    data = json_body()
    skip, email = data.get("skip", False), data.get("email")
    if not isinstance(skip, bool) or (skip and email is not None) or (not skip and email is None):
        raise ContactError("Send either 'email' (an address) or 'skip': true.")
    signed_in = current_user.is_authenticated
    if skip:
        skip_contact(conv, signed_in)
    else:
        give_contact(conv, email, signed_in)
    return jsonify(contact_state(conv, _signed_in_email())), 200
