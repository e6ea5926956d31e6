"""Moderation pages (/moderation/...) and members' flags (/forum/p/<id>/flag).

Thin: each route finds its target (404 when there is none), checks the form, calls one
service from forum.moderation.actions or forum.moderation.members, commits, and
answers: a redirect back with a message for a browser, JSON for a script. A refusal
answers with the service's status and says why; nothing is written. Every POST carries
a CSRF token (form field, or X-CSRFToken for scripts), checked before the view runs.
"""

from __future__ import annotations

from collections.abc import Callable

from flask import Blueprint, abort, flash, jsonify, redirect, render_template, request, url_for
from flask_login import current_user

from forum.models import ForumCategory, Post, Thread
from forum.moderation import actions
from forum.moderation import queue as queue_reads
from forum.moderation.actions import ModerationError
from forum.moderation.forms import (
    EditPostForm,
    FlagForm,
    MergeForm,
    MoveForm,
    QueueSortForm,
    ReasonForm,
)
from forum.permissions import get_post
from forum.reading import opening_post_id, post_url, thread_url
from portal.auth.permissions import member_required, moderator_required
from portal.errors import answer_refusals_with, json_error, wants_json
from portal.extensions import db
from portal.inputs import is_id, is_local_path, page_number

# The forum's templates sit one package up (forum/templates).
bp = Blueprint("moderation", __name__, template_folder="../templates")


# ------------------------------------------------------------------ helpers
def _found(model, ident: int, what: str):
    row = db.session.get(model, ident) if is_id(ident) else None
    if row is None:
        abort(404, description=f"There is no {what} {ident}.")
    return row


def _back(default: str) -> str:
    """Where the form came from (a local path only), else ``default``."""
    target = request.form.get("next") or request.args.get("next") or ""
    if is_local_path(target):
        return target
    return default


def _first_error(form) -> str:
    for messages in form.errors.values():
        for message in messages:
            return str(message)
    return "The form could not be read. Reload the page and try again."


def _refused(message: str, status: int, back: str):
    db.session.rollback()
    if wants_json():
        return json_error(status, message)
    return render_template("moderation/refused.html", message=message, status=status, back=back), status


def _act(form, back: str, action: Callable[[], str], payload: Callable[[], dict] | None = None,
         invalid: Callable | None = None):
    """Validate ``form``, run ``action`` (which returns the message to show), commit, answer.

    ``invalid`` renders the page again with the form's errors (a browser); ``payload`` adds
    to the JSON answer, read after the action. A refusal from ``action`` goes to the error
    handler, which rolls it back and answers with ``_refused`` (the page with a way back).
    """
    if not form.validate_on_submit():
        if invalid is not None and not wants_json():
            return invalid(form)
        return _refused(_first_error(form), 400, back)
    answer_refusals_with(lambda exc: _refused(str(exc), exc.status, back))
    message = action()
    db.session.commit()
    if wants_json():
        return jsonify({"ok": True, "message": message, **(payload() if payload else {})})
    flash(message, "success")
    return redirect(back, 303)


def _reason(form) -> str:
    return (form.reason.data or "").strip()


# ------------------------------------------------------------------ members flag posts
@bp.route("/forum/p/<int:post_id>/flag", methods=["GET", "POST"])
@member_required
def flag(post_id: int):
    post = get_post(post_id)
    form = FlagForm()
    if request.method == "GET":
        return render_template("moderation/flag.html", post=post, form=form)
    status = 400
    if form.validate_on_submit():
        try:
            created = actions.flag_post(post, current_user, form.reason.data, form.note.data or "")
        except ModerationError as exc:
            db.session.rollback()
            form.form_errors.append(str(exc))
            status = exc.status
        else:
            db.session.commit()
            if wants_json():
                return jsonify({"flag_id": created.id, "post_id": post.id}), 201
            flash("Thanks for telling us. A moderator will take a look.", "success")
            return redirect(post_url(post.id) if post.status == "published" else thread_url(post.thread), 303)
    if wants_json():
        return json_error(status, _first_error(form) if not form.form_errors else form.form_errors[0])
    return render_template("moderation/flag.html", post=post, form=form), status


# ------------------------------------------------------------------ the queue
@bp.route("/moderation")
@moderator_required
def queue():
    sort_form = QueueSortForm(formdata=request.args)
    sort = sort_form.sort.data if sort_form.validate() else "most"
    pagination, flagged = queue_reads.flagged_posts(page_number(), sort)
    pending = queue_reads.pending_posts(page_number("pending_page"))
    shown = [entry.post for entry in flagged] + list(pending.items)
    return render_template(
        "moderation/queue.html", flagged=flagged, flagged_page=pagination, pending=pending, sort=sort,
        sort_form=sort_form, sizes=queue_reads.queue_sizes(), openings=queue_reads.opening_ids(shown),
        action=ReasonForm(formdata=None),
    )


POST_ACTIONS: dict[str, tuple[Callable, str]] = {
    "hide": (actions.hide_post, "The post is hidden from members."),
    "unhide": (actions.unhide_post, "The post is visible again."),
    "dismiss": (actions.dismiss_flags, "The flags are dismissed."),
    "approve": (actions.approve_post, "The post is approved and now public."),
    "reject": (actions.reject_post, "The post was rejected; its author has been told."),
    "delete": (actions.delete_post, "The post is deleted."),
}


@bp.route("/moderation/posts/<int:post_id>/<any(hide, unhide, dismiss, approve, reject, delete):action>",
          methods=["POST"])
@moderator_required
def post_action(post_id: int, action: str):
    post = _found(Post, post_id, "post")
    run, message = POST_ACTIONS[action]
    form = ReasonForm()

    def apply() -> str:
        run(post, current_user, _reason(form))
        return message

    return _act(form, _back(url_for(".queue")), apply, lambda: {"post_id": post.id, "status": post.status})


@bp.route("/moderation/posts/<int:post_id>/edit", methods=["GET", "POST"])
@moderator_required
def edit_post(post_id: int):
    post = _found(Post, post_id, "post")
    opening = opening_post_id(post.thread_id) == post.id
    form = EditPostForm()
    if request.method == "GET":
        form.body.data = post.body_md
        form.title.data = post.thread.title if opening else ""
        return render_template("moderation/edit_post.html", post=post, form=form, opening=opening)
    if form.validate_on_submit():
        try:
            actions.edit_post(post, current_user, form.body.data, form.title.data, _reason(form))
        except ModerationError as exc:
            db.session.rollback()
            form.form_errors.append(str(exc))
            return render_template("moderation/edit_post.html", post=post, form=form, opening=opening), exc.status
        db.session.commit()
        flash("The post is updated; the earlier text is kept in its history.", "success")
        return redirect(_back(url_for(".queue")), 303)
    return render_template("moderation/edit_post.html", post=post, form=form, opening=opening), 400


# ------------------------------------------------------------------ threads
def _thread_state(thread: Thread) -> dict:
    return {"thread_id": thread.id, "locked": thread.locked, "pinned": thread.pinned,
            "category_id": thread.category_id, "merged_into_id": thread.merged_into_id}


def _thread_page(thread: Thread, status: int = 200, **bound):
    forms = {"action": ReasonForm(formdata=None), "move_form": MoveForm(formdata=None),
             "merge_form": MergeForm(formdata=None)}
    forms.update(bound)
    forms["move_form"].category.choices = [(c.id, c.name) for c in queue_reads.categories()]
    merged_into = db.session.get(Thread, thread.merged_into_id) if thread.merged_into_id else None
    history = queue_reads.log_page(1, target_type="thread", target_id=thread.id)
    return render_template("moderation/thread.html", thread=thread, merged_into=merged_into, history=history,
                           opening_id=opening_post_id(thread.id), **forms), status


@bp.route("/moderation/threads/<int:thread_id>")
@moderator_required
def thread(thread_id: int):
    return _thread_page(_found(Thread, thread_id, "thread"))


THREAD_TOGGLES: dict[str, tuple[Callable, bool, str]] = {
    "lock": (actions.set_locked, True, "The thread is locked: only moderators can reply."),
    "unlock": (actions.set_locked, False, "The thread is open for replies again."),
    "pin": (actions.set_pinned, True, "The thread is pinned to the top of its category."),
    "unpin": (actions.set_pinned, False, "The thread is no longer pinned."),
}


@bp.route("/moderation/threads/<int:thread_id>/<any(lock, unlock, pin, unpin):action>", methods=["POST"])
@moderator_required
def thread_toggle(thread_id: int, action: str):
    item = _found(Thread, thread_id, "thread")
    run, value, message = THREAD_TOGGLES[action]
    form = ReasonForm()

    def apply() -> str:
        run(item, current_user, value, _reason(form))
        return message

    return _act(form, _back(url_for(".thread", thread_id=item.id)), apply, lambda: _thread_state(item))


@bp.route("/moderation/threads/<int:thread_id>/move", methods=["POST"])
@moderator_required
def move(thread_id: int):
    item = _found(Thread, thread_id, "thread")
    form = MoveForm()

    def apply() -> str:
        category = _found(ForumCategory, form.category.data, "category")
        actions.move_thread(item, current_user, category, _reason(form))
        return f"The thread is now in {category.name}."

    return _act(form, _back(url_for(".thread", thread_id=item.id)), apply, lambda: _thread_state(item))


@bp.route("/moderation/threads/<int:thread_id>/merge", methods=["POST"])
@moderator_required
def merge(thread_id: int):
    item = _found(Thread, thread_id, "thread")
    form = MergeForm()

    def apply() -> str:
        target = _found(Thread, form.target.data, "thread")
        moved = actions.merge_thread(item, current_user, target, _reason(form))
        return f"{moved} post{'s' if moved != 1 else ''} moved into “{target.title}”; the old thread now points there."

    return _act(form, _back(url_for(".thread", thread_id=item.id)), apply, lambda: _thread_state(item))


# ------------------------------------------------------------------ members
