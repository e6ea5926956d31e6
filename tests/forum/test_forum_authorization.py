"""Who may call what in the forum: every forum, forum-API, notification and bot-community
route against every role, on the targets that change the answer (one's own post or someone
else's, a locked thread, a hidden or pending one).

A refused call, whatever its method, must leave the forum's tables as they were; an allowed
call that writes must change something (so "nothing changed" is real). Every POST form and
the JSON deflection note is also sent with no CSRF token, a made-up one and another
session's: 400, and nothing changes.

What the code decides (forum/permissions.py, forum/services.py, forum/moderation.py):
- anyone reads published threads; a hidden thread or post exists only for moderators
  (moderator, supervisor, admin), a pending one also for its author;
- /forum/p/<id>/edit is the author's own page, for moderators too (they edit through
  /moderation/posts/<id>/edit, covered by the moderation tests);
- a suspended or banned member still reads, follows and opens forms, but may not post,
  edit, vote, accept or flag (403); a locked thread takes replies from moderators only and
  edits from no one (409);
- the accepted answer is chosen by the thread's author or a moderator; no one votes for
  or flags their own post;
- the bot endpoint answers a bearer service token, never a session;
- agents, supervisors and admins take a thread to support as a ticket; moderators turn an
  accepted answer into a knowledge-base draft (forum/bridge_views.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

import pytest
import sqlalchemy as sa

from forum.models import Post, PostRevision, Tag, Thread, ThreadSubscription, UserSanction
from forum.text import render_post, slugify
from portal.clock import utcnow
from portal.extensions import db
from tests.forum.builders import SERVICE_TOKEN, category, forum_app, member, meta_token, signed_in

ROLES = ("anonymous", "customer", "suspended", "banned", "agent", "moderator", "supervisor", "admin")
MODERATORS = {"moderator", "supervisor", "admin"}
SANCTIONED = {"suspended", "banned"}
USER_ROLES = {"customer": ["customer"], "suspended": ["customer"], "banned": ["customer"], "agent": ["agent"],
              "moderator": ["moderator"], "supervisor": ["supervisor"], "admin": ["admin"]}
TICKET_ROLES = {"agent", "supervisor", "admin"}  # forum/bridge_views.py: who takes a thread to support
LOGIN = "login"  # a browser is sent to the login page (302 to /auth/login)
OWN_TARGETS = {"own", "own_locked", "own_thread", "pending_own"}  # the caller's own thread or post


@dataclass(frozen=True)
class Endpoint:
    method: str
    rule: str  # as in app.url_map, so the matrix can be checked against the routes
    path: str  # {thread} {post} {slug} {tag} {category} are filled per call
    kind: str  # which rule of expected() applies
    ok: int  # the status when allowed
    targets: tuple[str, ...] = ("none",)
    form: dict | None = None  # an HTML form post (else JSON, for POST)
    body: dict | None = None
    changes: bool = False  # an allowed call writes
    sanctioned: int | None = None  # the status a suspended or banned member gets, when not ``ok``

    @property
    def html(self) -> bool:
        return not self.path.startswith("/api/")

    def __str__(self) -> str:
        return f"{self.method} {self.path}"


THREAD_FORM = {"category": "orders-delivery", "title": "Parcel left at the wrong door",
               "body": "The photo shows a door that is not mine.", "tags": "delivery"}
REPLY_FORM = {"body": "Same here, it turned up next door."}
EDIT_FORM = {"title": "Parcel left at the wrong door (found)", "body": "Edited: it turned up next door after all."}

ENDPOINTS = [
    Endpoint("GET", "/forum", "/forum", "public", 200),
    Endpoint("GET", "/forum/c/<slug>", "/forum/c/{category}", "public", 200),
    Endpoint("GET", "/forum/tags/<tag>", "/forum/tags/{tag}", "public", 200),
    Endpoint("GET", "/forum/t/<int:thread_id>", "/forum/t/{thread}", "read", 200,
             ("published", "hidden", "pending_someone_elses", "pending_own")),
    Endpoint("GET", "/forum/t/<int:thread_id>-<slug>", "/forum/t/{thread}-{slug}", "read", 200, ("published",)),
    Endpoint("GET", "/forum/p/<int:post_id>", "/forum/p/{post}", "read", 302, ("published", "hidden_post")),
    Endpoint("GET", "/forum/static/<path:filename>", "/forum/static/forum.css", "public", 200),
    Endpoint("GET", "/forum/new", "/forum/new", "member", 200),
    Endpoint("POST", "/forum/new", "/forum/new", "member", 303, form=THREAD_FORM, changes=True, sanctioned=403),
    Endpoint("GET", "/forum/t/<int:thread_id>/reply", "/forum/t/{thread}/reply", "member", 200, ("published",)),
    Endpoint("POST", "/forum/t/<int:thread_id>/reply", "/forum/t/{thread}/reply", "reply", 303,
             ("published", "locked"), form=REPLY_FORM, changes=True, sanctioned=403),
    Endpoint("GET", "/forum/p/<int:post_id>/edit", "/forum/p/{post}/edit", "author", 200,
             ("own", "someone_elses")),
    Endpoint("POST", "/forum/p/<int:post_id>/edit", "/forum/p/{post}/edit", "author", 303,
             ("own", "someone_elses", "own_locked"), form=EDIT_FORM, changes=True, sanctioned=403),
    Endpoint("GET", "/forum/p/<int:post_id>/history", "/forum/p/{post}/history", "history", 200,
             ("own", "someone_elses")),
    Endpoint("POST", "/forum/p/<int:post_id>/vote", "/forum/p/{post}/vote", "not_own", 303,
             ("someone_elses", "own"), form={}, changes=True, sanctioned=403),
    Endpoint("POST", "/forum/p/<int:post_id>/accept", "/forum/p/{reply}/accept", "accept", 303,
             ("own_thread", "someone_elses_thread"), form={}, changes=True, sanctioned=403),
    Endpoint("POST", "/forum/t/<int:thread_id>/subscribe", "/forum/t/{thread}/subscribe", "member", 303,
             ("published",), form={}, changes=True),
    Endpoint("GET", "/forum/p/<int:post_id>/flag", "/forum/p/{post}/flag", "member", 200, ("someone_elses",)),
    Endpoint("POST", "/forum/p/<int:post_id>/flag", "/forum/p/{post}/flag", "not_own", 303,
             ("someone_elses", "own"), form={"reason": "spam", "note": ""}, changes=True, sanctioned=403),
    Endpoint("POST", "/forum/t/<int:thread_id>/ticket", "/forum/t/{thread}/ticket", "ticket", 303, ("published",),
             form={}, changes=True),
    Endpoint("POST", "/forum/t/<int:thread_id>/promote", "/forum/t/{thread}/promote", "moderators", 303,
             ("answered",), form={}, changes=True),
    Endpoint("GET", "/forum/stats", "/forum/stats", "moderators", 200),
    Endpoint("GET", "/api/forum/stats", "/api/forum/stats", "moderators", 200),
    Endpoint("GET", "/api/forum/suggest", "/api/forum/suggest?q=parcel+door", "public", 200),
    Endpoint("POST", "/api/forum/deflections", "/api/forum/deflections", "public", 201,
             body={"query": "parcel wrong door", "url": "/kb/missing-parcel"}, changes=True),
    Endpoint("GET", "/api/bot/community", "/api/bot/community?q=parcel+door", "bot", 200,
             ("no_token", "wrong_token", "right_token")),
    Endpoint("GET", "/notifications", "/notifications", "member", 200),
]


def expected(endpoint: Endpoint, role: str, target: str) -> int | str:
    anonymous = LOGIN if endpoint.html else 401
    moderator = role in MODERATORS
    kind = endpoint.kind
    if kind == "public":
        return endpoint.ok
    if kind == "bot":
        return endpoint.ok if target == "right_token" else 401
    if kind == "read":
        if target in ("hidden", "hidden_post", "pending_someone_elses") and not moderator:
            return 404
        return endpoint.ok
    if role == "anonymous":
        return anonymous
    sanctioned = endpoint.sanctioned if role in SANCTIONED and endpoint.sanctioned else endpoint.ok
    if kind == "member":
        return sanctioned
    if kind == "moderators":
        return endpoint.ok if moderator else 403
    if kind == "ticket":
        return endpoint.ok if role in TICKET_ROLES else 403
    if kind == "reply":
        if target == "locked":
            return endpoint.ok if moderator else 409
        return sanctioned
    if kind == "author":
        if target == "someone_elses":
            return 403
        if target == "own_locked":
            return 409
        return sanctioned
    if kind == "history":
        return endpoint.ok if target == "own" or moderator else 403
    if kind == "not_own":
        return 403 if target == "own" else sanctioned
    if kind == "accept":
        if target == "someone_elses_thread" and not moderator:
            return 403
        return sanctioned
    raise AssertionError(f"no rule for {kind}")


def combinations(endpoint: Endpoint):
    for role in ROLES:
        for target in endpoint.targets:
            if role == "anonymous" and target in OWN_TARGETS:
                continue  # a visitor owns nothing
            yield role, target


# ---------------------------------------------------------------------- the world
@pytest.fixture
def world(make_app):
    # Posting as fast as the matrix does is not what is being tested here.
    app = forum_app(make_app, FORUM_POST_RATE_LIMIT_POSTS=0)
    ids = {}
    with app.app_context():
        category()
        for role, roles in USER_ROLES.items():
            ids[role] = member(f"{role}@example.com", roles, name=f"{role.title()} Person").id
        ids["robin"] = member("robin@example.com", name="Robin Roe").id  # owns "someone else's" posts
        ids["sam"] = member("sam@example.com", name="Sam Sol").id
        week = utcnow() + timedelta(days=7)
        db.session.add_all([UserSanction(user_id=ids["suspended"], kind="suspend", reason="Spam", ends_at=week),
                            UserSanction(user_id=ids["banned"], kind="ban", reason="Abuse")])
        db.session.commit()
    return app, ids, Clients(app)


class Clients(dict):
    """role -> (signed-in test client, its page's CSRF token), signed in on first use."""

    def __init__(self, app):
        super().__init__()
        self.app = app

    def __missing__(self, role: str):
        client = self.app.test_client() if role == "anonymous" else signed_in(self.app, f"{role}@example.com")
        self[role] = (client, meta_token(client))
        return self[role]


def put_thread(author_id: int, *, status: str = "published", locked: bool = False, reply_by: int | None = None,
               reply_status: str = "published", edited: bool = False,
               accepted: bool = False) -> tuple[Thread, Post, Post | None]:
    """A thread written straight to the tables (the services would refuse a sanctioned author)."""
    now = utcnow()
    title = "Parcel left at the wrong door"
    thread = Thread(category_id=category().id, author_id=author_id, title=title, slug=slugify(title), status=status,
                    locked=locked, last_post_at=now, created_at=now, updated_at=now)
    thread.tags = [db.session.scalar(sa.select(Tag).where(Tag.name == "delivery")) or Tag(name="delivery")]
    body = "The photo shows a door that is not mine."
    opening = Post(thread=thread, author_id=author_id, body_md=body, body_html=str(render_post(body)), status=status,
                   created_at=now, edited_at=now if edited else None)
    db.session.add_all([thread, opening])
    db.session.flush()
    reply = None
    if reply_by is not None:
        text = "Ask the neighbours."
        reply = Post(thread_id=thread.id, author_id=reply_by, body_md=text, body_html=str(render_post(text)),
                     status=reply_status, created_at=now)
        db.session.add(reply)
        db.session.flush()
        if accepted:
            thread.accepted_post_id, thread.accepted_by_id, thread.accepted_at = reply.id, author_id, now
    if edited:
        db.session.add(PostRevision(post_id=opening.id, editor_id=author_id, body_md="Earlier words.", created_at=now))
    db.session.add(ThreadSubscription(thread_id=thread.id, user_id=author_id))
    db.session.commit()
    return thread, opening, reply


def build_target(endpoint: Endpoint, role: str, target: str, ids: dict) -> dict:
    """Fresh rows for one call, so no call sees another's changes."""
    me = ids.get(role)
    someone = ids["robin"]
    author = me if target in OWN_TARGETS else someone
    status = "pending" if target.startswith("pending") else "hidden" if target == "hidden" else "published"
    thread, opening, reply = put_thread(
        author, status=status, locked=target in ("locked", "own_locked"), edited=endpoint.kind == "history",
        reply_by=ids["sam"], reply_status="hidden" if target == "hidden_post" else "published",
        accepted=target == "answered")
    post = reply if target == "hidden_post" else opening
    return {"thread": thread.id, "slug": thread.slug, "post": post.id, "reply": reply.id, "tag": "delivery",
            "category": "orders-delivery"}


def snapshot() -> dict:
    """Every row of every table (a forum route also writes tickets, articles, notifications)."""
    with db.engine.connect() as conn:
        return {table.name: sorted(map(repr, conn.execute(sa.select(table)).all()))
                for table in db.metadata.sorted_tables}


def call(client, token: str | None, endpoint: Endpoint, values: dict, target: str):
    path = endpoint.path.format(**values)
    if endpoint.kind == "bot":
        token_header = {"no_token": {}, "wrong_token": {"Authorization": "Bearer not-the-token"},
                        "right_token": {"Authorization": f"Bearer {SERVICE_TOKEN}"}}[target]
        return client.get(path, headers=token_header)
    if endpoint.method == "GET":
        return client.get(path)
    if endpoint.form is not None:
        data = dict(endpoint.form)
        if token is not None:
            data["csrf_token"] = token
        return client.post(path, data=data)
    return client.post(path, json=endpoint.body or {}, headers={"X-CSRFToken": token} if token is not None else {})


def outcome(response) -> int | str:
    if response.status_code == 302 and "/auth/login" in response.headers.get("Location", ""):
        return LOGIN
    return response.status_code


# ---------------------------------------------------------------------- the matrix
def test_the_matrix_covers_every_forum_route(make_app):
    app = forum_app(make_app)
    prefixes = ("/forum", "/api/forum", "/notifications", "/api/bot/community")
    routes = {(method, rule.rule) for rule in app.url_map.iter_rules() if rule.rule.startswith(prefixes)
              for method in rule.methods - {"HEAD", "OPTIONS"}}
    covered = {(e.method, e.rule) for e in ENDPOINTS}
    assert routes - covered == set(), "add these routes to ENDPOINTS"
    assert covered - routes == set(), "these rows are for routes that no longer exist"


@pytest.mark.parametrize("endpoint", ENDPOINTS, ids=str)
def test_every_role_against_every_forum_endpoint(world, endpoint):
    app, ids, clients = world
    outcomes, wanted = {}, {}
    for role, target in combinations(endpoint):
        client, token = clients[role]
        with app.app_context():
            values = build_target(endpoint, role, target, ids)
            before = snapshot()
        got = outcome(call(client, token, endpoint, values, target))
        want = expected(endpoint, role, target)
        outcomes[role, target], wanted[role, target] = got, want
        with app.app_context():
            after = snapshot()
        if want != endpoint.ok:
            changed = [name for name in after if after[name] != before[name]]
            assert changed == [], f"{role} on {target}: a refused call ({got}) changed {changed}"
        elif endpoint.changes:
            assert after != before, f"{role} on {target}: the allowed call changed nothing"
    assert outcomes == wanted


# ---------------------------------------------------------------------- CSRF
POSTS = [e for e in ENDPOINTS if e.method == "POST"]
# Who is allowed to make each call (so the token is the only thing wrong), and on what.
CSRF_CALLER = {"/forum/p/{reply}/accept": ("customer", "own_thread"), "/forum/p/{post}/edit": ("customer", "own"),
               "/forum/t/{thread}/ticket": ("agent", "published"), "/forum/t/{thread}/promote": ("moderator", "answered")}


def other_sessions_token(app) -> str:
    client = app.test_client()
    return meta_token(client)


@pytest.mark.parametrize("token_kind", ["missing", "made_up", "another_sessions"])
@pytest.mark.parametrize("endpoint", POSTS, ids=str)
def test_a_post_without_its_own_csrf_token_is_refused(world, endpoint, token_kind):
    app, ids, clients = world
    role, target = CSRF_CALLER.get(endpoint.path, ("customer", endpoint.targets[0]))
    client, good = clients[role]
    bad = {"missing": None, "made_up": "IjVhYjg0ZTE2In0.ZzZzZw.not-a-real-signature",
           "another_sessions": other_sessions_token(app)}[token_kind]
    assert bad != good
    with app.app_context():
        values = build_target(endpoint, role, target, ids)
        before = snapshot()
    response = call(client, bad, endpoint, values, target)
    assert response.status_code == 400, response.get_data(as_text=True)[:300]
    assert "expired or was not sent from this site" in response.get_data(as_text=True)
    with app.app_context():
        assert snapshot() == before
    # The same call with the page's token goes through: the token was the only thing wrong.
    assert call(client, good, endpoint, values, target).status_code == endpoint.ok
    with app.app_context():
        assert snapshot() != before


def test_the_matrix_says_what_the_brief_says():
    """The cells people ask about, spelled out, so a change to expected() that loosens one is seen."""
    by_path = {str(e): e for e in ENDPOINTS}
    edit = by_path["POST /forum/p/{post}/edit"]
    assert [expected(edit, r, "someone_elses") for r in ROLES] == [LOGIN] + [403] * 7
    accept = by_path["POST /forum/p/{reply}/accept"]
    assert [expected(accept, r, "someone_elses_thread") for r in ROLES] == [LOGIN, 403, 403, 403, 403, 303, 303, 303]
    assert [expected(accept, r, "own_thread") for r in ROLES[1:]] == [303, 403, 403, 303, 303, 303, 303]
    vote = by_path["POST /forum/p/{post}/vote"]
    assert {expected(vote, r, "own") for r in ROLES[1:]} == {403}
    reply = by_path["POST /forum/t/{thread}/reply"]
    assert [expected(reply, r, "locked") for r in ROLES] == [LOGIN, 409, 409, 409, 409, 303, 303, 303]
    stats = by_path["GET /api/forum/stats"]
    assert [expected(stats, r, "none") for r in ROLES] == [401, 403, 403, 403, 403, 200, 200, 200]
    bot = by_path["GET /api/bot/community?q=parcel+door"]
    assert {expected(bot, r, t) for r in ROLES for t in ("no_token", "wrong_token")} == {401}
