"""The trainer's records: personas, each agent's attempts, and the turns of an attempt."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.clock import utcnow
from portal.extensions import db
from portal.training.personas import PersonaSpec, validate

OUTCOMES = ("active", "calmed", "escalated", "abandoned")


class Persona(db.Model):
    """A simulated customer. ``definition`` holds the checked persona (personas.validate);
    the columns beside it are what lists and filters read."""

    __tablename__ = "training_personas"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(sa.String(60), unique=True)
    name: Mapped[str] = mapped_column(sa.String(80))
    scenario: Mapped[str] = mapped_column(sa.String(30), index=True)
    definition: Mapped[dict] = mapped_column(sa.JSON)
    built_in: Mapped[bool] = mapped_column(default=False)  # shipped in personas/*.yaml
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    created_by = relationship("User")

    @property
    def spec(self) -> PersonaSpec:
        return validate(self.definition)


class Attempt(db.Model):
    """One agent's role-play against one persona; scored when it ends."""

    __tablename__ = "training_attempts"
    __table_args__ = (sa.Index("ix_training_attempts_user_scenario", "user_id", "scenario"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"))
    persona_id: Mapped[int] = mapped_column(sa.ForeignKey("training_personas.id", ondelete="CASCADE"), index=True)
    scenario: Mapped[str] = mapped_column(sa.String(30))  # the persona's, kept for the team's figures
    outcome: Mapped[str] = mapped_column(sa.String(12), default="active")
    mood: Mapped[float]  # the customer's mood now
    score: Mapped[int | None]
    started_at: Mapped[datetime] = mapped_column(default=utcnow)
    finished_at: Mapped[datetime | None]

    user = relationship("User")
    persona: Mapped[Persona] = relationship(lazy="joined")
    turns: Mapped[list[AttemptTurn]] = relationship(back_populates="attempt", order_by="AttemptTurn.number",
                                                    cascade="all, delete-orphan")

    @property
    def finished(self) -> bool:
        return self.outcome != "active"


class AttemptTurn(db.Model):
    """One reply and what it did, as the simulation worked it out (``result``: moves, tone,
    mood, the customer's line and the better phrasing), kept so the history never changes."""

    __tablename__ = "training_turns"
    __table_args__ = (sa.UniqueConstraint("attempt_id", "number", name="uq_training_turns_attempt_number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    attempt_id: Mapped[int] = mapped_column(sa.ForeignKey("training_attempts.id", ondelete="CASCADE"))
    number: Mapped[int]
    reply: Mapped[str] = mapped_column(sa.Text, default="")
    result: Mapped[dict] = mapped_column(sa.JSON)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    attempt: Mapped[Attempt] = relationship(back_populates="turns")
