"""Upvotes (one per member per post, a toggle) and the accepted answer (one per thread,
chosen by the person who asked or a moderator)."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
import sqlalchemy as sa

from forum.models import PostVote, Thread
from portal.extensions import db
from portal.notifications.models import Notification
from tests.forum.builders import (
    answer,
    count,
    form_token,
    member,
    meta_token,
    reload,
    signed_in,
    start_thread,
)


@pytest.fixture
def world(app):
    with app.app_context():
        casey = member("casey@example.com", name="Casey Doe")
        robin = member("robin@example.com", name="Robin Roe")
        sam = member("sam@example.com", name="Sam Sol")
        member("mo@example.com", roles=["moderator"], name="Mo Mod")
        thread = start_thread(casey)
        first = answer(robin, thread, "Ask the neighbours.")
        second = answer(sam, thread, "Look for a photo on the tracking page.")
        return SimpleNamespace(thread=thread.id, question=thread.posts[0].id, first=first.id, second=second.id)


def click(client, path, thread_id):
    return client.post(path, data={"csrf_token": form_token(client, f"/forum/t/{thread_id}")})


def test_a_vote_is_one_per_member_and_toggles(app, world):
    casey, sam = signed_in(app, "casey@example.com"), signed_in(app, "sam@example.com")
    assert click(casey, f"/forum/p/{world.first}/vote", world.thread).status_code == 303
    assert click(sam, f"/forum/p/{world.first}/vote", world.thread).status_code == 303
    with app.app_context():
        assert count(PostVote, PostVote.post_id == world.first) == 2
    page = casey.get(f"/forum/t/{world.thread}").get_data(as_text=True)
    assert 'aria-pressed="true">Helpful <span class="vote-count" data-votes="2">' in page
    # Again: the vote is taken back.
    click(casey, f"/forum/p/{world.first}/vote", world.thread)
    with app.app_context():
        assert count(PostVote, PostVote.post_id == world.first) == 1
    # Scripts get JSON, with the token in the header.
    token = meta_token(casey, f"/forum/t/{world.thread}")
    response = casey.post(f"/forum/p/{world.first}/vote", headers={"X-CSRFToken": token, "Accept": "application/json"})
    assert response.get_json() == {"post_id": world.first, "votes": 2, "voted": True}


def test_no_vote_for_your_own_post_and_none_without_signing_in(app, world):
    robin = signed_in(app, "robin@example.com")
    response = click(robin, f"/forum/p/{world.first}/vote", world.thread)
    assert response.status_code == 403 and "your own post" in response.get_data(as_text=True)
    visitor = app.test_client()
    token = meta_token(visitor, f"/forum/t/{world.thread}")
    assert visitor.post(f"/forum/p/{world.first}/vote", data={"csrf_token": token}).status_code == 302
    assert visitor.post(f"/forum/p/{world.first}/vote", headers={"Accept": "application/json", "X-CSRFToken": token}
                        ).status_code == 401
    with app.app_context():
        assert count(PostVote) == 0


def accepted(app, thread_id):
    with app.app_context():
        return reload(Thread, thread_id).accepted_post_id


def test_the_asker_accepts_one_answer_and_others_cannot(app, world):
    robin, sam = signed_in(app, "robin@example.com"), signed_in(app, "sam@example.com")
    refused = click(robin, f"/forum/p/{world.first}/accept", world.thread)
    assert refused.status_code == 403 and "Only the person who asked" in refused.get_data(as_text=True)
    assert click(sam, f"/forum/p/{world.second}/accept", world.thread).status_code == 403
    assert accepted(app, world.thread) is None
    assert "Mark as answer" not in robin.get(f"/forum/t/{world.thread}").get_data(as_text=True)

    casey = signed_in(app, "casey@example.com")
    assert "Mark as answer" in casey.get(f"/forum/t/{world.thread}").get_data(as_text=True)
    assert click(casey, f"/forum/p/{world.first}/accept", world.thread).status_code == 303
    assert accepted(app, world.thread) == world.first
    # One per thread: choosing another replaces it.
    assert click(casey, f"/forum/p/{world.second}/accept", world.thread).status_code == 303
    assert accepted(app, world.thread) == world.second
    # The question itself is not an answer.
    assert click(casey, f"/forum/p/{world.question}/accept", world.thread).status_code == 409
    assert accepted(app, world.thread) == world.second
    page = casey.get(f"/forum/t/{world.thread}").get_data(as_text=True)
    assert f'id="p{world.second}" class="post card post-accepted"' in page
    assert "Answered" in casey.get("/forum").get_data(as_text=True)
    with app.app_context():
        notes = db.session.scalars(sa.select(Notification).where(Notification.kind == "forum_accepted")).all()
        assert sorted(n.url for n in notes) == sorted([f"/forum/p/{world.first}", f"/forum/p/{world.second}"])
    # Accepting the accepted one again takes it back.
    click(casey, f"/forum/p/{world.second}/accept", world.thread)
    assert accepted(app, world.thread) is None


def test_a_moderator_may_accept_an_answer(app, world):
    mo = signed_in(app, "mo@example.com")
    token = meta_token(mo, f"/forum/t/{world.thread}")
    response = mo.post(f"/forum/p/{world.first}/accept", headers={"X-CSRFToken": token, "Accept": "application/json"})
    assert response.status_code == 200 and response.get_json() == {"post_id": world.first, "accepted": True}
    with app.app_context():
        thread = reload(Thread, world.thread)
        assert thread.accepted_post_id == world.first and thread.accepted_at is not None
    robin = signed_in(app, "robin@example.com")
    robin_token = meta_token(robin, f"/forum/t/{world.thread}")
    refused = robin.post(f"/forum/p/{world.second}/accept",
                         headers={"X-CSRFToken": robin_token, "Accept": "application/json"})
    assert refused.status_code == 403 and refused.get_json()["error"]["message"].startswith("Only the person")
    assert accepted(app, world.thread) == world.first
