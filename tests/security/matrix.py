"""Who may reach each route: one rule for every route of ``app.url_map``.

Three tables hold the rules: the live-agent matrix (tests/portal/test_authorization_matrix.py),
the forum's (tests/forum/test_forum_authorization.py), and ``ENDPOINTS`` below for every other
route (knowledge base, search, accounts, the customer's chat API, the bot's API, moderation).
``rules()`` joins them, keyed by (method, rule); ``caller_for`` names a role each table allows,
so the CSRF and bad-input checks call a route as someone who may use it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache

from tests.forum import test_forum_authorization as forum_matrix
from tests.portal import test_authorization_matrix as portal_matrix
from tests.security.routes import rule_of
from tests.security.world import LOGIN, ROLES

MODERATORS = ("moderator", "supervisor", "admin")
EDITORS = ("editor", "supervisor", "admin")
# Each kind's rule, in words (expected() below is the same in code):
KINDS = {
    "public": "anyone, signed in or not",
    "visitor": "only visitors who are not signed in; a signed-in person is sent home (302)",
    "member": "anyone signed in; a visitor is sent to log in (401 for JSON)",
    "moderators": "moderators, supervisors and admins; 403 for the rest",
    "editors": "editors, supervisors and admins; 403 for the rest",
    "owner": "the customer whose chat it is; 404 for everyone else (no hint that it exists)",
    "bot": "the bot's action server with the service token; 401 for any session without it",
}
DRAFT_FORM = {"title": "Refunds for a double charge", "summary": "What to do", "category": "billing-payments",
              "tags": "refund", "body": "Check the bank statement, then ask us."}
SETTINGS_FORM = {"auto_hide_flags": "{flags}", "new_user_approval_posts": "0", "post_rate_limit_posts": "0",
                 "post_rate_limit_minutes": "5"}


Endpoint = forum_matrix.Endpoint  # (method, rule, path, kind, ok, targets, form, body, changes)

BOT = ("no_token", "wrong_token", "right_token")
POST_ACTION = "/moderation/posts/<int:post_id>/<any(hide, unhide, dismiss, approve, reject, delete):action>"
THREAD_ACTION = "/moderation/threads/<int:thread_id>/<any(lock, unlock, pin, unpin):action>"
SANCTION = "/moderation/users/<int:user_id>/<any(warn, suspend, ban):kind>"
ENDPOINTS = [
    Endpoint("GET", "/", "/", "public", 200),
    Endpoint("GET", "/healthz", "/healthz", "public", 200),
    Endpoint("GET", "/readyz", "/readyz", "public", 200),
    # Loopback without METRICS_TOKEN (the test client's address); other addresses and tokens: test_observability.py.
    Endpoint("GET", "/metrics", "/metrics", "public", 200),
    Endpoint("GET", "/favicon.ico", "/favicon.ico", "public", 200),
    Endpoint("GET", "/kb/", "/kb/", "public", 200),
    Endpoint("GET", "/kb/category/<slug>", "/kb/category/{kb_category}", "public", 200),
    Endpoint("GET", "/kb/<slug>", "/kb/{article_slug}", "public", 200),
    Endpoint("POST", "/kb/<slug>/vote", "/kb/{article_slug}/vote", "public", 303, form={"helpful": "yes"},
             changes=True),
    Endpoint("GET", "/search", "/search?q=refund", "public", 200),
    Endpoint("GET", "/api/search", "/api/search?q=refund", "public", 200),
    Endpoint("GET", "/api/search/suggest", "/api/search/suggest?q=ref", "public", 200),
    Endpoint("GET", "/chat", "/chat", "public", 200),
    Endpoint("GET", "/api/chat/welcome", "/api/chat/welcome?page=/kb/{article_slug}", "public", 200),
    Endpoint("POST", "/api/chat/messages", "/api/chat/messages", "public", 201, body={"text": "Where is my parcel?"},
             changes=True),
    # Without a file: "choose a file" (400) for anyone; the files themselves: tests/portal/test_attachment_routes.py.
    Endpoint("POST", "/api/chat/attachments", "/api/chat/attachments", "public", 400, form={"text": "A photo."}),
    Endpoint("GET", "/api/chat/conversations/<public_id>", "/api/chat/conversations/{public_id}", "owner", 200),
    Endpoint("POST", "/api/chat/conversations/<public_id>/typing", "/api/chat/conversations/{public_id}/typing",
             "owner", 200, body={"typing": True}),
    Endpoint("POST", "/api/chat/conversations/<public_id>/leave-message",
             "/api/chat/conversations/{quiet_public_id}/leave-message", "owner", 201,
             body={"email": "casey@example.com"}, changes=True),
    # A signed-in customer is never asked for an address (their account's is used): 409 is the answer.
    Endpoint("GET", "/api/chat/conversations/<public_id>/contact", "/api/chat/conversations/{public_id}/contact",
             "owner", 200),
    Endpoint("POST", "/api/chat/conversations/<public_id>/contact", "/api/chat/conversations/{public_id}/contact",
             "owner", 409, body={"email": "casey@example.com"}),
    Endpoint("GET", "/tickets/link/<token>", "/tickets/link/not-a-link-not-a-link-0", "public", 404),  # a bad link
    Endpoint("POST", "/api/bot/handoffs", "/api/bot/handoffs", "bot", 201, BOT, changes=True,
             body={"conversation_id": "{quiet_public_id}", "reason": "requested_human", "category": "billing"}),
    # The chat is still with a person, so there is nothing to rate yet: 409 is the route's own answer.
    Endpoint("POST", "/api/bot/satisfaction", "/api/bot/satisfaction", "bot", 409, BOT,
             body={"conversation_id": "{public_id}", "rating": 5}),
    Endpoint("GET", "/auth/login", "/auth/login", "visitor", 200),
    Endpoint("POST", "/auth/login", "/auth/login", "visitor", 401,
             form={"email": "nobody@example.com", "password": "wrong-words-1"}),
    Endpoint("GET", "/auth/register", "/auth/register", "visitor", 200),
    Endpoint("POST", "/auth/register", "/auth/register", "visitor", 400,
             form={"name": "N", "email": "new@example.com", "password": "long-enough-1", "confirm": "other-1"}),
    Endpoint("GET", "/auth/register/<token>", "/auth/register/not-a-link", "public", 400),  # a bad link
    Endpoint("POST", "/auth/register/<token>", "/auth/register/not-a-link", "public", 400, form={}),
    Endpoint("POST", "/auth/logout", "/auth/logout", "public", 302, form={}),  # (with clients of its own)
    Endpoint("GET", "/auth/password", "/auth/password", "member", 200),
    Endpoint("POST", "/auth/password", "/auth/password", "member", 400,
             form={"current": "not-my-password", "password": "long-enough-1", "confirm": "long-enough-1"}),
    Endpoint("GET", "/kb/drafts", "/kb/drafts", "editors", 200),
    Endpoint("GET", "/kb/drafts/<int:article_id>", "/kb/drafts/{article_id}", "editors", 200),
    Endpoint("POST", "/kb/drafts/<int:article_id>", "/kb/drafts/{article_id}", "editors", 303, form=DRAFT_FORM,
             changes=True),
    Endpoint("POST", "/kb/drafts/<int:article_id>/discard", "/kb/drafts/{article_id}/discard", "editors", 303,
             form={}, changes=True),
    Endpoint("GET", "/moderation", "/moderation", "moderators", 200),
    Endpoint("GET", "/moderation/log", "/moderation/log", "moderators", 200),
    Endpoint("POST", POST_ACTION, "/moderation/posts/{reply_id}/hide", "moderators", 303, form={"reason": "Spam."},
             changes=True),
    Endpoint("GET", "/moderation/posts/<int:post_id>/edit", "/moderation/posts/{reply_id}/edit", "moderators", 200),
    Endpoint("POST", "/moderation/posts/<int:post_id>/edit", "/moderation/posts/{reply_id}/edit", "moderators", 303,
             form={"body": "Ask the neighbours (tidied).", "reason": "Tidy."}, changes=True),
    Endpoint("POST", "/moderation/sanctions/<int:sanction_id>/lift", "/moderation/sanctions/{sanction_id}/lift",
             "moderators", 303, form={"reason": "OK"}, changes=True),
    Endpoint("GET", "/moderation/settings", "/moderation/settings", "moderators", 200),
    Endpoint("POST", "/moderation/settings", "/moderation/settings", "moderators", 303, form=SETTINGS_FORM,
             changes=True),
    Endpoint("GET", "/moderation/threads/<int:thread_id>", "/moderation/threads/{thread_id}", "moderators", 200),
    Endpoint("POST", THREAD_ACTION, "/moderation/threads/{thread_id}/lock", "moderators", 303, form={},
             changes=True),
    Endpoint("POST", "/moderation/threads/<int:thread_id>/move", "/moderation/threads/{thread_id}/move",
             "moderators", 303, form={"category": "{other_category_id}"}, changes=True),
    Endpoint("POST", "/moderation/threads/<int:thread_id>/merge", "/moderation/threads/{thread_id}/merge",
             "moderators", 303, form={"target": "{other_thread_id}"}, changes=True),
    Endpoint("GET", "/moderation/users/<int:user_id>", "/moderation/users/{user_id}", "moderators", 200),
    Endpoint("POST", SANCTION, "/moderation/users/{user_id}/warn", "moderators", 303, form={"reason": "Be kind."},
             changes=True),
    Endpoint("GET", "/moderation/words", "/moderation/words", "moderators", 200),
    Endpoint("POST", "/moderation/words", "/moderation/words", "moderators", 303,
             form={"pattern": "new{word_id}", "action": "hold"}, changes=True),
    Endpoint("GET", "/moderation/words/<int:word_id>/edit", "/moderation/words/{word_id}/edit", "moderators", 200),
    Endpoint("POST", "/moderation/words/<int:word_id>/edit", "/moderation/words/{word_id}/edit", "moderators", 303,
             form={"pattern": "edited{word_id}", "action": "flag"}, changes=True),
    Endpoint("POST", "/moderation/words/<int:word_id>/delete", "/moderation/words/{word_id}/delete", "moderators",
             303, form={}, changes=True),
]
SIGNS_OUT = {"/auth/logout"}  # calls that sign their client out get clients of their own


def expected(endpoint: Endpoint, role: str, target: str = "none") -> int | str:
    kind = endpoint.kind
    if kind == "public":
        return endpoint.ok
    if kind == "bot":
        return endpoint.ok if target == "right_token" else 401
    if kind == "visitor":
        return endpoint.ok if role == "anonymous" else 302
    if kind == "owner":
        return endpoint.ok if role == "customer" else 404
    if role == "anonymous":
        return LOGIN if endpoint.html else 401
    if kind == "member":
        return endpoint.ok
    allowed = {"moderators": MODERATORS, "editors": EDITORS}[kind]
    return endpoint.ok if role in allowed else 403


PLACEHOLDER = re.compile(r"\{(\w+)\}")


def fill(text: str, values: dict) -> str:
    return PLACEHOLDER.sub(lambda m: str(values.get(m.group(1), m.group(0))), text)


def sample_path(path: str) -> str:
    """A path of the same rule (every placeholder a 1), to look the rule up."""
    return PLACEHOLDER.sub("1", path)


@dataclass(frozen=True)
class Rule:
    """Who may reach one (method, rule): the table it is in, and the roles it lets through."""

    table: str
    allowed: tuple[str, ...]  # roles (for a bot route: none; its token is its caller)


@cache
def rules() -> dict[tuple[str, str], Rule]:
    found: dict[tuple[str, str], Rule] = {}

    def add(method: str, rule: str, table: str, allowed) -> None:
        roles = tuple(r for r in ROLES if r in set(allowed))
        earlier = found.get((method, rule))
        found[method, rule] = Rule(table, roles) if earlier is None else Rule(earlier.table, earlier.allowed or roles)

    for e in portal_matrix.ENDPOINTS:
        target = portal_matrix.targets(e)[0]
        add(e.method, rule_of(e.method, sample_path(e.path)), "tests/portal/test_authorization_matrix.py",
            [r for r in portal_matrix.ROLES if portal_matrix.expected(e, r, target) == e.ok])
    for e in forum_matrix.ENDPOINTS:
        allowed = [r for r in forum_matrix.ROLES for t in e.targets if forum_matrix.expected(e, r, t) == e.ok
                   and not (r == "anonymous" and t in forum_matrix.OWN_TARGETS)]
        add(e.method, e.rule, "tests/forum/test_forum_authorization.py", allowed if e.kind != "bot" else [])
    for e in ENDPOINTS:
        add(e.method, e.rule, "tests/security/matrix.py",
            [r for r in ROLES if expected(e, r) == e.ok] if e.kind != "bot" else [])
    return found


def caller_for(method: str, rule: str) -> str | None:
    """A role the matrices let through (customers first: the least privileged who may), or None for
    a route only the bot's token opens."""
    allowed = rules()[method, rule].allowed
    for role in ("customer", "agent", "moderator", "editor", "supervisor", "admin", "anonymous"):
        if role in allowed:
            return role
    return None


def body_for(method: str, rule: str) -> tuple[dict | None, dict | None]:
    """(form, JSON body) a matrix sends to the route when allowed: what a forger would send."""
    for e in ENDPOINTS + forum_matrix.ENDPOINTS:
        if (e.method, e.rule) == (method, rule):
            return e.form, e.body
    for e in portal_matrix.ENDPOINTS:
        if e.method == method and rule_of(method, sample_path(e.path)) == rule:
            return (e.body, None) if e.form else (None, e.body)
    return None, None
