import pytest

from portal.auth.permissions import role_required
from tests.factories import PASSWORD, make_user


@pytest.fixture
def guarded(make_app):
    app = make_app()

    @app.route("/staff-only")
    @role_required("agent", "supervisor")
    def staff_only():
        return "ok"

    return app


@pytest.mark.parametrize("roles, status", [
    (None, 401), (["customer"], 403), (["moderator"], 403), (["agent"], 200), (["supervisor"], 200),
    (["customer", "agent"], 200),
])
def test_role_required(guarded, roles, status):
    client = guarded.test_client()
    if roles:
        with guarded.app_context():
            make_user("u@example.com", roles=roles)
        from tests.conftest import csrf_from

        token = csrf_from(client.get("/auth/login").get_data(as_text=True))
        client.post("/auth/login", data={"email": "u@example.com", "password": PASSWORD, "csrf_token": token})
    response = client.get("/staff-only", headers={"Accept": "application/json"})
    assert response.status_code == status
