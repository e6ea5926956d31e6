"""A conversation's mood over time: every customer turn's score, the trend, the peak.

The bot decides on more than the last message: a customer whose score has risen three
turns in a row, or whom the bot has failed twice, needs a person sooner than one who
is merely curt. ``ConversationMood`` keeps that state small and JSON-friendly so it can
live in a Rasa tracker slot or a portal session.
"""

from __future__ import annotations

from typing import Any

from .model import LEVELS, FrustrationResult, Model, default_model, score_message

TREND_WINDOW = 3  # the last turn is compared with the mean of up to two before it
TREND_MARGIN = 0.1  # a change smaller than this is "steady"
KEPT_MESSAGES = 10  # earlier messages kept to spot a repeated complaint
FORMAT_VERSION = 1


class ConversationMood:
    """The frustration state of one conversation, fed one customer message at a time."""

    def __init__(self, model: Model | None = None) -> None:
        self._model = model
        self._scores: list[float] = []
        self._messages: list[str] = []
        self._failed_turns = 0
        self.last_result: FrustrationResult | None = None

    def add_turn(self, text: str, failed_turns: int = 0, waited_seconds: float = 0.0) -> FrustrationResult:
        """Score a new customer message, comparing it with the ones before it.

        ``failed_turns``: the bot's unhelpful turns in a row just before this message;
        ``waited_seconds``: how long the customer had waited for an answer.
        """
        result = score_message(
            text,
            self._messages,
            model=self._model or default_model(),
            failed_turns=failed_turns,
            waited_seconds=waited_seconds,
        )
        self._scores.append(result.score)
        self._messages = [*self._messages, text][-KEPT_MESSAGES:]
        self.last_result = result
        return result

    def record_failed_turn(self) -> None:
        """Count a bot turn that did not help (fallback, "I didn't get that", a dead end)."""
        self._failed_turns += 1

    @property
    def scores(self) -> list[float]:
        return list(self._scores)

    @property
    def current(self) -> float:
        return self._scores[-1] if self._scores else 0.0

    @property
    def peak(self) -> float:
        return max(self._scores, default=0.0)

    @property
    def failed_turns(self) -> int:
        return self._failed_turns

    @property
    def level(self) -> str:
        return (self._model or default_model()).level_for(self.current) if self._scores else LEVELS[0]

    @property
    def trend(self) -> str:
        """ "rising", "falling" or "steady": the last score against the mean of the two before."""
        if len(self._scores) < 2:
            return "steady"
        window = self._scores[-TREND_WINDOW:]
        earlier = window[:-1]
        change = window[-1] - sum(earlier) / len(earlier)
        if change >= TREND_MARGIN:
            return "rising"
        if change <= -TREND_MARGIN:
            return "falling"
        return "steady"

    def rising_for(self, turns: int) -> bool:
        """True when the score went up at each of the last ``turns`` customer turns."""
        if turns < 1:
            raise ValueError("turns must be at least 1")
        if len(self._scores) < turns + 1:
            return False
        recent = self._scores[-(turns + 1) :]
        return all(later > earlier for earlier, later in zip(recent, recent[1:], strict=False))

    def to_dict(self) -> dict[str, Any]:
        return {
            "version": FORMAT_VERSION,
            "scores": list(self._scores),
            "messages": list(self._messages),
            "failed_turns": self._failed_turns,
            "last_result": self.last_result.to_dict() if self.last_result else None,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any] | None, model: Model | None = None) -> ConversationMood:
        """Rebuild from ``to_dict()`` output; ``None`` or ``{}`` gives a fresh conversation."""
        mood = cls(model=model)
        if not data:
            return mood
        if not isinstance(data, dict):
            raise ValueError("conversation mood must be a JSON object")
        version = data.get("version", FORMAT_VERSION)
        if version != FORMAT_VERSION:
            raise ValueError(f"unknown conversation mood format version {version!r}")
        scores = data.get("scores", [])
        messages = data.get("messages", [])
        failed = data.get("failed_turns", 0)
        if not isinstance(scores, list) or not all(
            isinstance(s, int | float) and not isinstance(s, bool) and 0.0 <= s <= 1.0 for s in scores
        ):
            raise ValueError("scores must be a list of numbers between 0 and 1")
        if not isinstance(messages, list) or not all(isinstance(m, str) for m in messages):
            raise ValueError("messages must be a list of strings")
        if not isinstance(failed, int) or isinstance(failed, bool) or failed < 0:
            raise ValueError("failed_turns must be a non-negative integer")
        mood._scores = [float(s) for s in scores]
        mood._messages = messages[-KEPT_MESSAGES:]
        mood._failed_turns = failed
        last = data.get("last_result")
        if last:
            try:
                mood.last_result = FrustrationResult(
                    score=float(last["score"]), level=str(last["level"]), signals=[str(s) for s in last["signals"]]
                )
            except (KeyError, TypeError, ValueError) as error:
                raise ValueError(f"last_result is malformed: {error!r}") from error
        return mood
