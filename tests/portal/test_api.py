from tests.factories import make_article


def corpus(app):
    with app.app_context():
        make_article("charged-twice", "I was charged twice", "A double charge is usually a pending hold.",
                     tags=["double charge"])
        make_article("refunds", "Refund timing", "Refunds reach the card in 3-5 days.", category="returns-refunds")


def test_search_api_shape(app, client):
    corpus(app)
    response = client.get("/api/search?q=charged+twice&limit=10&type=article")
    assert response.status_code == 200
    data = response.get_json()
    assert data["query"] == "charged twice"
    assert data["total"] == 1
    assert data["suggestion"] is None
    [hit] = data["results"]
    assert set(hit) >= {"type", "slug", "title", "url", "snippet", "score"}
    assert hit == {**hit, "type": "article", "slug": "charged-twice", "url": "/kb/charged-twice"}
    assert hit["score"] > 0
    assert "double <mark>charge</mark>" in hit["snippet"]  # stemmed match in the body


def test_search_api_suggestion_and_limit(app, client):
    corpus(app)
    data = client.get("/api/search?q=refnd&limit=1").get_json()
    assert data["suggestion"] == "refund"
    assert len(data["results"]) == 1


def test_search_api_bad_input_is_a_400_json_error(app, client):
    for query in ("", "?q=", "?q=%20%20", "?q=" + "a" * 201, "?q=refund&limit=0", "?q=refund&limit=51",
                  "?q=refund&limit=ten", "?q=refund&limit=1.5", "?q=refund&type=forum-bomb", "?q=refund&page=-1"):
        response = client.get("/api/search" + query)
        assert response.status_code == 400, query
        assert response.is_json and response.get_json()["error"]["message"], query


def test_suggest_api(app, client):
    corpus(app)
    data = client.get("/api/search/suggest?q=charg").get_json()
    assert [s["url"] for s in data["suggestions"]] == ["/kb/charged-twice"]
    assert client.get("/api/search/suggest?q=c").get_json() == {"suggestions": []}
    assert client.get("/api/search/suggest?q=" + "a" * 300).status_code == 400


def test_readyz_reports_the_search_index(app, client):
    """/healthz is liveness only (tests/portal/test_observability.py); /readyz asks the index."""
    corpus(app)
    response = client.get("/readyz")
    assert response.status_code == 200
    data = response.get_json()
    assert data["status"] == "ready"
    assert data["database"]["ok"] is True
    assert data["search"]["documents"] == 2
