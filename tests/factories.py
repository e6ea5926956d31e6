"""Builders so a test reads as a story: make_user, make_article."""

from __future__ import annotations

from datetime import date

from portal.auth.services import create_user
from portal.extensions import db
from portal.kb.models import Article
from portal.kb.services import get_or_create_category, render_article_body

PASSWORD = "quiet-harbour-lantern-42"


def make_user(email: str = "casey@example.com", roles=("customer",), password: str = PASSWORD, name: str = "Casey Doe"):
    return create_user(email, password, list(roles), name=name)


def make_article(slug: str, title: str, body: str, category: str = "billing-payments", tags=(), summary: str = "",
                 published: bool = True) -> Article:
    article = Article(
        slug=slug, title=title, body_md=body, body_html=render_article_body(body), summary=summary,
        tags=list(tags), updated=date(2026, 11, 1), published=published, category=get_or_create_category(category),
    )
    db.session.add(article)
    db.session.commit()
    return article


def write_article_file(directory, slug: str, title: str, body: str, category: str = "billing-payments",
                       tags=("refund",), summary: str = "A short summary.") -> None:
    tag_list = ", ".join(tags)
    (directory / f"{slug}.md").write_text(
        f'---\ntitle: "{title}"\nslug: {slug}\ncategory: {category}\ntags: [{tag_list}]\n'
        f'summary: "{summary}"\nupdated: 2026-11-02\n---\n{body}\n',
        encoding="utf-8",
    )
