"""Forum pages: thin, they parse the request, call forum.services or forum.reading, render."""

from __future__ import annotations

import sqlalchemy as sa
from flask import abort, flash, jsonify, redirect, render_template, request, url_for
from flask_login import current_user

from forum import bp
from forum.forms import ActionForm, EditPostForm, NewThreadForm, ReplyForm
from forum.models import ForumCategory, Post, PostRevision, Tag
from forum.moderation import active_sanction, is_moderator, sanction_message
from forum.permissions import get_category, get_post, get_thread
from forum.reading import (
    accepted_post,
    categories_with_counts,
    opening_post_id,
    page_of_post,
    post_url,
    posts_page,
    thread_list,
    thread_url,
    votes_for,
)
from forum.services import (
    ForumError,
    can_accept,
    create_thread,
    deflection_stats,
    edit_post,
    is_subscribed,
    record_view,
    reply,
    toggle_accept,
    toggle_subscription,
    toggle_vote,
)
from forum.text import TAG_RE, quote_markdown
from portal.auth.permissions import can, member_required, moderator_required
from portal.errors import wants_json
from portal.extensions import db
from portal.inputs import MAX_ID, page_number, query_int
from portal.visitor import visitor_id


def _retry_header(exc: ForumError) -> dict:
    return {"Retry-After": str(exc.retry_after)} if exc.retry_after else {}


def _form_refused(template: str, exc: ForumError, form, **context):
    """Show the form again with the reason, and everything the person typed still in it."""
    db.session.rollback()
    form.form_errors.append(str(exc))
    return render_template(template, form=form, **context), exc.status, _retry_header(exc)


def _post_location(post: Post) -> str:
    page = page_of_post(post, current_user)
    return url_for("forum.thread", thread_id=post.thread_id, slug=post.thread.slug,
                   page=page if page > 1 else None, _anchor=f"p{post.id}")


def _sanction_notice() -> str | None:
    if not current_user.is_authenticated:
        return None
    sanction = active_sanction(current_user)
    return sanction_message(sanction) if sanction else None


# ---------------------------------------------------------------------- lists
@bp.route("/forum")
def index():
    threads = thread_list(page_number())
    return render_template("forum/index.html", categories=categories_with_counts(), threads=threads)


@bp.route("/forum/c/<slug>")
def category(slug: str):
    cat = get_category(slug)
    threads = thread_list(page_number(), category_id=cat.id)
    return render_template("forum/category.html", category=cat, threads=threads)


@bp.route("/forum/tags/<tag>")
def tag(tag: str):
    if len(tag) > 30 or not TAG_RE.match(tag):
        abort(404)
    row = db.session.scalar(sa.select(Tag).where(Tag.name == tag)) or abort(404)
    return render_template("forum/tag.html", tag=row, threads=thread_list(page_number(), tag=row))


# ---------------------------------------------------------------------- one thread
@bp.route("/forum/t/<int:thread_id>")
@bp.route("/forum/t/<int:thread_id>-<slug>")
def thread(thread_id: int, slug: str | None = None):
    item = get_thread(thread_id)
    if item.merged_into_id is not None:
        target = db.session.get(type(item), item.merged_into_id)
        if target is not None:
            return redirect(thread_url(target), 301)
    posts = posts_page(item, current_user, page_number())
    if posts.page > 1 and not posts.items:
        abort(404)
    ids = [p.id for p in posts.items]
    page = render_template(
        "forum/thread.html", thread=item, posts=posts, votes=votes_for(ids, current_user),
        opening_id=opening_post_id(item.id), accepted=accepted_post(item),
        subscribed=is_subscribed(current_user, item.id), may_accept=can_accept(current_user, item),
        moderator=is_moderator(current_user), sanction=_sanction_notice(), action=ActionForm(),
        form=ReplyForm(formdata=None),
    )
    record_view(item.id)  # after rendering: its commit would make every post on the page load again
    return page


@bp.route("/forum/p/<int:post_id>")
def post(post_id: int):
    return redirect(_post_location(get_post(post_id)))


# ---------------------------------------------------------------------- writing
def _category_choices() -> list[tuple[str, str]]:
    return [(c.slug, c.name) for c in db.session.scalars(sa.select(ForumCategory).order_by(ForumCategory.position,
                                                                                            ForumCategory.name))]


@bp.route("/forum/new", methods=["GET", "POST"])
@member_required
def new_thread():
    form = NewThreadForm()
    form.category.choices = _category_choices()
    if request.method == "GET":
        wanted = request.args.get("category")
        if wanted in dict(form.category.choices):
            form.category.data = wanted
        return render_template("forum/new.html", form=form, sanction=_sanction_notice())
    valid = form.validate_on_submit()
    if form.category.data and form.category.data not in dict(form.category.choices):
        form.category.errors = [*form.category.errors, "Choose one of the listed categories."]
        valid = False
    if not valid:
        return render_template("forum/new.html", form=form, sanction=_sanction_notice()), 400
    cat = get_category(form.category.data)
    try:
        created = create_thread(current_user, cat, form.title.data, form.body.data, form.tags.data,
                                visitor_id=visitor_id(create=False))
    except ForumError as exc:
        return _form_refused("forum/new.html", exc, form, sanction=_sanction_notice())
    if created.status == "pending":
        flash("Thanks! Your thread will appear once a moderator has approved it.", "success")
    else:
        flash("Your thread is posted. We'll let you know when someone replies.", "success")
    return redirect(thread_url(created), 303)


@bp.route("/forum/t/<int:thread_id>/reply", methods=["GET", "POST"])
@member_required
def reply_to_thread(thread_id: int):
    item = get_thread(thread_id)
    form = ReplyForm()
    if request.method == "GET":
        quote_id = query_int("quote", 0, 1, MAX_ID) or None
        if quote_id is not None:
            quoted = get_post(quote_id)
            if quoted.thread_id != item.id:
                abort(404)
            name = quoted.author.name if quoted.author else "A former member"
            form.body.data = quote_markdown(quoted.body_md, name, post_url(quoted.id))
            form.reply_to.data = str(quoted.id)
        return render_template("forum/reply.html", thread=item, form=form, sanction=_sanction_notice())
    if not form.validate_on_submit():
        return render_template("forum/reply.html", thread=item, form=form, sanction=_sanction_notice()), 400
    try:
        created = reply(current_user, item, form.body.data, int(form.reply_to.data) if form.reply_to.data else None)
    except ForumError as exc:
        return _form_refused("forum/reply.html", exc, form, thread=item, sanction=_sanction_notice())
    if created.status == "pending":
        flash("Thanks! Your reply will appear once a moderator has approved it.", "success")
    return redirect(_post_location(created), 303)


@bp.route("/forum/p/<int:post_id>/edit", methods=["GET", "POST"])
@member_required
def edit(post_id: int):
    item = get_post(post_id)
    if item.author_id != current_user.id:
        abort(403)
    opening = item.id == opening_post_id(item.thread_id)
    form = EditPostForm()
    if request.method == "GET":
        form.body.data = item.body_md
        if opening:
            form.title.data = item.thread.title
            form.tags.data = ", ".join(t.name for t in item.thread.tags)
        return render_template("forum/edit.html", post=item, form=form, opening=opening)
    if not form.validate_on_submit():
        return render_template("forum/edit.html", post=item, form=form, opening=opening), 400
    try:
        changed = edit_post(current_user, item, form.body.data, title=form.title.data if opening else None,
                            tags=(form.tags.data or "") if opening else None)
    except ForumError as exc:
        return _form_refused("forum/edit.html", exc, form, post=item, opening=opening)
    flash("Your post is updated." if changed else "Nothing changed.", "success")
    return redirect(_post_location(item), 303)


@bp.route("/forum/p/<int:post_id>/history")
def history(post_id: int):
    item = get_post(post_id)
    if not can("see_post_history", item):
        abort(403 if current_user.is_authenticated else 401)
    revisions = db.session.scalars(
        sa.select(PostRevision).where(PostRevision.post_id == item.id).order_by(PostRevision.id.desc())
    ).all()
    return render_template("forum/history.html", post=item, revisions=revisions)


# ---------------------------------------------------------------------- buttons
# Each button posts only its CSRF token (checked by CSRFProtect before the view runs, from
# the form field or, for scripts, the X-CSRFToken header).
@bp.route("/forum/p/<int:post_id>/vote", methods=["POST"])
@member_required
def vote(post_id: int):
    item = get_post(post_id)
    count, voted = toggle_vote(current_user, item)
    if wants_json():
        return jsonify({"post_id": item.id, "votes": count, "voted": voted})
    return redirect(_post_location(item), 303)


@bp.route("/forum/p/<int:post_id>/accept", methods=["POST"])
@member_required
def accept(post_id: int):
    item = get_post(post_id)
    accepted = toggle_accept(current_user, item)
    if wants_json():
        return jsonify({"post_id": item.id, "accepted": accepted})
    flash("Marked as the accepted answer." if accepted else "No longer marked as the answer.", "success")
    return redirect(_post_location(item), 303)


@bp.route("/forum/t/<int:thread_id>/subscribe", methods=["POST"])
@member_required
def subscribe(thread_id: int):
    item = get_thread(thread_id)
    subscribed = toggle_subscription(current_user, item)
    if wants_json():
        return jsonify({"thread_id": item.id, "subscribed": subscribed})
    flash("You'll be notified of new replies." if subscribed else "You'll no longer be notified of replies.",
          "success")
    return redirect(thread_url(item), 303)


# ---------------------------------------------------------------------- staff
@bp.route("/forum/stats")
@moderator_required
def stats():
    return render_template("forum/stats.html", stats=deflection_stats())
