"""Fixtures shared by the ticket tests."""

from __future__ import annotations

import pytest

from tests.portal.ticket_builders import ticket_app


@pytest.fixture
def desk(make_app):
    """An app whose Rasa is a quiet stand-in and whose business hours are always."""
    return ticket_app(make_app)


@pytest.fixture
def mailbox(monkeypatch):
    """The ticket mails sent, each as "to=... subject='...'" and its body."""
    sent: list[str] = []

    def send_mail(to, subject, body):
        sent.append(f"to={to} subject={subject!r}\n{body}")
        return True

    monkeypatch.setattr("portal.tickets.mail.send_mail", send_mail)
    return sent
