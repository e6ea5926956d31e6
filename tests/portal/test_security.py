import os
import uuid

import pytest

from tests.conftest import csrf_from
from tests.factories import PASSWORD, make_user


def test_security_headers_on_every_page(client):
    for path in ("/", "/kb/", "/auth/login", "/api/search?q=refund", "/nope"):
        headers = client.get(path).headers
        assert "default-src 'self'" in headers["Content-Security-Policy"]
        assert "script-src 'self'" in headers["Content-Security-Policy"]
        assert headers["X-Content-Type-Options"] == "nosniff"
        assert headers["X-Frame-Options"] == "DENY"
        assert headers["Referrer-Policy"] == "strict-origin-when-cross-origin"


def test_session_cookie_is_httponly_and_samesite(app, client, login):
    with app.app_context():
        make_user("casey@example.com")
    response = login("casey@example.com", PASSWORD)
    cookie = next(c for c in response.headers.getlist("Set-Cookie") if c.startswith("session="))
    assert "HttpOnly" in cookie
    assert "SameSite=Lax" in cookie


def test_production_cookies_are_secure(make_app):
    app = make_app(SESSION_COOKIE_SECURE=True, REMEMBER_COOKIE_SECURE=True)
    client = app.test_client()
    response = client.get("/auth/login")
    cookie = next(c for c in response.headers.getlist("Set-Cookie") if c.startswith("session="))
    assert "Secure" in cookie
    assert "max-age=31536000" in response.headers["Strict-Transport-Security"]


def test_every_form_carries_a_csrf_token(app, client, login):
    with app.app_context():
        make_user("casey@example.com")
    for path in ("/auth/login", "/auth/register"):
        assert csrf_from(client.get(path).get_data(as_text=True))
    login("casey@example.com", PASSWORD)
    assert csrf_from(client.get("/auth/password").get_data(as_text=True))


@pytest.mark.skipif(not os.environ.get("REDIS_URL"), reason="needs a Redis server (REDIS_URL); CI sets it")
def test_rate_limits_are_shared_through_redis(make_app):
    """Two apps (like two gunicorn workers) share one login budget through Redis."""
    prefix = f"calmline-test-{uuid.uuid4().hex}"
    options = {"RATELIMIT_STORAGE_URI": os.environ["REDIS_URL"], "RATELIMIT_KEY_PREFIX": prefix,
               "LOGIN_RATE_LIMIT": "2 per minute"}
    first, second = make_app(**options).test_client(), make_app(**options).test_client()
    statuses = []
    for client in (first, second, first):
        token = csrf_from(client.get("/auth/login").get_data(as_text=True))
        statuses.append(client.post("/auth/login", data={"email": "x@example.com", "password": "wrong-pass-1",
                                                         "csrf_token": token}).status_code)
    assert statuses == [401, 401, 429]
