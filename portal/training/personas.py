"""Personas for the role-play trainer: the simulated customers, written by us as data.

A persona is a plain mapping (a YAML file in ``personas/``, or a supervisor's form) checked
by ``validate``, the one place that says what a persona may hold: the same rules for the
files we ship and for what a supervisor types, so a bad file fails its test the way a bad
form fails its post. Text is shown escaped, and markup is refused outright here as well:
a persona's lines are read aloud to trainees and have no use for angle brackets.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from pathlib import Path

import yaml

from portal.coaching.moves import HELPFUL, INFLAMING
from portal.errors import DomainError

PERSONA_DIR = Path(__file__).with_name("personas")

# The five classic scenarios, in the order the trainer offers them, each with the technique
# that works for it (our summary of the de-escalation reference).
SCENARIOS = {
    "billing_error": ("Billing error: charged twice",
                      "Listen first, apologise and own it, then offer ways to put it right and let them choose."),
    "confused": ("Confused customer",
                 "Ask what exactly is unclear, explain in plain words, and check they follow."),
    "refund_demand": ("Refund demand",
                      "Accept how they feel, ask for the details, then lay out refund, replacement or credit."),
    "aggressive": ("Aggressive and abusive",
                   "Stay professional, ask once to keep it respectful, then steer to the details of the fix."),
    "inflexible": ("Inflexible about policy",
                   "Acknowledge what they want before any rule, then offer the best alternatives you have."),
}
LEVELS = ("calm", "annoyed", "frustrated", "angry")
ENDINGS = ("calmed", "escalated", "abandoned")
# A move the trainer recognises beyond coaching.moves: asking, once, to keep it respectful.
BOUNDARY = "set_boundary"
CALMING_MOVES = (*HELPFUL, BOUNDARY)
INFLAMING_MOVES = (*INFLAMING, BOUNDARY)  # a customer who was never rude can take it badly

MAX_WEIGHT = 0.5
MIN_LINES, MAX_LINES = 2, 8
MAX_LINE = 300
MAX_NEEDS = 3
MAX_TURNS = 6
SIZES = {"name": (2, 80), "problem": (10, 600), "opening": (5, 500)}
SLUG = re.compile(r"^[a-z0-9][a-z0-9-]{1,58}[a-z0-9]$")
ORDER = re.compile(r"^BN-\d{4,10}$")
MARKUP = re.compile(r"[<>]")
CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")  # tabs and line breaks are only spacing
KEYS = frozenset({"slug", "name", "scenario", "problem", "order_number", "opening", "mood", "calms", "inflames",
                  "needs", "lines", "endings", "thresholds"})
THRESHOLD_KEYS = frozenset({"calmed", "escalated", "patience", "max_turns"})


class PersonaInvalid(DomainError):
    """A persona that breaks the rules; ``errors`` names each field and what is wrong with it."""

    status = 400

    def __init__(self, errors: dict[str, str]):
        super().__init__("The persona was not saved: " + "; ".join(f"{k}: {v}" for k, v in errors.items()))
        self.errors = errors


@dataclass(frozen=True)
class PersonaSpec:
    """A checked persona, as the simulation reads it."""

    slug: str
    name: str
    scenario: str
    problem: str
    opening: str
    mood: float
    calms: dict[str, float]
    inflames: dict[str, float]
    needs: tuple[str, ...]
    lines: dict[str, tuple[str, ...]]
    endings: dict[str, str]
    calmed_at: float
    escalated_at: float
    patience: int
    max_turns: int
    order_number: str = ""

    @property
    def first_name(self) -> str:
        return self.name.split()[0]

    @property
    def scenario_title(self) -> str:
        return SCENARIOS[self.scenario][0]

    def to_dict(self) -> dict:
        """The stored form (JSON), which ``validate`` reads back unchanged."""
        return {"slug": self.slug, "name": self.name, "scenario": self.scenario, "problem": self.problem,
                "order_number": self.order_number, "opening": self.opening, "mood": self.mood,
                "calms": dict(self.calms), "inflames": dict(self.inflames), "needs": list(self.needs),
                "lines": {level: list(lines) for level, lines in self.lines.items()}, "endings": dict(self.endings),
                "thresholds": {"calmed": self.calmed_at, "escalated": self.escalated_at, "patience": self.patience,
                               "max_turns": self.max_turns}}


class _Checker:
    """Collects every problem in one pass, so a form shows them all at once."""

    def __init__(self):
        self.errors: dict[str, str] = {}

    def fail(self, key: str, message: str) -> None:
        self.errors.setdefault(key, message)

    def text(self, key: str, value, low: int, high: int) -> str:
        if not isinstance(value, str) or not value.strip():
            self.fail(key, "Required.")
            return ""
        if MARKUP.search(value) or CONTROL.search(value):
            self.fail(key, "Angle brackets and control characters are not allowed.")
            return ""
        value = " ".join(value.split())
        if not low <= len(value) <= high:
            self.fail(key, f"Between {low} and {high} characters.")
        return value

    def number(self, key: str, value, low: float, high: float) -> float:
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
            self.fail(key, "A number is required.")
            return 0.0
        if not low <= value <= high:
            self.fail(key, f"Between {low:g} and {high:g}.")
        return round(float(value), 3)

    def whole(self, key: str, value, low: int, high: int) -> int:
        if isinstance(value, bool) or not isinstance(value, int):
            self.fail(key, "A whole number is required.")
            return 0
        if not low <= value <= high:
            self.fail(key, f"Between {low} and {high}.")
        return value

    def weights(self, key: str, value, allowed: tuple[str, ...]) -> dict[str, float]:
        if not isinstance(value, dict) or not value:
            self.fail(key, "Give at least one move with a weight.")
            return {}
        unknown = [m for m in value if m not in allowed]
        if unknown:
            self.fail(key, f"Unknown move {unknown[0]!r}; moves are {', '.join(allowed)}.")
            return {}
        return {m: self.number(f"{key}.{m}", w, 0.01, MAX_WEIGHT) for m, w in value.items()}

    def lines(self, key: str, value) -> tuple[str, ...]:
        if not isinstance(value, list) or not MIN_LINES <= len(value) <= MAX_LINES:
            self.fail(key, f"Between {MIN_LINES} and {MAX_LINES} lines.")
            return ()
        lines = tuple(self.text(key, line, 2, MAX_LINE) for line in value)
        if len(set(lines)) != len(lines):
            self.fail(key, "Each line only once.")
        return lines


def validate(data) -> PersonaSpec:
    """The persona in ``data``, checked; raises PersonaInvalid naming every problem."""
    check = _Checker()
    if not isinstance(data, dict):
        raise PersonaInvalid({"persona": "A persona is a mapping of fields."})
    for key in sorted(set(data) - KEYS):
        check.fail(key, "Unknown field.")
    slug = data.get("slug", "")
    if not isinstance(slug, str) or not SLUG.match(slug):
        check.fail("slug", "Lower-case letters, digits and hyphens, 3 to 60 characters.")
    texts = {key: check.text(key, data.get(key), *SIZES[key]) for key in SIZES}
    scenario = data.get("scenario")
    if scenario not in SCENARIOS:
        check.fail("scenario", "Choose one of the five scenarios.")
    order = data.get("order_number") or ""
    if not isinstance(order, str) or (order and not ORDER.match(order)):
        check.fail("order_number", "An order number looks like BN-1048231.")
    mood = check.number("mood", data.get("mood"), 0.0, 1.0)
    calms = check.weights("calms", data.get("calms"), CALMING_MOVES)
    inflames = check.weights("inflames", data.get("inflames"), INFLAMING_MOVES)
    if set(calms) & set(inflames):
        check.fail("inflames", "A move either calms or inflames this customer, not both.")
    needs = data.get("needs") or []
    if not isinstance(needs, list) or len(needs) > MAX_NEEDS or any(n not in calms for n in needs):
        check.fail("needs", f"Up to {MAX_NEEDS} of the moves that calm this customer.")
        needs = []
    raw_lines = data.get("lines")
    if not isinstance(raw_lines, dict) or set(raw_lines) != set(LEVELS):
        check.fail("lines", f"Lines for each mood level: {', '.join(LEVELS)}.")
        raw_lines = {}
    lines = {level: check.lines(f"lines.{level}", raw_lines.get(level)) for level in LEVELS if level in raw_lines}
    raw_endings = data.get("endings")
    if not isinstance(raw_endings, dict) or set(raw_endings) != set(ENDINGS):
        check.fail("endings", f"One closing line for each ending: {', '.join(ENDINGS)}.")
        raw_endings = {}
    endings = {end: check.text(f"endings.{end}", raw_endings.get(end), 2, MAX_LINE) for end in raw_endings}
    limits = data.get("thresholds")
    if not isinstance(limits, dict) or set(limits) != THRESHOLD_KEYS:
        check.fail("thresholds", f"Give {', '.join(sorted(THRESHOLD_KEYS))}.")
        limits = {}
    calmed_at = check.number("thresholds.calmed", limits.get("calmed", 0.0), 0.0, 0.6)
    escalated_at = check.number("thresholds.escalated", limits.get("escalated", 1.0), 0.4, 1.0)
    patience = check.whole("thresholds.patience", limits.get("patience", 1), 1, 5)
    max_turns = check.whole("thresholds.max_turns", limits.get("max_turns", MAX_TURNS), 2, MAX_TURNS)
    if not check.errors.keys() & {"mood", "thresholds.calmed", "thresholds.escalated"} \
            and not calmed_at < mood < escalated_at:
        check.fail("mood", "The starting mood must lie between the calmed and escalated thresholds.")
    if check.errors:
        raise PersonaInvalid(check.errors)
    return PersonaSpec(slug=slug, name=texts["name"], scenario=scenario, problem=texts["problem"],
                       opening=texts["opening"], mood=mood, calms=calms, inflames=inflames, needs=tuple(needs),
                       lines=lines, endings=endings, calmed_at=calmed_at, escalated_at=escalated_at,
                       patience=patience, max_turns=max_turns, order_number=order)


def built_in() -> list[PersonaSpec]:
    """The personas we ship, from ``personas/*.yaml``, checked (a broken file raises)."""
    specs = []
    for path in sorted(PERSONA_DIR.glob("*.yaml")):
        try:
            specs.append(validate(yaml.safe_load(path.read_text(encoding="utf-8"))))
        except PersonaInvalid as exc:
            raise PersonaInvalid({path.name: str(exc)}) from exc
    return specs


def slugify(name: str) -> str:
    words = re.findall(r"[a-z0-9]+", name.lower())
    return "-".join(words)[:50].strip("-") or "persona"
