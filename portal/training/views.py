"""The trainer's pages: thin; the rules are in services, the customer in simulation."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from portal.auth.permissions import SUPERVISORS, SUPPORT_STAFF, can, role_required
from portal.extensions import db
from portal.training import bp, simulation
from portal.training import services as svc
from portal.training.forms import PersonaForm, ReplyForm, StartForm, TeamFilterForm
from portal.training.personas import SCENARIOS, PersonaInvalid


@bp.context_processor
def trainer_helpers() -> dict:
    return {"level_of": simulation.level_of, "scenario_titles": {key: title for key, (title, _) in SCENARIOS.items()}}


@bp.route("/training")
@role_required(*SUPPORT_STAFF)
def index():
    return render_template("training/index.html", scenarios=svc.scenarios(), attempts=svc.history(current_user),
                           start_form=StartForm(formdata=None), manager=can("supervise"))


@bp.route("/training/attempts", methods=["POST"])
@role_required(*SUPPORT_STAFF)
def start():
    form = StartForm()
    if not form.validate_on_submit():
        abort(400)
    attempt = svc.start_attempt(current_user, svc.persona_by_id(form.persona.data))
    return redirect(url_for("training.attempt", attempt_id=attempt.id), code=303)


def _attempt_page(attempt, form: ReplyForm, status: int = 200):
    spec = attempt.persona.spec
    turns = svc.turns_of(attempt)
    return render_template(
        "training/attempt.html", attempt=attempt, spec=spec, turns=turns, form=form,
        start_form=StartForm(formdata=None), score=simulation.score(spec, turns), labels=simulation.MOVE_LABELS,
        cues=simulation.CUE_LABELS, still_needed=simulation.still_needed(spec, turns),
        level=simulation.level_of(attempt.mood), mine=attempt.user_id == current_user.id,
        technique=SCENARIOS[spec.scenario][1]), status


@bp.route("/training/attempts/<int:attempt_id>")
@role_required(*SUPPORT_STAFF)
def attempt(attempt_id: int):
    return _attempt_page(svc.attempt_for(current_user, attempt_id), ReplyForm(formdata=None))


@bp.route("/training/attempts/<int:attempt_id>/replies", methods=["POST"])
@role_required(*SUPPORT_STAFF)
def reply(attempt_id: int):
    attempt = svc.attempt_for(current_user, attempt_id)
    svc.check_can_reply(current_user, attempt)
    form = ReplyForm()
    if not form.validate_on_submit():
        return _attempt_page(attempt, form, 400)
    turn = svc.send_reply(current_user, attempt, "" if form.silent.data else form.reply.data or "")
    return redirect(url_for("training.attempt", attempt_id=attempt_id, _anchor=f"turn-{turn.number}"), code=303)


@bp.route("/training/team")
@role_required(*SUPERVISORS)
def team():
    form = TeamFilterForm(request.args)
    form.team.choices = {"": "Every team", **{t.slug: t.name for t in svc.teams()}}
    if not form.validate():
        abort(400)
    return render_template("training/team.html", form=form, rows=svc.team_progress(form.team.data or ""),
                           scenarios=SCENARIOS)


@bp.route("/training/personas/new", methods=["GET", "POST"])
@role_required(*SUPERVISORS)
def new_persona():
    form = PersonaForm()
    if form.validate_on_submit():
        try:
            persona = svc.add_persona(current_user, form.persona_data())
        except PersonaInvalid as exc:
            db.session.rollback()
            form.show(exc.errors)
        else:
            flash(f"Persona “{persona.name}” added to {SCENARIOS[persona.scenario][0]}.", "success")
            return redirect(url_for("training.index", _anchor=f"scenario-{persona.scenario}"), code=303)
    return render_template("training/persona_form.html", form=form), 400 if request.method == "POST" else 200
