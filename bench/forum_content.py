"""Generated community content for the forum benchmark: thread titles from real customer
requests and product problems, post bodies stitched from real text with Markdown, and the
queries people would search it with."""

from __future__ import annotations

import random
from pathlib import Path

import corpus

ROOT = Path(__file__).resolve().parent.parent

POSTS_PER_THREAD = 20
BATCH_THREADS = 250
CHILD_TIMEOUT = 3600  # seeding and indexing 100,000 posts on a busy 2-core machine
PRODUCTS = ["robot vacuum", "smart home hub", "laptop", "TV", "office chair", "smart lamp", "router", "soundbar",
            "coffee machine", "fitness watch", "tablet", "washing machine"]
ERRORS = ["E42 sync timeout", "E17 pairing failed", "error 0x80070005", "HTTP 502 in the app", "code 1011",
          "firmware 4.2.1 update failed", "battery at 0% after charging", "no signal on HDMI 2"]
TAGS = ["delivery", "missing-parcel", "refund", "returns", "payments", "invoice", "subscription", "plus",
        "protect-plan", "gift-card", "password", "two-step", "account", "wifi", "bluetooth", "firmware", "battery",
        "charging", "assembly", "spare-parts", "smart-home", "robot-vacuum", "laptop", "tv", "sound", "app",
        "setup", "warranty", "damaged", "feedback"]
KB_SLUGS = [p.stem for p in (ROOT / "kb_articles").glob("*.md") if p.name.lower() != "readme.md"]
TITLE_TEMPLATES = ["{Product} won't turn on after the update", "{Product} shows {error}",
                   "Refund for my {product} still not here", "{Product} keeps dropping off the wifi",
                   "Is the {product} covered by Protect?", "{Product} arrived damaged, what now?",
                   "How do I reset the {product} to factory settings?", "{Product} stuck on {error}"]
CODE_BLOCKS = [
    "```\n$ calmctl status --verbose\nhub: online (fw {fw})\nsync: {error} after {n}s\n```",
    "```\nDevices > {Product} > Settings > Reset network\n```",
    '```json\n{{"order": "BN-{order}", "status": "in_transit", "eta": "2026-11-{day:02d}"}}\n```',
    "```\n[12:{n:02d}:07] wifi: association with HomeNet failed (reason 15)\n[12:{n:02d}:09] wifi: retrying on "
    "2.4 GHz\n```",
    "```\nSettings > Account > Payment methods > Remove card ending {order4}\n```",
]
COMMUNITY_QUERIES = ["{product} {error}", "{product} won't turn on", "{product} wifi keeps dropping",
                     "reset {product} factory settings", "refund {product} not arrived", "{product} damaged",
                     "calmctl status sync", "pairing failed 2.4 GHz", "{error}", "{product} covered by protect"]


# ---------------------------------------------------------------------- generated content
def _fill(template: str, rng: random.Random) -> str:
    product = rng.choice(PRODUCTS)
    return template.format(product=product, Product=product[0].upper() + product[1:], error=rng.choice(ERRORS),
                           fw=f"4.{rng.randint(0, 9)}.{rng.randint(0, 9)}", n=rng.randint(5, 59),
                           order=rng.randint(1_000_000, 9_999_999), order4=rng.randint(1000, 9999),
                           day=rng.randint(1, 28))


def post_body(rng: random.Random, domain: list[str], general: list[str]) -> str:
    """300-800 characters of Markdown: paragraphs, and now and then a list, a link, code."""
    target = rng.randint(300, 800)
    parts: list[str] = []
    size = 0
    coded = False
    while size < target:
        roll = rng.random()
        if roll < 0.15 and not coded:
            part, coded = _fill(rng.choice(CODE_BLOCKS), rng), True
        elif roll < 0.27:
            part = "\n".join(f"{i}. {rng.choice(domain)}" for i in range(1, rng.randint(3, 4)))
        elif roll < 0.40:
            link = (f"[the help article](/kb/{rng.choice(KB_SLUGS)})" if rng.random() < 0.6 else
                    f"https://example.com/support/{rng.randint(100, 999)}")
            part = f"{rng.choice(domain)} See {link} for the steps."
        else:
            sentences = [rng.choice(domain) if rng.random() < 0.6 else rng.choice(general)
                         for _ in range(rng.randint(1, 3))]
            if rng.random() < 0.25:
                sentences.append(f"It said `{rng.choice(ERRORS)}` on the **{rng.choice(PRODUCTS)}**.")
            part = " ".join(sentences)
        if parts and size + len(part) > 800:
            break
        parts.append(part)
        size += len(part) + 2
    return "\n\n".join(parts)


def thread_title(rng: random.Random, requests: list[str]) -> str:
    if rng.random() < 0.5:
        text = rng.choice(requests)
    else:
        text = _fill(rng.choice(TITLE_TEMPLATES), rng)
    text = " ".join(text.split())[:140]
    return text[0].upper() + text[1:] if len(text) >= 5 else f"Question about {text}"


def requests_for_titles() -> list[str]:
    return [row["instruction"] for row in corpus._bitext_rows()]


def search_queries(n: int, seed: int = 23) -> list[tuple[str, str, str | None]]:
    """(group, query, type filter): half what customers ask the help centre, half what members ask
    each other; a quarter of each filtered by type."""
    rng = random.Random(seed)
    articles = corpus.realistic_queries(n // 2, seed=seed)
    community = [_fill(rng.choice(COMMUNITY_QUERIES), rng).lower() for _ in range(n - n // 2)]
    out = []
    for i, q in enumerate(articles):
        out.append(("article_like", q, "article" if i % 4 == 3 else None))
    for i, q in enumerate(community):
        out.append(("community_like", q, "thread" if i % 4 == 3 else None))
    rng.shuffle(out)
    return out


# ---------------------------------------------------------------------- child: seed the database
