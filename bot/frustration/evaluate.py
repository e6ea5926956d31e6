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
from .model import LEVELS, FrustrationResult, Model, default_model, score_message

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


def _calm_share(labels: list[int], results: list[FrustrationResult]) -> float:
    positives = [r for r, y in zip(results, labels, strict=True) if y]
    return round(sum(r.level == "calm" for r in positives) / len(positives), 4) if positives else 0.0


def _per_level(truth: list[str], predicted: list[str]) -> dict[str, float]:
    """F1 of each level as its own class, and of each "level or worse" cut."""
    report: dict[str, float] = {}
    for index, level in enumerate(LEVELS):
        report[level] = round(_f1([t == level for t in truth], [p == level for p in predicted]), 4)
        if index:
            worse = set(LEVELS[index:])
            report[f"{level}_or_worse"] = round(_f1([t in worse for t in truth], [p in worse for p in predicted]), 4)
    return report


def _f1(truth: list[bool], predicted: list[bool]) -> float:
    tp = sum(1 for t, p in zip(truth, predicted, strict=True) if t and p)
    wrong = sum(1 for t, p in zip(truth, predicted, strict=True) if t != p)
    return 2 * tp / (2 * tp + wrong) if tp else 0.0


def _conversation_turns(split: str) -> tuple[list[str], list[FrustrationResult], list[FrustrationResult]]:
    """Each turn's labelled level, scored with its history and alone (for comparison)."""
    truth, with_history, alone = [], [], []
    for conversation in datasets.own_conversations(split):
        history: list[str] = []
        for text, level in conversation.turns:
            truth.append(level)
            with_history.append(score_message(text, history))
            alone.append(score_message(text))
            history.append(text)
    return truth, with_history, alone


def evaluate(speed: bool = True) -> dict[str, Any]:
    model = default_model()
    vader = vader_scorer()
    report: dict[str, Any] = {
        "thresholds": dict(zip(("annoyed", "frustrated", "angry"), model.thresholds, strict=True)),
        "datasets": {},
    }
    speed_texts: list[str] = []
    sets = (
        datasets.complaints("test"),
        datasets.complaints("test", to_support_only=True),
        datasets.own_set("test"),
        datasets.goemotions("test"),
        datasets.tweeteval("test"),
    )
    for labelled in sets:
        results = [score_message(text, model=model) for text in labelled.texts]
        ours = [r.score for r in results]
        baseline = [vader(text) for text in labelled.texts]
        report["datasets"][labelled.name] = {
            "messages": len(labelled),
            "frustrated": labelled.positives,
            "ours": _row(labelled.labels, ours, model.thresholds[0], model.thresholds[1])
            | {"positives_scored_calm": _calm_share(labelled.labels, results)},
            "vader": _row(labelled.labels, baseline, VADER_NEGATIVE_CUT),
        }
        speed_texts.extend(labelled.texts)
    own = datasets.own_messages("test")
    report["own_levels"] = {
        "messages": len(own),
        "f1": _per_level([m.level for m in own], [score_message(m.text, model=model).level for m in own]),
    }
    truth, with_history, alone = _conversation_turns("test")
    report["own_conversation_turns"] = {
        "turns": len(truth),
        "with_history": _per_level(truth, [r.level for r in with_history]),
        "alone": _per_level(truth, [r.level for r in alone]),
    }
    ordinary = datasets.bitext_split("test")
    calm = sum(score_message(text, model=model).level == "calm" for text in ordinary)
    report["bitext_ordinary_requests"] = {"messages": len(ordinary), "calm_share": round(calm / len(ordinary), 4)}
    if speed:
        sample = speed_texts[:SPEED_MESSAGES]
        report["speed"] = {"messages": len(sample), "messages_per_second": round(measure_throughput(sample))}
    return report


def _levels_text(f1: dict[str, float]) -> str:
    return ", ".join(f"{name} {value:.2f}" for name, value in f1.items())


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
    levels = report["own_levels"]
    lines.append(f"our test messages ({levels['messages']}), F1 per level: " + _levels_text(levels["f1"]))
    turns = report["own_conversation_turns"]
    lines.append(
        f"our test conversations ({turns['turns']} turns), with history: " + _levels_text(turns["with_history"])
    )
    lines.append("                                    each turn alone: " + _levels_text(turns["alone"]))
    if "speed" in report:
        speed = report["speed"]
        lines.append(f"speed: {speed['messages_per_second']:,} messages/s on one core ({speed['messages']:,} messages)")
    return "\n".join(lines)
