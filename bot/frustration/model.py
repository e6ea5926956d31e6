"""The scoring model: a logistic combination of features, then rule floors, then a level.

Score = sigmoid(bias + learnt weights . features + hand-set cue weights). The learnt
part comes from labelled anger/annoyance text (calibrate.py); the cue weights are set
by hand because no public corpus labels "I'll leave a one-star review" as frustration.

Rule floors: some cues mean a level whatever the rest of the message says, because
the right reply depends on them and a calm wording must not hide them.

- Abuse aimed at the agent ("you useless idiot", "f*** you") -> angry. The aggressive
  customer scenario: the reply must set a boundary and bring in a person, and a
  polite sentence around the insult does not change that.
- Insulting the bot or the company ("this stupid bot", "you lot are clowns"), and
  threats to cancel, leave or go public (reviews, social media, bank, regulator,
  lawyer) -> frustrated. The customer is about to be lost or to take it outside: offer
  a person and a concrete fix now.
- Three or more independent escalation cues in one message -> frustrated, whatever
  their weights add up to ("This is the THIRD time I've asked!!! Unacceptable.").
- Swearing, capitals, sarcasm, asking for a person, repeating an earlier complaint ->
  annoyed. Each can be light-hearted or routine ("damn, forgot my password"; "can I
  talk to an agent?"), so alone they only lift the message off "calm".

One ceiling: "angry" needs heat, a sign that the customer's temper is up and not only
their opinion: swearing, insults, capitals, repeated punctuation, sarcasm or a threat.
Without one a message stops just below the angry threshold, however many negative
words it holds ("My parcel never arrived, this is ridiculous" is frustrated, not angry).
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

from .features import CUE_SIGNALS, FEATURE_NAMES, MessageFeatures, extract

LEVELS: tuple[str, ...] = ("calm", "annoyed", "frustrated", "angry")
WEIGHTS_PATH = Path(__file__).with_name("weights.json")

FLOORS: dict[str, str] = {
    "insult": "frustrated",
    "threat_to_cancel": "frustrated",
    "threat_public_complaint": "frustrated",
    "profanity": "annoyed",
    "shouting": "annoyed",
    "sarcasm": "annoyed",
    "demands_human": "annoyed",
    "repeated_complaint": "annoyed",
}
ABUSE_FLOOR = "angry"
STACKED_CUES = 3
STACKED_FLOOR = "frustrated"
# Cues that count towards the stack; "intensifier" is excluded because it only ever
# strengthens a negative word that already counts as negative_sentiment.
STACKABLE = frozenset(("negative_sentiment", "shouting", "repeated_punctuation", "profanity", "insult", *CUE_SIGNALS))


HEAT = frozenset(
    (
        "profanity",
        "insult",
        "shouting",
        "repeated_punctuation",
        "sarcasm",
        "threat_to_cancel",
        "threat_public_complaint",
    )
)
BELOW_ANGRY = 0.01  # how far under the angry threshold the ceiling puts a message


class WeightsError(ValueError):
    """weights.json is missing, malformed, or was fitted on other features."""


@dataclass(slots=True)
class FrustrationResult:
    """One message's frustration: a score in [0, 1], its level, and the cues behind it."""

    score: float
    level: str
    signals: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {"score": self.score, "level": self.level, "signals": list(self.signals)}


@dataclass(frozen=True, slots=True)
class Model:
    bias: float
    weights: tuple[float, ...]
    cue_weights: dict[str, float]
    thresholds: tuple[float, float, float]  # lowest score of annoyed, frustrated, angry

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Model:
        try:
            names = tuple(data["features"])
            if names != FEATURE_NAMES:
                raise WeightsError(f"weights were fitted on features {names}, this code computes {FEATURE_NAMES}")
            learnt = data["weights"]
            weights = tuple(float(learnt[name]) for name in FEATURE_NAMES)
            cues = {name: float(data["cue_weights"][name]) for name in CUE_SIGNALS}
            levels = data["thresholds"]
            thresholds = (float(levels["annoyed"]), float(levels["frustrated"]), float(levels["angry"]))
            bias = float(data["bias"])
        except (KeyError, TypeError) as error:
            raise WeightsError(f"weights file is incomplete: {error!r}") from error
        if not 0.0 < thresholds[0] < thresholds[1] < thresholds[2] < 1.0:
            raise WeightsError(f"level thresholds must rise strictly inside (0, 1): {thresholds}")
        return cls(bias=bias, weights=weights, cue_weights=cues, thresholds=thresholds)

    @classmethod
    def load(cls, path: Path = WEIGHTS_PATH) -> Model:
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as error:
            raise WeightsError(f"cannot read {path}: {error}") from error
        return cls.from_dict(data)

    def level_for(self, score: float) -> str:
        level = 0
        for threshold in self.thresholds:
            if score >= threshold:
                level += 1
        return LEVELS[level]

    def logit(self, features: MessageFeatures) -> float:
        total = self.bias
        for weight, value in zip(self.weights, features.values, strict=True):
            total += weight * value
        for signal in features.signals:
            total += self.cue_weights.get(signal, 0.0)
        return total

    def result(self, features: MessageFeatures) -> FrustrationResult:
        logit = self.logit(features)
        score = 1.0 / (1.0 + math.exp(-logit)) if logit > -30 else 0.0
        angry = self.thresholds[-1]
        if score >= angry and not any(signal in HEAT for signal in features.signals):
            score = angry - BELOW_ANGRY
        floor = self._floor(features)
        if floor:
            score = max(score, self.thresholds[LEVELS.index(floor) - 1])
        score = round(score, 4)
        return FrustrationResult(score=score, level=self.level_for(score), signals=list(features.signals))

    @staticmethod
    def _floor(features: MessageFeatures) -> str | None:
        if features.abuse:
            return ABUSE_FLOOR
        rank = 0
        for signal in features.signals:
            floor = FLOORS.get(signal)
            if floor:
                rank = max(rank, LEVELS.index(floor))
        if sum(1 for signal in features.signals if signal in STACKABLE) >= STACKED_CUES:
            rank = max(rank, LEVELS.index(STACKED_FLOOR))
        return LEVELS[rank] if rank else None


@lru_cache(maxsize=1)
def default_model() -> Model:
    """The committed model (weights.json), read on first use."""
    return Model.load()


def score_message(text: str, history: list[str] | None = None, model: Model | None = None) -> FrustrationResult:
    """Score one customer message; ``history`` is the customer's earlier messages, oldest first."""
    if not isinstance(text, str):
        raise TypeError(f"text must be a string, not {type(text).__name__}")
    if history is not None and (
        not isinstance(history, list | tuple) or not all(isinstance(item, str) for item in history)
    ):
        raise TypeError("history must be a list of strings")
    model = model or default_model()
    return model.result(extract(text, list(history) if history else None))
