"""Forum rules: starting threads, replying, editing with history, votes, accepted answers,
subscriptions, tags and view counts.

Plain functions over models. Anything refused raises ForumError carrying the HTTP status
a view should answer with; nothing is written before every check has passed. Each
function commits its own change, so the search index and the notifications follow it.
"""

from __future__ import annotations

import logging

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError, SQLAlchemyError

from forum.deflections import deflection_stats, mark_posted  # noqa: F401  (deflection_stats: public API)
from forum.models import Flag, ForumCategory, Post, PostRevision, PostVote, Tag, Thread, ThreadSubscription
from forum.moderation import active_sanction, admission, is_moderator, sanction_message
from forum.reading import opening_post_id, post_url, thread_url
from forum.search import community_answers  # noqa: F401  (public API, used by the bot endpoint)
from forum.text import TagError, parse_tags, render_post, slugify
from portal.clock import utcnow
from portal.errors import DomainError
from portal.extensions import db
from portal.notifications.services import notify
from portal.plaintext import visible_text

log = logging.getLogger(__name__)
TITLE_MIN, TITLE_MAX = 5, 150
BODY_MAX = 20_000


class ForumError(DomainError):
    """A refused forum action. 400 unless the raise names another status (403, 404, 409, 422,
    429): the forum's rules answer with many, so the status travels with each refusal."""

    status = 400

    def __init__(self, message: str, status: int | None = None, retry_after: int | None = None):
        super().__init__(message)
        if status is not None:
            self.status = status
        self.retry_after = retry_after  # seconds, when posting too fast


# ---------------------------------------------------------------------- input
def clean_title(raw) -> str:
    if not isinstance(raw, str):
        raise ForumError("The title must be text.")
    title = visible_text(raw)  # no direction overrides or invisible characters in what lists show
    if len(title) < TITLE_MIN:
        raise ForumError(f"Give your thread a title of at least {TITLE_MIN} characters.")
    if len(title) > TITLE_MAX:
        raise ForumError(f"Titles are limited to {TITLE_MAX} characters.")
    return title


def clean_body(raw) -> str:
    if not isinstance(raw, str):
        raise ForumError("The post must be text.")
    body = raw.replace("\r\n", "\n").strip("\n").rstrip()
    if not body.strip():
        raise ForumError("Write something before posting.")
    if len(body) > BODY_MAX:
        raise ForumError(f"Posts are limited to {BODY_MAX:,} characters.")
    return body


def clean_tags(raw) -> list[str]:
    try:
        return parse_tags(raw)
    except TagError as exc:
        raise ForumError(str(exc)) from None


def _admit(user, title: str, body: str, editing: bool = False):
    decision = admission(user, title, body, editing=editing)
    if not decision.allowed:
        # 403 sanction, 422 blocked word, 429 too fast
        raise ForumError(decision.reason, decision.http_status, decision.retry_after)
    return decision


def _refuse_if_sanctioned(user) -> None:
    sanction = active_sanction(user)
    if sanction is not None:
        raise ForumError(sanction_message(sanction), 403)


def _writable(thread: Thread, user=None) -> None:
    if thread.status != "published" or thread.merged_into_id is not None:
        raise ForumError("This thread is not open for replies.", 409)
    if thread.locked and not is_moderator(user):  # moderators may still answer in a locked thread
        raise ForumError("This thread is locked: a moderator has closed it to new replies and edits.", 409)


def _tags(names: list[str]) -> list[Tag]:
    """The Tag rows for ``names``, creating those that are new (a concurrent creator wins harmlessly)."""
    if not names:
        return []
    found = {t.name: t for t in db.session.scalars(sa.select(Tag).where(Tag.name.in_(names)))}
    for name in names:
        if name not in found:
            try:
                with db.session.begin_nested():
                    tag = Tag(name=name)
                    db.session.add(tag)
                found[name] = tag
            except IntegrityError:
                found[name] = db.session.scalar(sa.select(Tag).where(Tag.name == name))
    return [found[name] for name in names]


def _flag_for_review(post: Post, words: list[str]) -> None:
    """Watched words that let a post through still put it in the moderators' queue."""
    if words:
        db.session.add(Flag(post_id=post.id, user_id=None, reason="other",
                            note=("Watched words: " + ", ".join(words))[:500]))


# ---------------------------------------------------------------------- threads and replies
def create_thread(user, category: ForumCategory, title, body, tags=None, visitor_id: str | None = None) -> Thread:
    title, body, tag_names = clean_title(title), clean_body(body), clean_tags(tags)
    decision = _admit(user, title, body)
    now = utcnow()
    thread = Thread(category_id=category.id, author_id=user.id, title=title, slug=slugify(title),
                    status=decision.status, last_post_at=now, created_at=now, updated_at=now)
    thread.tags = _tags(tag_names)
    post = Post(thread=thread, author_id=user.id, body_md=body, body_html=str(render_post(body)),
                status=decision.status, created_at=now)
    db.session.add_all([thread, post])
    db.session.flush()
    _flag_for_review(post, decision.flag_words)
    db.session.add(ThreadSubscription(thread_id=thread.id, user_id=user.id))
    mark_posted(user.id, visitor_id, thread.id, now)
    db.session.commit()
    return thread


def reply(user, thread: Thread, body, reply_to_id: int | None = None) -> Post:
    _writable(thread, user)
    body = clean_body(body)
    if reply_to_id is not None:
        target = db.session.get(Post, reply_to_id)
        if target is None or target.thread_id != thread.id or target.status != "published":
            raise ForumError("The post you are replying to is not in this thread.", 400)
    decision = _admit(user, "", body)
    now = utcnow()
    post = Post(thread_id=thread.id, author_id=user.id, reply_to_id=reply_to_id, body_md=body,
                body_html=str(render_post(body)), status=decision.status, created_at=now)
    db.session.add(post)
    if decision.status == "published":
        thread.last_post_at = now
    db.session.flush()
    _flag_for_review(post, decision.flag_words)
    _subscribe(thread.id, user.id)
    if decision.status == "published":
        notify_subscribers(post, thread, user)
    db.session.commit()
    return post


def notify_subscribers(post: Post, thread: Thread, author) -> int:
    """One notification per subscriber but the author (also for a held post, once it is approved)."""
    subscribers = db.session.scalars(
        sa.select(ThreadSubscription.user_id)
        .where(ThreadSubscription.thread_id == thread.id, ThreadSubscription.user_id != author.id)
    ).all()
    name = (author.name or "A member").strip()
    return notify(subscribers, "forum_reply", f"{name} replied to “{thread.title}”", post_url(post.id),
                  actor_id=author.id)


def edit_post(user, post: Post, body, title=None, tags=None) -> bool:
    """Change a post (and, for the opening post, the thread's title and tags), keeping the old text.

    Returns False when nothing changed (no revision is written).
    """
    thread = post.thread
    if user is None or post.author_id != user.id:
        raise ForumError("You can only edit your own posts.", 403)
    if post.status in ("hidden", "deleted"):
        raise ForumError("This post was taken down by a moderator and can't be edited.", 409)
    if thread.status in ("hidden", "deleted") or thread.merged_into_id is not None:
        raise ForumError("This thread is closed to edits.", 409)
    if thread.locked:
        raise ForumError("This thread is locked: a moderator has closed it to new replies and edits.", 409)
    body = clean_body(body)
    opening = post.id == opening_post_id(thread.id)
    new_title = clean_title(title) if opening and title is not None else thread.title
    new_tags = clean_tags(tags) if opening and tags is not None else [t.name for t in thread.tags]
    title_changed = opening and new_title != thread.title
    tags_changed = opening and new_tags != [t.name for t in thread.tags]
    if body == post.body_md and not title_changed and not tags_changed:
        return False
    decision = _admit(user, new_title if opening else "", body, editing=True)
    now = utcnow()
    if body != post.body_md or title_changed:
        db.session.add(PostRevision(post_id=post.id, editor_id=user.id, body_md=post.body_md,
                                    title=thread.title if title_changed else None, created_at=now))
    post.body_md, post.body_html, post.edited_at = body, str(render_post(body)), now
    if decision.status == "pending" and post.status == "published":
        post.status = "pending"
    _flag_for_review(post, decision.flag_words)
    if opening:
        thread.title, thread.slug = new_title, slugify(new_title)
        thread.tags = _tags(new_tags)
        thread.updated_at = now
    db.session.commit()
    return True


def _subscribe(thread_id: int, user_id: int) -> None:
    if db.session.get(ThreadSubscription, (thread_id, user_id)) is None:
        try:
            with db.session.begin_nested():
                db.session.add(ThreadSubscription(thread_id=thread_id, user_id=user_id))
        except IntegrityError:
            pass  # subscribed a moment ago by another request


# ---------------------------------------------------------------------- votes, answers, subscriptions
def vote_count(post_id: int) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(PostVote).where(PostVote.post_id == post_id))


def toggle_vote(user, post: Post) -> tuple[int, bool]:
    """Add the member's vote for ``post``, or take it back; returns (votes now, voted)."""
    if post.status != "published" or post.thread.status != "published":
        raise ForumError("This post can't be voted on.", 409)
    if post.author_id == user.id:
        raise ForumError("You can't vote for your own post.", 403)
    _refuse_if_sanctioned(user)
    existing = db.session.get(PostVote, (post.id, user.id))
    if existing is not None:
        db.session.delete(existing)
        voted = False
    else:
        try:
            with db.session.begin_nested():
                db.session.add(PostVote(post_id=post.id, user_id=user.id))
        except IntegrityError:
            pass  # a double click: the first one counted
        voted = True
    db.session.commit()
    return vote_count(post.id), voted


def can_accept(user, thread: Thread) -> bool:
    return bool(user is not None and user.is_authenticated and (thread.author_id == user.id or is_moderator(user)))


def toggle_accept(user, post: Post) -> bool:
    """Mark ``post`` as the thread's accepted answer, or unmark it; returns whether it is accepted now."""
    thread = post.thread
    if not can_accept(user, thread):
        raise ForumError("Only the person who asked, or a moderator, can choose the accepted answer.", 403)
    _refuse_if_sanctioned(user)
    if post.status != "published" or thread.status != "published":
        raise ForumError("Only a published reply can be the accepted answer.", 409)
    if post.id == opening_post_id(thread.id):
        raise ForumError("The question can't be its own answer: choose a reply.", 409)
    if thread.accepted_post_id == post.id:
        thread.accepted_post_id = thread.accepted_by_id = thread.accepted_at = None
        db.session.commit()
        return False
    thread.accepted_post_id, thread.accepted_by_id, thread.accepted_at = post.id, user.id, utcnow()
    if post.author_id is not None and post.author_id != user.id:
        notify([post.author_id], "forum_accepted", f"Your reply to “{thread.title}” was marked as the answer",
               post_url(post.id), actor_id=user.id)
    db.session.commit()
    return True


def is_subscribed(user, thread_id: int) -> bool:
    if user is None or not user.is_authenticated:
        return False
    return db.session.get(ThreadSubscription, (thread_id, user.id)) is not None


def toggle_subscription(user, thread: Thread) -> bool:
    existing = db.session.get(ThreadSubscription, (thread.id, user.id))
    if existing is not None:
        db.session.delete(existing)
        db.session.commit()
        return False
    _subscribe(thread.id, user.id)
    db.session.commit()
    return True


def record_view(thread_id: int) -> None:
    """One UPDATE, so simultaneous readers never lose a count. A count that fails is logged, not shown."""
    try:
        db.session.execute(sa.update(Thread).where(Thread.id == thread_id).values(views=Thread.views + 1))
        db.session.commit()
    except SQLAlchemyError:
        db.session.rollback()
        log.warning("could not count a view of thread %s", thread_id, exc_info=True)


__all__ = [
    "ForumError", "clean_body", "clean_tags", "clean_title", "community_answers", "create_thread",
    "deflection_stats", "edit_post", "is_subscribed", "notify_subscribers", "record_view", "reply",
    "thread_url", "toggle_accept", "toggle_subscription", "toggle_vote", "vote_count",
]
