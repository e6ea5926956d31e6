import sqlalchemy as sa

from portal.extensions import db
from portal.kb.models import ArticleVote
from tests.conftest import csrf_from
from tests.factories import PASSWORD, make_article, make_user

BODY = """## When you see two payments

A pending **authorisation** usually drops off in 3-5 days.

<script>alert('x')</script>

| Status | Meaning |
| --- | --- |
| Pending | a hold |

See [refunds](when-will-i-get-my-refund.md) and [evil](javascript:alert(1)).

Contact {{ brand }} if both stay.
"""


def setup_articles(app):
    with app.app_context():
        main = make_article("charged-twice", "Charged twice by {{ brand }}", BODY, tags=["double charge", "refund"])
        make_article("refund-timing", "When will I get my refund?", "Refunds take 3-5 days.", tags=["refund"])
        make_article("invoices", "Invoices", "Download invoices.", tags=["invoice"])
        make_article("hidden", "Hidden draft", "Not yet.", published=False)
        make_article("laptop", "Laptop will not start", "Hold the power button.", category="product-help")
        return main.slug


def test_article_page_renders_markdown_safely_with_brand(app, client):
    slug = setup_articles(app)
    page = client.get(f"/kb/{slug}").get_data(as_text=True)
    assert "<h1>Charged twice by Brightnest</h1>" in page
    assert "<strong>authorisation</strong>" in page
    assert "<table>" in page
    assert "<script>alert" not in page  # raw HTML is escaped, never executed
    assert "href=\"javascript:" not in page  # markdown-it refuses the link; it stays text
    assert 'href="/kb/when-will-i-get-my-refund"' in page  # file links become portal links
    assert "Contact Brightnest if both stay." in page
    assert "{{ brand }}" not in page


def test_related_articles_prefer_shared_tags_in_the_same_category(app, client):
    slug = setup_articles(app)
    page = client.get(f"/kb/{slug}").get_data(as_text=True)
    related = page.split('class="related"')[1]
    assert related.index("When will I get my refund?") < related.index("Invoices")
    assert "Laptop will not start" not in related  # another category
    assert "Hidden draft" not in related


def test_category_pages_and_unknown_ids(app, client):
    setup_articles(app)
    page = client.get("/kb/category/billing-payments").get_data(as_text=True)
    assert "Billing and payments" in page and "Invoices" in page and "Laptop" not in page
    assert client.get("/kb/category/no-such-topic").status_code == 404
    assert client.get("/kb/no-such-article").status_code == 404
    assert client.get("/kb/hidden").status_code == 404
    home = client.get("/").get_data(as_text=True)
    assert "Product set-up and troubleshooting" in home


def vote(client, slug, helpful, comment=""):
    token = csrf_from(client.get(f"/kb/{slug}").get_data(as_text=True))
    return client.post(f"/kb/{slug}/vote", data={"helpful": helpful, "comment": comment, "csrf_token": token})


def votes(app):
    with app.app_context():
        return db.session.scalars(sa.select(ArticleVote).order_by(ArticleVote.id)).all()


def test_visitor_votes_once_and_can_change_the_answer(app, client):
    slug = setup_articles(app)
    assert vote(client, slug, "yes", "Clear, thanks").status_code == 303
    assert vote(client, slug, "no", "Actually it did not say what to send").status_code == 303
    [only] = votes(app)
    assert only.helpful is False and only.comment.startswith("Actually")
    assert "You found this article not helpful" in client.get(f"/kb/{slug}").get_data(as_text=True)
    # Another visitor is another vote.
    other = app.test_client()
    assert vote(other, slug, "yes").status_code == 303
    assert len(votes(app)) == 2


def test_signed_in_vote_follows_the_user_not_the_browser(app, client, login):
    slug = setup_articles(app)
    with app.app_context():
        make_user("casey@example.com")
    login("casey@example.com", PASSWORD)
    vote(client, slug, "yes")
    second_browser = app.test_client()
    token = csrf_from(second_browser.get("/auth/login").get_data(as_text=True))
    second_browser.post("/auth/login", data={"email": "casey@example.com", "password": PASSWORD, "csrf_token": token})
    vote(second_browser, slug, "no")
    [only] = votes(app)
    assert only.user_id is not None and only.helpful is False


def test_bad_votes_change_nothing(app, client):
    slug = setup_articles(app)
    assert vote(client, slug, "maybe").status_code == 400
    assert vote(client, slug, "yes", "x" * 1001).status_code == 400
    no_token = client.post(f"/kb/{slug}/vote", data={"helpful": "yes"})
    assert no_token.status_code == 400
    assert client.post("/kb/no-such-article/vote", data={"helpful": "yes"}).status_code in (400, 404)
    assert votes(app) == []


def test_counts_are_shown_to_staff_only(app, client, login):
    slug = setup_articles(app)
    vote(client, slug, "yes", "Helpful table")
    vote(app.test_client(), slug, "no")
    assert 'data-testid="vote-counts"' not in client.get(f"/kb/{slug}").get_data(as_text=True)
    with app.app_context():
        make_user("agent@example.com", roles=["agent"])
        make_user("cust@example.com", roles=["customer"])
    login("cust@example.com", PASSWORD)
    assert 'data-testid="vote-counts"' not in client.get(f"/kb/{slug}").get_data(as_text=True)
    staff = app.test_client()
    token = csrf_from(staff.get("/auth/login").get_data(as_text=True))
    staff.post("/auth/login", data={"email": "agent@example.com", "password": PASSWORD, "csrf_token": token})
    page = staff.get(f"/kb/{slug}").get_data(as_text=True)
    assert "1 found it helpful, 1 did not" in page
    assert "Helpful table" in page


def test_article_pages_are_cached_for_the_configured_time(make_app, monkeypatch):
    import portal.kb.services as services

    app = make_app(KB_PAGE_CACHE_SECONDS=30)
    services.clear_page_cache()
    slug = setup_articles(app)
    client = app.test_client()
    assert "Charged twice by Brightnest" in client.get(f"/kb/{slug}").get_data(as_text=True)
    with app.app_context():
        article = db.session.scalar(sa.select(services.Article).where(services.Article.slug == slug))
        article.title = "Renamed article"
        db.session.commit()
    assert "Charged twice by Brightnest" in client.get(f"/kb/{slug}").get_data(as_text=True)  # cached
    clock = services.time.monotonic() + 31
    monkeypatch.setattr(services.time, "monotonic", lambda: clock)
    assert "Renamed article" in client.get(f"/kb/{slug}").get_data(as_text=True)  # expired
    services.clear_page_cache()
