"""Builders for the moderation tests: a forum with members of every role, signed-in
clients that send forms with their CSRF token, and a snapshot of everything moderation
can change (to prove a refused request changed nothing).
"""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa

from forum.models import (
    Flag,
    ForumSetting,
    ModerationLog,
    Post,
    PostRevision,
    Thread,
    ThreadSubscription,
    UserSanction,
    WatchedWord,
)
from portal.extensions import db
from portal.notifications.models import Notification
from tests.forum.builders import category, forum_app, member, meta_token, signed_in

PEOPLE = {
    # name: (email, roles)
    "casey": ("casey@example.com", ("customer",)),
    "robin": ("robin@example.com", ("customer",)),
    "sam": ("sam@example.com", ("customer",)),
    "alex": ("alex@example.com", ("customer",)),
    "ann": ("ann@example.com", ("agent",)),
    "mo": ("mo@example.com", ("moderator",)),
    "sue": ("sue@example.com", ("supervisor",)),
    "ada": ("ada@example.com", ("admin",)),
}


def moderation_app(make_app, **overrides):
    """The forum app with every person above and two categories; returns (app, {name: user id})."""
    app = forum_app(make_app, **overrides)
    with app.app_context():
        category()
        category("billing", "Billing")
        ids = {name: member(email, roles, name=name.title()).id for name, (email, roles) in PEOPLE.items()}
    return app, ids


@dataclass
class Browser:
    """A signed-in (or anonymous) client that posts forms with a valid CSRF token."""

    client: object
    token: str

    def get(self, path: str, **kwargs):
        return self.client.get(path, **kwargs)

    def post(self, path: str, data: dict | None = None, **kwargs):
        return self.client.post(path, data={"csrf_token": self.token, **(data or {})}, **kwargs)

    def post_json(self, path: str, body: dict | None = None):
        return self.client.post(path, json=body or {}, headers={"X-CSRFToken": self.token,
                                                                "Accept": "application/json"})


def browser(app, name: str | None) -> Browser:
    if name is None:
        client = app.test_client()
    else:
        client = signed_in(app, PEOPLE[name][0])
    return Browser(client, meta_token(client, "/forum"))


def snapshot() -> dict:
    """Everything a moderation endpoint could change."""
    db.session.expire_all()

    def rows(model, *columns):
        return sorted(tuple(getattr(r, c) for c in columns) for r in db.session.scalars(sa.select(model)))

    return {
        "posts": rows(Post, "id", "thread_id", "status", "hidden_reason", "hidden_by_id", "body_md"),
        "threads": rows(Thread, "id", "status", "locked", "pinned", "category_id", "merged_into_id", "title"),
        "flags": rows(Flag, "id", "post_id", "user_id", "resolved_at", "resolution"),
        "sanctions": rows(UserSanction, "id", "kind", "lifted_at"),
        "words": rows(WatchedWord, "id", "pattern", "is_regex", "action"),
        "settings": rows(ForumSetting, "key", "value"),
        "counts": {m.__name__: db.session.scalar(sa.select(sa.func.count()).select_from(m))
                   for m in (ModerationLog, PostRevision, Notification, ThreadSubscription)},
    }


def log_entries(action: str | None = None) -> list[ModerationLog]:
    db.session.expire_all()
    query = sa.select(ModerationLog).order_by(ModerationLog.id)
    if action:
        query = query.where(ModerationLog.action == action)
    return list(db.session.scalars(query))


def thread_text(client, thread_id: int) -> str:
    response = client.get(f"/forum/t/{thread_id}", follow_redirects=True)
    return response.get_data(as_text=True)


def search_hits(app, text: str) -> list[str]:
    """Thread document ids the search engine finds for ``text``."""
    with app.app_context():
        found = app.extensions["search"].query(text, page=1, per_page=10, doc_type="thread")
        return [hit.url for hit in found.hits]
