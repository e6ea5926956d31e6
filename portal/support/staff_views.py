"""Staff ticket pages (/staff/tickets) and canned responses (/staff/canned).

Agents see their teams' tickets and their own; supervisors and admins see all. Changes
are small POST forms that redirect back to the ticket (post/redirect/get); a refused
change shows the page again with the reason next to the form.
"""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from portal.agent import services as agent_svc
from portal.auth.permissions import permission_required, support_staff_required
from portal.extensions import db
from portal.inputs import page_number
from portal.support import bp, staff
from portal.support.forms import (
    AssignForm,
    CannedForm,
    DeleteForm,
    NoteForm,
    PriorityForm,
    ReplyForm,
    StatusForm,
    TicketFilterForm,
)
from portal.tickets.models import STATUS_FLOW, CannedResponse, Ticket


def _ticket_or_404(number: str) -> Ticket:
    return agent_svc.ticket_for(current_user, number)  # NotFound: the error handler answers 404


def _people(active_only: bool = True) -> dict[str, str]:
    return {str(u.id): staff.display_name(u) for u in staff.staff_members(active_only=active_only)}


def _see_ticket(number: str):
    return redirect(url_for("support.staff_ticket", number=number), code=303)


# ---- the list --------------------------------------------------------------------------------

@bp.route("/staff/tickets")
@support_staff_required
def staff_tickets():
    form = TicketFilterForm(formdata=request.args)
    form.team.choices = {"": "Any team", **{t.slug: t.name for t in staff.teams()}}
    form.assignee.choices = {"": "Anyone", "me": "Me", "none": "Unassigned", **_people(active_only=False)}
    if not form.validate():
        return render_template("support/staff_tickets.html", form=form, tickets=None, filters=None), 400
    filters = staff.TicketFilters(status=form.status.data or "", priority=form.priority.data or "",
                                  team=form.team.data or "", assignee=form.assignee.data or "",
                                  breached=bool(form.breached.data), q=form.q.data or "")
    tickets = staff.ticket_page(current_user, filters, page=page_number())
    return render_template("support/staff_tickets.html", form=form, tickets=tickets, filters=filters,
                           updated=staff.last_activity(tickets.items))


# ---- one ticket ------------------------------------------------------------------------------

def _render_ticket(ticket: Ticket, status: int = 200, **bound):
    """The ticket page; `bound` holds the one form that was just sent (with its errors)."""
    forms = {
        "status_form": StatusForm(formdata=None),
        "priority_form": PriorityForm(formdata=None, priority=ticket.priority),
        "assign_form": AssignForm(formdata=None, assignee=str(ticket.assignee_id or "")),
        "note_form": NoteForm(formdata=None),
        "reply_form": ReplyForm(formdata=None),
    }
    forms.update(bound)
    forms["status_form"].status.choices = {s: s.title() for s in STATUS_FLOW.get(ticket.status, ())}
    forms["assign_form"].assignee.choices = {"": "Nobody (unassign)", **_people()}
    return render_template("support/staff_ticket.html", ticket=ticket, timeline=staff.timeline(ticket),
                           sla=staff.sla_summary(ticket), **forms), status


def _refused(ticket: Ticket, form, field, exc: Exception, name: str):
    db.session.rollback()
    field.errors = [*field.errors, str(exc)]
    return _render_ticket(ticket, getattr(exc, "status", 400), **{name: form})


@bp.route("/staff/tickets/<number>")
@support_staff_required
def staff_ticket(number: str):
    return _render_ticket(_ticket_or_404(number))


@bp.route("/staff/tickets/<number>/status", methods=["POST"])
@support_staff_required
def staff_ticket_status(number: str):
    ticket = _ticket_or_404(number)
    form = StatusForm()
    if not form.validate_on_submit():
        return _render_ticket(ticket, 400, status_form=form)
    try:
        staff.change_status(ticket, current_user, form.status.data)
    except staff.WorkflowError as exc:
        return _refused(ticket, form, form.status, exc, "status_form")
    flash(f"{ticket.number} is now {ticket.status}.", "success")
    return _see_ticket(ticket.number)


@bp.route("/staff/tickets/<number>/priority", methods=["POST"])
@support_staff_required
def staff_ticket_priority(number: str):
    ticket = _ticket_or_404(number)
    form = PriorityForm()
    if not form.validate_on_submit():
        return _render_ticket(ticket, 400, priority_form=form)
    changed = staff.change_priority(ticket, current_user, form.priority.data)
    flash(f"Priority is {'now' if changed else 'already'} {ticket.priority}.", "success")
    return _see_ticket(ticket.number)


@bp.route("/staff/tickets/<number>/assign", methods=["POST"])
@support_staff_required
def staff_ticket_assign(number: str):
    ticket = _ticket_or_404(number)
    form = AssignForm()
    form.assignee.choices = {"": "Nobody", **_people()}
    if not form.validate_on_submit():
        return _render_ticket(ticket, 400, assign_form=form)
    try:
        changed = staff.assign(ticket, current_user, int(form.assignee.data) if form.assignee.data else None)
    except staff.WorkflowError as exc:
        return _refused(ticket, form, form.assignee, exc, "assign_form")
    who = staff.display_name(ticket.assignee) or "nobody"
    flash(f"{ticket.number} is {'now' if changed else 'already'} assigned to {who}.", "success")
    return _see_ticket(ticket.number)


@bp.route("/staff/tickets/<number>/notes", methods=["POST"])
@support_staff_required
def staff_ticket_note(number: str):
    ticket = _ticket_or_404(number)
    form = NoteForm()
    if not form.validate_on_submit():
        return _render_ticket(ticket, 400, note_form=form)
    try:
        agent_svc.add_note(ticket.number, current_user, form.note.data)
    except agent_svc.AgentError as exc:
        return _refused(ticket, form, form.note, exc, "note_form")
    flash("Note added. Only staff can see it.", "success")
    return _see_ticket(ticket.number)


@bp.route("/staff/tickets/<number>/reply", methods=["POST"])
@support_staff_required
def staff_ticket_reply(number: str):
    ticket = _ticket_or_404(number)
    form = ReplyForm()
    if not form.validate_on_submit():
        return _render_ticket(ticket, 400, reply_form=form)
    try:
        agent_svc.agent_reply(ticket.number, current_user, form.reply.data)
    except agent_svc.AgentError as exc:
        return _refused(ticket, form, form.reply, exc, "reply_form")
    flash("Reply sent to the customer.", "success")
    return _see_ticket(ticket.number)


# ---- canned responses ------------------------------------------------------------------------

def _team_choices() -> dict[str, str]:
    return {"": "Every team", **{str(t.id): t.name for t in staff.teams()}}


def _canned_or_404(canned_id: int) -> CannedResponse:
    return db.session.get(CannedResponse, canned_id) or abort(404)


def _save(form: CannedForm, row: CannedResponse | None) -> CannedResponse | None:
    """Validate and store; None (with the reason on the form) when refused."""
    if not form.validate_on_submit():
        return None
    try:
        return staff.save_canned(row, form.title.data, form.body.data, int(form.team.data) if form.team.data else None)
    except staff.WorkflowError as exc:
        db.session.rollback()
        form.team.errors = [*form.team.errors, str(exc)]
        return None


@bp.route("/staff/canned", methods=["GET", "POST"])
@permission_required("manage_canned_responses")
def canned_list():
    form = CannedForm()
    form.team.choices = _team_choices()
    if _save(form, None) is not None:
        flash(f"Canned response “{form.title.data.strip()}” added.", "success")
        return redirect(url_for("support.canned_list"), code=303)
    return render_template("support/canned_list.html", form=form, responses=staff.canned_responses(),
                           team_names=staff.team_names(), delete_form=DeleteForm(formdata=None)), \
        400 if form.errors else 200


@bp.route("/staff/canned/<int:canned_id>/edit", methods=["GET", "POST"])
@permission_required("manage_canned_responses")
def canned_edit(canned_id: int):
    row = _canned_or_404(canned_id)
    form = CannedForm() if request.method == "POST" else CannedForm(
        formdata=None, title=row.title, body=row.body, team=str(row.team_id or ""))
    form.team.choices = _team_choices()
    if request.method == "POST" and _save(form, row) is not None:
        flash(f"Canned response “{row.title}” saved.", "success")
        return redirect(url_for("support.canned_list"), code=303)
    return render_template("support/canned_edit.html", form=form, row=row), 400 if form.errors else 200


@bp.route("/staff/canned/<int:canned_id>/delete", methods=["POST"])
@permission_required("manage_canned_responses")
def canned_delete(canned_id: int):
    row = _canned_or_404(canned_id)
    form = DeleteForm()
    if not form.validate_on_submit():
        abort(400)
    title = row.title
    staff.delete_canned(row)
    flash(f"Canned response “{title}” deleted.", "success")
    return redirect(url_for("support.canned_list"), code=303)
