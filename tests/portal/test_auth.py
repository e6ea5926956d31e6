import sqlalchemy as sa

from portal.auth.models import User
from portal.extensions import db
from tests.conftest import csrf_from
from tests.factories import PASSWORD, make_user


def register(client, **fields):
    token = csrf_from(client.get("/auth/register").get_data(as_text=True))
    data = {"name": "Robin Reader", "email": "robin@example.com", "password": PASSWORD, "confirm": PASSWORD,
            "csrf_token": token}
    data.update(fields)
    return client.post("/auth/register", data=data)


def users(app):
    with app.app_context():
        return db.session.scalars(sa.select(User)).all()


def test_register_creates_a_customer_and_logs_in(app, client):
    response = register(client)
    assert response.status_code == 302
    [user] = users(app)
    assert user.email == "robin@example.com"
    assert user.role_names == {"customer"}
    assert user.password_hash.startswith("scrypt:")
    assert PASSWORD not in user.password_hash
    assert "Robin" in client.get("/").get_data(as_text=True)


def test_register_refuses_common_and_short_passwords(app, client):
    for weak in ("password123", "12345678", "qwertyuiop", "short"):
        response = register(client, password=weak, confirm=weak)
        assert response.status_code == 400, weak
        assert 'class="field-error"' in response.get_data(as_text=True)
    assert users(app) == []


def test_register_refuses_duplicate_email_and_mismatched_confirmation(app, client):
    with app.app_context():
        make_user("robin@example.com")
    response = register(client, email="Robin@Example.com")
    assert response.status_code == 400
    assert "already exists" in response.get_data(as_text=True)
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
