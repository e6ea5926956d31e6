"""Fit the model's weights and level thresholds; write weights.json.

``python -m bot.frustration calibrate`` reproduces the committed file exactly: the fit
is deterministic (Newton's method from zero, a fixed number of steps) and the numbers
are rounded before they are written.

What is learnt and what is set by hand
--------------------------------------
The learnt weights come from the training splits: GoEmotions train (frustrated vs
neutral-only) and TweetEval emotion train (anger vs the rest), pooled. The
customer-service cues (``CUE_WEIGHTS``) are fixed: those corpora hardly contain them,
so a fitted weight would be noise. They enter the fit as a known offset, so the learnt
weights do not try to explain what the cues already explain. A few learnt weights have
a lower bound (``MINIMUM_WEIGHTS``): Reddit swears cheerfully and shouts in jest, but
in a support chat profanity, insults and capitals never mean calm.

How the level thresholds are chosen
-----------------------------------
On the development splits (GoEmotions dev + TweetEval val, never the test sets), from
the model's score before any rule floor:

Each level is the score that a set share of the ordinary messages (dev messages
labelled neither frustrated nor angry) stays below, so each level promises how often
it is a false alarm:

- annoyed: 80% of ordinary messages score below it (one in five is lifted off calm,
  which costs no more than an acknowledging phrase);
- frustrated: 95% (one in twenty: the bot starts offering a person);
- angry: 99% (one in a hundred: the bot hands over).

Precision or best-F1 cuts were tried first and rejected: the best-F1 cut falls where a
third of ordinary messages would be flagged (the generic labels count mild disapproval
as frustration), and dev precision levels off near 0.8 because of label noise, so a
precision target either is never met or lands on a handful of messages. Each
threshold is rounded to two decimals.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from . import datasets
from .features import CUE_SIGNALS, FEATURE_NAMES, extract
from .metrics import roc_auc
from .model import WEIGHTS_PATH

# Logit added when a cue is present. About +1 moves a typical message one level.
CUE_WEIGHTS: dict[str, float] = {
    "sarcasm": 1.0,
    "demands_human": 0.8,
    "threat_to_cancel": 1.5,
    "threat_public_complaint": 1.5,
    "repeated_complaint": 1.2,
    "unresolved_problem": 0.7,
}
MINIMUM_WEIGHTS: dict[str, float] = {
    "negative_sentiment": 0.5,
    "intensifier": 0.2,
    "shouting": 2.0,
    "exclamation": 0.0,
    "anger_words": 0.3,
    "repeated_punctuation": 0.8,
    "profanity": 0.8,
    "insult": 1.5,
}
L2 = 1.0  # ridge penalty on the weights (not the bias); the data are plentiful, so small
NEWTON_STEPS = 30
# Share of ordinary dev messages that must score below each level's threshold.
ORDINARY_BELOW: dict[str, float] = {"annoyed": 0.80, "frustrated": 0.95, "angry": 0.99}


def _design(texts: list[str]):
    import numpy as np

    rows = []
    offsets = []
    for text in texts:
        features = extract(text)
        rows.append(features.values)
        offsets.append(sum(CUE_WEIGHTS[s] for s in features.signals if s in CUE_WEIGHTS))
    return np.asarray(rows, dtype=float), np.asarray(offsets, dtype=float)


def fit_logistic(x, y, offset, fixed: dict[int, float]) -> tuple[float, Any]:
    """Ridge logistic regression by Newton's method; columns in ``fixed`` keep their value."""
    import numpy as np

    n, k = x.shape
    free = [j for j in range(k) if j not in fixed]
    design = np.hstack([np.ones((n, 1)), x[:, free]])
    known = offset + sum(x[:, j] * w for j, w in fixed.items())
    theta = np.zeros(design.shape[1])
    penalty = np.full(design.shape[1], L2)
    penalty[0] = 0.0
    for _ in range(NEWTON_STEPS):
        p = 1.0 / (1.0 + np.exp(-(design @ theta + known)))
        gradient = design.T @ (y - p) - penalty * theta
        hessian = (design * (p * (1 - p))[:, None]).T @ design + np.diag(penalty)
        theta = theta + np.linalg.solve(hessian, gradient)
    weights = np.zeros(k)
    weights[free] = theta[1:]
    for j, w in fixed.items():
        weights[j] = w
    return float(theta[0]), weights


def fit_bounded(x, y, offset) -> tuple[float, Any]:
    """Fit, then pin any weight that fell below its minimum at that minimum and refit the rest."""
    fixed: dict[int, float] = {}
    while True:
        bias, weights = fit_logistic(x, y, offset, fixed)
        below = [
            j
            for j, name in enumerate(FEATURE_NAMES)
            if j not in fixed and name in MINIMUM_WEIGHTS and weights[j] < MINIMUM_WEIGHTS[name]
        ]
        if not below:
            return bias, weights
        for j in below:
            fixed[j] = MINIMUM_WEIGHTS[FEATURE_NAMES[j]]


def choose_thresholds(labels: list[int], scores: list[float]) -> dict[str, float]:
    ordinary = sorted(s for s, label in zip(scores, labels, strict=True) if not label)
    chosen: dict[str, float] = {}
    previous = 0.0
    for level, share in ORDINARY_BELOW.items():
        cut = round(ordinary[min(int(share * len(ordinary)), len(ordinary) - 1)], 2)
        chosen[level] = previous = max(cut, round(previous + 0.05, 2))  # strictly rising
    return chosen


def calibrate() -> dict[str, Any]:
    """Fit on the training splits and choose thresholds on the development splits."""
    import numpy as np

    train = [datasets.goemotions("train"), datasets.tweeteval("train")]
    dev = [datasets.goemotions("dev"), datasets.tweeteval("dev")]
    x, offset = _design([t for s in train for t in s.texts])
    y = np.asarray([label for s in train for label in s.labels], dtype=float)
    bias, weights = fit_bounded(x, y, offset)

    dev_x, dev_offset = _design([t for s in dev for t in s.texts])
    dev_labels = [label for s in dev for label in s.labels]
    dev_scores = (1.0 / (1.0 + np.exp(-(bias + dev_x @ weights + dev_offset)))).tolist()
    thresholds = choose_thresholds(dev_labels, dev_scores)
    return {
        "about": "Frustration model for bot.frustration; regenerate with `python -m bot.frustration calibrate`.",
        "features": list(FEATURE_NAMES),
        "bias": round(bias, 4),
        "weights": {name: round(float(w), 4) for name, w in zip(FEATURE_NAMES, weights, strict=True)},
        "cue_weights": {name: CUE_WEIGHTS[name] for name in CUE_SIGNALS},
        "minimum_weights": MINIMUM_WEIGHTS,
        "thresholds": thresholds,
        "threshold_rules": {
            level: f"{share:.0%} of the ordinary (not frustrated) dev messages score below it"
            for level, share in ORDINARY_BELOW.items()
        },
        "trained_on": {s.name: {"messages": len(s), "frustrated": s.positives} for s in train},
        "thresholds_from": {s.name: {"messages": len(s), "frustrated": s.positives} for s in dev},
        "dev_roc_auc": round(roc_auc(dev_labels, dev_scores), 4),
    }


def write(result: dict[str, Any], path: Path = WEIGHTS_PATH) -> Path:
    path.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    return path
