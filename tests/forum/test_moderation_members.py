"""Warnings, suspensions and bans (and lifting them); the settings page; watched words;
the moderation log."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from forum.models import Flag, ForumSetting, ModerationLog, Post, UserSanction, WatchedWord
from forum.moderation import admission
from forum.settings import get_setting
from portal.auth.models import User
from portal.clock import utcnow
from portal.extensions import db
from portal.notifications.models import Notification
from tests.forum.builders import count, reload, start_thread
from tests.forum.moderation_helpers import browser, log_entries, moderation_app, snapshot


@pytest.fixture
def world(make_app):
    return moderation_app(make_app)


def in_days(days: float) -> str:
    return (utcnow() + timedelta(days=days)).strftime("%Y-%m-%dT%H:%M")


def can_post(ids, name) -> bool:
    return admission(db.session.get(User, ids[name]), "", "Any news on my parcel?").allowed


def notes_for(user_id) -> list[str]:
    return list(db.session.scalars(sa.select(Notification.text).where(Notification.user_id == user_id)
                                   .order_by(Notification.id)))


# ------------------------------------------------------------------ sanctions
def test_a_warning_needs_a_reason_and_reaches_the_member(world):
    app, ids = world
    mod = browser(app, "mo")
    with app.app_context():
        before = snapshot()
    missing = mod.post(f"/moderation/users/{ids['casey']}/warn", {"reason": "  "})
    assert missing.status_code == 400 and "Give a reason" in missing.get_data(as_text=True)
    with app.app_context():
        assert snapshot() == before
    assert mod.post(f"/moderation/users/{ids['casey']}/warn", {"reason": "Keep it civil, please."}).status_code == 303
    with app.app_context():
        warning = db.session.scalar(sa.select(UserSanction))
        assert (warning.user_id, warning.kind, warning.created_by_id, warning.ends_at) == (
            ids["casey"], "warn", ids["mo"], None)
        assert notes_for(ids["casey"]) == ["A community moderator sent you a warning: Keep it civil, please."]
        [entry] = log_entries("warn")
        assert (entry.target_type, entry.target_id, entry.data["sanction_id"]) == ("user", ids["casey"], warning.id)
        assert can_post(ids, "casey")  # a warning does not stop anyone posting
    assert "Keep it civil" in mod.get(f"/moderation/users/{ids['casey']}").get_data(as_text=True)


@pytest.mark.parametrize("form, message", [
    ({"reason": "Spam"}, "Choose when the suspension ends"),
    ({"reason": "Spam", "ends_at": "next tuesday"}, "Not a valid datetime"),
    ({"reason": "Spam", "ends_at": "2020-01-01T10:00"}, "must end in the future"),
    ({"reason": "Spam", "ends_at": "2999-01-01T10:00"}, "at most ten years"),
    ({"ends_at": "2999-01-01T10:00"}, "Give a reason"),
])
def test_bad_suspensions_are_refused(world, form, message):
    app, ids = world
    with app.app_context():
        before = snapshot()
    response = browser(app, "mo").post(f"/moderation/users/{ids['casey']}/suspend", form)
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)
    with app.app_context():
        assert snapshot() == before


def test_a_suspension_stops_posting_and_flagging_until_it_is_lifted(world):
    app, ids = world
    with app.app_context():
        thread_id = start_thread(db.session.get(User, ids["robin"])).id
    mod = browser(app, "mo")
    response = mod.post(f"/moderation/users/{ids['casey']}/suspend", {"reason": "Spamming links",
                                                                      "ends_at": in_days(3)})
    assert response.status_code == 303
    with app.app_context():
        suspension = db.session.scalar(sa.select(UserSanction))
        assert suspension.kind == "suspend" and suspension.ends_at > utcnow() + timedelta(days=2)
        assert not can_post(ids, "casey")
        assert "suspended from posting" in notes_for(ids["casey"])[0]
        assert log_entries("suspend")[0].reason == "Spamming links"
        sanction_id = suspension.id
    casey = browser(app, "casey")
    refused = casey.post(f"/forum/t/{thread_id}/reply", {"body": "Let me in"})
    assert refused.status_code == 403 and "suspended" in refused.get_data(as_text=True)
    with app.app_context():
        opening = db.session.scalar(sa.select(sa.func.min(Post.id)).where(Post.thread_id == thread_id))
    flag = casey.post(f"/forum/p/{opening}/flag", {"reason": "spam"})
    assert flag.status_code == 403 and "cannot flag" in flag.get_data(as_text=True)
    with app.app_context():
        assert count(Flag) == 0

    assert mod.post(f"/moderation/sanctions/{sanction_id}/lift", {"reason": "Apologised"}).status_code == 303
    with app.app_context():
        assert reload(UserSanction, sanction_id).lifted_at is not None
        assert can_post(ids, "casey")
        assert "can post in the community again" in notes_for(ids["casey"])[-1]
        assert log_entries("lift")[0].data == {"sanction_id": sanction_id, "kind": "suspend"}
    assert mod.post(f"/moderation/sanctions/{sanction_id}/lift").status_code == 409
    assert mod.post("/moderation/sanctions/999999/lift").status_code == 404


def test_a_ban_has_no_end_and_cannot_be_repeated(world):
    app, ids = world
    admin = browser(app, "ada")
    assert admin.post(f"/moderation/users/{ids['casey']}/ban", {"reason": "Repeated abuse"}).status_code == 303
    with app.app_context():
        ban = db.session.scalar(sa.select(UserSanction))
        assert (ban.kind, ban.ends_at) == ("ban", None)
        assert not can_post(ids, "casey")
        before = snapshot()
    again = admin.post(f"/moderation/users/{ids['casey']}/ban", {"reason": "Again"})
    assert again.status_code == 409 and "already banned" in again.get_data(as_text=True)
    suspend = admin.post(f"/moderation/users/{ids['casey']}/suspend", {"reason": "x", "ends_at": in_days(1)})
    assert suspend.status_code == 409
    assert admin.post(f"/moderation/users/{ids['casey']}/ban", {}).status_code == 400
    with app.app_context():
        assert snapshot() == before


def test_staff_and_oneself_cannot_be_sanctioned(world):
    app, ids = world
    with app.app_context():
        before = snapshot()
    mod = browser(app, "mo")
    for name in ("sue", "ada", "mo"):
        response = mod.post(f"/moderation/users/{ids[name]}/warn", {"reason": "Testing"})
        assert response.status_code == 403
    assert mod.post("/moderation/users/999999/ban", {"reason": "Nobody"}).status_code == 404
    assert mod.get("/moderation/users/999999").status_code == 404
    with app.app_context():
        assert snapshot() == before
    assert "cannot be warned, suspended or banned" in mod.get(f"/moderation/users/{ids['sue']}").get_data(as_text=True)


# ------------------------------------------------------------------ settings
def test_settings_are_saved_and_logged(world):
    app, ids = world
    mod = browser(app, "mo")
    page = mod.get("/moderation/settings").get_data(as_text=True)
    assert 'name="auto_hide_flags"' in page and 'value="3"' in page
    form = {"auto_hide_flags": "5", "new_user_approval_posts": "2", "post_rate_limit_posts": "10",
            "post_rate_limit_minutes": "5"}
    assert mod.post("/moderation/settings", form).status_code == 303
    with app.app_context():
        assert (get_setting("auto_hide_flags"), get_setting("new_user_approval_posts")) == (5, 2)
        [entry] = log_entries("settings")
        assert entry.data == {"changes": {"auto_hide_flags": [3, 5], "new_user_approval_posts": [0, 2]}}
    assert mod.post("/moderation/settings", form).status_code == 303  # nothing changed: nothing logged
    with app.app_context():
        assert len(log_entries("settings")) == 1


@pytest.mark.parametrize("key, value", [("auto_hide_flags", "-1"), ("post_rate_limit_minutes", "0"),
                                        ("new_user_approval_posts", "lots"), ("post_rate_limit_posts", "")])
def test_bad_settings_change_nothing(world, key, value):
    app, ids = world
    form = {"auto_hide_flags": "4", "new_user_approval_posts": "1", "post_rate_limit_posts": "10",
            "post_rate_limit_minutes": "5", key: value}
    response = browser(app, "mo").post("/moderation/settings", form)
    assert response.status_code == 400
    with app.app_context():
        assert count(ForumSetting) == 0 and count(ModerationLog) == 0


# ------------------------------------------------------------------ watched words
def test_watched_words_can_be_added_edited_and_removed(world):
    app, ids = world
    mod = browser(app, "mo")
    assert mod.post("/moderation/words", {"pattern": " Cheap Pills ", "action": "block"}).status_code == 303
    with app.app_context():
        word = db.session.scalar(sa.select(WatchedWord))
        assert (word.pattern, word.is_regex, word.action, word.created_by_id) == ("Cheap Pills", False, "block", ids["mo"])
        word_id = word.id
        assert not admission(db.session.get(User, ids["casey"]), "", "cheap pills here").allowed
    assert "Cheap Pills" in mod.get("/moderation/words").get_data(as_text=True)
    assert mod.post(f"/moderation/words/{word_id}/edit", {"pattern": r"cheap\s+pills?", "is_regex": "y",
                                                          "action": "hold"}).status_code == 303
    with app.app_context():
        decision = admission(db.session.get(User, ids["casey"]), "", "CHEAP   PILL")
        assert (decision.allowed, decision.status) == (True, "pending")
    assert mod.post(f"/moderation/words/{word_id}/delete").status_code == 303
    with app.app_context():
        assert count(WatchedWord) == 0
        assert [e.action for e in log_entries()] == ["word_add", "word_edit", "word_delete"]
        assert log_entries("word_delete")[0].data["pattern"] == r"cheap\s+pills?"


@pytest.mark.parametrize("form, status, message", [
    ({"pattern": "free(money", "is_regex": "y", "action": "block"}, 400, "does not work"),
    ({"pattern": "a*", "is_regex": "y", "action": "block"}, 400, "matches empty text"),
    ({"pattern": "   ", "action": "block"}, 400, "Enter a word"),
    ({"pattern": "spam", "action": "explode"}, 400, "Not a valid choice"),
    ({"pattern": "x" * 201, "action": "flag"}, 400, "200"),
    ({"pattern": "EXISTING", "action": "flag"}, 409, "already a watched word"),
])
def test_bad_watched_words_are_refused(world, form, status, message):
    app, ids = world
    with app.app_context():
        db.session.add(WatchedWord(pattern="existing", action="hold"))
        db.session.commit()
        before = snapshot()
    response = browser(app, "mo").post("/moderation/words", form)
    assert response.status_code == status
    assert message in response.get_data(as_text=True)
    with app.app_context():
        assert snapshot() == before


def test_unknown_words_are_404(world):
    app, ids = world
    mod = browser(app, "mo")
    assert mod.get("/moderation/words/999999/edit").status_code == 404
    assert mod.post("/moderation/words/999999/edit", {"pattern": "x", "action": "flag"}).status_code == 404
    assert mod.post("/moderation/words/999999/delete").status_code == 404


# ------------------------------------------------------------------ the log
def test_the_log_lists_actions_newest_first_filters_and_pages(world):
    app, ids = world
    mod = browser(app, "mo")
    for n in range(3):
        mod.post(f"/moderation/users/{ids['casey']}/warn", {"reason": f"Warning number {n}"})
    mod.post("/moderation/words", {"pattern": "spamword", "action": "flag"})
    page = mod.get("/moderation/log").get_data(as_text=True)
    assert page.index("word add") < page.index("Warning number 2") < page.index("Warning number 0")
    only_words = mod.get("/moderation/log?action=word_add").get_data(as_text=True)
    assert 'data-action="word_add"' in only_words and 'data-action="warn"' not in only_words
    assert mod.get("/moderation/log?action=launch_rockets").status_code == 400
    with app.app_context():
        db.session.add_all([ModerationLog(moderator_id=ids["mo"], action="pin", target_type="thread", target_id=n,
                                          reason=f"bulk {n}") for n in range(45)])
        db.session.commit()
    first = mod.get("/moderation/log?action=pin").get_data(as_text=True)
    assert first.count('data-action="pin"') == 40 and "Page 1 of 2" in first
    second = mod.get("/moderation/log?action=pin&page=2").get_data(as_text=True)
    assert second.count('data-action="pin"') == 5
