"""Whoosh engine behind the search interface.

Three things make it fit a multi-process web server:
- writes take Whoosh's own file lock with a generous timeout, so concurrent
  gunicorn workers queue instead of raising ``LockError``;
- ``apply`` reads the database *while* holding that lock, so the last writer
  always writes the latest committed state and no update is lost to a race;
- each process keeps one searcher and refreshes it only when the index changed,
  instead of opening the index for every query.
"""

from __future__ import annotations

import fcntl
import logging
import re
import threading
import time
from collections.abc import Callable, Iterable
from contextlib import contextmanager
from itertools import pairwise
from pathlib import Path

import nh3
import numpy as np
from markupsafe import escape
from whoosh import index, writing
from whoosh.analysis import STOP_WORDS, LowercaseFilter, RegexTokenizer, ShingleFilter, StemmingAnalyzer, StopFilter
from whoosh.fields import ID, NGRAMWORDS, STORED, TEXT, Schema
from whoosh.index import LockError
from whoosh.query import And, Term
from whoosh.util.filelock import try_for

from portal.search.backend import SearchDocument, SearchHit, SearchResults
from portal.search.scoring import PostingsCache, select_and_score, top

log = logging.getLogger(__name__)

# Title words also count on their own; adjacent query words found adjacent in a
# document (word pairs, indexed as shingles) rank a phrase match above scattered words.
TITLE_BOOST = 3.0
PAIR_BOOST = 2.0
PAIR_SEP = "\u2063"
# Words in more than this share of documents (and more than COMMON_MIN_DOCS) are
# "common": they add to the score of documents the rarer words found, but do not
# select documents themselves (the idea of Lucene's common-terms query).
COMMON_SHARE = 0.05
COMMON_MIN_DOCS = 200
WORD_RE = re.compile(r"\w+(?:'\w+)*", re.UNICODE)


# Whoosh's stop list plus the words people wrap a help-desk question in ("I need
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


def build_schema() -> Schema:
    stem = StemmingAnalyzer(stoplist=SEARCH_STOP_WORDS, minsize=2, cachesize=100_000)
    plain = RegexTokenizer() | LowercaseFilter() | StopFilter(stoplist=SEARCH_STOP_WORDS, minsize=3)
    return Schema(
        id=ID(stored=True, unique=True),
        type=ID(stored=True, sortable=True),
        category=ID(stored=True, sortable=True),
        slug=STORED(),
        url=STORED(),
        title=TEXT(analyzer=stem, stored=True),
        summary=STORED(),
        tags=STORED(),
        # One scored field: the title twice and the tags once more weigh them up.
        content=TEXT(analyzer=stem, phrase=False),
        pairs=TEXT(analyzer=stem | ShingleFilter(size=2, sep=PAIR_SEP), phrase=False),
        body=STORED(),
        answered=ID(stored=True, sortable=True),  # "yes" for a thread with an accepted answer
        # Unstemmed words for "did you mean", and edge n-grams for as-you-type.
        spell=TEXT(analyzer=plain, phrase=False),
        title_ac=NGRAMWORDS(minsize=2, maxsize=20, at="start"),
    )


def _fields(doc: SearchDocument) -> dict:
    tags = " ".join(doc.tags)
    return {
        "id": doc.doc_id,
        "type": doc.type,
        "category": doc.category or "",
        "slug": doc.slug,
        "url": doc.url,
        "title": doc.title,
        "summary": doc.summary,
        "tags": list(doc.tags),
        "content": "\n".join((doc.title, doc.title, tags, tags, doc.summary, doc.body)),
        "pairs": "\n".join((doc.title, doc.summary, doc.body)),
        "body": doc.body,
        "spell": " ".join((doc.title, tags, doc.summary, doc.body)),
        "title_ac": doc.title,
        "answered": "yes" if doc.answered else "no",
    }


class WhooshBackend:
    def __init__(self, index_dir: str | Path, write_timeout: float = 120.0):
        self.index_dir = Path(index_dir)
        self.write_timeout = write_timeout
        self.schema = build_schema()
        self._ix = None
        self._searcher = None
        self._lock = threading.RLock()
        self._stem = self.schema["content"].analyzer
        self._stem_cache: dict[str, str] = {}
        self._postings = PostingsCache()

    # ------------------------------------------------------------------ opening
    @contextmanager
    def _create_lock(self):
        self.index_dir.mkdir(parents=True, exist_ok=True)
        with open(self.index_dir / ".create.lock", "w") as fh:
            fcntl.flock(fh, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(fh, fcntl.LOCK_UN)

    def _open(self):
        with self._lock:
            if self._ix is None:
                with self._create_lock():
                    if index.exists_in(str(self.index_dir)):
                        self._ix = index.open_dir(str(self.index_dir))
                        if not self._schema_current(self._ix):
                            log.warning("the search index at %s was built by an older version: searches work, "
                                        "new fields stay empty until `flask search reindex`", self.index_dir)
                    else:
                        self._ix = index.create_in(str(self.index_dir), self.schema)
            return self._ix

    def _get_searcher(self):
        with self._lock:
            searcher = self._searcher
            if searcher is None:
                searcher = self._open().searcher()
            elif not searcher.up_to_date():
                # Not searcher.refresh(): whoosh-reloaded 2.7.5 merges the old reader's
                # segments back into the new one, which resurrects deleted documents.
                searcher.close()
                searcher = self._open().searcher()
            self._searcher = searcher
            return searcher

    def _schema_current(self, ix) -> bool:
        """Does the index on disk have every field this code writes? (A new field needs a rebuild.)"""
        return set(ix.schema.names()) >= set(self.schema.names())

    def _recreate(self) -> None:
        """Replace an index of an older schema by an empty one of today's, under Whoosh's write lock."""
        ix = self._open()
        lock = ix.lock("WRITELOCK")
        if not try_for(lock.acquire, timeout=self.write_timeout, delay=0.02):
            raise LockError("the search index is locked by another writer")
        try:
            if not self._schema_current(ix):
                index.create_in(str(self.index_dir), self.schema)
        finally:
            lock.release()
        self.close()

    def close(self) -> None:
        with self._lock:
            if self._searcher is not None:
                self._searcher.close()
            self._searcher = None
            if self._ix is not None:
                self._ix.close()
            self._ix = None

    # ------------------------------------------------------------------ writing
    def _writer(self):
        # Whoosh's writer retries its lock until the timeout: concurrent writers queue.
        return self._open().writer(timeout=self.write_timeout, delay=0.02, limitmb=128)

    def apply(self, produce: Callable[[], tuple[Iterable[SearchDocument], Iterable[str]]]) -> None:
        """Call ``produce`` under the write lock and write what it returns.

        ``produce`` returns (documents to index, doc ids to remove). Reading the
        source of truth inside the lock means the last writer wins with the
        latest committed state, whatever order the commits happened in.
        """
        writer = self._writer()
        try:
            docs, removed = produce()
            known = set(writer.schema.names())
            for doc_id in removed:
                writer.delete_by_term("id", doc_id)
            for doc in docs:
                # An index of an older schema takes the fields it knows until it is rebuilt.
                writer.update_document(**{k: v for k, v in _fields(doc).items() if k in known})
            writer.commit()
        except BaseException:
            writer.cancel()
            raise

    def index(self, docs: Iterable[SearchDocument]) -> None:
        docs = list(docs)
        self.apply(lambda: (docs, ()))

    def remove(self, doc_ids: Iterable[str]) -> None:
        doc_ids = list(doc_ids)
        self.apply(lambda: ((), doc_ids))

    def rebuild(self, docs: Iterable[SearchDocument], progress: Callable[[int], None] | None = None) -> int:
        if not self._schema_current(self._open()):
            self._recreate()
        writer = self._open().writer(timeout=self.write_timeout, delay=0.02, limitmb=256)
        count = 0
        try:
            for doc in docs:
                writer.add_document(**_fields(doc))
                count += 1
                if progress:
                    progress(1)
            writer.commit(mergetype=writing.CLEAR, optimize=True)
        except BaseException:
            writer.cancel()
            raise
        return count

    # ------------------------------------------------------------------ reading
    def _analyse(self, text: str) -> list[str]:
        return [t.text for t in self._stem(text)]

    def _words(self, text: str) -> list[str]:
        return [w.lower() for w in WORD_RE.findall(text)]

    def _plan(self, searcher, text: str):
        """Split the query's words into rare (select) and common (score only), plus boosts."""
        stems = list(dict.fromkeys(self._analyse(text)))
        reader = searcher.reader()
        threshold = max(COMMON_SHARE * max(1, searcher.doc_count_all()), COMMON_MIN_DOCS)
        known = [(s, reader.doc_frequency("content", s)) for s in stems]
        known = [(s, df) for s, df in known if df > 0]
        if not known:
            return None
        rare = [s for s, df in known if df <= threshold]
        common = [s for s, df in known if df > threshold]
        words = [s for s, _ in known]
        boosts = [("title", s, TITLE_BOOST) for s in words]
        boosts += [("pairs", a + PAIR_SEP + b, PAIR_BOOST) for a, b in pairwise(stems)]
        return rare, common, boosts, words

    def _correct(self, searcher, text: str) -> str | None:
        """Replace words the index has never seen with the closest word it has."""
        reader = searcher.reader()
        corrector = searcher.corrector("spell")
        changed = False
        out = []
        for word in self._words(text):
            # A word is a typo only if neither it nor its stem (pool/pools) is indexed.
            if (len(word) < 3 or word.isdigit() or word in SEARCH_STOP_WORDS or ("spell", word) in reader
                    or ("content", self._stem_word(word)) in reader):
                out.append(word)
                continue
            # Nearest first: one edit, then (for longer words) two.
            suggestions = corrector.suggest(word, limit=1, maxdist=1, prefix=1)
            if not suggestions and len(word) > 4:
                suggestions = corrector.suggest(word, limit=1, maxdist=2, prefix=1)
            if suggestions and suggestions[0] != word:
                out.append(suggestions[0])
                changed = True
            else:
                out.append(word)
        return " ".join(out) if changed else None

    def query(self, text: str, *, page: int = 1, per_page: int = 10, doc_type: str | None = None,
              category: str | None = None, answered: bool = False) -> SearchResults:
        """``answered=True`` keeps only documents marked answered (community threads with an accepted answer)."""
        # One query at a time per process: Whoosh readers seek and read shared file
        # handles, and the work is CPU-bound under the GIL anyway (gthread workers).
        with self._lock:
            return self._query(text, page, per_page, (doc_type, category, answered))

    def _query(self, text, page, per_page, filters) -> SearchResults:
        searcher = self._get_searcher()
        # A suggestion exists only when some word is unknown to the index; that word
        # matched nothing, so the corrected query is the better-informed one.
        suggestion = self._correct(searcher, text)
        corrected = False
        results = None
        if suggestion:
            results = self._run(searcher, suggestion, page, per_page, filters)
            corrected = results.total > 0
        if not corrected:
            results = self._run(searcher, text, page, per_page, filters)
        results.query = text
        results.suggestion = suggestion
        results.corrected = corrected
        return results

    def _run(self, searcher, text, page, per_page, filters) -> SearchResults:
        doc_type, category, answered = filters
        empty = SearchResults(query=text, total=0, hits=[], page=page, per_page=per_page)
        plan = self._plan(searcher, text)
        if plan is None:
            return empty
        rare, common, boosts, words = plan
        found = select_and_score(searcher, self._postings, rare=rare, common=common, boosts=boosts)
        n = found.docnums.size
        found.scores = found.scores * _type_weights(found, n)
        base = found.answered.copy() if answered else np.ones(n, dtype=bool)
        of_type = _matching(found.types, doc_type, n)
        in_category = _matching(found.categories, category, n)
        # Each facet counts what the other filters leave, so it still offers every choice of its own.
        facets = _count(found.categories, base & of_type)
        type_facets = _count(found.types, base & in_category)
        keep = base & of_type & in_category
        docs, scores = found.docnums[keep], found.scores[keep]
        total = int(docs.size)
        if total == 0:
            empty.facets, empty.type_facets = facets, type_facets
            return empty
        pages = -(-total // per_page)
        page = min(max(1, page), pages)
        ranked = top(docs, scores, (page - 1) * per_page, page * per_page)
        stems = set(words)
        hits = [self._hit(searcher.stored_fields(docnum), score, stems) for docnum, score in ranked]
        return SearchResults(query=text, total=total, hits=hits, page=page, per_page=per_page, facets=facets,
                             type_facets=type_facets)

    def _hit(self, hit: dict, score: float, stems: set[str]) -> SearchHit:
        snippet = self._snippet(hit, stems)
        return SearchHit(
            doc_id=hit["id"], type=hit["type"], slug=hit["slug"], title=hit["title"], url=hit["url"],
            category=hit.get("category", ""), snippet=nh3.clean(snippet, tags={"mark"}, attributes={}),
            score=round(score, 4), answered=hit.get("answered") == "yes",
        )

    def _snippet(self, hit, stems: set[str], width: int = 32) -> str:
        """The window of the body richest in matched words, with them marked.

        Whoosh's highlighter re-analyses the whole text through its full pipeline
        (about 3 ms an article); this walks the words once with the stemmer's cache.
        """
        body = hit.get("body", "") or hit.get("summary", "")
        words = list(WORD_RE.finditer(body))
        stem = self._stem_word
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

    def _stem_word(self, word: str) -> str:
        cached = self._stem_cache.get(word)
        if cached is None:
            tokens = [t.text for t in self._stem(word)]
            cached = self._stem_cache[word] = tokens[0] if tokens else ""
            if len(self._stem_cache) > 200_000:
                self._stem_cache.clear()
        return cached

    def suggest(self, prefix: str, limit: int = 8) -> list[SearchHit]:
        words = [w[:20] for w in self._words(prefix) if len(w) >= 2]
        if not words:
            return []
        with self._lock:
            searcher = self._get_searcher()
            hits = searcher.search(And([Term("title_ac", w) for w in words]), limit=limit)
            return [
                SearchHit(doc_id=h["id"], type=h["type"], slug=h["slug"], title=h["title"], url=h["url"],
                          category=h.get("category", ""), snippet="", score=round(float(h.score or 0), 4),
                          answered=h.get("answered") == "yes")
                for h in hits
            ]

    def status(self) -> dict:
        started = time.perf_counter()
        with self._lock:
            documents = self._get_searcher().doc_count()
            current = self._schema_current(self._open())
        return {
            "ok": True,
            "engine": "whoosh",
            "documents": documents,
            "needs_reindex": not current,
            "latency_ms": round((time.perf_counter() - started) * 1000, 2),
        }


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


# Curated articles first when relevance is close; a community thread with an accepted answer
# next; an open question last. Relevance still decides when the gap is wide (a thread that
# matches the question far better than any article outranks them all).
TYPE_WEIGHTS = {"article": 1.2, "thread": 0.85}
ANSWERED_THREAD_WEIGHT = 1.0


def _type_weights(found, n: int) -> np.ndarray:
    weights = np.fromiter((TYPE_WEIGHTS.get(t, 1.0) for t in found.types), dtype=np.float64, count=n)
    if found.answered.size == n:
        weights[found.answered] = ANSWERED_THREAD_WEIGHT
    return weights
