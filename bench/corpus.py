"""Generated help-desk corpora for benchmarks, built from real text.

Articles are stitched from real sentences (the Bitext customer-support answers for
the domain's vocabulary, GoEmotions comments for the long tail of English), so term
frequencies follow a natural Zipf curve instead of a uniform random vocabulary.
Queries are real customer requests from the Bitext sample.
"""

from __future__ import annotations

import csv
import random
import re
from pathlib import Path

SHARED = Path(__file__).resolve().parent.parent.parent / "shared" / "data"
CATEGORIES = ["orders-delivery", "returns-refunds", "billing-payments", "account-login",
              "subscriptions", "protection-plan", "product-help", "contact-us"]
_SENT = re.compile(r"(?<=[.!?])\s+")


def _bitext_rows(shared: Path = SHARED) -> list[dict]:
    path = shared / "bitext-customer-support" / "Bitext_Sample_Customer_Support_Training_Dataset.csv"
    with open(path, newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def _sentences(shared: Path = SHARED) -> tuple[list[str], list[str]]:
    domain = []
    for row in _bitext_rows(shared):
        text = re.sub(r"\{\{[^}]*\}\}", "", row["response"]).replace("\n", " ")
        domain.extend(s.strip() for s in _SENT.split(text) if len(s.split()) >= 5)
    general = []
    with open(shared / "goemotions" / "train.tsv", encoding="utf-8") as fh:
        for line in fh:
            text = line.split("\t", 1)[0]
            if len(text.split()) >= 6 and "[NAME]" not in text:
                general.append(text.strip())
    return domain, general


def generate_articles(n: int, words: int = 300, seed: int = 7, shared: Path = SHARED):
    """Yield ``n`` article dicts of about ``words`` words each."""
    rng = random.Random(seed)
    domain, general = _sentences(shared)
    for i in range(n):
        parts, count = [], 0
        while count < words:
            sentence = rng.choice(domain) if rng.random() < 0.6 else rng.choice(general)
            parts.append(sentence)
            count += len(sentence.split())
        title_words = rng.choice(domain).rstrip(".!?").split()
        start = rng.randrange(max(1, len(title_words) - 6))
        title = " ".join(title_words[start : start + rng.randint(4, 8)]).capitalize()
        body = " ".join(parts)
        yield {
            "slug": f"bench-article-{i}",
            "title": title,
            "category": CATEGORIES[i % len(CATEGORIES)],
            "tags": sorted({w.lower().strip(",.") for w in rng.sample(body.split(), 3)}),
            "summary": " ".join(body.split()[:25]),
            "body": body,
        }


def realistic_queries(n: int = 200, seed: int = 11, shared: Path = SHARED) -> list[str]:
    """Real customer requests, cut to a search-box length of 2-6 words."""
    rng = random.Random(seed)
    rows = rng.sample(_bitext_rows(shared), n)
    queries = []
    for row in rows:
        words = [w for w in re.findall(r"[A-Za-z']+", row["instruction"]) if len(w) > 2]
        k = min(len(words), rng.randint(2, 6))
        start = rng.randrange(max(1, len(words) - k + 1))
        queries.append(" ".join(words[start : start + k]) or row["instruction"])
    return queries
