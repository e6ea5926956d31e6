"""The whole chat stack, for real: portal under gunicorn, the Rasa server with the trained
model, and the action server, talking to each other over HTTP exactly as in `make run`.

The model comes from `make test` (bot/scripts/train_if_changed.py trains it when the bot's
data changed). With TEST_DATABASE_URL set, the portal and Rasa's tracker store both use a
fresh PostgreSQL database of their own (`calmline_stack`), so the browser tests' server,
which owns the `test` database, is never disturbed.
"""

from __future__ import annotations

import pytest

from tests.stack import running_stack


@pytest.fixture(scope="session")
def stack():
    with running_stack() as running:
        yield running
