from flask import abort


def test_not_found_answers_html_or_json_by_accept(client):
    html = client.get("/no/such/page")
    assert html.status_code == 404 and html.mimetype == "text/html"
    assert "We could not find that page" in html.get_data(as_text=True)
    json = client.get("/no/such/page", headers={"Accept": "application/json"})
    assert json.status_code == 404 and json.get_json() == {"error": {"status": 404, "message": "We could not find that page."}}
    api = client.get("/api/nothing-here")
    assert api.is_json and api.status_code == 404


def test_method_not_allowed(client):
    response = client.post("/api/search", headers={"Accept": "application/json"})
    assert response.status_code in (400, 405)  # CSRF may reject first; either way a clear JSON error
    assert response.is_json


def test_unhandled_errors_show_no_stack_trace(make_app):
    app = make_app(PROPAGATE_EXCEPTIONS=False)

    @app.route("/boom")
    def boom():
        raise RuntimeError("secret internals /etc/passwd")

    @app.route("/forbidden")
    def forbidden():
        abort(403)

    client = app.test_client()
    for accept in ("text/html", "application/json"):
        response = client.get("/boom", headers={"Accept": accept})
        body = response.get_data(as_text=True)
        assert response.status_code == 500
        assert "secret internals" not in body and "Traceback" not in body
    assert client.get("/forbidden").status_code == 403


def test_oversized_body_is_refused(client):
    response = client.post("/auth/login", data={"email": "a" * (2 * 1024 * 1024)})
    assert response.status_code == 413
