"""Contact at handoff: a visitor without an account who is handed to a person is asked once
for an email address, so a reply reaches them after they leave (with a link back to the
ticket, portal.tickets.mail). They may skip; either answer is kept on the ticket, so the
question does not come back after a reload. Signed-in customers are never asked: replies
go to their account's address."""

from __future__ import annotations

from portal.auth.services import AccountError, normalise_email
from portal.clock import utcnow
from portal.conversations.models import Conversation
from portal.errors import Conflict, DomainError
from portal.extensions import db
from portal.handoff.tickets import open_ticket_for, record_event
from portal.tickets.links import revoke_ticket_links
from portal.tickets.models import Ticket

MAX_EMAIL_LENGTH = 254


class ContactError(DomainError):
    status = 400


class NothingToContactAbout(ContactError, Conflict):
    status = 409


def contact_state(conv: Conversation, signed_in_email: str | None) -> dict:
    """What the widget needs: whether to ask, and the address replies go to."""
    ticket = open_ticket_for(conv)
    if signed_in_email is not None:
        return {"ask": False, "email": signed_in_email, "account": True,
                "ticket_number": ticket.number if ticket else None}
    if ticket is None:
        return {"ask": False, "email": "", "account": False, "ticket_number": None}
    answered = ticket.contact_answered_at is not None or bool(ticket.contact_email)
    return {"ask": not answered, "email": ticket.contact_email, "account": False, "ticket_number": ticket.number}


def _visitors_ticket(conv: Conversation, signed_in: bool) -> Ticket:
    if signed_in or conv.user_id is not None:
        raise NothingToContactAbout("Replies go to your account's email address.")
    ticket = open_ticket_for(conv)
    if ticket is None:
        raise NothingToContactAbout("There is no open ticket for this chat yet.")
    return ticket


def give_contact(conv: Conversation, email: object, signed_in: bool = False) -> Ticket:
    """Store the address a person's replies are mailed to (validated as account addresses are:
    look-alike letters and header tricks are refused before anything is stored)."""
    if not isinstance(email, str) or not email.strip() or len(email) > MAX_EMAIL_LENGTH:
        raise ContactError("Enter your email address, like name@example.com, or choose Skip.")
    try:
        address = normalise_email(email)
    except AccountError as exc:
        raise ContactError(f"{exc} Check the address, or choose Skip.") from None
    ticket = _visitors_ticket(conv, signed_in)
    if ticket.contact_email and ticket.contact_email != address:  # a mistyped address keeps no way in
        revoke_ticket_links(ticket)
    ticket.contact_email = address
    ticket.contact_answered_at = utcnow()
    record_event(ticket, None, "contact_email_given")
    db.session.commit()
    return ticket


def skip_contact(conv: Conversation, signed_in: bool = False) -> Ticket:
    """The visitor would rather not: keep that too, so we do not ask again."""
    ticket = _visitors_ticket(conv, signed_in)
    if ticket.contact_answered_at is None:
        ticket.contact_answered_at = utcnow()
        record_event(ticket, None, "contact_skipped")
        db.session.commit()
    return ticket
