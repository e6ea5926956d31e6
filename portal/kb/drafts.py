"""Knowledge-base drafts: articles written in the portal (today: promoted community
answers) that an editor reviews, edits and publishes. Articles synced from
``kb_articles/`` are never drafts, and `flask kb sync` leaves these alone (they have no
source file)."""

from __future__ import annotations

import sqlalchemy as sa

from portal.clock import utcnow
from portal.errors import DomainError
from portal.extensions import db
from portal.kb.models import CATEGORY_NAMES, Article
from portal.kb.services import clear_page_cache, get_or_create_category, render_article_body

MAX_TAGS = 8


class DraftError(DomainError):
    status = 400


def drafts() -> list[Article]:
    return list(db.session.scalars(
        sa.select(Article).where(Article.published.is_(False), Article.source_path == "")
        .order_by(Article.created_at.desc())))


def get_draft(article_id: int) -> Article | None:
    """A portal-written article, draft or published (its page stays editable here)."""
    article = db.session.get(Article, article_id)
    return article if article is not None and not article.source_path else None


def save_draft(article: Article, *, title: str, summary: str, category: str, tags: str, body: str) -> Article:
    title, summary, body = title.strip(), summary.strip(), body.strip()
    if not title or len(title) > 200:
        raise DraftError("A title of 1 to 200 characters is needed.")
    if len(summary) > 500:
        raise DraftError("The summary is limited to 500 characters.")
    if not body or len(body) > 50_000:
        raise DraftError("The article needs a body (at most 50,000 characters).")
    if category not in CATEGORY_NAMES:
        raise DraftError("Choose one of the help-centre topics.")
    names = [t.strip().lower() for t in tags.split(",") if t.strip()]
    if len(names) > MAX_TAGS or any(len(t) > 30 for t in names):
        raise DraftError(f"Up to {MAX_TAGS} tags of at most 30 characters, separated by commas.")
    article.title, article.summary, article.tags = title, summary, list(dict.fromkeys(names))
    article.body_md, article.body_html = body, render_article_body(body, link_rel=member_link_rel(article))
    article.category = get_or_create_category(category)
    return article


def member_link_rel(article: Article) -> str | None:
    """Links in a member's words stay marked as theirs, even once an editor publishes them."""
    return "nofollow ugc" if article.source_thread_id else None


def publish(article: Article, editor) -> Article:
    """Out of draft: the article page appears and search indexes it when this commits."""
    if article.published:
        raise DraftError("This article is already published.")
    article.published = True
    article.published_by_id = editor.id
    article.published_at = utcnow()
    article.updated = article.published_at.date()
    db.session.commit()
    clear_page_cache()
    return article


def discard(article: Article) -> None:
    if article.published:
        raise DraftError("A published article cannot be discarded here.")
    db.session.delete(article)
    db.session.commit()
