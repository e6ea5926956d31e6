"""Moderators' work on threads: lock, pin, move and merge, each logged; bad input refused."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from forum.models import ForumCategory, Post, Thread, ThreadSubscription
from portal.auth.models import User
from portal.extensions import db
from tests.forum.builders import answer, count, reload, start_thread
from tests.forum.moderation_helpers import browser, log_entries, moderation_app, search_hits, snapshot


@pytest.fixture
def world(make_app):
    """(app, ids, thread id): Casey asks in orders-delivery, Robin answers."""
    app, ids = moderation_app(make_app)
    with app.app_context():
        thread = start_thread(db.session.get(User, ids["casey"]))
        answer(db.session.get(User, ids["robin"]), thread, "Ask the courier for a photo.")
        return app, ids, thread.id


def test_a_locked_thread_takes_replies_only_from_moderators(world):
    app, ids, thread_id = world
    mod = browser(app, "mo")
    response = mod.post(f"/moderation/threads/{thread_id}/lock", {"reason": "Resolved, going in circles"})
    assert response.status_code == 303
    with app.app_context():
        assert reload(Thread, thread_id).locked
        [entry] = log_entries("lock")
        assert (entry.moderator_id, entry.target_type, entry.target_id, entry.reason) == (
            ids["mo"], "thread", thread_id, "Resolved, going in circles")
        posts = count(Post)
    refused = browser(app, "robin").post(f"/forum/t/{thread_id}/reply", {"body": "One more thing"})
    assert refused.status_code == 409 and "locked" in refused.get_data(as_text=True)
    page = browser(app, "robin").get(f"/forum/t/{thread_id}").get_data(as_text=True)
    assert "closed it to new replies" in page and 'name="body"' not in page
    assert 'name="body"' in mod.get(f"/forum/t/{thread_id}").get_data(as_text=True)
    assert mod.post(f"/forum/t/{thread_id}/reply", {"body": "Closing this: see the answer above."}).status_code == 303
    with app.app_context():
        assert count(Post) == posts + 1
    assert mod.post(f"/moderation/threads/{thread_id}/lock").status_code == 409
    assert mod.post(f"/moderation/threads/{thread_id}/unlock").status_code == 303
    with app.app_context():
        assert not reload(Thread, thread_id).locked
        assert [e.action for e in log_entries()] == ["lock", "unlock"]
    assert browser(app, "robin").post(f"/forum/t/{thread_id}/reply", {"body": "Thanks"}).status_code == 303


def test_pin_and_unpin(world):
    app, ids, thread_id = world
    mod = browser(app, "sue")
    assert mod.post(f"/moderation/threads/{thread_id}/pin").status_code == 303
    with app.app_context():
        assert reload(Thread, thread_id).pinned
    assert mod.post(f"/moderation/threads/{thread_id}/pin").status_code == 409
    assert mod.post(f"/moderation/threads/{thread_id}/unpin").status_code == 303
    with app.app_context():
        assert not reload(Thread, thread_id).pinned
        assert [e.action for e in log_entries()] == ["pin", "unpin"]


def test_moving_a_thread_to_another_category(world):
    app, ids, thread_id = world
    with app.app_context():
        billing = db.session.scalar(sa.select(ForumCategory.id).where(ForumCategory.slug == "billing"))
        before = snapshot()
    mod = browser(app, "mo")
    assert "Billing" in mod.get(f"/moderation/threads/{thread_id}").get_data(as_text=True)
    assert mod.post(f"/moderation/threads/{thread_id}/move", {"category": "999999"}).status_code == 404
    assert mod.post(f"/moderation/threads/{thread_id}/move", {"category": "billing"}).status_code == 400
    assert mod.post(f"/moderation/threads/{thread_id}/move", {}).status_code == 400
    with app.app_context():
        assert snapshot() == before
    response = mod.post(f"/moderation/threads/{thread_id}/move", {"category": str(billing), "reason": "About a charge"})
    assert response.status_code == 303
    with app.app_context():
        assert reload(Thread, thread_id).category_id == billing
        [entry] = log_entries("move")
        assert entry.data["to_category"] == billing and entry.reason == "About a charge"
    again = mod.post(f"/moderation/threads/{thread_id}/move", {"category": str(billing)})
    assert again.status_code == 409 and "already in Billing" in again.get_data(as_text=True)
    listing = browser(app, None).get("/forum/c/billing").get_data(as_text=True)
    assert f'data-thread="{thread_id}"' in listing


def test_merging_a_duplicate_moves_its_posts_and_redirects(world):
    app, ids, target_id = world
    with app.app_context():
        duplicate = start_thread(db.session.get(User, ids["sam"]), title="Parcel says delivered, not here",
                                 body="Same problem as everyone: ZEBRACROSSING in the tracking.")
        answer(db.session.get(User, ids["alex"]), duplicate, "Me too.")
        source_id = duplicate.id
        source_posts = [p.id for p in duplicate.posts]
    assert search_hits(app, "ZEBRACROSSING") == [f"/forum/t/{source_id}-parcel-says-delivered-not-here"]
    mod = browser(app, "mo")
    response = mod.post(f"/moderation/threads/{source_id}/merge", {"target": str(target_id), "reason": "Duplicate"})
    assert response.status_code == 303
    with app.app_context():
        source, target = reload(Thread, source_id), reload(Thread, target_id)
        assert source.merged_into_id == target_id
        assert count(Post, Post.thread_id == source_id) == 0
        assert set(source_posts) <= {p.id for p in target.posts}
        assert [p.id for p in target.posts] == sorted(p.id for p in target.posts)
        assert db.session.get(ThreadSubscription, (target_id, ids["sam"])) is not None  # Sam follows it now
        [entry] = log_entries("merge")
        assert entry.data == {"into": target_id, "posts_moved": 2} and entry.reason == "Duplicate"
    redirect = browser(app, None).get(f"/forum/t/{source_id}")
    assert redirect.status_code == 301 and redirect.headers["Location"].startswith(f"/forum/t/{target_id}-")
    assert "ZEBRACROSSING" in browser(app, None).get(redirect.headers["Location"]).get_data(as_text=True)
    assert search_hits(app, "ZEBRACROSSING") == [f"/forum/t/{target_id}-parcel-marked-delivered-but-missing"]

    with app.app_context():
        before = snapshot()
    again = mod.post(f"/moderation/threads/{source_id}/merge", {"target": str(target_id)})
    assert again.status_code == 409
    into_merged = mod.post(f"/moderation/threads/{target_id}/merge", {"target": str(source_id)})
    assert into_merged.status_code == 400 and "merge into that one" in into_merged.get_data(as_text=True)
    with app.app_context():
        assert snapshot() == before


def test_bad_merges_change_nothing(world):
    app, ids, thread_id = world
    with app.app_context():
        before = snapshot()
    mod = browser(app, "mo")
    itself = mod.post(f"/moderation/threads/{thread_id}/merge", {"target": str(thread_id)})
    assert itself.status_code == 400 and "into itself" in itself.get_data(as_text=True)
    assert mod.post(f"/moderation/threads/{thread_id}/merge", {"target": "999999"}).status_code == 404
    assert mod.post(f"/moderation/threads/{thread_id}/merge", {"target": "not a number"}).status_code == 400
    assert mod.post(f"/moderation/threads/{thread_id}/merge", {}).status_code == 400
    assert mod.post("/moderation/threads/999999/merge", {"target": str(thread_id)}).status_code == 404
    with app.app_context():
        assert snapshot() == before


@pytest.mark.parametrize("path", ["lock", "unlock", "pin", "unpin", "move", "merge"])
def test_unknown_threads_are_404(world, path):
    app, ids, thread_id = world
    assert browser(app, "mo").post(f"/moderation/threads/999999/{path}").status_code == 404
    assert browser(app, "mo").get("/moderation/threads/999999").status_code == 404


def test_thread_tools_page_shows_the_state_and_history(world):
    app, ids, thread_id = world
    mod = browser(app, "mo")
    mod.post(f"/moderation/threads/{thread_id}/pin", {"reason": "Common question"})
    page = mod.get(f"/moderation/threads/{thread_id}").get_data(as_text=True)
    assert "Unpin" in page and "Common question" in page and "Merge into another thread" in page
