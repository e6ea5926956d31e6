"""Fit the model's weights, its context carry and its level thresholds; write weights.json.

``python -m bot.frustration calibrate`` reproduces the committed file exactly (the fits
are deterministic and the numbers rounded). It needs scikit-learn (a development
dependency); scoring needs only the committed numbers.

What is learnt, and from what
-----------------------------
Two ridge logistic regressions over the same features (the hand features of
features.py, standardised, and the message's word unigrams and bigrams, binary and
divided by the square root of their count):

- a *support* model, on how customers write to support: the complaints-on-social-media
  train part (complaint or not), our own labelled messages' train part (annoyed or
  worse, or calm; counted twice, they are closest to our customers) and ordinary Bitext
  requests (calm, counted half);
- a *general* model, on how people write when cross: GoEmotions train (anger,
  annoyance, disappointment, disapproval against neutral) and TweetEval train (anger).

The committed model is their blend, ``share * support + (1 - share) * general``,
folded into one weight per feature and n-gram. ``share`` is the one that ranks best
on the development parts (the mean ROC-AUC over complaints, ours, GoEmotions and
TweetEval dev). Weights fitted on the complaints set are derived data of a research
set (see its SOURCE.txt); none of its text is in the repository.

Context: ``carry`` (model.py) is chosen on the train and dev parts of our labelled
conversations, where each customer turn is labelled in context.

Levels
------
- annoyed: the cut with the best F1 for "annoyed or worse" on the development parts
  (complaints dev and our dev messages), among cuts that keep at least 90% of
  ordinary Bitext requests (their dev part) calm;
- frustrated, angry: the cut with the best F1 for "frustrated or worse" and "angry"
  on our labelled messages and conversation turns (train and dev parts), each at
  least 0.05 above the level below.
None is chosen on a test part: those are for evaluate.py only.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from . import datasets
from .features import extract
from .metrics import roc_auc
from .model import HAND_FEATURES, WEIGHTS_PATH, hand_values, to_score
from .ngrams import MIN_GRAMS, ngrams

SUPPORT_C = 4.0  # inverse ridge strength; chosen on the dev parts
GENERAL_C = 1.0
OWN_WEIGHT = 6.0
BITEXT_WEIGHT = 0.5
BITEXT_TRAIN = 3000
SHARES = (0.3, 0.4, 0.5, 0.6, 0.7, 0.8)
CARRIES = (0.0, 0.2, 0.4, 0.5, 0.6, 0.8)
BITEXT_CALM_AT_LEAST = 0.90
# The n-grams enter the fit scaled down: a stronger ridge on them than on the hand
# features, so a few words of one data set cannot outvote what the message measurably says.
NGRAM_SCALE = 1.0
PRUNE_BELOW = 0.02  # smaller n-gram weights move no score by more than a rounding error
LEVEL_ORDER = ("calm", "annoyed", "frustrated", "angry")


class _Design:
    """Turns texts into the fitted feature matrix: standardised hand features, then n-grams."""

    def __init__(self, texts: list[str]) -> None:
        import numpy as np
        from sklearn.feature_extraction.text import CountVectorizer

        self.vectorizer = CountVectorizer(analyzer=ngrams, binary=True, min_df=2, dtype=np.float64)
        self.vectorizer.fit(texts)
        hand = self.hand(texts)
        self.mean = hand.mean(axis=0)
        self.scale = hand.std(axis=0) + 1e-9

    @staticmethod
    def hand(texts: list[str]):
        import numpy as np

        return np.asarray([hand_values(extract(text), text) for text in texts], dtype=float)

    def matrix(self, texts: list[str]):
        import numpy as np
        from scipy.sparse import csr_matrix, diags, hstack

        counts = np.asarray([max(len(ngrams(text)), MIN_GRAMS) for text in texts], dtype=float)
        grams = diags(NGRAM_SCALE / np.sqrt(counts)) @ self.vectorizer.transform(texts)
        return hstack([csr_matrix((self.hand(texts) - self.mean) / self.scale), grams]).tocsr()


def _fit(design: _Design, texts: list[str], labels: list[int], weights: list[float], c: float):
    from sklearn.linear_model import LogisticRegression

    # Fitted to the optimum (not to a looser tolerance): a loose fit stops at a point that
    # depends on the CPU's arithmetic, and its last digits (and a level's cut) move between
    # machines; at 1e-10 the rounded weights equal those at 1e-13.
    model = LogisticRegression(C=c, max_iter=20000, tol=1e-10)
    model.fit(design.matrix(texts), labels, sample_weight=weights)
    if model.n_iter_[0] >= model.max_iter:
        raise RuntimeError(f"the fit did not converge in {model.max_iter} iterations")
    return float(model.intercept_[0]), model.coef_[0]


def _best_cut(labels: list[int], scores: list[float], lowest: float = 0.0, allowed=None) -> float:
    """The score cut with the best F1 (ties: the higher cut), on two-decimal candidates."""
    best, chosen = -1.0, None
    for step in range(1, 100):
        cut = step / 100
        if cut < lowest or (allowed and not allowed(cut)):
            continue
        tp = sum(1 for s, y in zip(scores, labels, strict=True) if s >= cut and y)
        fp = sum(1 for s, y in zip(scores, labels, strict=True) if s >= cut and not y)
        fn = sum(labels) - tp
        f1 = 2 * tp / (2 * tp + fp + fn) if tp else 0.0
        if f1 >= best:
            best, chosen = f1, cut
    if chosen is None:
        raise ValueError("no cut satisfies the constraints")
    return chosen


def calibrate() -> dict[str, Any]:
    """Fit on the train parts, choose the blend, carry and levels on the development parts.

    BLAS runs on one thread here: a sum split over threads adds in another order, and the
    weights would then depend on the machine's cores and OPENBLAS_NUM_THREADS (which the
    portal sets to 1), so `calibrate --check` would fail on one and pass on another.
    """
    from threadpoolctl import threadpool_limits

    with threadpool_limits(limits=1):
        return _calibrate()


def _calibrate() -> dict[str, Any]:
    import numpy as np

    complaints = datasets.complaints("train", to_support_only=True)
    own = datasets.own_set("train")
    bitext = sorted(datasets.bitext_split("train"))[:BITEXT_TRAIN]
    general = [datasets.goemotions("train"), datasets.tweeteval("train")]
    support_texts = complaints.texts + own.texts + bitext
    support_labels = complaints.labels + own.labels + [0] * len(bitext)
    support_weights = [1.0] * len(complaints) + [OWN_WEIGHT] * len(own) + [BITEXT_WEIGHT] * len(bitext)
    general_texts = [t for s in general for t in s.texts]
    general_labels = [y for s in general for y in s.labels]

    design = _Design(support_texts + general_texts)
    support = _fit(design, support_texts, support_labels, support_weights, SUPPORT_C)
    general_fit = _fit(design, general_texts, general_labels, [1.0] * len(general_texts), GENERAL_C)

    dev_sets = [
        datasets.complaints("dev", to_support_only=True),
        datasets.own_set("dev"),
        datasets.goemotions("dev"),
        datasets.tweeteval("dev"),
    ]
    dev_matrices = [design.matrix(s.texts) for s in dev_sets]

    def blended(share: float) -> tuple[float, Any]:
        return share * support[0] + (1 - share) * general_fit[0], share * support[1] + (1 - share) * general_fit[1]

    def dev_aucs(bias: float, coef) -> list[float]:
        return [roc_auc(s.labels, (m @ coef + bias).tolist()) for s, m in zip(dev_sets, dev_matrices, strict=True)]

    share = max(SHARES, key=lambda x: (round(float(np.mean(dev_aucs(*blended(x)))), 4), -x))
    bias, coef = blended(share)

    # Fold the standardisation into raw weights: w * (x - mean) / scale.
    hand_count = len(HAND_FEATURES)
    raw = coef[:hand_count] / design.scale
    bias = float(bias - float(np.sum(raw * design.mean)))
    names = design.vectorizer.get_feature_names_out()
    gram_weights = {
        str(gram): round(float(w) * NGRAM_SCALE, 3)
        for gram, w in zip(names, coef[hand_count:], strict=True)
        if abs(w) * NGRAM_SCALE >= PRUNE_BELOW
    }
    result: dict[str, Any] = {
        "about": "Frustration model for bot.frustration; regenerate with `python -m bot.frustration calibrate`. "
        "Derived in part from the complaints-on-social-media research set (see calibrate.py).",
        "features": list(HAND_FEATURES),
        "bias": round(bias, 4),
        "weights": {name: round(float(w), 4) for name, w in zip(HAND_FEATURES, raw, strict=True)},
        "ngram_weights": dict(sorted(gram_weights.items())),
        "context": {"carry": 0.0},
        "thresholds": {"annoyed": 0.5, "frustrated": 0.6, "angry": 0.7},
        "blend": {
            "support_share": share,
            "dev_roc_auc": dict(
                zip((s.name for s in dev_sets), (round(a, 4) for a in dev_aucs(*blended(share))), strict=True)
            ),
        },
        "trained_on": {s.name: {"messages": len(s), "frustrated": s.positives} for s in (complaints, own, *general)}
        | {"bitext-train": {"messages": len(bitext), "frustrated": 0}},
    }
    return _choose_context_and_levels(result)


def _choose_context_and_levels(result: dict[str, Any]) -> dict[str, Any]:
    from .model import Model

    model = Model.from_dict(result)
    conversations = datasets.own_conversations("train") + datasets.own_conversations("dev")

    def turn_logits(carry: float) -> tuple[list[float], list[str]]:
        trial = Model(model.bias, model.weights, model.ngram_weights, model.thresholds, carry)
        logits, levels = [], []
        for conversation in conversations:
            history: list[str] = []
            for text, level in conversation.turns:
                features = extract(text, history)
                logits.append(trial.context_logit(trial.logit(features, text), history))
                levels.append(level)
                history.append(text)
        return logits, levels

    def agreement(carry: float) -> float:
        logits, levels = turn_logits(carry)
        ranks = [LEVEL_ORDER.index(level) for level in levels]
        return sum(roc_auc([int(r >= k) for r in ranks], logits) for k in (1, 2, 3)) / 3

    carry = max(CARRIES, key=lambda c: (round(agreement(c), 4), -c))
    result["context"] = {"carry": carry, "turns_from": {"conversations": len(conversations)}}

    dev = [datasets.complaints("dev", to_support_only=True), datasets.own_set("dev")]
    dev_scores = [to_score(model.logit(extract(t), t)) for s in dev for t in s.texts]
    dev_labels = [y for s in dev for y in s.labels]
    ordinary = datasets.bitext_split("dev")
    ordinary_scores = sorted(to_score(model.logit(extract(t), t)) for t in ordinary)

    def keeps_ordinary_calm(cut: float) -> bool:
        return sum(1 for s in ordinary_scores if s < cut) >= BITEXT_CALM_AT_LEAST * len(ordinary_scores)

    annoyed = _best_cut(dev_labels, dev_scores, allowed=keeps_ordinary_calm)
    model = Model(model.bias, model.weights, model.ngram_weights, model.thresholds, carry)
    messages = datasets.own_messages("train") + datasets.own_messages("dev")
    scores = [to_score(model.logit(extract(m.text), m.text)) for m in messages]
    ranks = [LEVEL_ORDER.index(m.level) for m in messages]
    logits, levels = turn_logits(carry)
    scores += [to_score(x) for x in logits]
    ranks += [LEVEL_ORDER.index(level) for level in levels]
    frustrated = _best_cut([int(r >= 2) for r in ranks], scores, lowest=round(annoyed + 0.05, 2))
    angry = _best_cut([int(r >= 3) for r in ranks], scores, lowest=round(frustrated + 0.05, 2))
    result["thresholds"] = {"annoyed": annoyed, "frustrated": frustrated, "angry": angry}
    result["threshold_rules"] = {
        "annoyed": "best F1 on complaints dev + our dev messages, keeping >= 90% of Bitext dev requests calm",
        "frustrated": "best F1 for frustrated-or-worse on our train+dev messages and conversation turns",
        "angry": "best F1 for angry on our train+dev messages and conversation turns",
    }
    result["bitext_dev_calm_share"] = round(sum(1 for s in ordinary_scores if s < annoyed) / len(ordinary_scores), 4)
    return result


def differences(committed: Any, fresh: Any, where: str = "") -> list[str]:
    """Where a fresh calibration departs from the committed one by more than another CPU's noise.

    One thread makes the fit repeatable on a machine, not across machines: another CPU's BLAS
    kernels add in another order, and a weight can then round one unit apart, or an n-gram sit
    on the other side of PRUNE_BELOW. Numbers may differ by 0.002 (two units of a three-decimal
    n-gram weight, more than enough for the four-decimal ones) and a threshold by one
    two-decimal step; everything else must be equal.
    """
    if isinstance(committed, dict) and isinstance(fresh, dict):
        found = []
        for key in sorted(set(committed) | set(fresh)):
            path = f"{where}.{key}" if where else key
            if key in committed and key in fresh:
                found += differences(committed[key], fresh[key], path)
            elif not (where == "ngram_weights" and abs((committed | fresh)[key]) < PRUNE_BELOW + 0.002):
                found.append(f"{path}: only in the {'committed' if key in committed else 'fresh'} weights")
        return found
    numbers = (int, float)
    if isinstance(committed, numbers) and isinstance(fresh, numbers) and not isinstance(committed, bool):
        tolerance = 0.0101 if where.startswith("thresholds.") else 0.002
        return [] if abs(committed - fresh) <= tolerance else [f"{where}: {committed} committed, {fresh} fresh"]
    if isinstance(committed, list) and isinstance(fresh, list) and len(committed) == len(fresh):
        return [d for i, (a, b) in enumerate(zip(committed, fresh, strict=True)) for d in differences(a, b, f"{where}[{i}]")]
    return [] if committed == fresh else [f"{where}: {committed!r} committed, {fresh!r} fresh"]


def write(result: dict[str, Any], path: Path = WEIGHTS_PATH) -> Path:
    path.write_text(json.dumps(result, indent=1) + "\n", encoding="utf-8")
    return path
