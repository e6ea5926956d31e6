"""Login limits that fit a real deployment (issue 15 finding 8): per visitor behind a trusted
reverse proxy, per account from anywhere, the account's owner kept out of the guesser's budget,
and every count shared by all workers through Redis."""

from __future__ import annotations

import os
import uuid

import pytest

from tests.conftest import csrf_from
from tests.factories import PASSWORD, make_user

REDIS_URL = os.environ.get("REDIS_URL")


def attempt(client, email="casey@example.com", password="wrong-pass-1", ip="198.51.100.7", forwarded=None):
    """A login from ``ip`` (the TCP peer), through a proxy saying X-Forwarded-For: ``forwarded``."""
    environ = {"REMOTE_ADDR": ip}
    headers = {"X-Forwarded-For": forwarded} if forwarded else {}
    token = csrf_from(client.get("/auth/login", environ_base=environ, headers=headers).get_data(as_text=True))
    return client.post("/auth/login", data={"email": email, "password": password, "csrf_token": token},
                       environ_base=environ, headers=headers).status_code


def test_forwarded_addresses_are_believed_only_from_configured_proxies(make_app):
    for hops, expected in ((0, [401, 401, 429]), (1, [401, 401, 401])):
        app = make_app(LOGIN_RATE_LIMIT="2 per minute", TRUSTED_PROXY_HOPS=hops,
                       RATELIMIT_KEY_PREFIX=f"hops-{hops}-{uuid.uuid4().hex}")
        client = app.test_client()
        # Three visitors behind one proxy at 10.0.0.1, each a different account.
        statuses = [attempt(client, f"user{i}@example.com", ip="10.0.0.1", forwarded=f"203.0.113.{i}")
                    for i in range(3)]
        assert statuses == expected, hops


def test_a_forged_forwarded_header_does_not_escape_the_limit(make_app):
    app = make_app(LOGIN_RATE_LIMIT="2 per minute", TRUSTED_PROXY_HOPS=1)
    client = app.test_client()
    # Behind one proxy, only the address the proxy appended counts: a client's own
    # X-Forwarded-For entries in front of it change nothing.
    statuses = [attempt(client, f"user{i}@example.com", ip="10.0.0.1", forwarded=f"192.0.2.{i}, 203.0.113.9")
                for i in range(3)]
    assert statuses == [401, 401, 429]


def test_failed_logins_count_per_account_from_any_address(make_app):
    app = make_app(LOGIN_ACCOUNT_RATE_LIMIT="3 per minute", RATELIMIT_KEY_PREFIX=uuid.uuid4().hex)
    with app.app_context():
        make_user("casey@example.com")
        make_user("robin@example.com")
    attacker = app.test_client()
    statuses = [attempt(attacker, "Casey@Example.com ", ip=f"198.51.100.{i}") for i in range(5)]
    assert statuses == [401, 401, 401, 429, 429]  # five addresses, one account's budget
    # Other accounts are not touched, from any address.
    assert attempt(app.test_client(), "robin@example.com", PASSWORD, ip="198.51.100.1") == 302


def test_the_owner_who_signed_in_before_is_not_locked_out_by_a_guesser(make_app):
    app = make_app(LOGIN_ACCOUNT_RATE_LIMIT="3 per minute", RATELIMIT_KEY_PREFIX=uuid.uuid4().hex)
    with app.app_context():
        make_user("casey@example.com")
    owner = app.test_client()
    assert attempt(owner, password=PASSWORD, ip="192.0.2.50") == 302  # the browser is known from now on
    log_out(owner, ip="192.0.2.50")
    attacker = app.test_client()
    assert [attempt(attacker, ip=f"198.51.100.{i}") for i in range(4)] == [401, 401, 401, 429]
    assert attempt(app.test_client(), password=PASSWORD, ip="192.0.2.77") == 429  # a new browser waits
    assert attempt(owner, password="typo-in-password-1", ip="192.0.2.50") == 401  # the owner's own budget
    assert attempt(owner, password=PASSWORD, ip="192.0.2.50") == 302
    # A device cookie made for another account, or forged, is the account's budget again.
    forger = app.test_client()
    forger.set_cookie("calmline_device", owner.get_cookie("calmline_device").value[:-2] + "xx")
    assert attempt(forger, ip="198.51.100.99") == 429


def test_successful_logins_do_not_count_against_the_account(make_app):
    app = make_app(LOGIN_ACCOUNT_RATE_LIMIT="2 per minute", RATELIMIT_KEY_PREFIX=uuid.uuid4().hex)
    with app.app_context():
        make_user("casey@example.com")
    for _ in range(4):
        client = app.test_client()
        assert attempt(client, password=PASSWORD) == 302


def log_out(client, ip: str):
    environ = {"REMOTE_ADDR": ip}
    token = csrf_from(client.get("/", environ_base=environ).get_data(as_text=True))
    assert client.post("/auth/logout", data={"csrf_token": token}, environ_base=environ).status_code == 302


@pytest.mark.skipif(not REDIS_URL, reason="needs a Redis server (REDIS_URL); CI sets it")
def test_two_workers_share_the_per_account_and_per_visitor_counts_through_redis(make_app):
    prefix = f"calmline-test-{uuid.uuid4().hex}"
    options = {"RATELIMIT_STORAGE_URI": REDIS_URL, "RATELIMIT_KEY_PREFIX": prefix, "TRUSTED_PROXY_HOPS": 1,
               "LOGIN_ACCOUNT_RATE_LIMIT": "2 per minute", "LOGIN_RATE_LIMIT": "3 per minute"}
    first, second = make_app(**options).test_client(), make_app(**options).test_client()
    # One account, guessed from two addresses on two workers.
    by_account = [attempt(c, ip="10.0.0.1", forwarded=f"203.0.113.{i}") for i, c in enumerate((first, second, first))]
    assert by_account == [401, 401, 429]
    # One visitor behind the proxy, three accounts, two workers.
    by_visitor = [attempt(c, f"user{i}@example.com", ip="10.0.0.1", forwarded="203.0.113.200")
                  for i, c in enumerate((second, first, second, first))]
    assert by_visitor == [401, 401, 401, 429]
