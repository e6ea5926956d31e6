"""What every search engine behind the seam ranks and shows the same way.

The words a query is split into, the article-before-thread rule, filters and facets,
paging, and the snippet with matched words marked: the Whoosh and PostgreSQL backends
both select and score candidates, then hand them here, so a customer sees the same
ranking rules whichever engine a deployment runs.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

import numpy as np
from markupsafe import escape
from whoosh.analysis import STOP_WORDS

from portal.search.scoring import top

WORD_RE = re.compile(r"\w+(?:'\w+)*", re.UNICODE)

# Whoosh's English stop list plus the words people wrap a help-desk question in ("I need
# help with", "can you tell me how"): they select nearly every article and rank none.
SEARCH_STOP_WORDS = frozenset(STOP_WORDS) | frozenset("""
    about above after again all also am any because been before being below between both
    but did does doing don down during each few further had has having her here hers him
    his how into its just more most nor off once only other our ours out over own same
    she should some such than their theirs them then there these they those through too
    under until very was were what when where which while who whom why would could
    i'm i've i'd you're you've isn't aren't wasn't don't doesn't didn't won't can't
    i me my mine myself we us our you your yours he him his she her it its they them
    need needs want wants wanted help helping please assist assistance know tell show
    like get got trying try let lets hi hello hey thanks thank way ya u im
""".split())


# Curated articles first when relevance is close; a community thread with an accepted answer
# next; an open question last. Relevance still decides when the gap is wide (a thread that
# matches the question far better than any article outranks them all).
TYPE_WEIGHTS = {"article": 1.2, "thread": 0.85}
ANSWERED_THREAD_WEIGHT = 1.0


@dataclass
class Candidates:
    """Documents an engine selected, with their relevance; ``keys`` are the engine's own handles."""

    keys: np.ndarray
    scores: np.ndarray
    categories: list[str]
    types: list[str]
    answered: np.ndarray = field(default_factory=lambda: np.empty(0, dtype=bool))


@dataclass
class Arranged:
    total: int
    page: int
    ranked: list[tuple[int, float]]  # (key, score) on the page, best first
    facets: dict[str, int]
    type_facets: dict[str, int]


def arrange(found: Candidates, *, doc_type: str | None, category: str | None, answered: bool, page: int,
            per_page: int) -> Arranged:
    """Weigh by type, count facets, filter, and cut the page."""
    n = found.keys.size
    scores = found.scores * type_weights(found.types, found.answered, n)
    base = found.answered.copy() if answered and found.answered.size == n else np.ones(n, dtype=bool)
    of_type = _matching(found.types, doc_type, n)
    in_category = _matching(found.categories, category, n)
    # Each facet counts what the other filters leave, so it still offers every choice of its own.
    facets = _count(found.categories, base & of_type)
    type_facets = _count(found.types, base & in_category)
    keep = base & of_type & in_category
    keys, scores = found.keys[keep], scores[keep]
    total = int(keys.size)
    if total == 0:
        return Arranged(0, page, [], facets, type_facets)
    page = min(max(1, page), -(-total // per_page))
    return Arranged(total, page, top(keys, scores, (page - 1) * per_page, page * per_page), facets, type_facets)


def type_weights(types: list[str], answered: np.ndarray, n: int) -> np.ndarray:
    weights = np.fromiter((TYPE_WEIGHTS.get(t, 1.0) for t in types), dtype=np.float64, count=n)
    if answered.size == n:
        weights[answered] = ANSWERED_THREAD_WEIGHT
    return weights


def _matching(values: list[str], wanted: str | None, n: int) -> np.ndarray:
    if not wanted:
        return np.ones(n, dtype=bool)
    return np.fromiter((v == wanted for v in values), dtype=bool, count=n)


def _count(values: list[str], mask: np.ndarray) -> dict[str, int]:
    """Value -> how many selected documents have it (empty values are not a facet), most first."""
    counts: dict[str, int] = {}
    for value, keep in zip(values, mask.tolist(), strict=True):
        if keep and value:
            counts[value] = counts.get(value, 0) + 1
    return dict(sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])))


def snippet_of(body: str, stems: set[str], stem: Callable[[str], str], width: int = 32) -> str:
    """The window of the body richest in matched words, with them marked (safe HTML).

    Highlighters that re-analyse the whole text through a full pipeline cost about 3 ms an
    article; this walks the words once with the caller's cached stemmer.
    """
    words = list(WORD_RE.finditer(body))
    flags = [stem(m.group().lower()) in stems for m in words]
    if not any(flags):
        return str(escape(" ".join(body.split()[:width])))
    best, best_count, count = 0, -1, 0
    for i, flag in enumerate(flags):
        count += flag
        if i >= width:
            count -= flags[i - width]
        if count > best_count:
            best, best_count = max(0, i - width + 1), count
    window = range(best, min(len(words), best + width))
    out, pos = [], words[window.start].start()
    for i in window:
        m = words[i]
        out.append(str(escape(body[pos : m.start()])))
        text = str(escape(m.group()))
        out.append(f"<mark>{text}</mark>" if flags[i] else text)
        pos = m.end()
    prefix = "… " if window.start > 0 else ""
    suffix = " …" if window.stop < len(words) else ""
    return prefix + "".join(out).strip() + suffix


def chunks(items: Iterable, size: int):
    chunk = []
    for item in items:
        chunk.append(item)
        if len(chunk) == size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk
