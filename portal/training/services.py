"""The trainer's rules: personas loaded and added, attempts started, replies answered and
scored, and what each person may see. Views call these; nothing here reads a request."""

from __future__ import annotations

import dataclasses
from functools import cache

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from portal.auth.models import Role, User, user_roles
from portal.auth.permissions import sees_all
from portal.clock import utcnow
from portal.errors import DomainError
from portal.extensions import db
from portal.inputs import is_id
from portal.tickets.models import Team
from portal.training import personas, simulation
from portal.training.models import Attempt, AttemptTurn, Persona

MAX_REPLY = 2000
CONTROL_MESSAGE = "Replies can't contain control characters."


class TrainingError(DomainError):
    """A trainer rule said no: 400, or the status given (404 unknown or not yours to see, 403 not
    yours to reply in, 409 the role-play has ended)."""

    def __init__(self, message: str, status: int = 400):
        super().__init__(message)
        self.status = status


# ---- personas ------------------------------------------------------------------------------

@cache
def _shipped() -> tuple[personas.PersonaSpec, ...]:
    return tuple(personas.built_in())


def ensure_built_in() -> None:
    """Load the shipped personas the database lacks (on first use: the trainer needs no seeding
    step). Two workers racing to insert the same slug: the loser rolls back, the rows are there."""
    have = set(db.session.scalars(sa.select(Persona.slug)))
    missing = [spec for spec in _shipped() if spec.slug not in have]
    if not missing:
        return
    for spec in missing:
        db.session.add(Persona(slug=spec.slug, name=spec.name, scenario=spec.scenario, definition=spec.to_dict(),
                               built_in=True))
    try:
        db.session.commit()
    except IntegrityError:
        db.session.rollback()


def scenarios() -> list[dict]:
    """The five scenarios in order, each with its technique and its personas."""
    ensure_built_in()
    rows = db.session.scalars(sa.select(Persona).order_by(Persona.built_in.desc(), Persona.name, Persona.id)).all()
    return [{"key": key, "title": title, "technique": technique,
             "personas": [p for p in rows if p.scenario == key]}
            for key, (title, technique) in personas.SCENARIOS.items()]


def persona_by_id(persona_id: int) -> Persona:
    persona = db.session.get(Persona, persona_id) if is_id(persona_id) else None
    if persona is None:
        raise TrainingError("No such persona.", 404)
    return persona


def add_persona(author: User, data: dict) -> Persona:
    """A supervisor's persona, checked by the same rules as the shipped ones; a unique slug
    is made from the name."""
    base = personas.slugify(str(data.get("name") or ""))
    taken = set(db.session.scalars(sa.select(Persona.slug).where(Persona.slug.like(f"{base}%"))))
    slug = base if base not in taken and len(base) >= 3 else next(
        f"{base}-{n}" for n in range(2, len(taken) + 3) if f"{base}-{n}" not in taken)
    spec = personas.validate({**data, "slug": slug})
    persona = Persona(slug=spec.slug, name=spec.name, scenario=spec.scenario, definition=spec.to_dict(),
                      created_by_id=author.id)
    db.session.add(persona)
    db.session.commit()
    return persona


# ---- attempts ------------------------------------------------------------------------------

def start_attempt(user: User, persona: Persona) -> Attempt:
    spec = persona.spec
    attempt = Attempt(user_id=user.id, persona=persona, scenario=spec.scenario, mood=spec.mood)
    db.session.add(attempt)
    db.session.commit()
    return attempt


def attempt_for(viewer: User, attempt_id: int) -> Attempt:
    """The attempt, if the viewer may see it: their own, or anyone's for supervisors and admins.
    Others get the same 404 as a missing one (no hint that it exists)."""
    attempt = db.session.get(Attempt, attempt_id) if is_id(attempt_id) else None
    if attempt is None or (attempt.user_id != viewer.id and not sees_all(viewer)):
        raise TrainingError("No such attempt.", 404)
    return attempt


def turns_of(attempt: Attempt) -> list[simulation.Turn]:
    return [_turn(row) for row in attempt.turns]


def _turn(row: AttemptTurn) -> simulation.Turn:
    data = dict(row.result)
    for key in ("helped", "hurt"):
        data[key] = tuple((move, amount) for move, amount in data[key])
    for key in ("tone", "neutral"):
        data[key] = tuple(data[key])
    return simulation.Turn(number=row.number, reply=row.reply, **data)


def _record(turn: simulation.Turn) -> dict:
    data = dataclasses.asdict(turn)
    del data["number"], data["reply"]
    return data


def check_can_reply(user: User, attempt: Attempt) -> None:
    """Only the person practising replies, and only while the role-play runs."""
    if attempt.user_id != user.id:
        raise TrainingError("Only the person practising can reply in this role-play.", 403)
    if attempt.finished:
        raise TrainingError("This role-play has ended. Start a new attempt to try again.", 409)


def send_reply(user: User, attempt: Attempt, text: str) -> simulation.Turn:
    """Answer the trainee's reply (an empty one is silence), store the turn, and end and score
    the attempt when the customer is calmed, escalates or leaves."""
    check_can_reply(user, attempt)
    if len(text or "") > MAX_REPLY:
        raise TrainingError(f"Replies are limited to {MAX_REPLY:,} characters.")
    if personas.CONTROL.search(text or ""):
        raise TrainingError(CONTROL_MESSAGE)
    spec = attempt.persona.spec
    earlier = turns_of(attempt)
    turn = simulation.respond(spec, earlier, text or "")
    db.session.add(AttemptTurn(attempt=attempt, number=turn.number, reply=turn.reply, result=_record(turn)))
    attempt.mood = turn.mood_after
    if turn.outcome != "active":
        attempt.outcome = turn.outcome
        attempt.score = simulation.score(spec, [*earlier, turn]).total
        attempt.finished_at = utcnow()
    try:
        db.session.commit()
    except IntegrityError as exc:  # the same turn sent twice at once: the first one counts
        db.session.rollback()
        raise TrainingError("That reply crossed with another one. Reload the page to see where it stands.",
                            409) from exc
    return turn


def score_of(attempt: Attempt) -> simulation.Score | None:
    return simulation.score(attempt.persona.spec, turns_of(attempt))


def history(user: User, limit: int = 50) -> list[Attempt]:
    return list(db.session.scalars(sa.select(Attempt).where(Attempt.user_id == user.id)
                                   .options(selectinload(Attempt.turns)).order_by(Attempt.id.desc()).limit(limit)))


# ---- the team's progress -------------------------------------------------------------------

def team_progress(team_slug: str = "") -> list[dict]:
    """Per agent (everyone with the agent role, and anyone else who has practised): attempts,
    and for each scenario the attempts, best score and last score."""
    agents = sa.select(user_roles.c.user_id).join(Role).where(Role.name == "agent")
    practised = sa.select(Attempt.user_id)
    query = sa.select(User).where(sa.or_(User.id.in_(agents), User.id.in_(practised))).order_by(User.name, User.id)
    if team_slug:
        query = query.where(User.teams.any(Team.slug == team_slug))
    people = db.session.scalars(query).all()
    ids = [p.id for p in people]
    finished = Attempt.outcome != "active"
    rows = db.session.execute(
        sa.select(Attempt.user_id, Attempt.scenario, sa.func.count(Attempt.id), sa.func.max(Attempt.score),
                  sa.func.max(sa.case((finished, Attempt.id))))
        .where(Attempt.user_id.in_(ids)).group_by(Attempt.user_id, Attempt.scenario)).all() if ids else []
    last_ids = [last for *_, last in rows if last is not None]
    last_scores = dict(db.session.execute(sa.select(Attempt.id, Attempt.score).where(Attempt.id.in_(last_ids))).all()) \
        if last_ids else {}
    cells: dict[int, dict] = {}
    for user_id, scenario, count, best, last in rows:
        cells.setdefault(user_id, {})[scenario] = {"attempts": count, "best": best, "last": last_scores.get(last)}
    return [{"user": p, "attempts": sum(c["attempts"] for c in cells.get(p.id, {}).values()),
             "scenarios": cells.get(p.id, {})} for p in people]


def teams() -> list[Team]:
    return list(db.session.scalars(sa.select(Team).order_by(Team.name)))
