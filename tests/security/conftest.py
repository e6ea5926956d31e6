"""One app per test module of the suite, with the cast signed in on first use."""

from __future__ import annotations

import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

import pytest

from portal.extensions import db
from tests.conftest import clean_tables
from tests.security.world import Callers, Targets, cast, security_app

SHM = "/dev/shm" if os.path.isdir("/dev/shm") and os.access("/dev/shm", os.W_OK) else None


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
    # The search index in memory where there is a tmpfs: the suite indexes hundreds of threads.
    folder = Path(tempfile.mkdtemp(prefix="calmline-security-", dir=SHM)) if SHM else tmp_path_factory.mktemp("s")
    app = security_app(database_url, folder)
    try:
        yield World(app, cast(app), Callers(app))
    finally:
        clean_tables(app)
        with app.app_context():
            db.session.remove()
            db.engine.dispose()
        app.extensions["search"].close()
        shutil.rmtree(folder, ignore_errors=True)
