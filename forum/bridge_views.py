"""The bridges' buttons on a thread page: "Open a ticket" (agents) and "Draft an article" (moderators)."""

from __future__ import annotations

from flask import flash, jsonify, redirect, url_for
from flask_login import current_user

from forum import bp
from forum.bridges import draft_from_answer, open_ticket_from_thread
from forum.permissions import get_thread
from forum.reading import thread_url
from portal.auth.permissions import moderator_required, support_staff_required
from portal.errors import wants_json


@bp.route("/forum/t/<int:thread_id>/ticket", methods=["POST"])
@support_staff_required
def thread_to_ticket(thread_id: int):
    thread = get_thread(thread_id)
    ticket, created = open_ticket_from_thread(current_user, thread)
    if wants_json():
        return jsonify({"ticket_number": ticket.number, "created": created, "status": ticket.status}), \
            201 if created else 200
    flash(f"Ticket {ticket.number} {'opened' if created else 'is already open'}: the whole thread went with it.",
          "success")
    return redirect(url_for("support.staff_ticket", number=ticket.number), 303)


@bp.route("/forum/t/<int:thread_id>/promote", methods=["POST"])
@moderator_required
def promote_answer(thread_id: int):
    thread = get_thread(thread_id)
    article, created = draft_from_answer(current_user, thread)
    if wants_json():
        return jsonify({"article_id": article.id, "slug": article.slug, "created": created,
                        "published": article.published}), 201 if created else 200
    flash("A draft article is waiting for an editor at Knowledge base drafts." if created else
          "This answer already has an article draft.", "success")
    return redirect(thread_url(thread), 303)
