"""One app per test module of the suite, with the cast signed in on first use."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from portal.extensions import db
from tests.conftest import clean_tables
from tests.security.world import Callers, Targets, cast, security_app


@dataclass
class World:
    app: object
    ids: dict[str, int]
    callers: Callers

    def aim(self) -> Targets:
        """Fresh rows for one call, made as they are asked for."""
        return Targets(self.app, self.ids)


@pytest.fixture(scope="module")
def world(database_url, tmp_path_factory):
    app = security_app(database_url, tmp_path_factory.mktemp("security"))
    try:
        yield World(app, cast(app), Callers(app))
    finally:
        clean_tables(app)
        with app.app_context():
            db.session.remove()
            db.engine.dispose()
        app.extensions["search"].close()
