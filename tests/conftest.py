"""Fixtures: a fresh app per test over one migrated database (SQLite or PostgreSQL).

TEST_DATABASE_URL selects PostgreSQL; otherwise a SQLite file in a temp dir. The
schema is built once per run by the real migrations; each test empties the tables.
"""

from __future__ import annotations

import os
import re
import tempfile

import pytest

# Never touch the developer's instance/ folder or secret key from tests.
os.environ.setdefault("CALMLINE_INSTANCE_DIR", tempfile.mkdtemp(prefix="calmline-test-instance-"))
os.environ.setdefault("SECRET_KEY", "test-secret-key")

from portal import create_app  # noqa: E402
from portal.extensions import db  # noqa: E402
from tests import stack  # noqa: E402


def pytest_collection_modifyitems(config, items):
    """`make test` runs the suite on SQLite, then again on PostgreSQL; a test marked `once`
    does the same thing in both (its own database and servers), so it runs in the second."""
    if os.environ.get("CALMLINE_POSTGRES_PASS_FOLLOWS") != "1":
        return
    later = pytest.mark.skip(reason="the same in both passes: runs in the PostgreSQL pass that follows")
    for item in items:
        if item.get_closest_marker("once"):
            item.add_marker(later)


CSRF_RE = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"|name="csrf_token" value="([^"]+)"')


def reset_schema(url: str) -> None:
    """Drop everything in the test database so migrations start from nothing."""
    import sqlalchemy as sa

    engine = sa.create_engine(url.replace("postgresql://", "postgresql+psycopg://", 1))
    with engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            conn.execute(sa.text("DROP SCHEMA public CASCADE"))
            conn.execute(sa.text("CREATE SCHEMA public"))
        else:
            meta = sa.MetaData()
            meta.reflect(conn)
            meta.drop_all(conn)
            conn.execute(sa.text("DROP TABLE IF EXISTS alembic_version"))
    engine.dispose()


@pytest.fixture(scope="session")
def database_url(tmp_path_factory) -> str:
    url = os.environ.get("TEST_DATABASE_URL")
    if not url:
        url = f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.db'}"
    reset_schema(url)
    app = create_app({"SQLALCHEMY_DATABASE_URI": _driver(url)})
    with app.app_context():
        from flask_migrate import upgrade

        upgrade()
        db.engine.dispose()
    return url


def _driver(url: str) -> str:
    return url.replace("postgresql://", "postgresql+psycopg://", 1)


def test_config(database_url: str, tmp_path, **overrides) -> dict:
    config = {
        "TESTING": True,
        "SQLALCHEMY_DATABASE_URI": _driver(database_url),
        "SEARCH_INDEX_DIR": str(tmp_path / "search_index"),
        "ATTACHMENT_DIR": str(tmp_path / "attachments"),
        "RATELIMIT_STORAGE_URI": "memory://",
        "LOGIN_RATE_LIMIT": "1000 per minute",
        "LOGIN_ACCOUNT_RATE_LIMIT": "1000 per minute",
        "REGISTER_RATE_LIMIT": "1000 per minute",
        "BRAND_NAME": "Brightnest",
        "KB_PAGE_CACHE_SECONDS": 0,  # tests change articles and look at once
    }
    config.update(overrides)
    return config


test_config.__test__ = False  # a helper, not a test


REFERENCE_TABLES = {"teams"}  # rows the migrations seed; every test may rely on them


def clean_tables(app) -> None:
    with app.app_context():
        db.session.remove()
        for table in reversed(db.metadata.sorted_tables):
            if table.name not in REFERENCE_TABLES:
                db.session.execute(table.delete())
        db.session.commit()


@pytest.fixture
def make_app(database_url, tmp_path):
    """Build an app with config overrides; every app built is cleaned up after the test."""
    apps = []

    def factory(**overrides):
        app = create_app(test_config(database_url, tmp_path, **overrides))
        if not apps:  # start from clean tables even if an earlier test's own server left rows behind
            clean_tables(app)
        apps.append(app)
        return app

    yield factory
    for app in apps:
        clean_tables(app)
        with app.app_context():
            db.engine.dispose()
        app.extensions["search"].close()


@pytest.fixture
def app(make_app):
    return make_app()


@pytest.fixture
def client(app):
    return app.test_client()


def csrf_from(html: str) -> str:
    match = CSRF_RE.search(html)
    assert match, "no CSRF token in the page"
    return match.group(1) or match.group(2)


@pytest.fixture
def login(client):
    def do_login(email: str, password: str, expect_ok: bool = True):
        token = csrf_from(client.get("/auth/login").get_data(as_text=True))
        response = client.post("/auth/login", data={"email": email, "password": password, "csrf_token": token})
        if expect_ok:
            assert response.status_code == 302, response.get_data(as_text=True)[:500]
        return response

    return do_login


# One Chromium for the whole run, shared by the browser tests (tests/e2e) and the
# widget-with-real-Rasa tests (tests/integration).
@pytest.fixture(scope="session")
def browser():
    if not os.path.exists(stack.CHROMIUM):
        pytest.skip("Debian chromium not installed: apt-get install -y chromium")
    from playwright.sync_api import sync_playwright

    playwright = sync_playwright().start()
    try:
        browser = playwright.chromium.launch(executable_path=stack.CHROMIUM, headless=True, args=stack.CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()
    finally:
        playwright.stop()
