"""Who may call what: every moderation endpoint against every role, and forged or missing
CSRF tokens. A refused request must leave the database as it was; an allowed one that
changes something must really change it (so "nothing changed" is a real check).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

import pytest
import sqlalchemy as sa

from forum.models import Flag, ForumCategory, UserSanction, WatchedWord
from portal.auth.models import User
from portal.clock import utcnow
from portal.extensions import db
from tests.forum.builders import answer, start_thread
from tests.forum.moderation_helpers import browser, moderation_app, snapshot

ROLES = ("anonymous", "customer", "agent", "moderator", "supervisor", "admin")
SIGN_IN = {"anonymous": None, "customer": "sam", "agent": "ann", "moderator": "mo", "supervisor": "sue",
           "admin": "ada"}
MODERATORS = {"moderator", "supervisor", "admin"}


@dataclass(frozen=True)
class Endpoint:
    method: str
    path: str  # {post}, {pending}, {thread}, {other}, {member}, {sanction}, {word}, {category} filled per call
    ok: int
    body: dict | None = None
    members: bool = False  # any signed-in member may call it (else moderators only)
    changes: bool = False

    def __str__(self) -> str:
        return f"{self.method} {self.path}"


ENDPOINTS = [
    Endpoint("GET", "/forum/p/{post}/flag", 200, members=True),
    Endpoint("POST", "/forum/p/{post}/flag", 303, {"reason": "spam"}, members=True, changes=True),
    Endpoint("GET", "/moderation", 200),
    Endpoint("GET", "/moderation?sort=newest", 200),
    Endpoint("POST", "/moderation/posts/{post}/hide", 303, {"reason": "Spam"}, changes=True),
    Endpoint("POST", "/moderation/posts/{hidden}/unhide", 303, changes=True),
    Endpoint("POST", "/moderation/posts/{post}/dismiss", 303, changes=True),
    Endpoint("POST", "/moderation/posts/{pending}/approve", 303, changes=True),
    Endpoint("POST", "/moderation/posts/{pending}/reject", 303, {"reason": "Advert"}, changes=True),
    Endpoint("POST", "/moderation/posts/{post}/delete", 303, changes=True),
    Endpoint("GET", "/moderation/posts/{post}/edit", 200),
    Endpoint("POST", "/moderation/posts/{post}/edit", 303, {"body": "Cleaned up."}, changes=True),
    Endpoint("GET", "/moderation/threads/{thread}", 200),
    Endpoint("POST", "/moderation/threads/{thread}/lock", 303, changes=True),
    Endpoint("POST", "/moderation/threads/{locked}/unlock", 303, changes=True),
    Endpoint("POST", "/moderation/threads/{thread}/pin", 303, changes=True),
    Endpoint("POST", "/moderation/threads/{pinned}/unpin", 303, changes=True),
    Endpoint("POST", "/moderation/threads/{thread}/move", 303, {"category": "{category}"}, changes=True),
    Endpoint("POST", "/moderation/threads/{other}/merge", 303, {"target": "{thread}"}, changes=True),
    Endpoint("GET", "/moderation/users/{member}", 200),
    Endpoint("POST", "/moderation/users/{member}/warn", 303, {"reason": "Be kind"}, changes=True),
    Endpoint("POST", "/moderation/users/{member}/suspend", 303, {"reason": "Spam", "ends_at": "{tomorrow}"},
             changes=True),
    Endpoint("POST", "/moderation/users/{member}/ban", 303, {"reason": "Abuse"}, changes=True),
    Endpoint("POST", "/moderation/sanctions/{sanction}/lift", 303, changes=True),
    Endpoint("GET", "/moderation/log", 200),
    Endpoint("GET", "/moderation/settings", 200),
    Endpoint("POST", "/moderation/settings", 303, {"auto_hide_flags": "{n}", "new_user_approval_posts": "0",
                                                   "post_rate_limit_posts": "0", "post_rate_limit_minutes": "5"},
             changes=True),
    Endpoint("GET", "/moderation/words", 200),
    Endpoint("POST", "/moderation/words", 303, {"pattern": "{unique}", "action": "flag"}, changes=True),
    Endpoint("GET", "/moderation/words/{word}/edit", 200),
    Endpoint("POST", "/moderation/words/{word}/edit", 303, {"pattern": "{unique}", "action": "block"}, changes=True),
    Endpoint("POST", "/moderation/words/{word}/delete", 303, changes=True),
]


def expected(endpoint: Endpoint, role: str) -> int | str:
    if role == "anonymous":
        return "login"
    if endpoint.members or role in MODERATORS:
        return endpoint.ok
    return 403


@pytest.fixture
def world(make_app):
    app, ids = moderation_app(make_app, FORUM_POST_RATE_LIMIT_POSTS=0)  # the builders post a lot
    clients = {role: browser(app, SIGN_IN[role]) for role in ROLES}
    return app, ids, clients


def build_targets(ids: dict, serial: int) -> dict:
    """Fresh rows for one call, so calls never see each other's changes."""
    user = lambda name: db.session.get(User, ids[name])  # noqa: E731
    thread = start_thread(user("casey"), title=f"Parcel missing, case {serial}")
    post = answer(user("robin"), thread, f"Reply number {serial}")
    other = start_thread(user("robin"), title=f"Same parcel problem {serial}")
    hidden = answer(user("robin"), thread, "A hidden reply")
    hidden.status, hidden.hidden_reason = "hidden", "spam"
    pending = answer(user("robin"), thread, "A held reply")
    pending.status = "pending"
    locked = start_thread(user("casey"), title=f"Locked thread {serial}")
    locked.locked = True
    pinned = start_thread(user("casey"), title=f"Pinned thread {serial}")
    pinned.pinned = True
    db.session.add(Flag(post_id=post.id, user_id=ids["alex"], reason="spam"))
    customer = User(email=f"member{serial}@example.com", name=f"Member {serial}", password_hash="x")
    db.session.add(customer)
    db.session.flush()
    sanction = UserSanction(user_id=customer.id, kind="suspend", reason="Spam", ends_at=utcnow() + timedelta(days=1))
    word = WatchedWord(pattern=f"word{serial}", action="hold")
    db.session.add_all([sanction, word])
    db.session.commit()
    billing = db.session.scalar(sa.select(ForumCategory.id).where(ForumCategory.slug == "billing"))
    return {"post": post.id, "hidden": hidden.id, "pending": pending.id, "thread": thread.id, "other": other.id,
            "locked": locked.id, "pinned": pinned.id, "member": customer.id, "sanction": sanction.id,
            "word": word.id, "category": billing, "unique": f"fresh{serial}", "n": serial + 4,
            "tomorrow": (utcnow() + timedelta(days=1)).strftime("%Y-%m-%dT%H:%M")}


def call(client, endpoint: Endpoint, values: dict):
    path = endpoint.path.format(**values)
    if endpoint.method == "GET":
        return client.get(path)
    body = {key: str(value).format(**values) for key, value in (endpoint.body or {}).items()}
    return client.post(path, body)


@pytest.mark.parametrize("endpoint", ENDPOINTS, ids=str)
def test_every_role_against_every_moderation_endpoint(world, endpoint):
    app, ids, clients = world
    outcomes, wanted = {}, {}
    values = None
    for serial, role in enumerate(ROLES):
        with app.app_context():
            # A refused call or a page view left the rows as they were (asserted below), so
            # the next role may be tried on them; after an allowed change, fresh ones.
            if values is None:
                values = build_targets(ids, serial)
            before = snapshot()
        response = call(clients[role], endpoint, values)
        got = response.status_code
        if got == 302 and "/auth/login" in response.headers.get("Location", ""):
            got = "login"
        want = expected(endpoint, role)
        outcomes[role], wanted[role] = got, want
        with app.app_context():
            after = snapshot()
        if want != endpoint.ok:
            assert after == before, f"{role}: a refused call changed the database"
        elif endpoint.changes:
            assert after != before, f"{role}: the allowed call changed nothing"
            values = None
        else:
            assert after == before, f"{role}: a page view changed the database"
    assert outcomes == wanted


def test_scripts_get_401_not_a_login_page(world):
    app, ids, clients = world
    with app.app_context():
        values = build_targets(ids, 99)
    anonymous = clients["anonymous"]
    assert anonymous.post_json(f"/moderation/posts/{values['post']}/hide").status_code == 401
    assert anonymous.post_json(f"/forum/p/{values['post']}/flag", {"reason": "spam"}).status_code == 401
    assert clients["customer"].post_json(f"/moderation/posts/{values['post']}/hide").status_code == 403


# ------------------------------------------------------------------ CSRF
CSRF_CASES = [
    ("/forum/p/{post}/flag", {"reason": "spam"}, "customer"),
    ("/moderation/posts/{post}/hide", {"reason": "Spam"}, "moderator"),
    ("/moderation/posts/{pending}/approve", {}, "moderator"),
    ("/moderation/posts/{post}/edit", {"body": "Changed"}, "moderator"),
    ("/moderation/threads/{thread}/lock", {}, "moderator"),
    ("/moderation/threads/{other}/merge", {"target": "{thread}"}, "moderator"),
    ("/moderation/users/{member}/ban", {"reason": "Abuse"}, "admin"),
    ("/moderation/sanctions/{sanction}/lift", {}, "supervisor"),
    ("/moderation/settings", {"auto_hide_flags": "9", "new_user_approval_posts": "0",
                              "post_rate_limit_posts": "10", "post_rate_limit_minutes": "5"}, "moderator"),
    ("/moderation/words", {"pattern": "newword", "action": "block"}, "moderator"),
    ("/moderation/words/{word}/delete", {}, "moderator"),
]


@pytest.mark.parametrize("path, body, role", CSRF_CASES, ids=[c[0] for c in CSRF_CASES])
@pytest.mark.parametrize("token", ["missing", "forged", "another session's"])
def test_forged_or_missing_csrf_tokens_are_refused(world, path, body, role, token):
    app, ids, clients = world
    with app.app_context():
        values = build_targets(ids, 7)
        before = snapshot()
    data = {key: value.format(**values) for key, value in body.items()}
    if token == "forged":
        data["csrf_token"] = "IjEyMzQ1Njc4OTAi.forged.signature"
    elif token == "another session's":
        other = "admin" if role != "admin" else "moderator"
        data["csrf_token"] = clients[other].token
    response = clients[role].client.post(path.format(**values), data=data)
    assert response.status_code == 400
    assert "was not sent from this site" in response.get_data(as_text=True)
    with app.app_context():
        assert snapshot() == before


def test_only_moderators_see_the_moderation_link(world):
    app, ids, clients = world
    for role in ROLES:
        page = clients[role].get("/forum").get_data(as_text=True)
        assert ('href="/moderation"' in page) == (role in MODERATORS), role
