"""The admission gate (watched words, first-post approval, rate limit, sanctions), members'
flags and auto-hide, and the moderator's actions on posts from the queue."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from forum.models import Flag, ModerationLog, Post, PostRevision, Thread, UserSanction, WatchedWord
from forum.moderation import admission
from forum.settings import get_setting, set_setting
from portal.auth.models import User
from portal.clock import utcnow
from portal.extensions import db
from portal.notifications.models import Notification
from tests.forum.builders import answer, count, reload, start_thread
from tests.forum.moderation_helpers import browser, log_entries, moderation_app, search_hits, snapshot, thread_text


@pytest.fixture
def world(make_app):
    return moderation_app(make_app)


def user(ids, name) -> User:
    return db.session.get(User, ids[name])


def watch(pattern: str, action: str, is_regex: bool = False) -> None:
    db.session.add(WatchedWord(pattern=pattern, action=action, is_regex=is_regex))
    db.session.commit()


def reply_form(app, name: str, thread_id: int, body: str):
    return browser(app, name).post(f"/forum/t/{thread_id}/reply", {"body": body})


@pytest.fixture
def thread_with_reply(world):
    """Casey asks, Robin answers: (app, ids, thread id, reply id)."""
    app, ids = world
    with app.app_context():
        thread = start_thread(user(ids, "casey"))
        post = answer(user(ids, "robin"), thread, "Ring the depot on 0800 FLUFFYWOMBAT, they found mine.")
        return app, ids, thread.id, post.id


# ------------------------------------------------------------------ watched words
def test_a_blocked_word_refuses_the_post_and_names_the_word(world):
    app, ids = world
    with app.app_context():
        thread_id = start_thread(user(ids, "robin")).id
        watch("quickcash", "block")
        before = snapshot()
    response = reply_form(app, "casey", thread_id, "Try QuickCash dot example, it pays out fast")
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "QuickCash" in page and "not allowed" in page
    assert "it pays out fast" in page  # what they wrote is still in the form
    with app.app_context():
        assert snapshot() == before


def test_plain_words_match_whole_words_and_regexes_match_anywhere(world):
    app, ids = world
    with app.app_context():
        watch("ass", "block")
        watch(r"c[a@]sh\s*app", "block", is_regex=True)
        casey = user(ids, "casey")
        assert admission(casey, "", "Which class of delivery is fastest?").allowed
        assert not admission(casey, "", "Don't be an ASS about it").allowed
        refused = admission(casey, "", "send it by C@sh  App please")
        assert (refused.allowed, refused.refusal, refused.http_status) == (False, "watched_word", 422)
        assert "C@sh  App" in refused.reason
        assert not admission(casey, "Cashapp refunds?", "title only").allowed


def test_a_held_word_keeps_the_post_for_approval(world):
    app, ids = world
    with app.app_context():
        thread_id = start_thread(user(ids, "robin")).id
        watch("refund hack", "hold")
    response = reply_form(app, "casey", thread_id, "Here is a refund hack that works")
    assert response.status_code == 303
    with app.app_context():
        post = db.session.scalar(sa.select(Post).where(Post.body_md.contains("refund hack")))
        assert post.status == "pending"
        post_id = post.id
    assert "Here is a refund hack" not in thread_text(browser(app, "sam").client, thread_id)
    queue = browser(app, "mo").get("/moderation").get_data(as_text=True)
    assert f'id="pending-{post_id}"' in queue


def test_a_flagged_word_publishes_but_queues_a_system_flag(world):
    app, ids = world
    with app.app_context():
        thread_id = start_thread(user(ids, "robin")).id
        watch("competitor.example", "flag")
    assert reply_form(app, "casey", thread_id, "Cheaper at competitor.example today").status_code == 303
    with app.app_context():
        post = db.session.scalar(sa.select(Post).where(Post.body_md.contains("competitor")))
        assert post.status == "published"
        flag = db.session.scalar(sa.select(Flag).where(Flag.post_id == post.id))
        assert (flag.user_id, flag.reason) == (None, "other")
        assert "watched word" in flag.note.lower() and "competitor.example" in flag.note
        post_id = post.id
    queue = browser(app, "mo").get("/moderation").get_data(as_text=True)
    assert f'id="flagged-{post_id}"' in queue and "Automatic" in queue


def test_moderators_are_not_held_or_flagged_but_are_blocked(world):
    app, ids = world
    with app.app_context():
        watch("held", "hold")
        watch("flagme", "flag")
        watch("forbidden", "block")
        mo = user(ids, "mo")
        assert admission(mo, "", "held and flagme").status == "published"
        assert admission(mo, "", "held and flagme").flag_words == []
        assert not admission(mo, "", "forbidden").allowed


# ------------------------------------------------------------------ approval of new members
def test_new_members_first_posts_wait_for_approval(world):
    app, ids = world
    with app.app_context():
        set_setting("new_user_approval_posts", 2)
        db.session.commit()
        first = start_thread(user(ids, "casey"))
        assert (first.status, first.posts[0].status) == ("pending", "pending")
        first_id, opening_id = first.id, first.posts[0].id
        assert start_thread(user(ids, "mo"), title="Moderators are not held").status == "published"
    mod = browser(app, "mo")
    assert mod.post(f"/moderation/posts/{opening_id}/approve").status_code == 303
    with app.app_context():
        assert reload(Thread, first_id).status == "published"
        second = answer(user(ids, "casey"), reload(Thread, first_id), "One more")
        assert second.status == "pending"
        second_id = second.id
    mod.post(f"/moderation/posts/{second_id}/approve")
    with app.app_context():
        assert answer(user(ids, "casey"), reload(Thread, first_id), "Now trusted").status == "published"
        assert [e.action for e in log_entries()] == ["approve", "approve"]


# ------------------------------------------------------------------ rate limit
def test_posting_too_fast_is_refused_with_429_and_moderators_are_exempt(world):
    app, ids = world
    with app.app_context():
        set_setting("post_rate_limit_posts", 3)
        set_setting("post_rate_limit_minutes", 5)
        db.session.commit()
        thread = start_thread(user(ids, "casey"))
        thread_id = thread.id
        answer(user(ids, "casey"), thread, "second")
        answer(user(ids, "casey"), thread, "third")
        refused = admission(user(ids, "casey"), "", "fourth")
        assert (refused.allowed, refused.refusal, refused.http_status) == (False, "rate_limit", 429)
        assert 0 < refused.retry_after <= 300
        before = count(Post)
    response = reply_form(app, "casey", thread_id, "fourth, too soon")
    assert response.status_code == 429
    assert "3 posts every 5 minutes" in response.get_data(as_text=True)
    with app.app_context():
        assert count(Post) == before
        for _ in range(4):
            answer(user(ids, "mo"), reload(Thread, thread_id), "moderators are exempt")
        # Posts older than the window no longer count.
        db.session.execute(sa.update(Post).where(Post.author_id == ids["casey"])
                           .values(created_at=utcnow() - timedelta(minutes=6)))
        db.session.commit()
        assert admission(user(ids, "casey"), "", "later").allowed


def test_settings_default_to_the_app_config_and_stored_values_win(make_app):
    app, _ = moderation_app(make_app, FORUM_AUTO_HIDE_FLAGS=5, FORUM_POST_RATE_LIMIT_POSTS=20)
    with app.app_context():
        assert (get_setting("auto_hide_flags"), get_setting("post_rate_limit_posts")) == (5, 20)
        assert get_setting("post_rate_limit_minutes") == 5
        set_setting("auto_hide_flags", 2)
        db.session.commit()
        assert get_setting("auto_hide_flags") == 2


# ------------------------------------------------------------------ flags
def test_a_member_flags_a_post_and_the_queue_shows_it(thread_with_reply):
    app, ids, thread_id, post_id = thread_with_reply
    page = thread_text(browser(app, "sam").client, thread_id)
    assert f'action="/forum/p/{post_id}/flag"' in page
    response = browser(app, "sam").post(f"/forum/p/{post_id}/flag", {"reason": "spam", "note": "Phone scam"})
    assert response.status_code == 303
    with app.app_context():
        flag = db.session.scalar(sa.select(Flag))
        assert (flag.post_id, flag.user_id, flag.reason, flag.note, flag.resolved_at) == (
            post_id, ids["sam"], "spam", "Phone scam", None)
        assert reload(Post, post_id).status == "published"
    queue = browser(app, "mo").get("/moderation").get_data(as_text=True)
    assert f'data-post="{post_id}" data-flags="1"' in queue and "Phone scam" in queue
    record = browser(app, "mo").get(f"/moderation/users/{ids['robin']}").get_data(as_text=True)
    assert "Flags on their posts: open 1." in record


def test_scripts_flag_with_json(thread_with_reply):
    app, ids, thread_id, post_id = thread_with_reply
    response = browser(app, "sam").post_json(f"/forum/p/{post_id}/flag", {"reason": "abuse", "note": "Insults"})
    assert response.status_code == 201
    with app.app_context():
        flag = db.session.scalar(sa.select(Flag))
        assert response.get_json() == {"flag_id": flag.id, "post_id": post_id}
        assert (flag.reason, flag.note) == ("abuse", "Insults")
    bad = browser(app, "alex").post_json(f"/forum/p/{post_id}/flag", {"reason": "other"})
    assert bad.status_code == 400 and "what is wrong" in bad.get_json()["error"]["message"]


def test_one_flag_per_member_per_post(thread_with_reply):
    app, ids, thread_id, post_id = thread_with_reply
    sam = browser(app, "sam")
    assert sam.post(f"/forum/p/{post_id}/flag", {"reason": "spam"}).status_code == 303
    with app.app_context():
        before = snapshot()
    again = sam.post(f"/forum/p/{post_id}/flag", {"reason": "abuse", "note": "and rude"})
    assert again.status_code == 409
    assert "already flagged" in again.get_data(as_text=True)
    as_json = sam.post_json(f"/forum/p/{post_id}/flag", {"reason": "spam"})
    assert as_json.status_code == 409 and "already flagged" in as_json.get_json()["error"]["message"]
    with app.app_context():
        assert snapshot() == before


@pytest.mark.parametrize("form, status, message", [
    ({"reason": "other"}, 400, "what is wrong"),
    ({"reason": "other", "note": "   "}, 400, "what is wrong"),
    ({"reason": "spam", "note": "x" * 501}, 400, "under 500"),
    ({"reason": "rude"}, 400, "Not a valid choice"),
    ({}, 400, "Choose a reason"),
])
def test_bad_flags_are_refused(thread_with_reply, form, status, message):
    app, ids, thread_id, post_id = thread_with_reply
    with app.app_context():
        before = snapshot()
    response = browser(app, "sam").post(f"/forum/p/{post_id}/flag", form)
    assert response.status_code == status
    assert message in response.get_data(as_text=True)
    with app.app_context():
        assert snapshot() == before


def test_a_racing_duplicate_flag_meets_the_unique_constraint(thread_with_reply, monkeypatch):
    """Two submissions of the same flag at once: both pass the look-up, the database keeps one."""
    from forum.moderation import actions as moderation_actions

    app, ids, thread_id, post_id = thread_with_reply
    sam = browser(app, "sam")
    assert sam.post(f"/forum/p/{post_id}/flag", {"reason": "spam"}).status_code == 303
    real_scalar = db.session.scalar

    def blind_lookup(statement, *args, **kwargs):  # the second request's check ran before the first committed
        return None if "forum_flags.id" in str(statement) else real_scalar(statement, *args, **kwargs)

    monkeypatch.setattr(moderation_actions.db.session, "scalar", blind_lookup)
    response = sam.post(f"/forum/p/{post_id}/flag", {"reason": "abuse"})
    monkeypatch.undo()
    assert response.status_code == 409 and "already flagged" in response.get_data(as_text=True)
    with app.app_context():
        assert count(Flag) == 1


def test_who_cannot_flag(thread_with_reply):
    app, ids, thread_id, post_id = thread_with_reply
    with app.app_context():
        db.session.add(UserSanction(user_id=ids["sam"], kind="suspend", reason="spamming",
                                    ends_at=utcnow() + timedelta(days=1)))
        db.session.commit()
        before = snapshot()
    own = browser(app, "robin").post(f"/forum/p/{post_id}/flag", {"reason": "spam"})
    assert own.status_code == 403 and "your own post" in own.get_data(as_text=True)
    suspended = browser(app, "sam").post(f"/forum/p/{post_id}/flag", {"reason": "spam"})
    assert suspended.status_code == 403 and "suspended or banned" in suspended.get_data(as_text=True)
    anonymous = browser(app, None).post(f"/forum/p/{post_id}/flag", {"reason": "spam"})
    assert anonymous.status_code == 302 and "/auth/login" in anonymous.headers["Location"]
    assert browser(app, None).post_json(f"/forum/p/{post_id}/flag", {"reason": "spam"}).status_code == 401
    assert browser(app, "alex").post("/forum/p/999999/flag", {"reason": "spam"}).status_code == 404
    with app.app_context():
        assert snapshot() == before


def test_three_members_flagging_hide_the_post_until_a_moderator_looks(thread_with_reply):
    app, ids, thread_id, post_id = thread_with_reply
    assert search_hits(app, "FLUFFYWOMBAT")
    for name in ("sam", "alex"):
        browser(app, name).post(f"/forum/p/{post_id}/flag", {"reason": "spam"})
    with app.app_context():
        assert reload(Post, post_id).status == "published"  # two is not enough
    browser(app, "casey").post(f"/forum/p/{post_id}/flag", {"reason": "other", "note": "Fake number"})
    with app.app_context():
        post = reload(Post, post_id)
        assert (post.status, post.hidden_reason, post.hidden_by_id) == ("hidden", "auto-hidden after 3 flags", None)
        [entry] = log_entries("auto_hide")
        assert (entry.moderator_id, entry.target_type, entry.target_id, entry.data["flags"]) == (None, "post", post_id, 3)
    assert "FLUFFYWOMBAT" not in thread_text(browser(app, "ann").client, thread_id)
    assert not search_hits(app, "FLUFFYWOMBAT")
    moderator_view = thread_text(browser(app, "mo").client, thread_id)
    assert "FLUFFYWOMBAT" in moderator_view and "Hidden: auto-hidden after 3 flags" in moderator_view
    queue = browser(app, "mo").get("/moderation").get_data(as_text=True)
    assert f'data-post="{post_id}" data-flags="3"' in queue


def test_members_flagging_at_the_same_moment_still_reach_the_auto_hide(thread_with_reply, monkeypatch):
    """Two members flag at once with the threshold at two. Each request counts the flags a
    moment after writing its own (slowed here to make the overlap certain): without taking
    turns on the post, each would count only its own flag and the post would stay up."""
    import threading
    import time

    from forum.moderation import actions as moderation_actions

    app, ids, thread_id, post_id = thread_with_reply
    with app.app_context():
        set_setting("auto_hide_flags", 2)
        db.session.commit()
    counting = moderation_actions.auto_hide_if_flagged

    def slow_count(post):
        time.sleep(0.3)
        return counting(post)

    monkeypatch.setattr(moderation_actions, "auto_hide_if_flagged", slow_count)
    members = [browser(app, "sam"), browser(app, "alex")]
    barrier = threading.Barrier(2)
    codes = []

    def flag(member):
        barrier.wait()
        codes.append(member.post(f"/forum/p/{post_id}/flag", {"reason": "spam"}).status_code)

    threads = [threading.Thread(target=flag, args=(m,)) for m in members]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert codes == [303, 303]
    with app.app_context():
        assert count(Flag, Flag.post_id == post_id) == 2
        assert reload(Post, post_id).status == "hidden"
        assert len(log_entries("auto_hide")) == 1


def test_flags_from_one_member_or_the_system_do_not_add_up(thread_with_reply):
    app, ids, thread_id, post_id = thread_with_reply
    with app.app_context():
        db.session.add_all([Flag(post_id=post_id, user_id=None, reason="other", note="watched word: a"),
                            Flag(post_id=post_id, user_id=None, reason="other", note="watched word: b")])
        db.session.commit()
    sam = browser(app, "sam")
    for reason in ("spam", "abuse", "off_topic"):
        sam.post(f"/forum/p/{post_id}/flag", {"reason": reason})
    browser(app, "alex").post(f"/forum/p/{post_id}/flag", {"reason": "spam"})
    with app.app_context():
        assert count(Flag, Flag.post_id == post_id, Flag.user_id.is_not(None)) == 2
        assert reload(Post, post_id).status == "published"


def test_auto_hide_follows_the_setting(thread_with_reply):
    app, ids, thread_id, post_id = thread_with_reply
    with app.app_context():
        set_setting("auto_hide_flags", 0)
        db.session.commit()
    for name in ("sam", "alex", "casey", "ann"):
        browser(app, name).post(f"/forum/p/{post_id}/flag", {"reason": "spam"})
    with app.app_context():
        assert reload(Post, post_id).status == "published"


# ------------------------------------------------------------------ actions on posts
def test_hiding_a_post_takes_it_out_of_the_thread_and_search_and_logs_it(thread_with_reply):
    app, ids, thread_id, post_id = thread_with_reply
    browser(app, "sam").post(f"/forum/p/{post_id}/flag", {"reason": "spam"})
    response = browser(app, "mo").post(f"/moderation/posts/{post_id}/hide",
                                       {"reason": "Phone number is a scam", "next": "/moderation"})
    assert (response.status_code, response.headers["Location"]) == (303, "/moderation")
    with app.app_context():
        post = reload(Post, post_id)
        assert (post.status, post.hidden_reason, post.hidden_by_id) == ("hidden", "Phone number is a scam", ids["mo"])
        assert db.session.scalar(sa.select(Flag.resolution)) == "hidden"
        [entry] = log_entries("hide")
        assert (entry.moderator_id, entry.target_id, entry.reason) == (ids["mo"], post_id, "Phone number is a scam")
        note = db.session.scalar(sa.select(Notification).where(Notification.user_id == ids["robin"]))
        assert "hid your post" in note.text and "Phone number is a scam" in note.text
    assert "FLUFFYWOMBAT" not in thread_text(browser(app, "casey").client, thread_id)
    assert "FLUFFYWOMBAT" not in thread_text(browser(app, None).client, thread_id)
    assert "Hidden: Phone number is a scam" in thread_text(browser(app, "sue").client, thread_id)
    assert not search_hits(app, "FLUFFYWOMBAT")
    assert "No open flags" in browser(app, "mo").get("/moderation").get_data(as_text=True)

    assert browser(app, "mo").post(f"/moderation/posts/{post_id}/unhide", {"reason": "Number checked"}).status_code == 303
    with app.app_context():
        post = reload(Post, post_id)
        assert (post.status, post.hidden_reason, post.hidden_by_id) == ("published", "", None)
        assert log_entries("unhide")[0].reason == "Number checked"
    assert search_hits(app, "FLUFFYWOMBAT")


def test_hiding_the_opening_post_hides_the_thread(thread_with_reply):
    app, ids, thread_id, post_id = thread_with_reply
    with app.app_context():
        opening = db.session.scalar(sa.select(sa.func.min(Post.id)).where(Post.thread_id == thread_id))
    browser(app, "mo").post(f"/moderation/posts/{opening}/hide")
    with app.app_context():
        assert reload(Thread, thread_id).status == "hidden"
    assert browser(app, "sam").get(f"/forum/t/{thread_id}").status_code == 404
    assert not search_hits(app, "FLUFFYWOMBAT")


def test_a_hidden_answer_stops_being_the_accepted_answer(thread_with_reply):
    from forum.services import toggle_accept

    app, ids, thread_id, post_id = thread_with_reply
    with app.app_context():
        toggle_accept(user(ids, "casey"), db.session.get(Post, post_id))
        assert reload(Thread, thread_id).answered
    browser(app, "mo").post(f"/moderation/posts/{post_id}/hide", {"reason": "Fake phone number"})
    with app.app_context():
        thread = reload(Thread, thread_id)
        assert not thread.answered and thread.accepted_by_id is None
    assert "Answered" not in browser(app, "sam").get("/forum").get_data(as_text=True)


def test_dismissing_flags_restores_an_auto_hidden_post(thread_with_reply):
    app, ids, thread_id, post_id = thread_with_reply
    for name in ("sam", "alex", "casey"):
        browser(app, name).post(f"/forum/p/{post_id}/flag", {"reason": "off_topic"})
    response = browser(app, "mo").post(f"/moderation/posts/{post_id}/dismiss", {"reason": "It is on topic"})
    assert response.status_code == 303
    with app.app_context():
        assert reload(Post, post_id).status == "published"
        assert set(db.session.scalars(sa.select(Flag.resolution))) == {"dismissed"}
        assert set(db.session.scalars(sa.select(Flag.resolved_by_id))) == {ids["mo"]}
        [entry] = log_entries("dismiss_flags")
        assert entry.data == {"flags_resolved": 3, "restored": True, "thread_id": thread_id}
    again = browser(app, "mo").post(f"/moderation/posts/{post_id}/dismiss")
    assert again.status_code == 409 and "no open flags" in again.get_data(as_text=True)


def test_deleting_a_post_is_soft_and_logged(thread_with_reply):
    app, ids, thread_id, post_id = thread_with_reply
    assert browser(app, "ada").post(f"/moderation/posts/{post_id}/delete", {"reason": "Scam"}).status_code == 303
    with app.app_context():
        post = reload(Post, post_id)
        assert (post.status, post.hidden_reason) == ("deleted", "Scam")
        assert log_entries("delete")[0].data["previous_status"] == "published"
    assert "FLUFFYWOMBAT" not in thread_text(browser(app, "casey").client, thread_id)
    assert browser(app, "ada").post(f"/moderation/posts/{post_id}/delete").status_code == 409


def test_rejecting_a_held_post_tells_the_author(world):
    app, ids = world
    with app.app_context():
        watch("hold me", "hold")
        thread = start_thread(user(ids, "robin"))
        held = answer(user(ids, "casey"), thread, "please hold me")
        assert held.status == "pending"
        held_id = held.id
    assert browser(app, "mo").post(f"/moderation/posts/{held_id}/reject", {"reason": "Advertising"}).status_code == 303
    with app.app_context():
        assert reload(Post, held_id).status == "deleted"
        note = db.session.scalar(sa.select(Notification).where(Notification.user_id == ids["casey"],
                                                               Notification.kind == "moderation"))
        assert "did not approve" in note.text and "Advertising" in note.text
        assert log_entries("reject")[0].target_id == held_id
    assert browser(app, "mo").post(f"/moderation/posts/{held_id}/approve").status_code == 409


def test_approving_a_held_reply_notifies_the_thread_followers(world):
    app, ids = world
    with app.app_context():
        watch("hold me", "hold")
        thread = start_thread(user(ids, "robin"))
        held_id = answer(user(ids, "casey"), thread, "please hold me").id
        assert count(Notification, Notification.user_id == ids["robin"]) == 0
    browser(app, "mo").post(f"/moderation/posts/{held_id}/approve")
    with app.app_context():
        assert reload(Post, held_id).status == "published"
        assert count(Notification, Notification.user_id == ids["robin"], Notification.kind == "forum_reply") == 1
        assert count(Notification, Notification.user_id == ids["casey"], Notification.kind == "moderation") == 1


def test_a_moderator_edit_keeps_the_old_text_as_a_revision(thread_with_reply):
    app, ids, thread_id, post_id = thread_with_reply
    mod = browser(app, "mo")
    assert "FLUFFYWOMBAT" in mod.get(f"/moderation/posts/{post_id}/edit").get_data(as_text=True)
    response = mod.post(f"/moderation/posts/{post_id}/edit", {"body": "Ring the depot (number removed).",
                                                              "reason": "Personal number"})
    assert response.status_code == 303
    with app.app_context():
        post = reload(Post, post_id)
        assert post.body_md == "Ring the depot (number removed)." and "number removed" in post.body_html
        assert post.edited_at is not None
        revision = db.session.scalar(sa.select(PostRevision).where(PostRevision.post_id == post_id))
        assert (revision.editor_id, "FLUFFYWOMBAT" in revision.body_md, revision.title) == (ids["mo"], True, None)
        assert log_entries("edit")[0].reason == "Personal number"
    assert not search_hits(app, "FLUFFYWOMBAT")

    with app.app_context():
        before = snapshot()
    assert mod.post(f"/moderation/posts/{post_id}/edit", {"body": "   "}).status_code == 400
    assert mod.post(f"/moderation/posts/{post_id}/edit", {"body": "Ring the depot (number removed)."}).status_code == 409
    assert mod.post(f"/moderation/posts/{post_id}/edit", {"body": "x", "title": "A reply has no title"}).status_code == 400
    with app.app_context():
        assert snapshot() == before


def test_a_moderator_can_retitle_the_opening_post(thread_with_reply):
    app, ids, thread_id, post_id = thread_with_reply
    with app.app_context():
        opening = reload(Thread, thread_id).posts[0]
        opening_id, body = opening.id, opening.body_md
    browser(app, "mo").post(f"/moderation/posts/{opening_id}/edit", {"body": body, "title": "Parcel missing"})
    with app.app_context():
        assert (reload(Thread, thread_id).title, reload(Thread, thread_id).slug) == ("Parcel missing", "parcel-missing")
        revision = db.session.scalar(sa.select(PostRevision))
        assert revision.title == "Parcel marked delivered but missing"


@pytest.mark.parametrize("action", ["hide", "unhide", "dismiss", "approve", "reject", "delete"])
def test_actions_on_posts_that_do_not_fit_change_nothing(thread_with_reply, action):
    app, ids, thread_id, post_id = thread_with_reply
    with app.app_context():
        before = snapshot()
    mod = browser(app, "mo")
    assert mod.post(f"/moderation/posts/999999/{action}").status_code == 404
    if action != "hide":  # the reply is published: only hiding (and deleting) fits it
        expected = 303 if action == "delete" else 409
        assert mod.post(f"/moderation/posts/{post_id}/{action}").status_code == expected
        if expected == 303:
            return
    assert mod.post(f"/moderation/posts/{post_id}/{action}", {"reason": "x" * 301}).status_code == 400
    with app.app_context():
        assert snapshot() == before


def test_json_clients_get_json_answers(thread_with_reply):
    app, ids, thread_id, post_id = thread_with_reply
    mod = browser(app, "mo")
    done = mod.post_json(f"/moderation/posts/{post_id}/hide", {"reason": "spam"})
    assert done.status_code == 200 and done.get_json() == {
        "ok": True, "message": "The post is hidden from members.", "post_id": post_id, "status": "hidden"}
    refused = mod.post_json(f"/moderation/posts/{post_id}/hide", {"reason": "again"})
    assert refused.status_code == 409 and "Only a published post" in refused.get_json()["error"]["message"]
    with app.app_context():
        assert count(ModerationLog) == 1
