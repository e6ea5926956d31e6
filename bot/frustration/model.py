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

from .cues import RESOLVED
from .features import CUE_SIGNALS, FEATURE_NAMES, MessageFeatures, extract, normalise
from .ngrams import MIN_GRAMS, ngrams

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
    "not_understood": "annoyed",
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
# A plain request about a problem ("the screen is cracked, how do I claim?") goes no
# higher than this level unless it shows heat or an escalation cue: a fault is not a
# mood. "calm" was tried: it hid a quarter of the real complaints in the complaints dev
# part (recall 0.93 -> 0.73), so a request may still be met with a word of sympathy.
REQUEST_CEILING = "annoyed"
REQUEST_BREAKERS = frozenset((*HEAT, *CUE_SIGNALS, "intensifier"))
BELOW_ANGRY = 0.01  # how far under the angry threshold the ceiling puts a message
TEMPERATURE = 2.0  # the fitted logits run to +-15; halved, four decimals still tell them apart
CONTEXT_TURNS = 3
FAILED_TURN_LOGIT = 0.8  # per failed bot turn in a row before this message
MAX_FAILED_TURNS = 3
WAIT_GRACE_SECONDS = 120.0  # a couple of minutes without an answer is normal
WAIT_LOGIT_PER_10_MINUTES = 0.8
MAX_WAIT_LOGIT = 1.6  # earlier customer turns whose heat can carry into this one


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


def hand_values(features: MessageFeatures, text: str) -> tuple[float, ...]:
    """The hand-made numbers in ``HAND_FEATURES`` order: measured features, cues, length."""
    cues = tuple(1.0 if signal in features.signals else 0.0 for signal in CUE_SIGNALS)
    return (*features.values, *cues, math.log1p(len(text.split())))


HAND_FEATURES: tuple[str, ...] = (*FEATURE_NAMES, *CUE_SIGNALS, "length")


@dataclass(frozen=True, slots=True, eq=False)  # compared and hashed by identity (a cache key)
class Model:
    bias: float
    weights: tuple[float, ...]  # one per HAND_FEATURES name
    ngram_weights: dict[str, float]
    thresholds: tuple[float, float, float]  # lowest score of annoyed, frustrated, angry
    carry: float = 0.0  # share of the earlier turns' excess heat a calmer message keeps

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Model:
        try:
            names = tuple(data["features"])
            if names != HAND_FEATURES:
                raise WeightsError(f"weights were fitted on features {names}, this code computes {HAND_FEATURES}")
            learnt = data["weights"]
            weights = tuple(float(learnt[name]) for name in HAND_FEATURES)
            ngrams = {str(gram): float(weight) for gram, weight in data["ngram_weights"].items()}
            levels = data["thresholds"]
            thresholds = (float(levels["annoyed"]), float(levels["frustrated"]), float(levels["angry"]))
            bias = float(data["bias"])
            carry = float(data["context"]["carry"])
        except (KeyError, TypeError, AttributeError, ValueError) as error:
            raise WeightsError(f"weights file is incomplete: {error!r}") from error
        if not 0.0 < thresholds[0] < thresholds[1] < thresholds[2] < 1.0:
            raise WeightsError(f"level thresholds must rise strictly inside (0, 1): {thresholds}")
        if not 0.0 <= carry <= 1.0:
            raise WeightsError(f"context carry must lie in [0, 1]: {carry}")
        return cls(bias=bias, weights=weights, ngram_weights=ngrams, thresholds=thresholds, carry=carry)

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

    def logit(self, features: MessageFeatures, text: str) -> float:
        """The message's own logit: hand features plus its n-grams, before context and rules."""
        total = self.bias
        for weight, value in zip(self.weights, hand_values(features, text), strict=True):
            total += weight * value
        grams = ngrams(text)
        if grams:
            table = self.ngram_weights
            total += sum(table.get(gram, 0.0) for gram in grams) / math.sqrt(max(len(grams), MIN_GRAMS))
        return total

    def context_logit(self, logit: float, history: list[str], resolved: bool = False) -> float:
        """Lift a message by the heat of the turns before it (at most ``CONTEXT_TURNS`` back).

        "still nothing?" after two angry messages is not a calm question: a message keeps
        ``carry`` of the amount by which the conversation so far ran hotter than it.
        """
        if not history or not self.carry or resolved:  # "ok thanks, that's sorted now" keeps no heat
            return logit
        carried = None
        for earlier in history[-CONTEXT_TURNS:]:
            own = self._history_logit(earlier)
            carried = own if carried is None else own + self.carry * max(0.0, carried - own)
        return logit + self.carry * max(0.0, carried - logit)

    def _history_logit(self, text: str) -> float:
        return _cached_logit(self, text)

    def result(self, features: MessageFeatures, logit: float) -> FrustrationResult:
        score = to_score(logit)
        angry = self.thresholds[-1]
        if score >= angry and not any(signal in HEAT for signal in features.signals):
            score = _just_below(angry, score)
        if features.request and REQUEST_CEILING and not any(s in REQUEST_BREAKERS for s in features.signals):
            # below the next level; a polite request with no negative word at all is calm
            level = LEVELS[0] if features.polite and "negative_sentiment" not in features.signals else REQUEST_CEILING
            ceiling = self.thresholds[LEVELS.index(level)]
            if score >= ceiling:
                score = _just_below(ceiling, score)
        floor = self._floor(features)
        if floor:
            score = max(score, self.thresholds[LEVELS.index(floor) - 1])
        score = round(score, 4)
        return FrustrationResult(score=score, level=self.level_for(score), signals=list(features.signals))

    def score(
        self, text: str, history: list[str] | None = None, failed_turns: int = 0, waited_seconds: float = 0.0
    ) -> FrustrationResult:
        features = extract(text, history)
        resolved = bool(RESOLVED.search(normalise(text)))
        logit = self.context_logit(self.logit(features, text), history or [], resolved)
        if not resolved:
            logit += situation_logit(failed_turns, waited_seconds)
        return self.result(features, logit)

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


def situation_logit(failed_turns: int, waited_seconds: float) -> float:
    """What the conversation did to the customer, whatever their words: failed bot turns in
    a row and time left waiting for an answer. Set by hand (no labelled data records them):
    each failed turn counts about as much as one escalation cue, waiting from
    ``WAIT_GRACE_SECONDS`` on adds up to the same as two."""
    turns = min(max(int(failed_turns), 0), MAX_FAILED_TURNS)
    waited = max(0.0, float(waited_seconds) - WAIT_GRACE_SECONDS) if math.isfinite(waited_seconds) else 0.0
    return FAILED_TURN_LOGIT * turns + min(WAIT_LOGIT_PER_10_MINUTES * waited / 600.0, MAX_WAIT_LOGIT)


def to_score(logit: float) -> float:
    """A logit as a score in [0, 1]; the temperature keeps hot messages apart after rounding."""
    scaled = logit / TEMPERATURE
    return 1.0 / (1.0 + math.exp(-scaled)) if scaled > -30 else 0.0


def _just_below(limit: float, score: float) -> float:
    """Put a score at or above ``limit`` just under it, keeping the order of such scores."""
    return limit - BELOW_ANGRY + 0.9 * BELOW_ANGRY * (score - limit) / max(1.0 - limit, 1e-9)


@lru_cache(maxsize=4096)
def _cached_logit(model: Model, text: str) -> float:
    """An earlier turn's own logit; conversations re-send their history every turn."""
    return model.logit(extract(text), text)


@lru_cache(maxsize=1)
def default_model() -> Model:
    """The committed model (weights.json), read on first use."""
    return Model.load()


def score_message(
    text: str,
    history: list[str] | None = None,
    model: Model | None = None,
    *,
    failed_turns: int = 0,
    waited_seconds: float = 0.0,
) -> FrustrationResult:
    """Score one customer message; ``history`` is the customer's earlier messages, oldest first.

    ``failed_turns``: bot turns in a row just before this message that did not help
    (fallbacks); ``waited_seconds``: how long the customer had been waiting for an answer.
    """
    if not isinstance(text, str):
        raise TypeError(f"text must be a string, not {type(text).__name__}")
    if history is not None and (
        not isinstance(history, list | tuple) or not all(isinstance(item, str) for item in history)
    ):
        raise TypeError("history must be a list of strings")
    model = model or default_model()
    if isinstance(failed_turns, bool) or not isinstance(failed_turns, int) or failed_turns < 0:
        raise TypeError("failed_turns must be a non-negative integer")
    if isinstance(waited_seconds, bool) or not isinstance(waited_seconds, int | float):
        raise TypeError("waited_seconds must be a number of seconds")
    return model.score(text, list(history) if history else None, failed_turns, waited_seconds)
