"""My tickets (/tickets): a customer's own tickets, the thread of one, and replying to it.

Signed-in customers see the tickets on their account; anonymous visitors those of the
chats their visitor cookie owns. Someone else's ticket is a 404.
"""

from __future__ import annotations

import logging

from flask import current_app, flash, has_request_context, redirect, render_template, url_for
from flask_login import current_user
from sqlalchemy.exc import SQLAlchemyError

from portal.extensions import db, limiter
from portal.support import bp, customer, staff
from portal.support.forms import CustomerReplyForm
from portal.tickets import links
from portal.tickets.models import Ticket
from portal.visitor import current_owner

log = logging.getLogger(__name__)


def my_ticket_or_404(number: str) -> Ticket:
    # NoSuchTicket: the error handler answers 404
    return customer.customer_ticket(number, *current_owner(create=False), linked=links.granted_ticket_ids())


@bp.route("/tickets")
def my_tickets():
    tickets = customer.my_tickets(*current_owner(create=False), linked=links.granted_ticket_ids())
    return render_template("support/my_tickets.html", tickets=tickets, unread=customer.unread_ids(tickets),
                           updated=staff.last_activity(tickets, public_only=True))


def render_my_ticket(ticket: Ticket, form: CustomerReplyForm | None = None, status: int = 200,
                     upload_error: str | None = None):
    """The ticket's page; `form` the reply just sent (with its errors), `upload_error` a refused file's reason."""
    return render_template("support/my_ticket.html", ticket=ticket, messages=customer.thread(ticket),
                           form=form or CustomerReplyForm(formdata=None), upload_error=upload_error), status


@bp.route("/tickets/link/<token>")
def ticket_link(token: str):
    """A reply email's link: this browser may open that ticket (and only that one) from now on."""
    ticket = links.open_link(token)  # unknown or expired: 404
    return redirect(url_for("support.my_ticket", number=ticket.number), code=303)


@bp.route("/tickets/<number>")
def my_ticket(number: str):
    ticket = my_ticket_or_404(number)
    customer.mark_seen(ticket)
    return render_my_ticket(ticket)


@bp.route("/tickets/<number>/reply", methods=["POST"])
@limiter.limit(lambda: current_app.config["CHAT_RATE_LIMIT"])
def my_ticket_reply(number: str):
    ticket = my_ticket_or_404(number)
    form = CustomerReplyForm()
    if not form.validate_on_submit():
        return render_my_ticket(ticket, form, 400)
    try:
        customer.reply(ticket, form.text.data, current_user if current_user.is_authenticated else None)
    except customer.CustomerTicketError as exc:
        db.session.rollback()
        form.text.errors = [*form.text.errors, str(exc)]
        return render_my_ticket(ticket, form, exc.status)  # what they typed stays in the box
    flash("Your reply has been sent. We'll answer here.", "success")
    return redirect(url_for("support.my_ticket", number=ticket.number), code=303)


@bp.app_context_processor
def my_tickets_nav() -> dict:
    """The nav's "My tickets" badge: tickets with an agent's reply the customer hasn't opened."""
    if not has_request_context():
        return {}
    user_id, visitor = current_owner(create=False)
    linked = links.granted_ticket_ids()
    count = 0
    if user_id is not None or visitor or linked:
        try:
            count = customer.unread_count(user_id, visitor, linked)
        except SQLAlchemyError:  # the error page for a database failure must still render
            db.session.rollback()
            log.exception("could not count unread tickets")
    return {"my_tickets_unread": count}
