"""Builders for the forum tests: members, categories, threads and replies, signed-in clients."""

from __future__ import annotations

import re

import sqlalchemy as sa
from werkzeug.security import generate_password_hash

from forum.models import ForumCategory, Post, Thread
from forum.services import create_thread, reply
from portal.auth.models import User
from portal.auth.services import get_or_create_role
from portal.extensions import db
from tests.conftest import csrf_from
from tests.factories import PASSWORD

# scrypt is deliberately slow; the login path accepts any hash werkzeug knows.
FAST_HASH = generate_password_hash(PASSWORD, method="pbkdf2:sha256:1000")
META_CSRF = re.compile(r'<meta name="csrf-token" content="([^"]+)"')
SERVICE_TOKEN = "forum-service-token"


def forum_app(make_app, **overrides):
    return make_app(BOT_SERVICE_TOKEN=SERVICE_TOKEN, FORUM_SUGGEST_RATE_LIMIT="1000 per minute", **overrides)


def member(email: str, roles=("customer",), name: str = "") -> User:
    user = User(email=email, name=name or email.split("@")[0].title(), password_hash=FAST_HASH)
    user.roles = [get_or_create_role(r) for r in roles]
    db.session.add(user)
    db.session.commit()
    return user


def category(slug: str = "orders-delivery", name: str | None = None) -> ForumCategory:
    found = db.session.scalar(sa.select(ForumCategory).where(ForumCategory.slug == slug))
    if found is None:
        name = name or ("Orders & delivery" if slug == "orders-delivery" else slug.replace("-", " ").capitalize())
        found = ForumCategory(slug=slug, name=name, description=f"All about {name.lower()}.")
        db.session.add(found)
        db.session.commit()
    return found


def start_thread(author: User, title: str = "Parcel marked delivered but missing",
                 body: str = "The tracking says delivered at noon but nothing arrived.", tags=None,
                 category_slug: str = "orders-delivery") -> Thread:
    return create_thread(author, category(category_slug), title, body, tags)


def answer(author: User, thread: Thread, body: str = "Check with your neighbours first.") -> Post:
    return reply(author, db.session.get(Thread, thread.id), body)


def signed_in(app, email: str):
    client = app.test_client()
    token = csrf_from(client.get("/auth/login").get_data(as_text=True))
    response = client.post("/auth/login", data={"email": email, "password": PASSWORD, "csrf_token": token})
    assert response.status_code == 302, response.get_data(as_text=True)[:300]
    return client


def form_token(client, path: str) -> str:
    return csrf_from(client.get(path).get_data(as_text=True))


def meta_token(client, path: str = "/forum") -> str:
    """The CSRF token scripts send in X-CSRFToken (from the page's meta tag)."""
    return META_CSRF.search(client.get(path).get_data(as_text=True)).group(1)


def count(model, *where) -> int:
    db.session.expire_all()
    return db.session.scalar(sa.select(sa.func.count()).select_from(model).where(*where))


def reload(model, pk):
    db.session.expire_all()
    return db.session.get(model, pk)
