"""Knowledge-base rules: syncing Markdown files, related articles, votes."""

from __future__ import annotations

import hashlib
import re
import time
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import frontmatter
import sqlalchemy as sa
import yaml
from flask import current_app
from markupsafe import Markup, escape

from portal.errors import DomainError
from portal.extensions import db
from portal.hours import business_hours_text
from portal.kb.models import CATEGORY_NAMES, Article, ArticleVote, Category
from portal.markdown import plain_text, render_markdown
from portal.search.backend import SearchDocument
from portal.search.indexing import doc_id

SLUG_RE = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
BRAND_TOKEN = "{{ brand }}"
# The opening hours, rendered from BUSINESS_HOURS (portal.hours) so no article promises others.
HOURS_TOKEN = "{{ business_hours }}"
# Articles link to each other as `other-slug.md` so they read well on GitHub too.
_MD_LINK = re.compile(r"\]\(([a-z0-9-]+)\.md(#[\w-]+)?\)")
RENDER_VERSION = "1"


class ArticleFileError(DomainError):
    """An article file `kb sync` cannot read; it is skipped and reported, never shown to a visitor."""

    status = 422


class KnowledgeBaseError(DomainError):
    status = 400


@dataclass
class SyncReport:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    removed: int = 0
    errors: list[tuple[str, str]] = field(default_factory=list)


@dataclass(frozen=True)
class ArticleFile:
    path: Path
    slug: str
    title: str
    category: str
    tags: list[str]
    summary: str
    updated: date | None
    body: str
    checksum: str


def _placeholders() -> dict[str, str]:
    """What an article's placeholders stand for, from the configuration at render time."""
    return {BRAND_TOKEN: current_app.config["BRAND_NAME"], HOURS_TOKEN: business_hours_text()}


def brand(text: str) -> str:
    for token, value in _placeholders().items():
        text = text.replace(token, value)
    return text


def brand_html(html: str) -> Markup:
    for token, value in _placeholders().items():
        html = html.replace(token, str(escape(value)))
    return Markup(html)


def _text(meta: dict, key: str, max_len: int, required: bool = True) -> str:
    value = meta.get(key)
    if value is None or value == "":
        if required:
            raise ArticleFileError(f"front matter is missing '{key}'")
        return ""
    if not isinstance(value, str):
        raise ArticleFileError(f"'{key}' must be text, not {type(value).__name__}")
    value = value.strip()
    if len(value) > max_len:
        raise ArticleFileError(f"'{key}' is longer than {max_len} characters")
    return value


def parse_article_file(path: Path) -> ArticleFile:
    raw = path.read_bytes()
    try:
        post = frontmatter.loads(raw.decode("utf-8"))
    except UnicodeDecodeError as exc:
        raise ArticleFileError("file is not UTF-8 text") from exc
    except yaml.YAMLError as exc:
        raise ArticleFileError(f"front matter is not valid YAML ({exc.__class__.__name__})") from exc
    meta = post.metadata
    if not meta:
        raise ArticleFileError("no front matter (a block between '---' lines at the top)")
    slug = _text(meta, "slug", 120)
    if not SLUG_RE.match(slug):
        raise ArticleFileError(f"slug {slug!r} must be lowercase words joined by hyphens")
    category = _text(meta, "category", 80)
    if not SLUG_RE.match(category):
        raise ArticleFileError(f"category {category!r} must be lowercase words joined by hyphens")
    tags = meta.get("tags") or []
    if isinstance(tags, str):
        tags = [t.strip() for t in tags.split(",")]
    if not isinstance(tags, list) or not all(isinstance(t, str) for t in tags):
        raise ArticleFileError("'tags' must be a list of words")
    updated = meta.get("updated")
    if isinstance(updated, str):
        try:
            updated = date.fromisoformat(updated)
        except ValueError as exc:
            raise ArticleFileError(f"'updated' {updated!r} is not a date like 2026-11-02") from exc
    elif updated is not None and not isinstance(updated, date):
        raise ArticleFileError("'updated' must be a date like 2026-11-02")
    body = post.content.strip()
    if not body:
        raise ArticleFileError("the article has no body")
    return ArticleFile(
        path=path, slug=slug, title=_text(meta, "title", 200), category=category,
        tags=[t.strip()[:60] for t in tags if t.strip()][:20], summary=_text(meta, "summary", 500, required=False),
        updated=updated, body=body,
        checksum=hashlib.sha256(raw + RENDER_VERSION.encode()).hexdigest(),
    )


def render_article_body(markdown_text: str, link_rel: str | None = None) -> str:
    """``link_rel`` "nofollow ugc" for text a member wrote (a promoted community answer)."""
    return str(render_markdown(_MD_LINK.sub(r"](/kb/\1\2)", markdown_text), link_rel=link_rel))


def get_or_create_category(slug: str) -> Category:
    category = db.session.scalar(sa.select(Category).where(Category.slug == slug))
    if category is None:
        category = Category(slug=slug, name=CATEGORY_NAMES.get(slug, slug.replace("-", " ").capitalize()))
        db.session.add(category)
    return category


def sync_articles(directory: str | Path) -> SyncReport:
    """Make the database match the directory: create, update, remove; skip bad files."""
    directory = Path(directory)
    if not directory.is_dir():
        raise KnowledgeBaseError(f"{directory} is not a directory")
    report = SyncReport()
    parsed: dict[str, ArticleFile] = {}
    failed_paths: set[str] = set()
    for path in sorted(directory.glob("*.md")):
        if path.name.lower() == "readme.md":
            continue
        try:
            article_file = parse_article_file(path)
        except (ArticleFileError, OSError) as exc:
            report.errors.append((path.name, str(exc)))
            failed_paths.add(str(path.resolve()))
            continue
        if article_file.slug in parsed:
            report.errors.append((path.name, f"slug {article_file.slug!r} is already used by "
                                              f"{parsed[article_file.slug].path.name}"))
            continue
        parsed[article_file.slug] = article_file

    existing = {a.slug: a for a in db.session.scalars(sa.select(Article))}
    for slug, af in parsed.items():
        article = existing.get(slug)
        if article is not None and article.checksum == af.checksum and article.category.slug == af.category:
            report.unchanged += 1
            continue
        category = get_or_create_category(af.category)
        if article is None:
            article = Article(slug=slug, category=category)
            db.session.add(article)
            report.created += 1
        else:
            report.updated += 1
        article.title = af.title
        article.summary = af.summary
        article.tags = af.tags
        article.body_md = af.body
        article.body_html = render_article_body(af.body)
        article.updated = af.updated
        article.source_path = str(af.path.resolve())
        article.checksum = af.checksum
        article.published = True
        article.category = category
    for slug, article in existing.items():
        # Only articles that came from files are removed; a file that failed to
        # parse keeps its article rather than deleting it by mistake.
        if slug in parsed or not article.source_path or article.source_path in failed_paths:
            continue
        db.session.delete(article)
        report.removed += 1
    db.session.commit()
    clear_page_cache()
    return report


def article_document(article: Article) -> SearchDocument:
    return SearchDocument(
        doc_id=doc_id("article", article.id), type="article", slug=article.slug, title=brand(article.title),
        url=f"/kb/{article.slug}", category=article.category.slug if article.category else "",
        tags=tuple(article.tags or ()), summary=brand(article.summary), body=brand(plain_text(article.body_md)),
    )


@dataclass(frozen=True)
class ArticlePage:
    """What an article page shows, detached from the session so it can be cached."""

    id: int
    slug: str
    title: str
    summary: str
    body_html: str
    updated: date | None
    category_slug: str
    category_name: str
    related: tuple[tuple[str, str], ...]  # (slug, title)


_page_cache: dict[str, tuple[float, ArticlePage]] = {}


def article_page(slug: str) -> ArticlePage | None:
    """The article and its related list, cached per process for KB_PAGE_CACHE_SECONDS.

    Articles change when `flask kb sync` runs; a page up to that many seconds old is
    the price of serving it without touching the database.
    """
    ttl = current_app.config["KB_PAGE_CACHE_SECONDS"]
    now = time.monotonic()
    cached = _page_cache.get(slug) if ttl > 0 else None
    if cached is not None and cached[0] > now:
        return cached[1]
    article = get_article(slug)
    if article is None:
        _page_cache.pop(slug, None)
        return None
    page = ArticlePage(
        id=article.id, slug=article.slug, title=article.title, summary=article.summary, body_html=article.body_html,
        updated=article.updated, category_slug=article.category.slug, category_name=article.category.name,
        related=tuple((r.slug, r.title) for r in related_articles(article)),
    )
    if ttl > 0:
        if len(_page_cache) > 5000:
            _page_cache.clear()
        _page_cache[slug] = (now + ttl, page)
    return page


def clear_page_cache() -> None:
    _page_cache.clear()


def get_article(slug: str) -> Article | None:
    return db.session.scalar(sa.select(Article).where(Article.slug == slug, Article.published.is_(True)))


def related_articles(article: Article, limit: int = 4) -> list[Article]:
    """Same category first, ranked by shared tags; then others sharing tags."""
    candidates = db.session.scalars(
        sa.select(Article)
        .where(Article.published.is_(True), Article.id != article.id, Article.category_id == article.category_id)
        .order_by(Article.updated.desc().nulls_last(), Article.id)
        .limit(50)
    ).all()
    tags = set(article.tags or ())
    candidates.sort(key=lambda a: -len(tags & set(a.tags or ())))
    return candidates[:limit]


def record_vote(article: Article | ArticlePage, helpful: bool, comment: str, user_id: int | None, visitor_id: str | None) -> ArticleVote:
    """One vote per user (or visitor): voting again changes the earlier answer."""
    if user_id is None and not visitor_id:
        raise KnowledgeBaseError("A vote needs a user or a visitor id.")
    comment = (comment or "").strip()
    if len(comment) > 1000:
        raise KnowledgeBaseError("Comments are limited to 1,000 characters.")
    where = ArticleVote.user_id == user_id if user_id is not None else ArticleVote.visitor_id == visitor_id
    vote = db.session.scalar(sa.select(ArticleVote).where(ArticleVote.article_id == article.id, where))
    if vote is None:
        vote = ArticleVote(article_id=article.id, user_id=user_id,
                           visitor_id=None if user_id is not None else visitor_id)
        db.session.add(vote)
    vote.helpful = helpful
    vote.comment = comment
    try:
        db.session.commit()
    except sa.exc.IntegrityError:  # the same visitor voting twice at once: keep the first
        db.session.rollback()
        vote = db.session.scalar(sa.select(ArticleVote).where(ArticleVote.article_id == article.id, where))
    return vote


def vote_counts(article: Article | ArticlePage) -> dict:
    rows = db.session.execute(
        sa.select(ArticleVote.helpful, sa.func.count()).where(ArticleVote.article_id == article.id)
        .group_by(ArticleVote.helpful)
    ).all()
    counts = {bool(h): n for h, n in rows}
    comments = db.session.scalars(
        sa.select(ArticleVote).where(ArticleVote.article_id == article.id, ArticleVote.comment != "")
        .order_by(ArticleVote.updated_at.desc()).limit(20)
    ).all()
    return {"yes": counts.get(True, 0), "no": counts.get(False, 0), "comments": comments}


def find_vote(article: Article | ArticlePage, user_id: int | None, visitor_id: str | None) -> ArticleVote | None:
    if user_id is None and not visitor_id:
        return None
    where = ArticleVote.user_id == user_id if user_id is not None else ArticleVote.visitor_id == visitor_id
    return db.session.scalar(sa.select(ArticleVote).where(ArticleVote.article_id == article.id, where))


def categories_with_counts() -> list[tuple[Category, int]]:
    rows = db.session.execute(
        sa.select(Category, sa.func.count(Article.id))
        .join(Article, Article.category_id == Category.id)
        .where(Article.published.is_(True))
        .group_by(Category.id)
        .order_by(Category.name)
    ).all()
    return [(c, n) for c, n in rows]
