"""Email to customers about their tickets (sending itself is portal.mail's)."""

from __future__ import annotations

from flask import current_app

from portal.mail import send_mail


def notify_customer_of_reply(ticket, text: str) -> bool:
    to = ticket.customer.email if ticket.customer else ticket.contact_email
    brand = current_app.config["BRAND_NAME"]
    body = (f"There's a new reply on your ticket {ticket.number}:\n\n{text}\n\n"
            f"You can read the whole conversation and answer under My tickets on the {brand} help centre.")
    return send_mail(to, f"[{ticket.number}] A reply from {brand} support", body)
