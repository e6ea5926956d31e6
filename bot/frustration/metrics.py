"""ROC-AUC and F1 in plain Python, so evaluation needs no scikit-learn."""

from __future__ import annotations

from collections.abc import Sequence


def roc_auc(labels: Sequence[int], scores: Sequence[float]) -> float:
    """Probability that a random positive outscores a random negative (ties count half)."""
    order = sorted(range(len(scores)), key=scores.__getitem__)
    rank_sum = 0.0
    positives = 0
    i = 0
    while i < len(order):
        j = i
        while j + 1 < len(order) and scores[order[j + 1]] == scores[order[i]]:
            j += 1
        mean_rank = (i + j) / 2 + 1
        for k in range(i, j + 1):
            if labels[order[k]]:
                rank_sum += mean_rank
                positives += 1
        i = j + 1
    negatives = len(order) - positives
    if not positives or not negatives:
        raise ValueError("ROC-AUC needs both positive and negative examples")
    return (rank_sum - positives * (positives + 1) / 2) / (positives * negatives)


def f1_at(labels: Sequence[int], scores: Sequence[float], threshold: float) -> float:
    """F1 of the rule "frustrated when score >= threshold"."""
    tp = fp = fn = 0
    for label, score in zip(labels, scores, strict=True):
        if score >= threshold:
            if label:
                tp += 1
            else:
                fp += 1
        elif label:
            fn += 1
    return 2 * tp / (2 * tp + fp + fn) if tp else 0.0


def best_f1(labels: Sequence[int], scores: Sequence[float]) -> tuple[float, float]:
    """(best F1, the threshold that gives it), trying every distinct score as the cut."""
    pairs = sorted(zip(scores, labels, strict=True), reverse=True)
    total_pos = sum(labels)
    tp = fp = 0
    best, best_threshold = 0.0, 1.0
    i = 0
    while i < len(pairs):
        score = pairs[i][0]
        while i < len(pairs) and pairs[i][0] == score:
            tp += pairs[i][1]
            fp += 1 - pairs[i][1]
            i += 1
        f1 = 2 * tp / (tp + fp + total_pos) if tp else 0.0
        if f1 > best:
            best, best_threshold = f1, score
    return best, best_threshold
