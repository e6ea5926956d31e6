"""The forum tests' app: the bot's service token set, suggestions not rate-limited."""

from __future__ import annotations

import pytest

from tests.forum.builders import forum_app


@pytest.fixture
def app(make_app):
    return forum_app(make_app)
