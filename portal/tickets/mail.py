"""Email to customers about their tickets (sending itself is portal.mail's)."""

from __future__ import annotations

from flask import current_app, has_request_context

from portal.auth.registration import public_url
from portal.mail import send_mail
from portal.tickets.links import create_ticket_link


def _address(ticket) -> str:
    return ticket.customer.email if ticket.customer else ticket.contact_email


def _way_back(ticket) -> str:
    """How the customer gets back to the ticket: My tickets with their account, else a link."""
    if ticket.customer:
        brand = current_app.config["BRAND_NAME"]
        text = f"You can read the whole conversation and answer under My tickets on the {brand} help centre."
        if current_app.config.get("PUBLIC_URL") or has_request_context():  # not from a command without PUBLIC_URL
            text += f"\nSign in with this address to open it:\n{public_url(f'/tickets/{ticket.number}')}"
        return text
    # no account to sign in to: a link that opens this ticket, from any browser
    days = current_app.config["TICKET_LINK_DAYS"]
    link = public_url(f"/tickets/link/{create_ticket_link(ticket)}")
    return (f"Read the whole conversation and answer here (the link works for {days} days, "
            f"from any browser; keep it to yourself):\n{link}")


def notify_customer_of_reply(ticket, text: str) -> bool:
    to = _address(ticket)
    if not to:
        return False
    brand = current_app.config["BRAND_NAME"]
    body = f"There's a new reply on your ticket {ticket.number}:\n\n{text}\n\n{_way_back(ticket)}"
    return send_mail(to, f"[{ticket.number}] A reply from {brand} support", body)


def notify_customer_of_chat_reply(ticket, text: str, agent_name: str) -> bool:
    """A reply written in a live chat the customer has left (portal.handoff.customer_presence decides when)."""
    to = _address(ticket)
    if not to:
        return False
    brand = current_app.config["BRAND_NAME"]
    body = (f"{agent_name} from {brand} support replied in your chat after you left (ticket {ticket.number}):"
            f"\n\n{text}\n\n{_way_back(ticket)}")
    return send_mail(to, f"[{ticket.number}] {agent_name} replied in your chat with {brand} support", body)
