"""BM25F scoring over cached posting arrays, with numpy.

Whoosh's matchers score one posting at a time in Python: a word found in thousands
of articles ("order", "account") costs tens of milliseconds per query. Here each
segment's posting list for a word is decoded once, block by block, into two numpy
arrays (document numbers and term frequencies) and kept. Whoosh segments never
change once written (deletions are a separate set), so the cache stays valid across
index commits: a new commit only adds a small new segment to decode.

The formula is Whoosh's BM25F (B=0.75, K1=1.2, idf = log(N / (df + 1)) + 1), so
scores match what Whoosh would compute for the same query.
"""

from __future__ import annotations

import math
import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

B = 0.75
K1 = 1.2
POSTINGS_CACHE_SIZE = 20_000  # (segment, field, word) entries per process


@dataclass
class SegmentData:
    """What is cached for one immutable segment."""

    segment_id: str
    doc_count_all: int
    lengths: dict[str, np.ndarray] = field(default_factory=dict)
    columns: dict[str, tuple[np.ndarray, list[str]]] = field(default_factory=dict)
    postings: OrderedDict = field(default_factory=OrderedDict)


@dataclass
class Selection:
    docnums: np.ndarray  # global document numbers, selected and live
    scores: np.ndarray
    categories: list[str]  # category of each selected document
    types: list[str] = field(default_factory=list)  # type of each (article, thread)
    answered: np.ndarray = field(default_factory=lambda: np.empty(0, dtype=bool))  # threads with an accepted answer
    similarity: np.ndarray | None = None  # cosine with the query, when searching by meaning too


class PostingsCache:
    def __init__(self) -> None:
        self._segments: dict[str, SegmentData] = {}
        self._lock = threading.Lock()

    def segment(self, reader) -> SegmentData:
        seg_id = reader.segment().segment_id()
        data = self._segments.get(seg_id)
        if data is None:
            with self._lock:
                data = self._segments.setdefault(seg_id, SegmentData(seg_id, reader.doc_count_all()))
        return data

    def forget_except(self, live_ids: set[str]) -> None:
        """Drop segments merged away by later commits."""
        with self._lock:
            for seg_id in list(self._segments):
                if seg_id not in live_ids:
                    del self._segments[seg_id]

    # ---------------------------------------------------------------- per segment
    def lengths(self, data: SegmentData, reader, fieldname: str) -> np.ndarray:
        arr = data.lengths.get(fieldname)
        if arr is None:
            arr = np.fromiter((reader.doc_field_length(d, fieldname) for d in range(data.doc_count_all)),
                              dtype=np.float32, count=data.doc_count_all)
            data.lengths[fieldname] = arr
        return arr

    def column(self, data: SegmentData, reader, fieldname: str) -> tuple[np.ndarray, list[str]]:
        """Per-document codes for a sortable ID column, and the values they stand for."""
        cached = data.columns.get(fieldname)
        if cached is None:
            values = list(reader.column_reader(fieldname))
            names = sorted(set(values))
            index = {name: i for i, name in enumerate(names)}
            codes = np.fromiter((index[v] for v in values), dtype=np.int32, count=len(values))
            cached = data.columns[fieldname] = (codes, names)
        return cached

    def postings(self, data: SegmentData, reader, fieldname: str, text: str) -> tuple[np.ndarray, np.ndarray]:
        key = (fieldname, text)
        hit = data.postings.get(key)
        if hit is not None:
            data.postings.move_to_end(key)
            return hit
        hit = _decode_postings(reader, fieldname, text)
        data.postings[key] = hit
        if len(data.postings) > POSTINGS_CACHE_SIZE:
            data.postings.popitem(last=False)
        return hit


_EMPTY = (np.empty(0, dtype=np.int32), np.empty(0, dtype=np.float32))


def _decode_postings(reader, fieldname: str, text: str) -> tuple[np.ndarray, np.ndarray]:
    """All (docnum, term frequency) of a word in one segment, deletions included."""
    if (fieldname, text) not in reader:
        return _EMPTY
    btext = reader._text_to_bytes(fieldname, text)
    matcher = reader._terms.matcher(fieldname, btext, reader.schema[fieldname].format)
    ids, tfs = [], []
    if hasattr(matcher, "_read_ids") and hasattr(matcher, "_next_block"):
        # Whoosh's on-disk matcher: take whole blocks (about 100 postings) at a time.
        while matcher.is_active():
            if matcher._ids is None:
                matcher._read_ids()
            if matcher._weights is None:
                matcher._read_weights()
            ids.append(np.asarray(matcher._ids, dtype=np.int32))
            tfs.append(np.asarray(matcher._weights, dtype=np.float32))
            matcher._next_block()
        if not ids:
            return _EMPTY
        return np.concatenate(ids), np.concatenate(tfs)
    # Short lists are stored inline in the term info: walk them.
    while matcher.is_active():
        ids.append(matcher.id())
        tfs.append(matcher.weight())
        matcher.next()
    return np.asarray(ids, dtype=np.int32), np.asarray(tfs, dtype=np.float32)


def bm25(tf: np.ndarray, lengths: np.ndarray, avg_length: float, idf: float) -> np.ndarray:
    norm = K1 * ((1.0 - B) + B * lengths / max(avg_length, 1.0))
    return idf * tf * (K1 + 1.0) / (tf + norm)


def idf(searcher, fieldname: str, text: str) -> float:
    n = searcher.doc_count_all()
    df = searcher.doc_frequency(fieldname, text)
    return math.log(n / (df + 1)) + 1.0


def select_and_score(searcher, cache: PostingsCache, *, rare: list[str], common: list[str],
                     boosts: list[tuple[str, str, float]], coord_scale: float = 0.9, all_common: bool = True,
                     similarity: Callable[[SegmentData, object], np.ndarray] | None = None,
                     floor: float = 1.0) -> Selection:
    """Select documents and score them.

    Documents are selected by any of the ``rare`` words, or, with no rare words, by
    all of the ``common`` ones (any of them with ``all_common=False``). With
    ``similarity`` (segment, reader -> each document's cosine with the query), a document
    at or above ``floor`` is selected too, and the cosines come back beside the lexical
    scores. Every word scores in ``content``; ``boosts`` adds
    (field, word, weight) terms (title words, adjacent word pairs) that score but
    never select. Documents matching more of the selecting words get a bonus. Filtering by
    type, category or answered is the caller's, so it can count facets first.
    """
    words = rare + common
    selecting = rare or common
    content_avg = _avg_length(searcher, "content")
    word_idf = {w: idf(searcher, "content", w) for w in words}
    boost_idf = {(f, t): idf(searcher, f, t) for f, t, _ in boosts}
    avgs = {f: _avg_length(searcher, f) for f, _, _ in boosts}

    all_docs, all_scores, all_cats, all_types, all_answered, all_sims = [], [], [], [], [], []
    # An index built before the field existed has no answered column (until `flask search reindex`).
    has_answered = "answered" in searcher.schema
    live_segments = set()
    for sub, offset in _leaves(searcher):
        reader = sub.reader()
        data = cache.segment(reader)
        live_segments.add(data.segment_id)
        n = data.doc_count_all
        if n == 0:
            continue
        lengths = cache.lengths(data, reader, "content")
        scores = np.zeros(n, dtype=np.float32)
        hits = np.zeros(n, dtype=np.int16)
        for word in words:
            ids, tf = cache.postings(data, reader, "content", word)
            if ids.size == 0:
                continue
            scores[ids] += bm25(tf, lengths[ids], content_avg, word_idf[word])
            if word in selecting:
                hits[ids] += 1
        if rare or not all_common or not common:
            selected = hits > 0
        else:
            selected = hits == len(common)
        sims = None
        if similarity is not None:
            sims = similarity(data, reader)
            selected |= sims >= floor
        if not selected.any():
            continue
        for fieldname, text, weight in boosts:
            ids, tf = cache.postings(data, reader, fieldname, text)
            if ids.size:
                flen = cache.lengths(data, reader, fieldname)
                scores[ids] += weight * bm25(tf, flen[ids], avgs[fieldname], boost_idf[(fieldname, text)])
        if len(selecting) > 1 and coord_scale:
            scores *= 1.0 + coord_scale * (hits.astype(np.float32) - 1.0) / (len(selecting) - 1)
        if reader.has_deletions():
            deleted = np.fromiter(reader.deleted_docs_set, dtype=np.int64)
            selected[deleted[deleted < n]] = False
        local = np.flatnonzero(selected)
        if local.size == 0:
            continue
        cat_codes, cat_names = cache.column(data, reader, "category")
        all_docs.append(local + offset)
        all_scores.append(scores[local])
        if sims is not None:
            all_sims.append(sims[local])
        all_cats.extend(cat_names[c] for c in cat_codes[local])
        type_codes, type_names = cache.column(data, reader, "type")
        all_types.extend(type_names[c] for c in type_codes[local])
        if has_answered:
            codes, names = cache.column(data, reader, "answered")
            all_answered.append(codes[local] == (names.index("yes") if "yes" in names else -1))
        else:
            all_answered.append(np.zeros(local.size, dtype=bool))
    cache.forget_except(live_segments)
    if not all_docs:
        return Selection(np.empty(0, dtype=np.int64), np.empty(0, dtype=np.float32), [])
    return Selection(np.concatenate(all_docs), np.concatenate(all_scores), all_cats, all_types,
                     np.concatenate(all_answered), np.concatenate(all_sims) if all_sims else None)


def top(selection_docs: np.ndarray, selection_scores: np.ndarray, start: int, stop: int) -> list[tuple[int, float]]:
    """Documents ranked start..stop by score (ties: lower docnum first)."""
    count = selection_docs.size
    if start >= count:
        return []
    stop = min(stop, count)
    if stop < count:
        part = np.argpartition(-selection_scores, stop - 1)[:stop]
    else:
        part = np.arange(count)
    order = part[np.lexsort((selection_docs[part], -selection_scores[part]))]
    return [(int(selection_docs[i]), float(selection_scores[i])) for i in order[start:stop]]


def _leaves(searcher):
    if searcher.doc_count_all() == 0:
        return []
    return searcher.leaf_searchers()


def _avg_length(searcher, fieldname: str) -> float:
    count = searcher.doc_count_all()
    return searcher.field_length(fieldname) / count if count else 1.0
