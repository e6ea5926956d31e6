"""`flask seed demo` adds the community's demo categories and threads once."""

import sqlalchemy as sa

from forum.models import ForumCategory, Post, Thread
from portal.extensions import db


def test_seed_demo_adds_the_forum_once(app):
    runner = app.test_cli_runner()
    first, second = runner.invoke(args=["seed", "demo"]), runner.invoke(args=["seed", "demo"])
    assert first.exit_code == second.exit_code == 0, first.output
    assert "Community: 5 demo threads added" in first.output and "Community" not in second.output
    with app.app_context():
        names = db.session.scalars(sa.select(ForumCategory.name).order_by(ForumCategory.position)).all()
        assert names == ["Orders & delivery", "Billing", "Products & setup", "Feedback"]
        threads = db.session.scalars(sa.select(Thread)).all()
        assert len(threads) == 5 and sum(t.accepted_post_id is not None for t in threads) == 2  # the delivery and the lamp questions
        assert db.session.scalar(sa.select(sa.func.count(Post.id))) == 10
        assert all("<script" not in p.body_html for p in db.session.scalars(sa.select(Post)))
    client = app.test_client()
    answered = client.get("/api/search?q=parcel+delivered&type=thread").get_json()["results"]
    assert answered and answered[0]["answered"] is True
    assert client.get("/forum").status_code == 200
