"""The trainer's forms. They parse what was sent; the rules of a persona live in
personas.validate, and the persona form only turns its fields into the mapping it checks."""

from __future__ import annotations

from wtforms import FloatField, IntegerField, SelectField, SelectMultipleField, StringField, SubmitField, TextAreaField
from wtforms.validators import InputRequired, Length, NumberRange, Optional, ValidationError
from wtforms.widgets import CheckboxInput, HiddenInput, ListWidget

from portal.forms import Form
from portal.inputs import MAX_ID
from portal.training.personas import (
    CALMING_MOVES,
    CONTROL,
    ENDINGS,
    INFLAMING_MOVES,
    LEVELS,
    MAX_LINE,
    MAX_LINES,
    MAX_WEIGHT,
    SCENARIOS,
    SIZES,
)
from portal.training.services import CONTROL_MESSAGE, MAX_REPLY
from portal.training.simulation import MOVE_LABELS

NUMBER = {"type": "number", "step": "0.01", "min": "0", "max": "1"}
WEIGHT = {"type": "number", "step": "0.01", "min": "0", "max": str(MAX_WEIGHT)}


class StartForm(Form):
    persona = IntegerField(widget=HiddenInput(), validators=[InputRequired("Choose a persona."),
                                                             NumberRange(1, MAX_ID, "No such persona.")])


def _plain_text(form, field) -> None:
    if CONTROL.search(field.data or ""):
        raise ValidationError(CONTROL_MESSAGE)


class ReplyForm(Form):
    reply = TextAreaField("Your reply", render_kw={"rows": 4, "autofocus": True}, validators=[
        Length(max=MAX_REPLY, message=f"Replies are limited to {MAX_REPLY:,} characters."), _plain_text])
    send = SubmitField("Send reply")
    silent = SubmitField("Stay silent")


class TeamFilterForm(Form):
    class Meta:
        csrf = False  # a GET filter

    team = SelectField("Team", default="")


class MultiCheckboxField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


def _text(label: str, high: int, area: bool = False, required: bool = True):
    field = TextAreaField if area else StringField
    checks = [InputRequired("Required.")] if required else [Optional()]
    return field(label, validators=[*checks, Length(max=high, message=f"At most {high:,} characters.")])


class PersonaForm(Form):
    name = _text("Customer's name", SIZES["name"][1])
    scenario = SelectField("Scenario", choices={key: title for key, (title, _) in SCENARIOS.items()})
    problem = _text("Their problem (what the trainee is told)", SIZES["problem"][1], area=True)
    order_number = StringField("Order number (optional, like BN-1048231)", validators=[Optional(), Length(max=20)])
    opening = _text("Their opening message", SIZES["opening"][1], area=True)
    mood = FloatField("Starting mood, 0 (calm) to 1 (furious)", default=0.6, render_kw=NUMBER,
                      validators=[InputRequired("Required.")])
    calmed = FloatField("Calmed at or below", default=0.2, render_kw=NUMBER, validators=[InputRequired("Required.")])
    escalated = FloatField("Escalates at or above", default=0.95, render_kw=NUMBER,
                           validators=[InputRequired("Required.")])
    patience = IntegerField("Turns in a row without progress before they leave", default=2,
                            validators=[InputRequired("Required.")])
    max_turns = IntegerField("Most turns", default=6, validators=[InputRequired("Required.")])
    needs = MultiCheckboxField("They are only calmed once the trainee has",
                               choices={m: MOVE_LABELS[m] for m in CALMING_MOVES})
    submit = SubmitField("Add persona")

    def persona_data(self) -> dict:
        """The fields as the mapping personas.validate checks (blank lines and weights dropped)."""
        return {
            "name": self.name.data, "scenario": self.scenario.data, "problem": self.problem.data,
            "order_number": (self.order_number.data or "").strip(), "opening": self.opening.data,
            "mood": self.mood.data,
            "calms": {m: self[f"calm_{m}"].data for m in CALMING_MOVES if self[f"calm_{m}"].data},
            "inflames": {m: self[f"inflame_{m}"].data for m in INFLAMING_MOVES if self[f"inflame_{m}"].data},
            "needs": list(self.needs.data or []),
            "lines": {level: [line for line in (self[f"lines_{level}"].data or "").splitlines() if line.strip()]
                      for level in LEVELS},
            "endings": {end: self[f"ending_{end}"].data for end in ENDINGS},
            "thresholds": {"calmed": self.calmed.data, "escalated": self.escalated.data,
                           "patience": self.patience.data, "max_turns": self.max_turns.data},
        }

    def show(self, errors: dict[str, str]) -> None:
        """Put personas.validate's errors next to the fields they are about."""
        for key, message in errors.items():
            name = FIELD_FOR.get(key) or FIELD_FOR.get(key.split(".")[0])
            if name is None:
                self.form_errors.append(message)
            else:
                self[name].errors = [*self[name].errors, message]


for _move in CALMING_MOVES:
    setattr(PersonaForm, f"calm_{_move}", FloatField(MOVE_LABELS[_move], render_kw=WEIGHT, validators=[Optional()],
                                                     default=0.1 if _move != "set_boundary" else None))
for _move in INFLAMING_MOVES:
    setattr(PersonaForm, f"inflame_{_move}", FloatField(MOVE_LABELS[_move], render_kw=WEIGHT,
                                                        validators=[Optional()],
                                                        default=0.25 if _move != "set_boundary" else None))
for _level in LEVELS:
    setattr(PersonaForm, f"lines_{_level}", _text(f"What they say when {_level} (one line each, 2 to {MAX_LINES})",
                                                  MAX_LINES * (MAX_LINE + 2), area=True))
for _end in ENDINGS:
    setattr(PersonaForm, f"ending_{_end}", _text(f"Their last words when {_end}", MAX_LINE))

FIELD_FOR = {
    "name": "name", "scenario": "scenario", "problem": "problem", "order_number": "order_number",
    "opening": "opening", "mood": "mood", "needs": "needs", "calms": "calm_acknowledge",
    "inflames": "inflame_calm_down", "thresholds.calmed": "calmed", "thresholds.escalated": "escalated",
    "thresholds.patience": "patience", "thresholds.max_turns": "max_turns",
    **{f"calms.{m}": f"calm_{m}" for m in CALMING_MOVES}, **{f"inflames.{m}": f"inflame_{m}" for m in INFLAMING_MOVES},
    **{f"lines.{level}": f"lines_{level}" for level in LEVELS}, **{f"endings.{e}": f"ending_{e}" for e in ENDINGS},
}
