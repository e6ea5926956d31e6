"""Uploading (chat, My tickets, the agent console, the staff ticket page) and serving files.

Each upload route checks who may write before it reads a single file, and refuses with a 4xx
that stores nothing. Files are served only through /attachments/<id>, to the people who may
read the conversation, with headers that keep the browser from treating them as a page."""

from __future__ import annotations

from flask import current_app, flash, jsonify, redirect, request, send_file, url_for
from flask_login import current_user

from portal.agent.services import check_can_reply, ticket_for
from portal.attachments import bp, storage
from portal.attachments.checks import AttachmentRefused, shown_name
from portal.attachments.services import (
    NoSuchAttachment,
    attach_as_agent,
    attach_in_chat,
    attach_on_ticket,
    optional_text,
    read_uploads,
    viewable,
)
from portal.auth.permissions import support_staff_required
from portal.chat.services import find_conversation, start_conversation, validate_client_id
from portal.errors import answer_refusals_with
from portal.extensions import limiter
from portal.support.customer_views import my_ticket_or_404, render_my_ticket
from portal.tickets import links
from portal.visitor import current_owner

# The file is never a page of ours: no scripts, no plugins, no forms, not framed (sandboxed
# as an opaque origin even if a browser were to render it as a document).
FILE_CSP = "default-src 'none'; img-src 'self'; sandbox; frame-ancestors 'none'"
MAX_PAGE = 300


def _chat_rate():
    return current_app.config["CHAT_RATE_LIMIT"]


def _field(name: str, limit: int) -> str:
    value = request.form.get(name, "")
    if len(value) > limit:
        raise AttachmentRefused(f"'{name}' is limited to {limit} characters.")
    return value


@bp.route("/api/chat/attachments", methods=["POST"])
@limiter.limit(_chat_rate)
def chat_upload():
    """Multipart: `file` (one or more), `conversation_id` (none starts a chat), `text`, `page`."""
    user_id, visitor = current_owner()
    public_id = request.form.get("conversation_id")
    conv = find_conversation(public_id, user_id, visitor) if public_id else None
    text = optional_text(request.form.get("text"))
    page = _field("page", MAX_PAGE)
    files = read_uploads(request.files.getlist("file"))
    conv = conv or start_conversation(user_id, visitor)
    message = attach_in_chat(conv, files, text, page)
    replies = [m.to_dict() for m in conv.messages if m.id > message.id]  # the bot's "I can't open files"
    return jsonify({"conversation_id": conv.public_id, "status": conv.status, "message": message.to_dict(),
                    "replies": replies}), 201


@bp.route("/tickets/<number>/attachments", methods=["POST"])
@limiter.limit(_chat_rate)
def ticket_upload(number: str):
    ticket = my_ticket_or_404(number)  # someone else's: 404

    answer_refusals_with(lambda exc: render_my_ticket(ticket, status=exc.status, upload_error=str(exc)))
    text = optional_text(request.form.get("text"))
    files = read_uploads(request.files.getlist("file"))
    attach_on_ticket(ticket, files, text, current_user if current_user.is_authenticated else None)
    flash("Your file has been sent. We'll answer here.", "success")
    return redirect(url_for("support.my_ticket", number=ticket.number), code=303)


@bp.route("/api/agent/tickets/<number>/attachments", methods=["POST"])
@support_staff_required
def agent_upload(number: str):
    ticket = ticket_for(current_user, number)
    check_can_reply(ticket, current_user)
    text = optional_text(request.form.get("text"))
    client_id = validate_client_id(request.form.get("client_id"))
    files = read_uploads(request.files.getlist("file"))
    message = attach_as_agent(ticket, current_user, files, text, client_id)
    return jsonify(message.to_dict(internal=True)), 201


@bp.route("/staff/tickets/<number>/attachments", methods=["POST"])
@support_staff_required
def staff_upload(number: str):
    from portal.support.staff_views import _render_ticket

    ticket = ticket_for(current_user, number)
    answer_refusals_with(lambda exc: _render_ticket(ticket, exc.status, upload_error=str(exc)))
    check_can_reply(ticket, current_user)
    text = optional_text(request.form.get("text"))
    files = read_uploads(request.files.getlist("file"))
    attach_as_agent(ticket, current_user, files, text)
    flash("File sent to the customer.", "success")
    return redirect(url_for("support.staff_ticket", number=ticket.number), code=303)


# ---- serving -------------------------------------------------------------------------------

def _send(public_id: str, preview: bool):
    attachment = viewable(public_id, current_user, current_owner(create=False), links.granted_ticket_ids())
    name = attachment.preview_name if preview else attachment.stored_name
    if not name:
        raise NoSuchAttachment("No such file.")
    path = storage.path_of(name)
    if not path.is_file():
        raise NoSuchAttachment("No such file.")
    content_type = "image/webp" if preview else attachment.content_type
    response = send_file(path, mimetype=content_type, as_attachment=attachment.kind == "pdf",
                         download_name=shown_name(attachment.original_name, content_type), conditional=True,
                         etag=attachment.sha256 + ("-preview" if preview else ""), max_age=None)
    response.headers["Content-Security-Policy"] = FILE_CSP
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cross-Origin-Resource-Policy"] = "same-origin"
    response.headers["Cache-Control"] = "private, no-cache"  # who may see it can change: ask each time
    return response


@bp.route("/attachments/<public_id>")
def download(public_id: str):
    return _send(public_id, preview=False)


@bp.route("/attachments/<public_id>/preview")
def preview(public_id: str):
    return _send(public_id, preview=True)
