"""The labelled development data, read from the shared data folder beside the repo.

Both sets are turned into the same binary question, "is this message frustrated?":

- GoEmotions (Reddit): positive when the labels include anger, annoyance,
  disappointment or disapproval; negative when the only label is neutral; every other
  comment (joy, curiosity, mixed) is left out, as the issue defines it.
- TweetEval emotion (Twitter): positive when the label is anger, negative otherwise
  (joy, optimism, sadness). The label ids are read from mapping.txt, not assumed.

The folder is ``<repo>/../shared/data`` unless CALMLINE_SHARED_DATA names another.
"""

from __future__ import annotations

import csv
import os
from dataclasses import dataclass
from pathlib import Path

FRUSTRATED_EMOTIONS = ("anger", "annoyance", "disappointment", "disapproval")
SPLITS = ("train", "dev", "test")


class DataUnavailable(FileNotFoundError):
    """A development data set is not where it should be."""


@dataclass(frozen=True, slots=True)
class LabelledSet:
    name: str
    texts: list[str]
    labels: list[int]  # 1 = frustrated

    def __len__(self) -> int:
        return len(self.texts)

    @property
    def positives(self) -> int:
        return sum(self.labels)


def data_dir() -> Path:
    override = os.environ.get("CALMLINE_SHARED_DATA")
    if override:
        return Path(override)
    return Path(__file__).resolve().parents[3] / "shared" / "data"


def _require(path: Path) -> Path:
    if not path.is_file():
        raise DataUnavailable(f"{path} not found (set CALMLINE_SHARED_DATA to the shared data folder)")
    return path


def goemotions(split: str) -> LabelledSet:
    """GoEmotions ``train``, ``dev`` or ``test`` as frustrated (1) vs neutral-only (0)."""
    if split not in SPLITS:
        raise ValueError(f"GoEmotions split must be one of {SPLITS}, not {split!r}")
    folder = data_dir() / "goemotions"
    names = _require(folder / "labels.txt").read_text(encoding="utf-8").split()
    frustrated = {str(names.index(emotion)) for emotion in FRUSTRATED_EMOTIONS}
    neutral = str(names.index("neutral"))
    texts: list[str] = []
    labels: list[int] = []
    with _require(folder / f"{split}.tsv").open(encoding="utf-8", newline="") as rows:
        for row in csv.reader(rows, delimiter="\t", quoting=csv.QUOTE_NONE):
            if len(row) < 2:
                continue
            ids = set(row[1].split(","))
            if ids & frustrated:
                labels.append(1)
            elif ids == {neutral}:
                labels.append(0)
            else:
                continue
            texts.append(row[0])
    return LabelledSet(f"goemotions-{split}", texts, labels)


def tweeteval(split: str) -> LabelledSet:
    """TweetEval emotion ``train``, ``dev`` (its val split) or ``test`` as anger (1) vs the rest (0)."""
    if split not in SPLITS:
        raise ValueError(f"TweetEval split must be one of {SPLITS}, not {split!r}")
    folder = data_dir() / "tweeteval-emotion"
    stem = "val" if split == "dev" else split
    mapping = {}
    for line in _require(folder / "mapping.txt").read_text(encoding="utf-8").splitlines():
        if line.strip():
            number, name = line.split(None, 1)
            mapping[name.strip()] = number
    anger = mapping["anger"]
    texts = _require(folder / f"{stem}_text.txt").read_text(encoding="utf-8").splitlines()
    ids = _require(folder / f"{stem}_labels.txt").read_text(encoding="utf-8").split()
    if len(texts) != len(ids):
        raise DataUnavailable(f"TweetEval {stem}: {len(texts)} texts but {len(ids)} labels")
    return LabelledSet(f"tweeteval-{split}", texts, [int(label == anger) for label in ids])


def bitext_requests() -> tuple[list[str], list[str]]:
    """Bitext customer-support requests: (ordinary ones, ones written with offensive words).

    Not labelled for frustration, but the ordinary requests ("cancel my order",
    "I want to leave a review") are the false alarms a support bot must not raise.
    """
    path = _require(data_dir() / "bitext-customer-support" / "Bitext_Sample_Customer_Support_Training_Dataset.csv")
    ordinary: list[str] = []
    offensive: list[str] = []
    with path.open(encoding="utf-8", newline="") as rows:
        for row in csv.DictReader(rows):
            (offensive if "W" in row["tags"] else ordinary).append(row["instruction"])
    return ordinary, offensive
