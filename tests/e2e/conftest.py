"""Browser tests: the real app under gunicorn, driven by Debian's Chromium through Playwright.

The server is built once per run the way an operator would: migrations, ``flask kb sync``,
``flask seed demo``, ``flask search reindex``, then ``gunicorn -w 2`` with the Procfile's worker
for the database (gevent on PostgreSQL, gthread on SQLite). TEST_DATABASE_URL selects
PostgreSQL (the public schema is dropped and recreated first); otherwise SQLite in a temp dir.
No browser is ever downloaded: when /usr/bin/chromium is missing the tests are skipped.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
STARTUP_TIMEOUT = 30.0
SERVER_LOGS: dict[str, Path] = {}  # base URL -> its gunicorn log, where mail goes without MAIL_SERVER


def pytest_configure(config):
    # pytest.ini normally registers the marker; keep -m e2e / --strict-markers working without it.
    if not any(str(line).startswith("e2e") for line in config.getini("markers")):
        config.addinivalue_line("markers", "e2e: browser tests against a live gunicorn server (needs Chromium)")


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    # Remember each phase's outcome so the page fixture can screenshot failures.
    report = yield
    setattr(item, f"rep_{report.when}", report)
    return report


from portal.config import web_worker_class  # noqa: E402
from tests.stack import (  # noqa: E402
    _flask,
    _free_port,
    _gunicorn_extra_args,
    _reset_postgres,
    _server_env,
    _stop,
    _wait_healthy,
    worker_args,
)


@pytest.fixture(scope="session")
def live_server():
    """Base URL of a migrated, seeded, indexed portal running under gunicorn with 2 workers."""
    tmp = Path(tempfile.mkdtemp(prefix="calmline-e2e-"))
    proc = None
    try:
        instance = tmp / "instance"
        instance.mkdir()
        env = _server_env(instance)
        if os.environ.get("TEST_DATABASE_URL"):
            _reset_postgres(env["DATABASE_URL"], env)
        for command in (("db", "upgrade"), ("kb", "sync"), ("seed", "demo"), ("search", "reindex")):
            _flask(env, *command)

        port = _free_port()
        base_url = f"http://127.0.0.1:{port}"
        log = tmp / "gunicorn.log"
        with open(log, "wb") as err:
            proc = subprocess.Popen(
                [sys.executable, "-m", "gunicorn", "-w", "2", *worker_args(web_worker_class(env["DATABASE_URL"]), threads=8),
                 "-b", f"127.0.0.1:{port}",
                 "--graceful-timeout", "5",
                 *_gunicorn_extra_args(), "wsgi:app"],
                cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=err,
            )
        _wait_healthy(base_url, proc, log)
        SERVER_LOGS[base_url] = log
        yield base_url
    finally:
        _stop(proc)
        shutil.rmtree(tmp, ignore_errors=True)


@pytest.fixture
def mailed_link(live_server):
    """The first link in the last mail the live server sent to an address (read from its log)."""
    import re
    import time

    def find(address: str, timeout: float = 5.0) -> str:
        deadline = time.monotonic() + timeout
        while True:
            mails = SERVER_LOGS[live_server].read_text(errors="replace").split(" to=")
            links = [re.search(r"https?://\S+", mail) for mail in mails if mail.startswith(address + " ")]
            if links and links[-1]:
                return links[-1].group(0)
            if time.monotonic() > deadline:
                raise AssertionError(f"no mail with a link to {address} in the server's log")
            time.sleep(0.1)

    return find


@pytest.fixture
def new_context(browser, live_server):
    """Factory for extra isolated contexts (e.g. a staff user alongside a visitor); closed after the test."""
    contexts = []

    def make():
        context = browser.new_context(base_url=live_server, locale="en-GB")
        context.set_default_timeout(10_000)
        contexts.append(context)
        return context

    yield make
    for context in contexts:
        context.close()


@pytest.fixture
def context(new_context):
    return new_context()


@pytest.fixture
def page(context, request, tmp_path):
    from playwright.sync_api import Error as PlaywrightError

    page = context.new_page()
    yield page
    report = getattr(request.node, "rep_call", None)
    if report is not None and report.failed and not page.is_closed():
        shot = tmp_path / "failure.png"
        try:
            page.screenshot(path=str(shot), full_page=True)
            print(f"\nfailure screenshot of {page.url}: {shot}")
        except PlaywrightError as exc:  # the screenshot is a courtesy; never mask the real failure
            print(f"\ncould not take a failure screenshot: {exc}")
