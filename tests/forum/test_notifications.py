"""Following threads: a notification per follower on each new reply, the nav's bell, and
the /notifications page that marks them read."""

from __future__ import annotations

import re

import sqlalchemy as sa

from forum.models import ThreadSubscription
from portal.extensions import db
from portal.notifications.models import Notification
from tests.forum.builders import answer, count, form_token, member, reload, signed_in, start_thread


def bell(client) -> int:
    match = re.search(r'data-unread-notifications="(\d+)"', client.get("/forum").get_data(as_text=True))
    return int(match.group(1)) if match else 0


def notes(user_id):
    db.session.expire_all()
    return db.session.scalars(sa.select(Notification).where(Notification.user_id == user_id)
                              .order_by(Notification.id)).all()


def test_followers_get_one_notification_per_reply_but_not_for_their_own(app):
    with app.app_context():
        casey, robin, sam = (member(f"{n}@example.com", name=f"{n.title()} Doe") for n in ("casey", "robin", "sam"))
        ids = casey.id, robin.id, sam.id
        thread = start_thread(casey)
        first = answer(robin, thread, "Try the neighbours.")  # Robin now follows too
        assert [n.text for n in notes(ids[0])] == ["Robin Doe replied to “Parcel marked delivered but missing”"]
        assert notes(ids[0])[0].url == f"/forum/p/{first.id}" and notes(ids[1]) == []
        answer(casey, reload(type(thread), thread.id), "No luck yet.")
        assert len(notes(ids[0])) == 1 and len(notes(ids[1])) == 1  # the author of a reply is not told of it
        assert notes(ids[2]) == []  # Sam never followed
        thread_id = thread.id
    casey_client = signed_in(app, "casey@example.com")
    assert bell(casey_client) == 1
    page = casey_client.get("/notifications").get_data(as_text=True)
    assert "Robin Doe replied to" in page and 'class="notification unread"' in page
    assert bell(casey_client) == 0  # seen
    again = casey_client.get("/notifications").get_data(as_text=True)
    assert "Robin Doe replied to" in again and 'class="notification unread"' not in again
    with app.app_context():
        assert all(n.read_at is not None for n in notes(ids[0]))
        assert notes(ids[1])[0].read_at is None  # only the reader's own are marked

    # Unfollow: no more notifications; follow again: they come back.
    token = form_token(casey_client, f"/forum/t/{thread_id}")
    assert casey_client.post(f"/forum/t/{thread_id}/subscribe", data={"csrf_token": token}).status_code == 303
    with app.app_context():
        assert db.session.get(ThreadSubscription, (thread_id, ids[0])) is None
        answer(db.session.get(type(casey), ids[2]), reload(type(thread), thread_id), "Same problem here.")
        assert len(notes(ids[0])) == 1 and len(notes(ids[1])) == 2
    assert "Follow this thread" in casey_client.get(f"/forum/t/{thread_id}").get_data(as_text=True)
    casey_client.post(f"/forum/t/{thread_id}/subscribe", data={"csrf_token": token})
    with app.app_context():
        answer(db.session.get(type(casey), ids[1]), reload(type(thread), thread_id), "Any news?")
        assert len(notes(ids[0])) == 2


def test_notification_links_lead_to_the_reply(app):
    with app.app_context():
        casey, robin = member("casey@example.com"), member("robin@example.com")
        thread = start_thread(casey)
        post_id = answer(robin, thread).id
        [note] = notes(casey.id)
    client = signed_in(app, "casey@example.com")
    response = client.get(note.url)
    assert response.status_code == 302 and response.headers["Location"].endswith(f"#p{post_id}")


def test_notifications_need_an_account_and_the_bell_is_for_members(app):
    visitor = app.test_client()
    response = visitor.get("/notifications")
    assert response.status_code == 302 and "/auth/login" in response.headers["Location"]
    assert "data-notifications" not in visitor.get("/forum").get_data(as_text=True)
    with app.app_context():
        member("casey@example.com")
        assert count(Notification) == 0
    assert "data-notifications" in signed_in(app, "casey@example.com").get("/forum").get_data(as_text=True)
