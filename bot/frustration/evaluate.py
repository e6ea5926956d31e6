"""Measure the detector on the held-out test splits, next to a VADER-only baseline.

Both get the same binary task as in calibration (frustrated vs not). Reported per
data set: ROC-AUC (threshold-free ranking quality), F1 at the operating cut, F1 at
our "frustrated" threshold, and the best F1 over all cuts on the test set itself (an
optimistic ceiling, for comparison only).

The positive class holds annoyance and disapproval as well as anger, so our operating
cut for "frustrated at all" is the annoyed threshold (any level above calm); the
frustrated threshold is the stricter cut at which the bot starts offering a person,
and trades recall for fewer false alarms. VADER's operating cut is its own
documented negative cut, compound <= -0.05; the baseline score is max(0, -compound).

Throughput is score_message() on messages of the same test sets, in this process,
which runs on one core.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from typing import Any

from . import datasets
from .metrics import best_f1, f1_at, roc_auc
from .model import Model, default_model, score_message

VADER_NEGATIVE_CUT = 0.05  # VADER's own convention: compound <= -0.05 is negative
SPEED_MESSAGES = 2000


def vader_scorer() -> Callable[[str], float]:
    from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

    analyzer = SentimentIntensityAnalyzer()
    return lambda text: max(0.0, -analyzer.polarity_scores(text)["compound"])


def _row(labels: list[int], scores: list[float], cut: float, strict_cut: float | None = None) -> dict[str, Any]:
    best, best_cut = best_f1(labels, scores)
    return {
        "roc_auc": round(roc_auc(labels, scores), 4),
        "f1_at_cut": round(f1_at(labels, scores, cut), 4),
        "cut": round(cut, 4),
        "f1_at_frustrated": None if strict_cut is None else round(f1_at(labels, scores, strict_cut), 4),
        "best_f1": round(best, 4),
        "best_cut": round(best_cut, 4),
    }


def measure_throughput(texts: Sequence[str], model: Model | None = None, repeat: int = 3) -> float:
    """Messages per second of score_message over ``texts``: the best of ``repeat`` passes."""
    if not texts:
        raise ValueError("need at least one message to time")
    model = model or default_model()
    score_message(texts[0], model=model)  # load the lexicon and weights outside the timing
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        for text in texts:
            score_message(text, model=model)
        best = min(best, time.perf_counter() - start)
    return len(texts) / best


def evaluate(speed: bool = True) -> dict[str, Any]:
    model = default_model()
    vader = vader_scorer()
    report: dict[str, Any] = {
        "thresholds": dict(zip(("annoyed", "frustrated", "angry"), model.thresholds, strict=True)),
        "datasets": {},
    }
    speed_texts: list[str] = []
    for labelled in (datasets.goemotions("test"), datasets.tweeteval("test")):
        ours = [score_message(text, model=model).score for text in labelled.texts]
        baseline = [vader(text) for text in labelled.texts]
        report["datasets"][labelled.name] = {
            "messages": len(labelled),
            "frustrated": labelled.positives,
            "ours": _row(labelled.labels, ours, model.thresholds[0], model.thresholds[1]),
            "vader": _row(labelled.labels, baseline, VADER_NEGATIVE_CUT),
        }
        speed_texts.extend(labelled.texts)
    try:
        ordinary, _ = datasets.bitext_requests()
    except datasets.DataUnavailable:
        ordinary = []  # an extra check, not part of the evaluation
    if ordinary:
        calm = sum(score_message(text, model=model).level == "calm" for text in ordinary)
        report["bitext_ordinary_requests"] = {"messages": len(ordinary), "calm_share": round(calm / len(ordinary), 4)}
    if speed:
        sample = speed_texts[:SPEED_MESSAGES]
        report["speed"] = {"messages": len(sample), "messages_per_second": round(measure_throughput(sample))}
    return report


def format_table(report: dict[str, Any]) -> str:
    lines = [
        "Frustrated vs not, test splits: this detector against a VADER-only baseline",
        "",
        f"{'data set':<17}{'messages':>9}{'positive':>9}  {'model':<6}{'ROC-AUC':>8}{'F1@cut':>8}{'(cut)':>7}"
        f"{'F1@frustrated':>14}{'best F1':>9}{'(cut)':>7}",
    ]
    for name, entry in report["datasets"].items():
        for i, model in enumerate(("ours", "vader")):
            row = entry[model]
            head = f"{name:<17}{entry['messages']:>9}{entry['frustrated']:>9}" if i == 0 else " " * 35
            strict = "-" if row["f1_at_frustrated"] is None else f"{row['f1_at_frustrated']:.3f}"
            lines.append(
                f"{head}  {model:<6}{row['roc_auc']:>8.3f}{row['f1_at_cut']:>8.3f}{row['cut']:>7.2f}"
                f"{strict:>14}{row['best_f1']:>9.3f}{row['best_cut']:>7.2f}"
            )
    t = report["thresholds"]
    lines += [
        "",
        f"cut: ours = the annoyed threshold (any level above calm); VADER = compound <= -{VADER_NEGATIVE_CUT}.",
        "F1@frustrated: ours at the stricter frustrated threshold. best F1: cut tuned on the test set itself.",
        f"levels: calm < {t['annoyed']:.2f} <= annoyed < {t['frustrated']:.2f} <= frustrated < {t['angry']:.2f} <= angry",
    ]
    if "bitext_ordinary_requests" in report:
        bitext = report["bitext_ordinary_requests"]
        lines.append(
            f"ordinary support requests (Bitext, {bitext['messages']}): {bitext['calm_share']:.1%} scored calm"
        )
    if "speed" in report:
        speed = report["speed"]
        lines.append(f"speed: {speed['messages_per_second']:,} messages/s on one core ({speed['messages']:,} messages)")
    return "\n".join(lines)
