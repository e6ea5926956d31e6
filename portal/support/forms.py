"""Forms for the staff ticket pages, canned responses and customers' replies.

Choices that come from the database (teams, agents) are filled in by the view; a form
only checks what was sent, it never writes. Choices are {value: label} dicts (WTForms
3.3 deprecates lists of tuples).
"""

from __future__ import annotations

import re

from wtforms import BooleanField, SelectField, StringField, SubmitField, TextAreaField
from wtforms.validators import DataRequired, Length, Regexp, ValidationError

from portal.chat.services import MAX_MESSAGE_CHARS
from portal.forms import Form
from portal.support.ticket_search import MAX_QUERY
from portal.tickets.models import PRIORITIES, TICKET_STATUSES

PLACEHOLDERS = ("customer_first_name", "ticket_number", "agent_name", "order_number")
ANY_PLACEHOLDER = re.compile(r"\{([^{}]*)\}")
MAX_STAFF_TEXT = 4000


def unknown_placeholders(body: str) -> list[str]:
    """Placeholders a canned response uses that agent assist cannot fill (in order, once each)."""
    found = [name for name in ANY_PLACEHOLDER.findall(body or "") if name not in PLACEHOLDERS]
    return list(dict.fromkeys(found))


def _known_placeholders_only(form, field) -> None:
    unknown = unknown_placeholders(field.data)
    if unknown:
        names = ", ".join("{" + name + "}" for name in unknown)
        allowed = ", ".join("{" + name + "}" for name in PLACEHOLDERS)
        raise ValidationError(f"Unknown placeholder {names}. You can use {allowed}.")


class TicketFilterForm(Form):
    """The staff list's filters, read from the query string (GET: no CSRF token)."""

    class Meta:
        csrf = False

    status = SelectField("Status", choices={"": "Any status", **{s: s.title() for s in TICKET_STATUSES}},
                         default="")
    priority = SelectField("Priority", choices={"": "Any priority", **{p: p.title() for p in PRIORITIES}},
                           default="")
    team = SelectField("Team", default="")
    assignee = SelectField("Assignee", default="")
    breached = BooleanField("SLA breached only")
    q = StringField("Search tickets", default="", filters=[lambda v: (v or "").strip()],
                    validators=[Length(max=MAX_QUERY, message=f"Search for at most {MAX_QUERY} characters."),
                                Regexp(r"^[^\x00-\x1f\x7f]*\Z", message="Search for plain text.")])


class StatusForm(Form):
    # The service checks the transition, so a stale page gets "can't go from X to Y", not "not a choice".
    status = SelectField("New status", validate_choice=False,
                         validators=[DataRequired("Choose the new status.")])
    submit = SubmitField("Change status")


class PriorityForm(Form):
    priority = SelectField("Priority", choices={p: p.title() for p in PRIORITIES})
    submit = SubmitField("Change priority")


class AssignForm(Form):
    assignee = SelectField("Assign to")  # "" means nobody
    submit = SubmitField("Assign")


class NoteForm(Form):
    note = TextAreaField("Internal note (never shown to the customer)", validators=[
        DataRequired("Write the note first."),
        Length(max=MAX_STAFF_TEXT, message=f"Notes are limited to {MAX_STAFF_TEXT:,} characters."),
    ])
    submit = SubmitField("Add note")


class ReplyForm(Form):
    reply = TextAreaField("Reply to the customer", validators=[
        DataRequired("Write the reply first."),
        Length(max=MAX_STAFF_TEXT, message=f"Replies are limited to {MAX_STAFF_TEXT:,} characters."),
    ])
    submit = SubmitField("Send reply")


class CannedForm(Form):
    title = StringField("Title", validators=[
        DataRequired("Give the response a title."), Length(max=120, message="Titles are limited to 120 characters."),
    ])
    body = TextAreaField("Text", validators=[
        DataRequired("Write the response."),
        Length(max=MAX_STAFF_TEXT, message=f"Responses are limited to {MAX_STAFF_TEXT:,} characters."),
        _known_placeholders_only,
    ])
    team = SelectField("Team", default="")  # "" means every team
    submit = SubmitField("Save")


class DeleteForm(Form):
    submit = SubmitField("Delete")


class CustomerReplyForm(Form):
    text = TextAreaField("Your reply", validators=[
        DataRequired("Write your reply first."),
        Length(max=MAX_MESSAGE_CHARS, message=f"Replies are limited to {MAX_MESSAGE_CHARS:,} characters."),
    ])
    submit = SubmitField("Send reply")
