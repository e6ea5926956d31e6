"""Forms for flagging and for the moderation pages. A form checks what was sent; the
services in actions.py and members.py decide and write.
"""

from __future__ import annotations

from wtforms import BooleanField, DateTimeLocalField, IntegerField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional, ValidationError

from forum.moderation.actions import MAX_FLAG_NOTE, MAX_HIDDEN_REASON, MAX_POST_BODY, MAX_TITLE
from forum.moderation.members import MAX_PATTERN, MAX_SANCTION_REASON
from forum.moderation.queue import LOG_ACTIONS, QUEUE_SORTS
from forum.settings import SPECS
from portal.forms import Form

FLAG_CHOICES = {
    "spam": "Spam: advertising or links nobody asked for",
    "abuse": "Abusive, hateful or harassing",
    "off_topic": "Off topic: does not belong in this thread",
    "other": "Something else (tell us in the note)",
}
WORD_ACTION_CHOICES = {
    "block": "Block: refuse the post and say why",
    "hold": "Hold: keep the post for approval",
    "flag": "Flag: publish it, but put it in the flag queue",
}


def _note_for_other(form, field) -> None:
    if form.reason.data == "other" and not (field.data or "").strip():
        raise ValidationError("Tell the moderators what is wrong when you choose “something else”.")


class FlagForm(Form):
    reason = SelectField("Why are you flagging this post?", choices=FLAG_CHOICES,
                         validators=[DataRequired("Choose a reason.")])
    note = TextAreaField("Note for the moderators (optional)",
                         validators=[Length(max=MAX_FLAG_NOTE, message=f"Keep the note under {MAX_FLAG_NOTE} "
                                                                       "characters."), _note_for_other])


class ReasonForm(Form):
    """Most actions: a button and an optional reason (shown to moderators, and to the member where it concerns them)."""

    reason = StringField("Reason (optional)", validators=[
        Optional(), Length(max=MAX_HIDDEN_REASON, message=f"Keep the reason under {MAX_HIDDEN_REASON} characters.")])


class RequiredReasonForm(Form):
    """Warnings and bans: the member is told why, so a reason is needed."""

    reason = TextAreaField("Reason (the member sees it)", validators=[
        DataRequired("Give a reason: the member is shown it."),
        Length(max=MAX_SANCTION_REASON, message=f"Keep the reason under {MAX_SANCTION_REASON} characters.")])


class SuspendForm(RequiredReasonForm):
    ends_at = DateTimeLocalField("Suspended until (UTC)", format=["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S"],
                                 validators=[InputRequired("Choose when the suspension ends.")])

    def validate_ends_at(self, field) -> None:
        if field.data is None:
            raise ValidationError("Enter the end as a date and time, for example 2026-12-31T18:00.")


class EditPostForm(Form):
    title = StringField("Thread title (opening post only)", validators=[Optional(), Length(max=MAX_TITLE)])
    body = TextAreaField("Text", validators=[DataRequired("The post cannot be empty; hide or delete it instead."),
                                             Length(max=MAX_POST_BODY)])
    reason = StringField("Reason for the edit (optional)", validators=[Optional(), Length(max=MAX_HIDDEN_REASON)])


class MoveForm(ReasonForm):
    category = SelectField("Move to category", coerce=int, validate_choice=False,
                           validators=[InputRequired("Choose a category.")])


class MergeForm(ReasonForm):
    target = IntegerField("Merge into thread number", validators=[
        InputRequired("Enter the number of the thread to merge into."), NumberRange(min=1)])


class WordForm(Form):
    pattern = StringField("Word, phrase or regular expression", validators=[
        DataRequired("Enter a word, a phrase or a regular expression."), Length(max=MAX_PATTERN)])
    is_regex = BooleanField("This is a regular expression (matched anywhere, ignoring case)")
    action = SelectField("What happens to a post that contains it", choices=WORD_ACTION_CHOICES, default="hold")


class EmptyForm(Form):
    """A button with nothing but its CSRF token."""


class SettingsForm(Form):
    auto_hide_flags = IntegerField(SPECS["auto_hide_flags"].label)
    new_user_approval_posts = IntegerField(SPECS["new_user_approval_posts"].label)
    post_rate_limit_posts = IntegerField(SPECS["post_rate_limit_posts"].label)
    post_rate_limit_minutes = IntegerField(SPECS["post_rate_limit_minutes"].label)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for key, spec in SPECS.items():
            getattr(self, key).validators = [
                InputRequired(f"{spec.label}: enter a number."),
                NumberRange(spec.minimum, spec.maximum, f"Use a whole number from {spec.minimum} to {spec.maximum}."),
            ]

    def values(self) -> dict[str, int]:
        return {key: getattr(self, key).data for key in SPECS}


class LogFilterForm(Form):
    class Meta:
        csrf = False

    action = SelectField("Action", choices={"": "Every action", **{a: a.replace("_", " ") for a in LOG_ACTIONS}},
                         default="")


class QueueSortForm(Form):
    class Meta:
        csrf = False

    sort = SelectField("Order", choices=QUEUE_SORTS, default="most")
