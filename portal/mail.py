"""Email: SMTP when MAIL_SERVER is set, otherwise the message goes to the log.

Mail is sent after what it announces has been saved, so it never fails the request: an
address the mail library refuses (a line break in it) or a server that does not answer is
logged and reported as not sent."""

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
    try:
        message = EmailMessage()
        message["From"], message["To"], message["Subject"] = config["MAIL_FROM"], to, subject
        message.set_content(body)
    except (ValueError, TypeError) as exc:  # header injection ("\r\nBcc:") and the like
        log.warning("mail to %r not sent: %s", to, exc)
        return False
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
    except (OSError, smtplib.SMTPException, ValueError) as exc:
        log.warning("mail to %s failed: %s", to, exc)
        return False
