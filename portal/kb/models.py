from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.clock import utcnow
from portal.extensions import db

CATEGORY_NAMES = {
    "orders-delivery": "Orders and delivery",
    "returns-refunds": "Returns and refunds",
    "billing-payments": "Billing and payments",
    "account-login": "Account and login",
    "subscriptions": "Subscriptions",
    "protection-plan": "Protection plan",
    "product-help": "Product set-up and troubleshooting",
    "contact-us": "Contact us",
}


class Category(db.Model):
    __tablename__ = "kb_categories"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(sa.String(80), unique=True)
    name: Mapped[str] = mapped_column(sa.String(120))
    articles: Mapped[list[Article]] = relationship(back_populates="category")


class Article(db.Model):
    __tablename__ = "kb_articles"
    __searchable__ = "article"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(sa.String(120), unique=True, index=True)
    title: Mapped[str] = mapped_column(sa.String(200))
    summary: Mapped[str] = mapped_column(sa.String(500), default="")
    tags: Mapped[list[str]] = mapped_column(sa.JSON, default=list)
    body_md: Mapped[str] = mapped_column(sa.Text)
    body_html: Mapped[str] = mapped_column(sa.Text)  # rendered and sanitised at sync
    updated: Mapped[date | None]
    source_path: Mapped[str] = mapped_column(sa.String(300), default="")
    checksum: Mapped[str] = mapped_column(sa.String(64), default="")
    published: Mapped[bool] = mapped_column(default=True)
    # Page views, added up in batches (kb.reads): the chat widget suggests the most-read articles.
    read_count: Mapped[int] = mapped_column(default=0, server_default="0")
    # A draft promoted from a community answer: which thread, who drafted it, who published it.
    source_thread_id: Mapped[int | None] = mapped_column(sa.ForeignKey("forum_threads.id", ondelete="SET NULL"),
                                                         index=True)
    drafted_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"), index=True)
    published_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"), index=True)
    published_at: Mapped[datetime | None]
    category_id: Mapped[int] = mapped_column(sa.ForeignKey("kb_categories.id"), index=True)
    category: Mapped[Category] = relationship(back_populates="articles", lazy="joined")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    modified_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    def is_searchable(self) -> bool:
        return self.published


class ArticleVote(db.Model):
    """One "Was this helpful?" answer per signed-in user or per anonymous visitor."""

    __tablename__ = "kb_article_votes"
    __table_args__ = (
        sa.UniqueConstraint("article_id", "user_id", name="uq_vote_article_user"),
        sa.UniqueConstraint("article_id", "visitor_id", name="uq_vote_article_visitor"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    article_id: Mapped[int] = mapped_column(sa.ForeignKey("kb_articles.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"))
    visitor_id: Mapped[str | None] = mapped_column(sa.String(64))
    helpful: Mapped[bool]
    comment: Mapped[str] = mapped_column(sa.String(1000), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
