"""Moderation pages about members and the rules: a member's record and sanctions, the
log, the settings and the watched words. Same blueprint and helpers as views.py."""

from __future__ import annotations

from collections.abc import Callable

from flask import flash, redirect, render_template, request, url_for
from flask_login import current_user

from forum.models import UserSanction, WatchedWord
from forum.moderation import active_sanction, is_moderator, members
from forum.moderation import queue as queue_reads
from forum.moderation.actions import ModerationError
from forum.moderation.forms import (
    EmptyForm,
    LogFilterForm,
    ReasonForm,
    RequiredReasonForm,
    SettingsForm,
    SuspendForm,
    WordForm,
)
from forum.moderation.views import _act, _back, _found, _reason, bp
from forum.settings import SPECS, all_settings
from portal.auth.models import User
from portal.auth.permissions import moderator_required
from portal.extensions import db
from portal.inputs import page_number


def _member_page(user: User, status: int = 200, **bound):
    forms = {"warn_form": RequiredReasonForm(formdata=None), "suspend_form": SuspendForm(formdata=None),
             "ban_form": RequiredReasonForm(formdata=None), "lift_form": ReasonForm(formdata=None)}
    forms.update(bound)
    return render_template(
        "moderation/member.html", member=user, sanctions=members.sanctions_of(user.id),
        in_force=members.is_in_force, current=active_sanction(user), staff=is_moderator(user),
        posts=queue_reads.recent_posts_of(user.id), flags=queue_reads.flags_against(user.id), **forms,
    ), status


@bp.route("/moderation/users/<int:user_id>")
@moderator_required
def member(user_id: int):
    return _member_page(_found(User, user_id, "member"))


@bp.route("/moderation/users/<int:user_id>/<any(warn, suspend, ban):kind>", methods=["POST"])
@moderator_required
def sanction(user_id: int, kind: str):
    user = _found(User, user_id, "member")
    form = SuspendForm() if kind == "suspend" else RequiredReasonForm()

    def apply() -> str:
        reason = _reason(form)
        if kind == "warn":
            members.warn_user(user, current_user, reason)
            return "The warning is sent."
        if kind == "suspend":
            members.suspend_user(user, current_user, form.ends_at.data, reason)
            return f"Suspended until {form.ends_at.data:%d %B %Y, %H:%M} UTC."
        members.ban_user(user, current_user, reason)
        return "The member is banned from posting."

    return _act(form, _back(url_for(".member", user_id=user.id)), apply, lambda: {"user_id": user.id},
                invalid=lambda bad: _member_page(user, 400, **{f"{kind}_form": bad}))


@bp.route("/moderation/sanctions/<int:sanction_id>/lift", methods=["POST"])
@moderator_required
def lift(sanction_id: int):
    row = _found(UserSanction, sanction_id, "sanction")
    form = ReasonForm()

    def apply() -> str:
        members.lift_sanction(row, current_user, _reason(form))
        return f"The {'warning' if row.kind == 'warn' else row.kind} is lifted."

    return _act(form, _back(url_for(".member", user_id=row.user_id)), apply, lambda: {"user_id": row.user_id})


# ------------------------------------------------------------------ the log
@bp.route("/moderation/log")
@moderator_required
def log():
    form = LogFilterForm(formdata=request.args)
    if not form.validate():
        return render_template("moderation/log.html", form=form, entries=None), 400
    entries = queue_reads.log_page(page_number(), action=form.action.data or "")
    return render_template("moderation/log.html", form=form, entries=entries)


# ------------------------------------------------------------------ settings and watched words
@bp.route("/moderation/settings", methods=["GET", "POST"])
@moderator_required
def settings():
    if request.method == "GET":
        form = SettingsForm(formdata=None, data=all_settings())
        return render_template("moderation/settings.html", form=form, specs=SPECS)
    form = SettingsForm()
    if form.validate_on_submit():
        try:
            changed = members.update_settings(form.values(), current_user)
        except ModerationError as exc:
            db.session.rollback()
            form.form_errors.append(str(exc))
            return render_template("moderation/settings.html", form=form, specs=SPECS), exc.status
        db.session.commit()
        flash("Settings saved." if changed else "Nothing changed.", "success")
        return redirect(url_for(".settings"), 303)
    return render_template("moderation/settings.html", form=form, specs=SPECS), 400


def _words_page(form, status: int = 200):
    words = members.watched_words()
    return render_template("moderation/words.html", form=form, words=words, unchecked=members.unchecked_word_ids(words),
                           delete_form=EmptyForm(formdata=None)), status


def _save_word(form, save: Callable[[], object], done: str, page: Callable):
    if not form.validate_on_submit():
        return page(form, 400)
    try:
        save()
    except ModerationError as exc:
        db.session.rollback()
        form.pattern.errors = [*form.pattern.errors, str(exc)]
        return page(form, exc.status)
    db.session.commit()
    flash(done, "success")
    return redirect(url_for(".words"), 303)


@bp.route("/moderation/words", methods=["GET", "POST"])
@moderator_required
def words():
    if request.method == "GET":
        return _words_page(WordForm(formdata=None))
    form = WordForm()
    return _save_word(
        form, lambda: members.add_word(form.pattern.data, form.is_regex.data, form.action.data, current_user),
        f"“{(form.pattern.data or '').strip()}” is now watched.", _words_page)


@bp.route("/moderation/words/<int:word_id>/edit", methods=["GET", "POST"])
@moderator_required
def edit_word(word_id: int):
    word = _found(WatchedWord, word_id, "watched word")

    def page(form, status: int = 200):
        return render_template("moderation/word_edit.html", form=form, word=word), status

    if request.method == "GET":
        return page(WordForm(formdata=None, obj=word))
    form = WordForm()
    return _save_word(
        form, lambda: members.update_word(word, form.pattern.data, form.is_regex.data, form.action.data, current_user),
        "The watched word is updated.", page)


@bp.route("/moderation/words/<int:word_id>/delete", methods=["POST"])
@moderator_required
def delete_word(word_id: int):
    word = _found(WatchedWord, word_id, "watched word")
    pattern = word.pattern

    def apply() -> str:
        members.delete_word(word, current_user)
        return f"“{pattern}” is no longer watched."

    return _act(EmptyForm(), url_for(".words"), apply)
