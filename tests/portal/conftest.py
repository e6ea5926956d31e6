"""Fixtures shared by the ticket tests."""

from __future__ import annotations

import pytest

from tests.portal.ticket_builders import ticket_app


@pytest.fixture
def desk(make_app):
    """An app whose Rasa is a quiet stand-in and whose business hours are always."""
    return ticket_app(make_app)
