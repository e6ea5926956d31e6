"""Email to customers about their tickets (sending itself is portal.mail's)."""

from __future__ import annotations

from flask import current_app

from portal.auth.registration import public_url
from portal.mail import send_mail
from portal.tickets.links import create_ticket_link


def notify_customer_of_reply(ticket, text: str) -> bool:
    to = ticket.customer.email if ticket.customer else ticket.contact_email
    if not to:
        return False
    brand = current_app.config["BRAND_NAME"]
    body = f"There's a new reply on your ticket {ticket.number}:\n\n{text}\n\n"
    if ticket.customer:
        body += f"You can read the whole conversation and answer under My tickets on the {brand} help centre."
    else:  # no account to sign in to: a link that opens this ticket, from any browser
        days = current_app.config["TICKET_LINK_DAYS"]
        link = public_url(f"/tickets/link/{create_ticket_link(ticket)}")
        body += (f"Read the whole conversation and answer here (the link works for {days} days, "
                 f"from any browser; keep it to yourself):\n{link}")
    return send_mail(to, f"[{ticket.number}] A reply from {brand} support", body)
