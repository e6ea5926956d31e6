"""The security suite's world: one person per role, their signed-in clients, and fresh rows
for a route's URL to point at, so the suite can call any rule of ``app.url_map``.

``Targets`` makes, on demand, what a route can name (a ticket with its chat, a forum thread
with a reply, a sanction, a watched word, a canned response, a knowledge-base draft, a
trainer's attempt); ``path_for(rule, targets)`` fills a rule's arguments with them. People
get a cheap password hash (tests/portal/ticket_builders.py): scrypt is slow on purpose.
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass, field

import sqlalchemy as sa
from sqlalchemy import event

from forum.models import Thread, UserSanction, WatchedWord
from forum.reading import opening_post_id
from forum.services import create_thread, reply
from portal import create_app
from portal.auth.models import User
from portal.chat.rasa_client import BotUnavailable
from portal.chat.services import start_conversation
from portal.conversations.models import Message
from portal.extensions import db
from portal.kb.models import Article
from portal.kb.services import get_or_create_category, render_article_body
from portal.tickets.models import CannedResponse
from portal.training import services as training
from portal.training.models import Persona
from tests.conftest import test_config
from tests.forum.builders import category
from tests.portal.ticket_builders import handoff, page_token, person, sign_in
from tests.security.routes import ARGUMENT

ROLES = ("anonymous", "customer", "agent", "moderator", "editor", "supervisor", "admin")
SERVICE_TOKEN = "security-suite-service-token"
SERIAL = itertools.count(1)  # unique slugs and patterns within a run
LOGIN = "login"  # a browser sent to the login page (302 to /auth/login)
# (name, roles, teams) of the cast; "robin" is a second customer whose things are "someone else's".
CAST = {
    "customer": ("Casey Doe", ["customer"], []),
    "robin": ("Robin Roe", ["customer"], []),
    "agent": ("Ann Agent", ["agent"], ["billing", "general"]),
    "moderator": ("Mo Moderator", ["moderator"], []),
    "editor": ("Ed Editor", ["editor"], []),
    "supervisor": ("Sue Supervisor", ["supervisor"], []),
    "admin": ("Ada Admin", ["admin"], []),
}


class StandInRasa:
    """The assistant is down (every customer message is kept and can be left for the team);
    resuming after a person is done says nothing."""

    def send(self, sender_id, text, metadata=None):
        raise BotUnavailable("the security suite runs without Rasa")

    def append_events(self, sender_id, events):
        return None

    def trigger_intent(self, sender_id, intent, entities=None):
        return []


def security_app(database_url: str, tmp_path, **overrides):
    app = create_app(test_config(
        database_url, tmp_path, BOT_SERVICE_TOKEN=SERVICE_TOKEN, CHAT_RATE_LIMIT="100000 per minute",
        FORUM_SUGGEST_RATE_LIMIT="100000 per minute", FORUM_POST_RATE_LIMIT_POSTS=0, **overrides))
    app.extensions["rasa"] = StandInRasa()
    return app


def email_of(role: str) -> str:
    return f"{role}@example.com"


def cast(app) -> dict[str, int]:
    """Everyone in CAST, and the forum category and knowledge-base topic the targets use."""
    with app.app_context():
        ids = {role: person(email_of(role), roles, name, teams).id for role, (name, roles, teams) in CAST.items()}
        category()
        get_or_create_category("billing-payments")
        training.ensure_built_in()
    return ids


@dataclass
class Caller:
    client: object
    token: str


@dataclass
class Callers:
    """role -> a signed-in client and its session's token, made on first use."""

    app: object
    made: dict = field(default_factory=dict)

    def __getitem__(self, role: str) -> Caller:
        if role not in self.made:
            client = self.app.test_client()
            if role != "anonymous":
                sign_in(client, email_of(role))
            self.made[role] = Caller(client, page_token(client))
        return self.made[role]


class Targets:
    """Fresh rows for one call, made when a value is first asked for: ``targets["number"]`` opens
    a ticket, ``targets["reply_id"]`` a thread with a reply. Values of rule arguments and form
    fields (see BY_ENDPOINT); a name nobody makes is not in it."""

    CONSTANTS = {"kb_category": "billing-payments", "forum_category": "orders-delivery", "tag": "delivery",
                 "section": "volume", "filename": "forum.css", "kind": "warn"}

    def __init__(self, app, ids: dict[str, int]):
        self.app, self.ids = app, ids
        self.values: dict[str, object] = {**self.CONSTANTS, "user_id": ids["robin"], "agent_id": ids["agent"]}

    def __contains__(self, name: str) -> bool:
        return name in self.values or name in MAKERS

    def get(self, name: str, default=None):
        if name not in self.values and name in MAKERS:
            with self.app.app_context():
                self.values.update(MAKERS[name](self))
        return self.values.get(name, default)

    def __getitem__(self, name: str):
        if name not in self:
            raise KeyError(name)
        return self.get(name)

    def user(self, key: str) -> User:
        return db.session.get(User, self.ids[key])


def _ticket(t: Targets) -> dict:
    ticket = handoff(customer=t.user("customer"), category="billing", conv_status="live", assignee=t.user("agent"))
    return {"number": ticket.number, "public_id": ticket.conversation.public_id}


def _quiet_chat(t: Targets) -> dict:
    quiet = start_conversation(t.ids["customer"], None)  # a chat with no ticket yet
    db.session.add(Message(conversation=quiet, sender="customer", text="My parcel never came."))
    db.session.commit()
    return {"quiet_public_id": quiet.public_id}


def _thread(t: Targets) -> dict:
    """The customer's question with Robin's reply, accepted."""
    thread = create_thread(t.user("customer"), category(), "Parcel left at the wrong door",
                           "The photo shows a door that is not mine.", ["delivery"])
    answer = reply(t.user("robin"), db.session.get(Thread, thread.id), "Ask the neighbours first.")
    thread = db.session.get(Thread, answer.thread_id)
    thread.accepted_post_id, thread.accepted_by_id = answer.id, t.ids["customer"]
    db.session.commit()
    return {"thread_id": thread.id, "post_id": opening_post_id(thread.id), "reply_id": answer.id,
            "thread_slug": thread.slug}


def _other_thread(t: Targets) -> dict:
    other = create_thread(t.user("robin"), category(), "Kettle stopped working", "It just clicks.", [])
    return {"other_thread_id": other.id, "other_category_id": category("returns-refunds").id}


def _rows(t: Targets) -> dict:
    """A sanction, a watched word, a canned response and a knowledge-base draft."""
    sanction = UserSanction(user_id=t.ids["robin"], kind="warn", reason="Spam links.", created_by_id=t.ids["moderator"])
    serial = next(SERIAL)
    word = WatchedWord(pattern=f"word{serial}", action="hold", created_by_id=t.ids["moderator"])
    canned = CannedResponse(title="Thanks", body="Thanks, {customer_first_name}.")
    body = "Check the *bank statement* first."
    topic = get_or_create_category("billing-payments")
    draft = Article(slug=f"draft-{serial}", title="A promoted answer", body_md=body, body_html=render_article_body(body),
                    published=False, source_path="", category=topic)
    db.session.add_all([sanction, word, canned, draft])
    db.session.commit()
    return {"sanction_id": sanction.id, "word_id": word.id, "canned_id": canned.id, "article_id": draft.id}


def _article(t: Targets) -> dict:
    body, serial = "Check the *bank statement* first.", next(SERIAL)
    article = Article(slug=f"article-{serial}", title="Charged twice", body_md=body, body_html=render_article_body(body),
                      published=True, source_path=f"article-{serial}.md",
                      category=get_or_create_category("billing-payments"))
    db.session.add(article)
    db.session.commit()
    return {"article_slug": article.slug}


def _attempt(t: Targets) -> dict:
    persona = db.session.scalar(sa.select(Persona).order_by(Persona.id).limit(1))
    return {"attempt_id": training.start_attempt(t.user("agent"), persona).id, "persona_id": persona.id}


def _number(t: Targets) -> dict:
    """A setting's value no earlier call set (from 5 to 94)."""
    return {"flags": next(SERIAL) % 90 + 5}


MAKERS = {name: maker for maker, names in (
    (_number, ("flags",)),
    (_ticket, ("number", "public_id")), (_quiet_chat, ("quiet_public_id",)),
    (_thread, ("thread_id", "post_id", "reply_id", "thread_slug")),
    (_other_thread, ("other_thread_id", "other_category_id")),
    (_rows, ("sanction_id", "word_id", "canned_id", "article_id")), (_article, ("article_slug",)),
    (_attempt, ("attempt_id", "persona_id"))) for name in names}


# Arguments whose value depends on the route (the same name means different things).
BY_ENDPOINT = {
    "kb.article": {"slug": "article_slug"}, "kb.vote": {"slug": "article_slug"},
    "kb.category": {"slug": "kb_category"}, "forum.category": {"slug": "forum_category"},
    "forum.thread": {"slug": "thread_slug"}, "forum.accept": {"post_id": "reply_id"},
    "moderation.post_action": {"action": "hide"}, "moderation.thread_toggle": {"action": "lock"},
}


def path_for(rule, values: Targets, **override) -> str:
    """``rule`` (a Route or a werkzeug Rule) with its arguments filled from ``values``."""
    special = BY_ENDPOINT.get(rule.endpoint, {})

    def value(match: re.Match) -> str:
        name = match.group(1)
        if name in override:
            return str(override[name])
        chosen = special.get(name, name)
        return str(values.get(chosen, chosen) if chosen in values else chosen)

    return ARGUMENT.sub(value, rule.rule)


def snapshot() -> dict[str, list[str]]:
    """Every row of every table: a refused call must leave all of them as they were."""
    with db.engine.connect() as conn:
        return {table.name: sorted(map(repr, conn.execute(sa.select(table)).all()))
                for table in db.metadata.sorted_tables}


def changed_tables(before: dict, after: dict) -> list[str]:
    return [name for name in after if after[name] != before.get(name)]


WRITE = re.compile(r"^\s*(?:INSERT\s+INTO|UPDATE|DELETE\s+FROM)\s+\"?(\w+)", re.IGNORECASE)


class Writes:
    """The tables written by transactions that committed while it is open (a statement rolled back
    does not count). Cheaper than a snapshot, for checks that send hundreds of requests."""

    def __init__(self, app):
        with app.app_context():
            self.engine = db.engine
        self.pending: dict[int, list[str]] = {}
        self.tables: list[str] = []

    def _statement(self, conn, cursor, statement, parameters, context, executemany) -> None:
        match = WRITE.match(statement)
        if match:
            self.pending.setdefault(id(conn), []).append(match.group(1))

    def _commit(self, conn) -> None:
        self.tables = list(dict.fromkeys(self.tables + self.pending.pop(id(conn), [])))

    def _rollback(self, conn) -> None:
        self.pending.pop(id(conn), None)

    def __enter__(self) -> Writes:
        event.listen(self.engine, "before_cursor_execute", self._statement)
        event.listen(self.engine, "commit", self._commit)
        event.listen(self.engine, "rollback", self._rollback)
        return self

    def __exit__(self, *exc) -> None:
        event.remove(self.engine, "before_cursor_execute", self._statement)
        event.remove(self.engine, "commit", self._commit)
        event.remove(self.engine, "rollback", self._rollback)
