import re
import statistics
import time

import pytest
import sqlalchemy as sa
from werkzeug.security import generate_password_hash

from portal.auth import services
from portal.auth.models import PendingRegistration, User
from portal.extensions import db
from tests.conftest import csrf_from
from tests.factories import PASSWORD, make_user

LINK_RE = re.compile(r"https?://[^/\s]+(/auth/register/\S+)")


@pytest.fixture
def outbox(monkeypatch):
    sent = []
    monkeypatch.setattr("portal.auth.registration.send_mail", lambda to, subject, body: sent.append((to, subject, body)))
    return sent


def link_path(body: str) -> str:
    return LINK_RE.search(body).group(1)


def page_saying(response, email: str) -> str:
    """The page with the address and the per-session tokens blanked out."""
    return re.sub(r'(csrf-token" content|value)="[^"]*"', "", response.get_data(as_text=True)).replace(email, "X")


def register(client, **fields):
    token = csrf_from(client.get("/auth/register").get_data(as_text=True))
    data = {"name": "Robin Reader", "email": "robin@example.com", "password": PASSWORD, "confirm": PASSWORD,
            "csrf_token": token}
    data.update(fields)
    return client.post("/auth/register", data=data)


def users(app):
    with app.app_context():
        return db.session.scalars(sa.select(User)).all()


def test_register_mails_a_link_that_creates_the_customer_and_logs_in(app, client, outbox):
    response = register(client)
    assert response.status_code == 200
    assert "Check your email" in response.get_data(as_text=True)
    assert users(app) == []  # nothing is stored until the address's owner follows the link
    [(to, subject, body)] = outbox
    assert to == "robin@example.com" and "Finish creating" in subject
    assert PASSWORD not in body
    path = link_path(body)
    page = client.get(path)
    assert page.status_code == 200 and "Create my account" in page.get_data(as_text=True)
    assert users(app) == []  # opening the link (a mail scanner does) creates nothing
    response = client.post(path, data={"csrf_token": csrf_from(page.get_data(as_text=True))})
    assert response.status_code == 302
    [user] = users(app)
    assert user.email == "robin@example.com"
    assert user.role_names == {"customer"}
    assert user.password_hash.startswith("scrypt:")
    assert PASSWORD not in user.password_hash
    assert "Robin" in client.get("/").get_data(as_text=True)
    # The link again, from another browser: it worked once, and it says to log in.
    again = app.test_client().get(path)
    assert again.status_code == 400 and "log in" in again.get_data(as_text=True)
    assert len(users(app)) == 1


def test_the_registration_link_carries_a_random_token_on_the_public_url(make_app, outbox):
    """Issue 15: the link carried the signed password hash, and was made on the Host header."""
    app = make_app(PUBLIC_URL="https://help.example.com")
    client = app.test_client()
    token = csrf_from(client.get("/auth/register", headers={"Host": "evil.example"}).get_data(as_text=True))
    client.post("/auth/register", headers={"Host": "evil.example"},
                data={"name": "Robin Reader", "email": "robin@example.com", "password": PASSWORD,
                      "confirm": PASSWORD, "csrf_token": token})
    [(_, _, body)] = outbox
    assert "https://help.example.com/auth/register/" in body and "evil.example" not in body
    link_token = link_path(body).rsplit("/", 1)[1]
    assert re.fullmatch(r"[A-Za-z0-9_-]{43}", link_token)  # 32 random bytes, nothing else
    with app.app_context():
        [pending] = db.session.scalars(sa.select(PendingRegistration)).all()
        assert pending.password_hash.startswith("scrypt:") and link_token not in pending.token_hash
    assert users(app) == []


def test_a_forged_or_damaged_registration_link_is_refused(app, client, outbox):
    register(client)
    path = link_path(outbox[0][2])
    for bad in (path[:-3] + "xyz", "/auth/register/not-a-token"):
        assert client.get(bad).status_code == 400
    assert users(app) == []


def test_register_refuses_common_and_short_passwords(app, client):
    for weak in ("password123", "12345678", "qwertyuiop", "short"):
        response = register(client, password=weak, confirm=weak)
        assert response.status_code == 400, weak
        assert 'class="field-error"' in response.get_data(as_text=True)
    assert users(app) == []


def test_register_answers_the_same_whether_the_address_has_an_account(app, client, outbox):
    """Issue 15 finding 10: registration said "already exists", telling anyone who is a customer."""
    with app.app_context():
        make_user("robin@example.com")
    taken = register(client, email="Robin@Example.com")
    fresh = register(app.test_client(), email="newcomer@example.com")
    assert taken.status_code == fresh.status_code == 200
    assert page_saying(taken, "robin@example.com") == page_saying(fresh, "newcomer@example.com")
    assert "already exists" not in taken.get_data(as_text=True)
    # The owner of the taken address is told by email, where only they read it.
    assert [(to, "already have" in subject) for to, subject, _ in outbox] == [("robin@example.com", True),
                                                                              ("newcomer@example.com", False)]
    response = register(client, email="other@example.com", confirm="something-else-entirely-9")
    assert response.status_code == 400
    assert "do not match" in response.get_data(as_text=True)
    assert len(users(app)) == 1


def test_login_and_logout(app, client, login):
    with app.app_context():
        make_user("casey@example.com")
    login("casey@example.com", PASSWORD)
    assert "Log out" in client.get("/").get_data(as_text=True)
    # Logging out is a POST with a CSRF token; a GET does nothing.
    assert client.get("/auth/logout").status_code == 405
    token = csrf_from(client.get("/").get_data(as_text=True))
    assert client.post("/auth/logout", data={"csrf_token": token}).status_code == 302
    assert "Log in" in client.get("/").get_data(as_text=True)


def test_bad_login_is_refused_with_a_message(app, client, login):
    with app.app_context():
        make_user("casey@example.com")
    response = login("casey@example.com", "not-the-password-1", expect_ok=False)
    assert response.status_code == 401
    assert "do not match" in response.get_data(as_text=True)
    response = login("nobody@example.com", PASSWORD, expect_ok=False)
    assert response.status_code == 401


def test_disabled_user_cannot_log_in(app, client, login):
    with app.app_context():
        user = make_user("casey@example.com")
        user.active = False
        db.session.commit()
    assert login("casey@example.com", PASSWORD, expect_ok=False).status_code == 401


def test_change_password(app, client, login):
    with app.app_context():
        make_user("casey@example.com")
    login("casey@example.com", PASSWORD)
    page = client.get("/auth/password")
    token = csrf_from(page.get_data(as_text=True))
    wrong = client.post("/auth/password", data={"current": "wrong-password-here", "password": "new-quiet-meadow-77",
                                                 "confirm": "new-quiet-meadow-77", "csrf_token": token})
    assert wrong.status_code == 400
    weak = client.post("/auth/password", data={"current": PASSWORD, "password": "password1",
                                                "confirm": "password1", "csrf_token": token})
    assert weak.status_code == 400
    ok = client.post("/auth/password", data={"current": PASSWORD, "password": "new-quiet-meadow-77",
                                              "confirm": "new-quiet-meadow-77", "csrf_token": token})
    assert ok.status_code == 302
    with app.app_context():
        user = db.session.scalar(sa.select(User))
        assert user.check_password("new-quiet-meadow-77")
        assert not user.check_password(PASSWORD)


def test_password_page_needs_login(client):
    response = client.get("/auth/password")
    assert response.status_code == 302
    assert "/auth/login" in response.headers["Location"]


def test_login_redirects_only_to_local_paths(app, client):
    with app.app_context():
        make_user("casey@example.com")
    for target, expected in (("/kb/", "/kb/"), ("https://evil.example/", "/"), ("//evil.example/x", "/")):
        client.get("/")
        token = csrf_from(client.get("/auth/login").get_data(as_text=True))
        response = client.post(f"/auth/login?next={target}", data={"email": "casey@example.com",
                                                                   "password": PASSWORD, "csrf_token": token})
        assert response.headers["Location"] == expected, target
        token = csrf_from(client.get("/").get_data(as_text=True))
        client.post("/auth/logout", data={"csrf_token": token})


def test_forged_csrf_is_refused_and_changes_nothing(app, client):
    response = client.post("/auth/register", data={"name": "Mallory", "email": "m@example.com", "password": PASSWORD,
                                                    "confirm": PASSWORD, "csrf_token": "forged"})
    assert response.status_code == 400
    assert "expired or was not sent from this site" in response.get_data(as_text=True)
    response = client.post("/auth/register", data={"email": "m@example.com", "password": PASSWORD, "confirm": PASSWORD})
    assert response.status_code == 400
    assert users(app) == []


def test_login_is_rate_limited(make_app):
    app = make_app(LOGIN_RATE_LIMIT="3 per minute")
    client = app.test_client()
    statuses = []
    for _ in range(5):
        token = csrf_from(client.get("/auth/login").get_data(as_text=True))
        statuses.append(client.post("/auth/login", data={"email": "x@example.com", "password": "wrong-pass-1",
                                                         "csrf_token": token}).status_code)
    assert statuses == [401, 401, 401, 429, 429]
    # JSON clients get JSON.
    token = csrf_from(client.get("/auth/login").get_data(as_text=True))
    response = client.post("/auth/login", data={"email": "x@example.com", "password": "p", "csrf_token": token},
                           headers={"Accept": "application/json"})
    assert response.status_code == 429
    assert response.get_json()["error"]["status"] == 429


def test_registration_is_rate_limited(make_app):
    app = make_app(REGISTER_RATE_LIMIT="2 per minute")
    client = app.test_client()
    statuses = []
    for i in range(3):
        statuses.append(register(client, email=f"user{i}@example.com", password="x", confirm="x").status_code)
    assert statuses == [400, 400, 429]


def test_an_unknown_address_costs_a_password_check_too(app, monkeypatch):
    """Issue 15 finding 10: a login for an unknown address answered in 7 ms, a known one in 162 ms."""
    checked = []
    real = services.check_password_hash
    monkeypatch.setattr(services, "check_password_hash", lambda hashed, pw: checked.append(hashed) or real(hashed, pw))
    with app.app_context():
        assert services.authenticate("nobody@example.com", PASSWORD) is None
    [dummy] = checked
    assert dummy.split("$")[0] == generate_password_hash("x").split("$")[0]  # the same method and cost as users'


def test_login_takes_as_long_for_an_unknown_address_as_for_a_known_one(app, client):
    with app.app_context():
        make_user("casey@example.com")
    token = csrf_from(client.get("/auth/login").get_data(as_text=True))

    def median_seconds(email: str) -> float:
        times = []
        for _ in range(5):
            start = time.perf_counter()
            response = client.post("/auth/login", data={"email": email, "password": "wrong-pass-1",
                                                        "csrf_token": token})
            times.append(time.perf_counter() - start)
            assert response.status_code == 401
        return statistics.median(times)

    known, unknown = median_seconds("casey@example.com"), median_seconds("nobody@example.com")
    assert unknown > known / 2, (known, unknown)  # was 20 times faster
