"""Email to customers: SMTP when MAIL_SERVER is set, otherwise the message goes to the log."""

from __future__ import annotations

import logging
import smtplib
from email.message import EmailMessage

from flask import current_app

log = logging.getLogger("portal.mail")


def send_mail(to: str, subject: str, body: str) -> bool:
    if not to:
        return False
    config = current_app.config
    message = EmailMessage()
    message["From"], message["To"], message["Subject"] = config["MAIL_FROM"], to, subject
    message.set_content(body)
    if not config.get("MAIL_SERVER"):
        log.info("mail (no MAIL_SERVER, logged instead) to=%s subject=%r\n%s", to, subject, body)
        return True
    try:
        with smtplib.SMTP(config["MAIL_SERVER"], config["MAIL_PORT"], timeout=10) as smtp:
            if config.get("MAIL_USE_TLS"):
                smtp.starttls()
            if config.get("MAIL_USERNAME"):
                smtp.login(config["MAIL_USERNAME"], config["MAIL_PASSWORD"])
            smtp.send_message(message)
        return True
    except (OSError, smtplib.SMTPException) as exc:
        log.warning("mail to %s failed: %s", to, exc)
        return False


def notify_customer_of_reply(ticket, text: str) -> bool:
    to = ticket.customer.email if ticket.customer else ticket.contact_email
    brand = current_app.config["BRAND_NAME"]
    body = (f"There's a new reply on your ticket {ticket.number}:\n\n{text}\n\n"
            f"You can read the whole conversation and answer under My tickets on the {brand} help centre.")
    return send_mail(to, f"[{ticket.number}] A reply from {brand} support", body)
