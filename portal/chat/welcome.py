"""What the widget says before the customer has: who is answering, a greeting, and up to
three questions worth asking, taken from the page being read and the most-read articles."""

from __future__ import annotations

import re

import sqlalchemy as sa
from flask import current_app

from portal.extensions import db
from portal.inputs import is_local_path
from portal.kb.models import Article, Category
from portal.kb.services import brand

MAX_QUESTIONS = 3
MAX_PAGE = 300
ARTICLE_PAGE = re.compile(r"^/kb/([a-z0-9-]{1,120})$")
CATEGORY_PAGE = re.compile(r"^/kb/category/([a-z0-9-]{1,80})$")


class WelcomeError(ValueError):
    """The page the widget said it is on is not a path of this site."""


def assistant_identity() -> dict:
    """The bot as the widget shows it: a name, what it is, and the initials of its avatar."""
    name = f"{current_app.config['BRAND_NAME']} Assistant"
    return {"name": name, "role": "Virtual assistant", "initials": initials(name)}


def initials(name: str) -> str:
    letters = [word[0] for word in re.findall(r"[^\W\d_][\w'-]*", name)]
    return "".join(letters[:2]).upper() or "?"


def greeting() -> str:
    return (f"Hi! I'm {current_app.config['BRAND_NAME']}'s virtual assistant. Ask me anything, or pick a "
            "question below. You can ask for a person at any time.")


def parse_page(page) -> str:
    if page in (None, ""):
        return ""
    if not isinstance(page, str) or len(page) > MAX_PAGE or not is_local_path(page):
        raise WelcomeError(f"'page' must be a path on this site of at most {MAX_PAGE} characters.")
    return page.split("?", 1)[0].split("#", 1)[0]


def suggested_questions(page: str, limit: int = MAX_QUESTIONS) -> list[dict]:
    """The article being read first, then the most-read of its topic, then the most-read of
    all: each as a question the customer can ask by clicking it, with the article's link."""
    published = sa.select(Article).where(Article.published.is_(True))
    picked: list[Article] = []
    category_id = None
    if match := ARTICLE_PAGE.match(page):
        current = db.session.scalar(published.where(Article.slug == match.group(1)))
        if current is not None:
            picked.append(current)
            category_id = current.category_id
    elif match := CATEGORY_PAGE.match(page):
        category_id = db.session.scalar(sa.select(Category.id).where(Category.slug == match.group(1)))
    most_read = (Article.read_count.desc(), Article.title)
    if category_id is not None:
        picked += db.session.scalars(published.where(Article.category_id == category_id)
                                     .order_by(*most_read).limit(limit + 1)).all()
    picked += db.session.scalars(published.order_by(*most_read).limit(limit * 2)).all()
    unique: dict[int, Article] = {}
    for article in picked:
        unique.setdefault(article.id, article)
    return [{"text": brand(a.title), "url": f"/kb/{a.slug}"} for a in list(unique.values())[:limit]]


def welcome(page: str) -> dict:
    return {"assistant": assistant_identity(), "greeting": greeting(), "questions": suggested_questions(page)}
