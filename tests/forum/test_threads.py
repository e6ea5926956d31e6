"""Starting threads, replying, quoting, editing with history; what the sanitiser lets through;
who may post; bad input refused without changing anything."""

from __future__ import annotations

import html
from datetime import timedelta

import pytest
import sqlalchemy as sa

from forum.models import Post, PostRevision, Tag, Thread, ThreadSubscription, UserSanction
from forum.moderation import Admission, admission, is_moderator
from portal.auth.models import User
from portal.clock import utcnow
from portal.extensions import db
from tests.forum.builders import (
    category,
    count,
    form_token,
    member,
    reload,
    signed_in,
    start_thread,
)


@pytest.fixture
def casey(app):
    with app.app_context():
        category()
        category("billing", "Billing")
        return member("casey@example.com", name="Casey Doe").id


def post_thread(client, **fields):
    data = {"category": "orders-delivery", "title": "Parcel marked delivered but missing",
            "body": "Tracking says delivered at noon, nothing on the doorstep.", "tags": "", **fields}
    data["csrf_token"] = form_token(client, "/forum/new")
    return client.post("/forum/new", data=data)


def test_a_member_starts_a_thread_with_tags_and_follows_it(app, casey):
    client = signed_in(app, "casey@example.com")
    response = post_thread(client, tags="Delivery, late parcel ,delivery")
    assert response.status_code == 303
    with app.app_context():
        thread = db.session.scalar(sa.select(Thread))
        assert response.headers["Location"] == f"/forum/t/{thread.id}-parcel-marked-delivered-but-missing"
        assert [t.name for t in thread.tags] == ["delivery", "late-parcel"]
        assert (thread.author_id, thread.status, thread.category.slug) == (casey, "published", "orders-delivery")
        assert count(Post, Post.thread_id == thread.id) == 1
        assert db.session.get(ThreadSubscription, (thread.id, casey)) is not None
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Parcel marked delivered but missing" in page and "nothing on the doorstep" in page
    assert 'href="/forum/tags/late-parcel"' in page
    listing = client.get("/forum").get_data(as_text=True)
    assert "Parcel marked delivered but missing" in listing


def test_anyone_reads_but_only_signed_in_members_post(app, casey):
    with app.app_context():
        thread_id = start_thread(db.session.get(User, casey)).id
    visitor = app.test_client()
    assert visitor.get("/forum").status_code == 200
    assert visitor.get(f"/forum/t/{thread_id}").status_code == 200
    assert "Log in</a> or" in visitor.get(f"/forum/t/{thread_id}").get_data(as_text=True)
    new_page = visitor.get("/forum/new")
    assert new_page.status_code == 302 and "/auth/login" in new_page.headers["Location"]
    token = form_token(visitor, "/auth/login")
    refused = visitor.post(f"/forum/t/{thread_id}/reply", data={"body": "Me too", "csrf_token": token})
    assert refused.status_code == 302 and "/auth/login" in refused.headers["Location"]
    with app.app_context():
        assert count(Post) == 1


def test_posts_are_rendered_through_the_sanitiser(app, casey):
    body = (
        "Steps that worked:\n\n"
        "```\nreset --network <b>now</b>\n```\n\n"
        "<script>alert('x')</script>\n\n"
        "See [the guide](https://example.com/guide) and [this](javascript:alert(1)).\n\n"
        '<a href="https://evil.example" onclick="steal()">raw link</a>'
    )
    client = signed_in(app, "casey@example.com")
    location = post_thread(client, body=body).headers["Location"]
    page = client.get(location).get_data(as_text=True)
    post_html = page.split('class="post-body">', 1)[1].split("</div>", 1)[0]
    assert "<pre><code>reset --network &lt;b&gt;now&lt;/b&gt;\n</code></pre>" in post_html
    assert '<a href="https://example.com/guide" rel="nofollow ugc">the guide</a>' in post_html
    assert "<script" not in post_html and 'href="javascript:' not in post_html
    assert '<a href="https://evil.example"' not in post_html
    assert "&lt;script&gt;" in post_html and "&lt;a href=" in post_html  # raw HTML is shown as text, never run


def test_reply_and_quote_with_attribution(app, casey):
    with app.app_context():
        robin = member("robin@example.com", name="Robin Roe")
        thread = start_thread(db.session.get(User, casey), body="Line one\n\nLine *two*")
        first_id, thread_id = thread.posts[0].id, thread.id
        other = start_thread(robin, title="Another question entirely")
        other_post = other.posts[0].id
    client = signed_in(app, "robin@example.com")
    form = client.get(f"/forum/t/{thread_id}/reply?quote={first_id}").get_data(as_text=True)
    quoted = f"> **Casey Doe** [wrote](/forum/p/{first_id}):\n>\n> Line one\n>\n> Line *two*\n\n"
    assert quoted in html.unescape(form).replace("\r\n", "\n")
    assert f'value="{first_id}"' in form
    token = form_token(client, f"/forum/t/{thread_id}")
    response = client.post(f"/forum/t/{thread_id}/reply",
                           data={"body": quoted + "Same here: it came the next day.", "reply_to": str(first_id),
                                 "csrf_token": token})
    assert response.status_code == 303
    with app.app_context():
        post = db.session.scalar(sa.select(Post).order_by(Post.id.desc()).limit(1))
        assert post.thread_id == thread_id and post.reply_to_id == first_id
        assert post.body_md.startswith(f"> **Casey Doe** [wrote](/forum/p/{first_id}):")
        assert db.session.get(ThreadSubscription, (thread_id, post.author_id)) is not None  # replier follows
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert f'<blockquote>\n<p><strong>Casey Doe</strong> <a href="/forum/p/{first_id}" rel="nofollow ugc">wrote</a>' in page
    # A post of another thread cannot be quoted here.
    assert client.get(f"/forum/t/{thread_id}/reply?quote={other_post}").status_code == 404
    assert client.get(f"/forum/t/{thread_id}/reply?quote=999999").status_code == 404


def test_editing_keeps_every_earlier_version(app, casey):
    with app.app_context():
        member("robin@example.com", name="Robin Roe")
        member("mo@example.com", roles=["moderator"], name="Mo Mod")
        thread = start_thread(db.session.get(User, casey), title="Order 1048 never came", tags="delivery",
                              body="My order number is BN-1048231 and my phone is 07700 900123.")
        post_id, thread_id = thread.posts[0].id, thread.id
    client = signed_in(app, "casey@example.com")
    form = client.get(f"/forum/p/{post_id}/edit").get_data(as_text=True)
    assert "BN-1048231" in form and 'value="Order 1048 never came"' in form
    token = form_token(client, f"/forum/p/{post_id}/edit")
    response = client.post(f"/forum/p/{post_id}/edit", data={
        "title": "Order never came", "body": "My order never came (number removed).", "tags": "delivery, missing",
        "csrf_token": token})
    assert response.status_code == 303
    # Saving the same text again writes no revision.
    client.post(f"/forum/p/{post_id}/edit", data={"title": "Order never came", "body": "My order never came "
                "(number removed).", "tags": "delivery, missing", "csrf_token": token})
    with app.app_context():
        thread, post = reload(Thread, thread_id), db.session.get(Post, post_id)
        assert (thread.title, thread.slug) == ("Order never came", "order-never-came")
        assert [t.name for t in thread.tags] == ["delivery", "missing"]
        assert post.body_md == "My order never came (number removed)." and post.edited_at is not None
        [revision] = db.session.scalars(sa.select(PostRevision)).all()
        assert revision.body_md.startswith("My order number is BN-1048231")
        assert revision.title == "Order 1048 never came" and revision.editor_id == casey
    page = client.get(f"/forum/t/{thread_id}").get_data(as_text=True)
    assert "BN-1048231" not in page and f"/forum/p/{post_id}/history" in page
    history = client.get(f"/forum/p/{post_id}/history").get_data(as_text=True)
    assert "BN-1048231" in history and "number removed" in history and "Order 1048 never came" in history
    # The old text is for the author and moderators only.
    assert signed_in(app, "mo@example.com").get(f"/forum/p/{post_id}/history").status_code == 200
    robin = signed_in(app, "robin@example.com")
    assert robin.get(f"/forum/p/{post_id}/history").status_code == 403
    assert robin.get(f"/forum/p/{post_id}/edit").status_code == 403
    robin_token = form_token(robin, "/forum")
    refused = robin.post(f"/forum/p/{post_id}/edit", data={"body": "Vandalised", "csrf_token": robin_token})
    assert refused.status_code == 403
    assert app.test_client().get(f"/forum/p/{post_id}/history").status_code == 302  # to the login page
    with app.app_context():
        assert db.session.get(Post, post_id).body_md == "My order never came (number removed)."
        assert count(PostRevision) == 1


@pytest.mark.parametrize("fields, status, message", [
    ({"title": "x" * 151}, 400, "Titles are 5 to 150 characters"),
    ({"title": "Hey"}, 400, "Titles are 5 to 150 characters"),
    ({"body": "   "}, 400, "Write something before posting"),
    ({"body": "b" * 20_001}, 400, "Posts are limited to 20,000 characters"),
    ({"tags": "refund, bad tag!"}, 400, "is not a valid tag"),
    ({"tags": "a, b, c, d, e, f"}, 400, "at most 5 tags"),
    ({"tags": "t" * 31}, 400, "limited to 30 characters"),
    ({"category": "no-such-category"}, 400, "Choose one of the listed categories"),
])
def test_bad_new_thread_input_is_refused_and_kept_in_the_form(app, casey, fields, status, message):
    client = signed_in(app, "casey@example.com")
    response = post_thread(client, **fields)
    page = html.unescape(response.get_data(as_text=True))
    assert response.status_code == status
    assert message in page
    if "body" not in fields:
        assert "Tracking says delivered at noon" in page  # nothing typed is lost
    with app.app_context():
        assert count(Thread) == count(Post) == count(Tag) == 0


def test_bad_reply_input_and_unknown_ids(app, casey):
    with app.app_context():
        thread_id = start_thread(db.session.get(User, casey)).id
    client = signed_in(app, "casey@example.com")
    token = form_token(client, f"/forum/t/{thread_id}")
    cases = [
        (f"/forum/t/{thread_id}/reply", {"body": ""}, 400),
        (f"/forum/t/{thread_id}/reply", {"body": "x" * 20_001}, 400),
        (f"/forum/t/{thread_id}/reply", {"body": "Hi", "reply_to": "abc"}, 400),
        (f"/forum/t/{thread_id}/reply", {"body": "Hi", "reply_to": "999999"}, 400),
        ("/forum/t/999999/reply", {"body": "Hi"}, 404),
        ("/forum/p/999999/edit", {"body": "Hi"}, 404),
        ("/forum/p/999999/vote", {}, 404),
        ("/forum/p/999999/accept", {}, 404),
        ("/forum/t/999999/subscribe", {}, 404),
    ]
    for path, data, status in cases:
        assert client.post(path, data={**data, "csrf_token": token}).status_code == status, (path, data)
    for path in ("/forum/t/999999", "/forum/p/999999", "/forum/c/nowhere", "/forum/tags/nothing-here",
                 "/forum/tags/Not%20A%20Tag", "/forum/p/999999/history", f"/forum/t/{thread_id}?page=9"):
        assert client.get(path).status_code == 404, path
    with app.app_context():
        assert count(Post) == 1
    # Without the CSRF token, nothing is posted.
    assert client.post(f"/forum/t/{thread_id}/reply", data={"body": "Forged"}).status_code == 400
    with app.app_context():
        assert count(Post) == 1


def sanction(user_id, kind, **fields):
    db.session.add(UserSanction(user_id=user_id, kind=kind, reason=fields.pop("reason", ""), **fields))
    db.session.commit()


def test_suspended_and_banned_members_cannot_post(app, casey):
    with app.app_context():
        robin = member("robin@example.com", name="Robin Roe")
        thread_id = start_thread(robin).id
        ends = utcnow() + timedelta(days=3)
        sanction(casey, "suspend", ends_at=ends, reason="Repeated spam links.")
        sanction(casey, "warn")  # a warning alone never stops anyone
    client = signed_in(app, "casey@example.com")
    refused = post_thread(client)
    page = html.unescape(refused.get_data(as_text=True))
    assert refused.status_code == 403
    assert f"suspended from posting in the community until {ends.strftime('%d %B %Y')}" in page
    assert "Repeated spam links." in page
    assert "Tracking says delivered at noon" in page  # the draft is still there
    token = form_token(client, f"/forum/t/{thread_id}")
    assert client.post(f"/forum/t/{thread_id}/reply", data={"body": "Hi", "csrf_token": token}).status_code == 403
    thread_page = client.get(f"/forum/t/{thread_id}").get_data(as_text=True)
    assert "suspended from posting" in thread_page and 'id="reply-body"' not in thread_page
    with app.app_context():
        assert count(Thread) == 1 and count(Post) == 1
        # Expired and lifted suspensions no longer count; a ban has no end.
        db.session.execute(sa.update(UserSanction).values(ends_at=utcnow() - timedelta(minutes=1)))
        db.session.commit()
    assert post_thread(client).status_code == 303
    with app.app_context():
        sanction(casey, "ban", reason="")
    banned = post_thread(client, title="Another thread title")
    assert banned.status_code == 403 and "banned from posting" in banned.get_data(as_text=True)
    with app.app_context():
        db.session.execute(sa.update(UserSanction).where(UserSanction.kind == "ban").values(lifted_at=utcnow()))
        db.session.commit()
    assert post_thread(client, title="Another thread title").status_code == 303


def test_admission_and_moderator_checks(app, casey):
    with app.app_context():
        user = db.session.get(User, casey)
        mod = member("mo@example.com", roles=["moderator"])
        sup = member("sue@example.com", roles=["supervisor"])
        agent = member("ann@example.com", roles=["agent"])
        assert admission(user, "A title", "A body") == Admission(allowed=True, status="published", reason="",
                                                                flag_words=[])
        assert [is_moderator(u) for u in (user, mod, sup, agent)] == [False, True, True, False]
        sanction(casey, "suspend", ends_at=utcnow() + timedelta(hours=2))
        decision = admission(user, "A title", "A body")
        assert not decision.allowed and "suspended" in decision.reason


def test_locked_threads_refuse_replies_and_edits(app, casey):
    with app.app_context():
        thread = start_thread(db.session.get(User, casey))
        thread_id, post_id = thread.id, thread.posts[0].id
        thread.locked = True
        db.session.commit()
    client = signed_in(app, "casey@example.com")
    token = form_token(client, f"/forum/t/{thread_id}")
    assert client.post(f"/forum/t/{thread_id}/reply", data={"body": "Hi", "csrf_token": token}).status_code == 409
    assert client.post(f"/forum/p/{post_id}/edit", data={"body": "New", "csrf_token": token}).status_code == 409
    assert "This thread is locked" in client.get(f"/forum/t/{thread_id}").get_data(as_text=True)
    with app.app_context():
        assert count(Post) == 1 and db.session.get(Post, post_id).body_md.startswith("The tracking says")


def test_pending_threads_are_seen_only_by_their_author_and_moderators(app, casey):
    with app.app_context():
        member("robin@example.com")
        member("mo@example.com", roles=["moderator"])
        thread = start_thread(db.session.get(User, casey))
        thread.status = thread.posts[0].status = "pending"
        db.session.commit()
        thread_id = thread.id
    assert app.test_client().get(f"/forum/t/{thread_id}").status_code == 404
    assert signed_in(app, "robin@example.com").get(f"/forum/t/{thread_id}").status_code == 404
    own = signed_in(app, "casey@example.com").get(f"/forum/t/{thread_id}").get_data(as_text=True)
    assert "awaiting approval" in own
    assert signed_in(app, "mo@example.com").get(f"/forum/t/{thread_id}").status_code == 200
    assert "Parcel marked delivered" not in app.test_client().get("/forum").get_data(as_text=True)
