"""Persona rules: the files we ship pass them, and every kind of bad persona is refused with
the field it is about."""

from __future__ import annotations

import copy

import pytest
import yaml

from portal.training.personas import PERSONA_DIR, PersonaInvalid, built_in, slugify, validate


def good() -> dict:
    return yaml.safe_load((PERSONA_DIR / "billing-error-dana.yaml").read_text(encoding="utf-8"))


def errors_for(change) -> dict[str, str]:
    data = copy.deepcopy(good())
    change(data)
    with pytest.raises(PersonaInvalid) as caught:
        validate(data)
    assert caught.value.status == 400
    return caught.value.errors


def test_the_shipped_personas_are_valid_and_round_trip():
    specs = built_in()
    assert len(specs) == 5 and len({s.slug for s in specs}) == 5
    for spec in specs:
        assert validate(spec.to_dict()) == spec


def test_a_persona_holds_what_the_trainer_needs():
    spec = validate(good())
    assert spec.name == "Dana Whitfield" and spec.first_name == "Dana"
    assert spec.scenario == "billing_error" and 0 <= spec.mood <= 1
    assert set(spec.lines) == {"calm", "annoyed", "frustrated", "angry"}
    assert all(len(lines) >= 2 for lines in spec.lines.values())
    assert spec.calmed_at < spec.mood < spec.escalated_at and spec.max_turns <= 6


@pytest.mark.parametrize("change, field", [
    (lambda d: d.pop("name"), "name"),
    (lambda d: d.update(name=""), "name"),
    (lambda d: d.update(name="x" * 81), "name"),
    (lambda d: d.update(opening="<script>alert(1)</script>"), "opening"),
    (lambda d: d.update(problem="Fine until <img src=x onerror=alert(1)> happened"), "problem"),
    (lambda d: d["lines"]["calm"].append("<b>bold</b>"), "lines.calm"),
    (lambda d: d["endings"].update(calmed="bye\x00"), "endings.calmed"),
    (lambda d: d.update(scenario="pirates"), "scenario"),
    (lambda d: d.update(order_number="12; DROP TABLE"), "order_number"),
    (lambda d: d.update(mood=1.5), "mood"),
    (lambda d: d.update(mood=True), "mood"),
    (lambda d: d.update(mood="0.5"), "mood"),
    (lambda d: d.update(mood=float("nan")), "mood"),
    (lambda d: d.update(mood=0.99), "mood"),  # above the escalated threshold
    (lambda d: d.update(calms={}), "calms"),
    (lambda d: d.update(calms={"flattery": 0.2}), "calms"),
    (lambda d: d["calms"].update(apologise=0.9), "calms.apologise"),
    (lambda d: d["inflames"].update(apologise=0.1), "inflames"),
    (lambda d: d.update(needs=["calm_down"]), "needs"),
    (lambda d: d["lines"].pop("angry"), "lines"),
    (lambda d: d["lines"].update(calm=["Only one line."]), "lines.calm"),
    (lambda d: d["lines"].update(calm=["Same."] * 3), "lines.calm"),
    (lambda d: d["lines"].update(calm=["ok"] * 9), "lines.calm"),
    (lambda d: d["lines"].update(annoyed=["fine", "y" * 301]), "lines.annoyed"),
    (lambda d: d["endings"].pop("escalated"), "endings"),
    (lambda d: d["thresholds"].update(max_turns=20), "thresholds.max_turns"),
    (lambda d: d["thresholds"].update(patience=0), "thresholds.patience"),
    (lambda d: d["thresholds"].update(patience=1.5), "thresholds.patience"),
    (lambda d: d["thresholds"].pop("calmed"), "thresholds"),
    (lambda d: d.update(slug="Not A Slug!"), "slug"),
    (lambda d: d.update(colour="red"), "colour"),
])
def test_bad_personas_are_refused_naming_the_field(change, field):
    assert field in errors_for(change)


def test_every_problem_is_reported_at_once():
    def many(d):
        d.update(name="", scenario="nope", mood=2)
        d["lines"]["calm"] = []

    assert {"name", "scenario", "mood", "lines.calm"} <= set(errors_for(many))


def test_not_a_mapping_is_refused():
    with pytest.raises(PersonaInvalid):
        validate(["a", "list"])


def test_text_is_tidied_to_one_line():
    data = good()
    data["name"] = "  Dana \n  Whitfield "
    assert validate(data).name == "Dana Whitfield"


@pytest.mark.parametrize("name, slug", [("Dana Whitfield", "dana-whitfield"), ("Zoë O'Neil!", "zo-o-neil"),
                                        ("££", "persona")])
def test_slugify(name, slug):
    assert slugify(name) == slug
