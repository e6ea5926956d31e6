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
import hashlib
import json
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


def _part(key: str) -> str:
    """A fixed split by a hash of an item's id: 20% test, 20% dev, 60% train."""
    bucket = int(hashlib.sha1(key.encode("utf-8")).hexdigest(), 16) % 10
    return "test" if bucket < 2 else "dev" if bucket < 4 else "train"


RANDOM_DOMAINS = frozenset(("random_tweet", "random_reply"))


def complaints(split: str, to_support_only: bool = False) -> LabelledSet:
    """Complaints on social media (Preotiuc-Pietro et al., ACL 2019): complaint (1) or not (0).

    Split by a hash of the tweet id, so the parts never change. ``to_support_only``
    leaves out the random tweets and replies that the set adds as negatives: they teach
    "is this about a purchase", not "is this customer cross". Research use only: its
    text is never copied into the repository; weights fitted on it are derived data.
    """
    if split not in SPLITS:
        raise ValueError(f"complaints split must be one of {SPLITS}, not {split!r}")
    path = _require(data_dir() / "complaints-social-media" / "complaints-data.csv")
    texts: list[str] = []
    labels: list[int] = []
    with path.open(encoding="utf-8", newline="") as rows:
        for row in csv.reader(rows):
            if len(row) < 4 or row[2] not in ("0", "1") or _part(row[0]) != split:
                continue
            if not (to_support_only and row[3] in RANDOM_DOMAINS):
                texts.append(row[1])
                labels.append(int(row[2]))
    return LabelledSet(f"complaints{'-to-support' if to_support_only else ''}-{split}", texts, labels)


OWN_DATA = Path(__file__).with_name("data")


@dataclass(frozen=True, slots=True)
class OwnMessage:
    id: str
    text: str
    level: str
    tags: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class OwnConversation:
    id: str
    tags: tuple[str, ...]
    turns: tuple[tuple[str, str], ...]  # (customer text, level in context)


def _jsonl(pattern: str) -> list[dict]:
    items: list[dict] = []
    for path in sorted(OWN_DATA.glob(pattern)):
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            if line.strip():
                try:
                    items.append(json.loads(line))
                except ValueError as error:
                    raise DataUnavailable(f"{path.name} line {number}: {error}") from error
    return items


def own_messages(split: str | None = None) -> list[OwnMessage]:
    """Our labelled customer-service messages (written by us, in the repository), one split or all."""
    seen: set[str] = set()
    found: list[OwnMessage] = []
    for item in _jsonl("messages_*.jsonl"):
        key = " ".join(item["text"].lower().split())
        if key in seen:  # the same words twice would leak between the parts
            continue
        seen.add(key)
        if split is None or _part(item["id"]) == split:
            found.append(OwnMessage(item["id"], item["text"], item["level"], tuple(item.get("tags", ()))))
    return found


def own_conversations(split: str | None = None) -> list[OwnConversation]:
    """Our labelled multi-turn conversations, each customer turn labelled in context."""
    return [
        OwnConversation(item["id"], tuple(item.get("tags", ())), tuple((t["text"], t["level"]) for t in item["turns"]))
        for item in _jsonl("conversations_*.jsonl")
        if split is None or _part(item["id"]) == split
    ]


def own_set(split: str) -> LabelledSet:
    """Our messages as a binary set: annoyed or worse (1) against calm (0)."""
    messages = own_messages(split)
    return LabelledSet(f"own-{split}", [m.text for m in messages], [int(m.level != "calm") for m in messages])


def bitext_split(split: str) -> list[str]:
    """Ordinary Bitext requests of one part (split like the rest), for the calm share."""
    ordinary, _ = bitext_requests()
    return [text for text in ordinary if _part(text) == split]
