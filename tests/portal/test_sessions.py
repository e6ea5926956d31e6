"""Sign-ins end (issue 15 finding 4): a copied session or remember-me cookie stops working when
its owner logs out or changes the password, and every login gets a new token."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime

import pytest

from tests.conftest import csrf_from
from tests.factories import PASSWORD, make_user

NEW_PASSWORD = "new-quiet-meadow-77"
REMEMBER = "remember_token"


@pytest.fixture
def casey(app):
    with app.app_context():
        make_user("casey@example.com")


def log_in(client, password=PASSWORD, remember=True):
    token = csrf_from(client.get("/auth/login").get_data(as_text=True))
    data = {"email": "casey@example.com", "password": password, "csrf_token": token}
    if remember:
        data["remember"] = "y"
    response = client.post("/auth/login", data=data)
    assert response.status_code == 302, response.get_data(as_text=True)[:300]
    return response


def log_out(client):
    token = csrf_from(client.get("/").get_data(as_text=True))
    assert client.post("/auth/logout", data={"csrf_token": token}).status_code == 302


def signed_in(client) -> bool:
    return client.get("/auth/password").status_code == 200


def copy_of(app, client, *names):
    """Another browser holding copies of ``client``'s cookies (an attacker who captured them)."""
    thief = app.test_client()
    for name in names:
        thief.set_cookie(name, client.get_cookie(name).value)
    return thief


def test_a_copied_session_cookie_stops_working_at_logout(app, client, casey):
    log_in(client, remember=False)
    assert signed_in(copy_of(app, client, "session"))
    stolen = client.get_cookie("session").value
    log_out(client)
    thief = app.test_client()
    thief.set_cookie("session", stolen)
    assert not signed_in(thief)


def test_a_copied_remember_me_cookie_stops_working_at_logout(app, client, casey):
    log_in(client)
    assert signed_in(copy_of(app, client, REMEMBER))  # it signs in a browser with no session
    stolen = client.get_cookie(REMEMBER).value
    log_out(client)
    assert client.get_cookie(REMEMBER) is None  # logging out deletes it
    thief = app.test_client()
    thief.set_cookie(REMEMBER, stolen)
    assert not signed_in(thief)


def test_logging_out_clears_the_session_cookie(app, client, casey):
    log_in(client)
    with client.session_transaction() as session:
        session["left_behind"] = "x"
    log_out(client)
    with client.session_transaction() as session:
        assert "left_behind" not in session and "_user_id" not in session


def test_changing_the_password_signs_out_every_other_browser(app, client, casey):
    laptop, phone = app.test_client(), app.test_client()
    log_in(laptop)
    log_in(phone)
    stolen = copy_of(app, laptop, "session", REMEMBER)
    page = laptop.get("/auth/password")
    response = laptop.post("/auth/password", data={"current": PASSWORD, "password": NEW_PASSWORD,
                                                   "confirm": NEW_PASSWORD,
                                                   "csrf_token": csrf_from(page.get_data(as_text=True))})
    assert response.status_code == 302
    assert signed_in(laptop)  # the browser that changed it stays signed in ...
    assert signed_in(copy_of(app, laptop, REMEMBER))  # ... and is remembered with a new token
    assert not signed_in(phone)
    assert not signed_in(stolen)
    for name in ("session", REMEMBER):
        assert not signed_in(copy_of(app, stolen, name))


def test_every_login_gets_a_new_token_and_logging_out_ends_only_that_one(app, casey):
    first, second = app.test_client(), app.test_client()
    log_in(first)
    log_in(second)
    assert first.get_cookie(REMEMBER).value != second.get_cookie(REMEMBER).value
    assert "casey" not in first.get_cookie(REMEMBER).value.lower()
    log_out(first)
    assert signed_in(second)  # another browser's sign-in is its own


def test_remember_me_lasts_thirty_days_not_a_year(app, client, casey):
    response = log_in(client)
    cookie = next(c for c in response.headers.getlist("Set-Cookie") if c.startswith(REMEMBER + "="))
    expires = parsedate_to_datetime(cookie.split("Expires=")[1].split(";")[0])
    assert timedelta(days=29) < expires - datetime.now(UTC) <= timedelta(days=30)


def test_a_sign_in_past_its_lifetime_is_over(make_app, casey):
    app = make_app(REMEMBER_COOKIE_DURATION=timedelta(seconds=-1))
    client = app.test_client()
    log_in(client)
    assert not signed_in(client)
