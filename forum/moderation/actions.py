"""What moderators do to posts and threads, and members' flags that start it.

Every function takes models and the acting moderator (None for the system), changes
rows, writes one ModerationLog row, and leaves the commit to the caller, so an action
and its record land together or not at all. Refusals are ModerationError subclasses
carrying the HTTP status a view should answer with.

Hiding, rejecting and deleting are soft: the row stays with its status and reason. A
post's text belongs to its thread's search document (Post.__search_owner__), and every
action here also touches the thread, so the index drops or restores it on commit.
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from forum.models import (
    FLAG_REASONS,
    Flag,
    ForumCategory,
    ModerationLog,
    Post,
    PostRevision,
    Thread,
    ThreadSubscription,
)
from forum.moderation import active_sanction, is_moderator
from forum.reading import opening_post_id, post_url, thread_url
from forum.services import notify_subscribers
from forum.settings import get_setting
from forum.text import render_post, slugify
from portal import errors
from portal.clock import utcnow
from portal.extensions import db
from portal.notifications.services import notify

MAX_FLAG_NOTE = 500
MAX_HIDDEN_REASON = 300
MAX_POST_BODY = 20_000
MAX_TITLE = 200


class ModerationError(errors.DomainError):
    status = 400


class NotAllowed(ModerationError, errors.Forbidden):
    status = 403


class Conflict(ModerationError, errors.Conflict):
    status = 409


# ------------------------------------------------------------------ shared
def log_action(moderator, action: str, target_type: str, target_id: int, reason: str = "",
               **data) -> ModerationLog:
    entry = ModerationLog(moderator_id=moderator.id if moderator is not None else None, action=action,
                          target_type=target_type, target_id=target_id, reason=(reason or "")[:500], data=data)
    db.session.add(entry)
    return entry


def tell_member(user_id: int | None, text: str, url: str, moderator) -> None:
    """Tell a member what a moderator did (the nav's bell); nobody to tell for a removed account."""
    if user_id is not None:
        notify([user_id], "moderation", text, url, actor_id=moderator.id if moderator is not None else None)


def _link_if_visible(post: Post) -> str:
    """Where a member can still read about their post: its thread, unless the thread went with it."""
    return thread_url(post.thread) if post.thread.status == "published" else ""


def _is_opening(post: Post) -> bool:
    return opening_post_id(post.thread_id) == post.id


def _touch(thread: Thread) -> None:
    """Mark the thread changed, so the search index re-reads it after the commit."""
    thread.updated_at = utcnow()


def _resolve_open_flags(post: Post, moderator, resolution: str) -> int:
    flags = open_flags(post)
    now = utcnow()
    for flag in flags:
        flag.resolved_at, flag.resolution = now, resolution
        flag.resolved_by_id = moderator.id if moderator is not None else None
    return len(flags)


def open_flags(post: Post) -> list[Flag]:
    return list(db.session.scalars(
        sa.select(Flag).where(Flag.post_id == post.id, Flag.resolved_at.is_(None)).order_by(Flag.id)))


def _set_status(post: Post, status: str, opening_thread_status: str | None = None) -> None:
    """Change a post's status; the opening post carries its thread (a hidden first post hides the thread)."""
    post.status = status
    thread = post.thread
    if status in ("hidden", "deleted") and thread.accepted_post_id == post.id:
        # A hidden post cannot stand as the answer (lists, search and the bot would still offer it);
        # after unhiding, the asker or a moderator can mark it again.
        thread.accepted_post_id = thread.accepted_by_id = thread.accepted_at = None
    if opening_thread_status is not None and _is_opening(post):
        post.thread.status = opening_thread_status
    _touch(post.thread)


# ------------------------------------------------------------------ members' flags
def flag_post(post: Post, user, reason: str, note: str = "") -> Flag:
    """A member reports a post; enough reports from different members hide it until a moderator looks."""
    note = (note or "").strip()
    if user is None or not getattr(user, "is_authenticated", False):
        raise NotAllowed("Please log in to flag a post.")
    if active_sanction(user) is not None:
        raise NotAllowed("Your account is suspended or banned from the community, so you cannot flag posts.")
    if post.author_id == user.id:
        raise NotAllowed("You cannot flag your own post; you can edit it instead.")
    if post.status != "published" or post.thread.status != "published":
        raise Conflict("This post is not public, so there is nothing to flag.")
    if reason not in FLAG_REASONS:
        raise ModerationError(f"Choose why you are flagging this post: {', '.join(FLAG_REASONS)}.")
    if len(note) > MAX_FLAG_NOTE:
        raise ModerationError(f"Keep the note under {MAX_FLAG_NOTE} characters (it has {len(note)}).")
    if reason == "other" and not note:
        raise ModerationError("Tell the moderators what is wrong with this post when you choose “other”.")
    # Members flagging the same post at the same moment take turns, so the last of them counts
    # every flag and the auto-hide is not missed (PostgreSQL; SQLite has one writer at a time).
    db.session.execute(sa.select(Post.id).where(Post.id == post.id).with_for_update())
    already = db.session.scalar(sa.select(Flag.id).where(Flag.post_id == post.id, Flag.user_id == user.id))
    if already is not None:
        raise Conflict("You have already flagged this post; the moderators have your report.")
    flag = Flag(post_id=post.id, user_id=user.id, reason=reason, note=note)
    try:
        with db.session.begin_nested():  # a double click racing the check above meets the unique constraint
            db.session.add(flag)
    except IntegrityError:
        raise Conflict("You have already flagged this post; the moderators have your report.") from None
    auto_hide_if_flagged(post)
    return flag


def auto_hide_if_flagged(post: Post) -> bool:
    threshold = int(get_setting("auto_hide_flags"))
    if threshold <= 0 or post.status != "published":
        return False
    members = db.session.scalar(
        sa.select(sa.func.count(sa.distinct(Flag.user_id)))
        .where(Flag.post_id == post.id, Flag.resolved_at.is_(None), Flag.user_id.is_not(None)))
    if members < threshold:
        return False
    reason = f"auto-hidden after {threshold} flags"
    # Only the request that actually moves the post from published hides it and writes the log
    # entry: two that counted enough flags at once would otherwise both do it.
    moved = db.session.execute(sa.update(Post).where(Post.id == post.id, Post.status == "published")
                               .values(status="hidden", hidden_reason=reason, hidden_by_id=None)
                               .execution_options(synchronize_session=False)).rowcount
    if moved != 1:
        return False
    post.hidden_reason, post.hidden_by_id = reason, None
    _set_status(post, "hidden", "hidden")
    log_action(None, "auto_hide", "post", post.id, reason, flags=members, thread_id=post.thread_id)
    return True


# ------------------------------------------------------------------ posts
def hide_post(post: Post, moderator, reason: str = "") -> None:
    if post.status != "published":
        raise Conflict(f"Only a published post can be hidden; this one is {post.status}.")
    post.hidden_reason = (reason or "hidden by a moderator")[:MAX_HIDDEN_REASON]
    post.hidden_by_id = moderator.id
    _set_status(post, "hidden", "hidden")
    flags = _resolve_open_flags(post, moderator, "hidden")
    log_action(moderator, "hide", "post", post.id, reason, flags_resolved=flags, thread_id=post.thread_id)
    tell_member(post.author_id, f"A moderator hid your post in “{post.thread.title}”."
                + (f" Reason: {reason}" if reason else ""), _link_if_visible(post), moderator)


def unhide_post(post: Post, moderator, reason: str = "") -> None:
    if post.status != "hidden":
        raise Conflict(f"This post is not hidden (it is {post.status}).")
    previous = post.hidden_reason
    post.hidden_reason, post.hidden_by_id = "", None
    _set_status(post, "published", "published")
    flags = _resolve_open_flags(post, moderator, "dismissed")  # the reports that hid it were wrong
    log_action(moderator, "unhide", "post", post.id, reason, was_hidden_for=previous, flags_resolved=flags,
               thread_id=post.thread_id)


def dismiss_flags(post: Post, moderator, reason: str = "") -> int:
    """The reports were wrong: close them, and restore the post if they alone had hidden it."""
    count = _resolve_open_flags(post, moderator, "dismissed")
    if not count:
        raise Conflict("This post has no open flags to dismiss.")
    restored = post.status == "hidden" and post.hidden_by_id is None
    if restored:
        post.hidden_reason = ""
        _set_status(post, "published", "published")
    log_action(moderator, "dismiss_flags", "post", post.id, reason, flags_resolved=count, restored=restored,
               thread_id=post.thread_id)
    return count


def approve_post(post: Post, moderator, reason: str = "") -> None:
    if post.status != "pending":
        raise Conflict(f"This post is not waiting for approval (it is {post.status}).")
    _set_status(post, "published", "published")
    log_action(moderator, "approve", "post", post.id, reason, thread_id=post.thread_id)
    if _is_opening(post):
        post.thread.last_post_at = max(post.thread.last_post_at, post.created_at)
    else:
        post.thread.last_post_at = utcnow()
        if post.author is not None:
            notify_subscribers(post, post.thread, post.author)
    tell_member(post.author_id, f"Your post in “{post.thread.title}” was approved and is now public.",
                post_url(post.id), moderator)


def reject_post(post: Post, moderator, reason: str = "") -> None:
    if post.status != "pending":
        raise Conflict(f"This post is not waiting for approval (it is {post.status}).")
    post.hidden_reason = (reason or "not approved")[:MAX_HIDDEN_REASON]
    post.hidden_by_id = moderator.id
    _set_status(post, "deleted", "deleted")
    log_action(moderator, "reject", "post", post.id, reason, thread_id=post.thread_id)
    tell_member(post.author_id, f"A moderator did not approve your post in “{post.thread.title}”."
                + (f" Reason: {reason}" if reason else ""), _link_if_visible(post), moderator)


def delete_post(post: Post, moderator, reason: str = "") -> None:
    if post.status == "deleted":
        raise Conflict("This post is already deleted.")
    previous = post.status
    post.hidden_reason = (reason or "deleted by a moderator")[:MAX_HIDDEN_REASON]
    post.hidden_by_id = moderator.id
    _set_status(post, "deleted", "deleted")
    flags = _resolve_open_flags(post, moderator, "deleted")
    log_action(moderator, "delete", "post", post.id, reason, previous_status=previous, flags_resolved=flags,
               thread_id=post.thread_id)


def edit_post(post: Post, moderator, body: str, title: str | None = None, reason: str = "") -> PostRevision:
    """A moderator rewrites a post (say, to remove personal details); the old text is kept as a revision."""
    body = (body or "").strip()
    if not body:
        raise ModerationError("The post cannot be empty; hide or delete it instead.")
    if len(body) > MAX_POST_BODY:
        raise ModerationError(f"Keep the post under {MAX_POST_BODY} characters.")
    opening = _is_opening(post)
    title = (title or "").strip() or None
    if title is not None and not opening:
        raise ModerationError("Only the opening post of a thread carries its title.")
    if title is not None and len(title) > MAX_TITLE:
        raise ModerationError(f"Keep the title under {MAX_TITLE} characters.")
    new_title = title if title is not None and title != post.thread.title else None
    if body == post.body_md and new_title is None:
        raise Conflict("Nothing changed: the text is the same as before.")
    revision = PostRevision(post_id=post.id, editor_id=moderator.id, body_md=post.body_md,
                            title=post.thread.title if opening else None)
    db.session.add(revision)
    post.body_md, post.body_html, post.edited_at = body, str(render_post(body)), utcnow()
    if new_title is not None:
        post.thread.title, post.thread.slug = new_title, slugify(new_title)
    _touch(post.thread)
    log_action(moderator, "edit", "post", post.id, reason, thread_id=post.thread_id,
               title_changed=new_title is not None)
    return revision


# ------------------------------------------------------------------ threads
def set_locked(thread: Thread, moderator, locked: bool, reason: str = "") -> None:
    if thread.locked == locked:
        raise Conflict(f"This thread is already {'locked' if locked else 'unlocked'}.")
    thread.locked = locked
    _touch(thread)
    log_action(moderator, "lock" if locked else "unlock", "thread", thread.id, reason)


def set_pinned(thread: Thread, moderator, pinned: bool, reason: str = "") -> None:
    if thread.pinned == pinned:
        raise Conflict(f"This thread is already {'pinned' if pinned else 'unpinned'}.")
    thread.pinned = pinned
    _touch(thread)
    log_action(moderator, "pin" if pinned else "unpin", "thread", thread.id, reason)


def move_thread(thread: Thread, moderator, category: ForumCategory, reason: str = "") -> None:
    if thread.category_id == category.id:
        raise Conflict(f"This thread is already in {category.name}.")
    previous = thread.category_id
    thread.category_id = category.id
    thread.category = category
    _touch(thread)
    log_action(moderator, "move", "thread", thread.id, reason, from_category=previous, to_category=category.id)


def merge_thread(source: Thread, moderator, target: Thread, reason: str = "") -> int:
    """Fold a duplicate into ``target``: its posts move over and the duplicate becomes a pointer to it."""
    if source.id == target.id:
        raise ModerationError("A thread cannot be merged into itself.")
    if source.merged_into_id is not None:
        raise Conflict(f"This thread was already merged into thread {source.merged_into_id}.")
    if target.merged_into_id is not None:
        raise ModerationError(f"Thread {target.id} was itself merged into thread {target.merged_into_id}; "
                              "merge into that one instead.")
    if target.status == "deleted":
        raise ModerationError(f"Thread {target.id} is deleted; choose a thread that is still open.")
    moved = db.session.execute(
        sa.update(Post).where(Post.thread_id == source.id).values(thread_id=target.id)
        .execution_options(synchronize_session="fetch")).rowcount
    if target.accepted_post_id is None and source.accepted_post_id is not None:
        target.accepted_post_id, target.accepted_by_id = source.accepted_post_id, source.accepted_by_id
        target.accepted_at = source.accepted_at
    source.accepted_post_id = source.accepted_by_id = source.accepted_at = None
    _merge_subscriptions(source, target)
    target.last_post_at = max(target.last_post_at, source.last_post_at)
    source.merged_into_id = target.id
    _touch(source)
    _touch(target)
    db.session.flush()
    db.session.expire(source, ["posts"])
    db.session.expire(target, ["posts"])
    log_action(moderator, "merge", "thread", source.id, reason, into=target.id, posts_moved=moved)
    return moved


def _merge_subscriptions(source: Thread, target: Thread) -> None:
    """Whoever followed the duplicate now follows the thread it became."""
    following = set(db.session.scalars(
        sa.select(ThreadSubscription.user_id).where(ThreadSubscription.thread_id == target.id)))
    followers = db.session.scalars(
        sa.select(ThreadSubscription.user_id).where(ThreadSubscription.thread_id == source.id)).all()
    for user_id in followers:
        if user_id not in following:
            db.session.add(ThreadSubscription(thread_id=target.id, user_id=user_id))


def require_moderator(user) -> None:
    if not is_moderator(user):
        raise NotAllowed("Only moderators can do that.")
