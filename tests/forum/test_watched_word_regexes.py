"""Moderators' regexes run on every member's post: they run in time linear in the post (RE2),
and a pattern only a backtracking engine can run is refused when it is saved (issue 15, #3).

With Python's own engine, `(a+)+$` against a post of 30 "a"s and a "!" runs for minutes and
holds the worker until gunicorn kills it. The checks run under an alarm, so the old engine
fails these tests within seconds instead of hanging them.
"""

from __future__ import annotations

import signal
import time
from contextlib import contextmanager

import pytest

from forum.models import WatchedWord
from forum.moderation import admission, watched_word_matches
from portal.auth.models import User
from portal.extensions import db
from tests.forum.builders import count, start_thread
from tests.forum.moderation_helpers import browser, moderation_app, snapshot

HOSTILE = "(a+)+$"


@pytest.fixture
def world(make_app):
    return moderation_app(make_app)


@contextmanager
def at_most(seconds: float):
    """Fail (instead of hanging) when the block runs longer: Python's regex engine checks for signals."""
    def too_slow(signum, frame):
        raise AssertionError(f"took more than {seconds} s")

    previous = signal.signal(signal.SIGALRM, too_slow)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def test_a_nested_quantifier_checks_a_50000_character_post_in_linear_time(world):
    app, ids = world
    assert browser(app, "mo").post("/moderation/words", {"pattern": HOSTILE, "is_regex": "y",
                                                          "action": "block"}).status_code == 303
    with app.app_context():
        text = "a" * 50_000 + "!"  # no match: a backtracking engine tries every split of the a's
        # A backtracking engine would take longer than the universe has left; the bounds leave a
        # loaded CI box room for a stall.
        with at_most(10):
            watched_word_matches(text)  # compiles and caches the pattern
            started = time.perf_counter()
            assert watched_word_matches(text) == []
            elapsed = time.perf_counter() - started
        assert elapsed < 1.0, f"{elapsed * 1000:.0f} ms"
        with at_most(10):
            [match] = watched_word_matches("a" * 50_000)
        assert match.word.pattern == HOSTILE and len(match.found) == 50_000


def test_a_members_post_against_the_hostile_pattern_is_answered_at_once(world):
    app, ids = world
    with app.app_context():
        db.session.add(WatchedWord(pattern=HOSTILE, action="block", is_regex=True))
        db.session.commit()
        thread_id = start_thread(db.session.get(User, ids["robin"])).id
        before = count(WatchedWord)
    casey = browser(app, "casey")
    with at_most(5):
        posted = casey.post(f"/forum/t/{thread_id}/reply", {"body": "a" * 19_990 + " ok!"})
        blocked = casey.post(f"/forum/t/{thread_id}/reply", {"body": "b " + "a" * 19_990})
    assert posted.status_code == 303
    assert blocked.status_code == 422 and "not allowed" in blocked.get_data(as_text=True)
    with app.app_context():
        assert count(WatchedWord) == before


@pytest.mark.parametrize("pattern, construct", [
    (r"(\w+)\s+\1", "backreferences"),
    (r"(?<!free )money", "look-arounds"),
    (r"cash(?=app)", "look-arounds"),
    (r"(?!ok)spam", "look-arounds"),
])
def test_a_pattern_that_needs_backtracking_is_refused_when_saved(world, pattern, construct):
    app, ids = world
    with app.app_context():
        before = snapshot()
    response = browser(app, "mo").post("/moderation/words", {"pattern": pattern, "is_regex": "y", "action": "block"})
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "does not work" in page and construct in page and "RE2" in page
    with app.app_context():
        assert snapshot() == before


def test_legitimate_regexes_keep_working_ignoring_case_and_across_letters(world):
    app, ids = world
    with app.app_context():
        for pattern in (r"c[a@]sh\s*app", r"\bfree\s+(money|gift ?cards?)\b", r"crème\s+brûlée", r"^urgent"):
            db.session.add(WatchedWord(pattern=pattern, action="hold", is_regex=True))
        db.session.commit()
        casey = db.session.get(User, ids["casey"])
        found = [m.found for m in watched_word_matches("Send C@SH  App or FREE Giftcards for CRÈME BRÛLÉE")]
        assert found == ["C@SH  App", "FREE Giftcards", "CRÈME BRÛLÉE"]
        assert watched_word_matches("not urgent") == []
        assert [m.found for m in watched_word_matches("URGENT: my parcel")] == ["URGENT"]
        assert admission(casey, "", "pay me by cashapp").status == "pending"


def test_a_stored_word_that_no_longer_compiles_is_skipped_and_shown_to_moderators(world):
    """Saved before regexes ran on RE2 (or edited in the database): posts are not checked against it."""
    app, ids = world
    with app.app_context():
        db.session.add(WatchedWord(pattern=r"(spam)\1", action="block", is_regex=True))
        db.session.commit()
        assert admission(db.session.get(User, ids["casey"]), "", "spamspam").allowed
    page = browser(app, "mo").get("/moderation/words").get_data(as_text=True)
    assert "Not checked: this pattern does not work with RE2" in page
