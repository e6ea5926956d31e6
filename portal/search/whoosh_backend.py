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
import threading
import time
from collections.abc import Callable, Iterable
from contextlib import contextmanager
from itertools import pairwise
from pathlib import Path

import nh3
import numpy as np
from whoosh import index, writing
from whoosh.index import LockError
from whoosh.query import And, Term
from whoosh.reading import TermNotFound
from whoosh.util.filelock import try_for

from portal.search.backend import SearchDocument, SearchHit, SearchResults, WritesThroughApply
from portal.search.ranking import SEARCH_STOP_WORDS, WORD_RE, Candidates, arrange, chunks, snippet_of
from portal.search.scoring import PostingsCache, select_and_score
from portal.search.semantic import (
    SIMILARITY_FLOOR,
    DocumentVectors,
    QueryVectors,
    SegmentVectors,
    fuse,
    pack,
)
from portal.search.whoosh_schema import PAIR_BOOST, PAIR_SEP, TITLE_BOOST, build_schema, whoosh_fields

log = logging.getLogger(__name__)

# Words in more than this share of documents (and more than COMMON_MIN_DOCS) are
# "common": they add to the score of documents the rarer words found, but do not
# select documents themselves (the idea of Lucene's common-terms query).
COMMON_SHARE = 0.05
COMMON_MIN_DOCS = 200


class WhooshBackend(WritesThroughApply):
    def __init__(self, index_dir: str | Path, write_timeout: float = 120.0, semantic: bool = True):
        self.index_dir = Path(index_dir)
        self.semantic = semantic
        self._segment_vectors = SegmentVectors()
        self._query_vectors = QueryVectors()
        self._document_vectors = DocumentVectors(self.index_dir / "vectors.sqlite")
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
            docs = list(docs)
            known = set(writer.schema.names())
            for doc_id in removed:
                writer.delete_by_term("id", doc_id)
            for doc, vectors in zip(docs, self._embed(docs), strict=True):
                # An index of an older schema takes the fields it knows until it is rebuilt.
                writer.update_document(**{k: v for k, v in whoosh_fields(doc, vectors).items() if k in known})
            writer.commit()
        except BaseException:
            writer.cancel()
            raise

    def rebuild(self, docs: Iterable[SearchDocument], progress: Callable[[int], None] | None = None,
                reread: Callable[[], Iterable[SearchDocument]] | None = None) -> int:
        if not self._schema_current(self._open()):
            self._recreate()
        # Embedding is the slow part: it runs before the write lock is taken, and every
        # vector is remembered (vectors.sqlite), so an interrupted rebuild resumes where it stopped.
        prepared = []
        for chunk in chunks(docs, 64):
            prepared.append([(doc, None if v is None else pack(v)) for doc, v in zip(chunk, self._embed(chunk, bulk=True),
                                                                                    strict=True)])
            if progress:
                progress(len(chunk))
        writer = self._open().writer(timeout=self.write_timeout, delay=0.02, limitmb=256)
        count = 0
        try:
            if reread is not None:
                # An edit another process wrote while this one embedded would be reverted by the
                # snapshot: read the source again under the lock, as `apply` does. Vectors of
                # unchanged texts are remembered, so only what changed is embedded now.
                prepared = [[(doc, None if v is None else pack(v)) for doc, v in zip(chunk, self._embed(chunk),
                                                                                  strict=True)]
                            for chunk in chunks(reread(), 64)]
            for chunk in prepared:
                for doc, vectors in chunk:
                    writer.add_document(**whoosh_fields(doc, vectors))
                    count += 1
            writer.commit(mergetype=writing.CLEAR, optimize=True)
        except BaseException:
            writer.cancel()
            raise
        return count

    def _embed(self, docs: list[SearchDocument], bulk: bool = False) -> list[np.ndarray | None]:
        return self._document_vectors.of_documents(docs, bulk=bulk) if self.semantic else [None] * len(docs)

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
            # Nearest first: one edit, then (for longer words) two. Whoosh keeps a removed
            # document's words in the lexicon until segments merge: only a word some live
            # document holds is offered (a moderated post's words never come back this way).
            suggestions = [s for s in corrector.suggest(word, limit=5, maxdist=1, prefix=1) if _live(reader, s)]
            if not suggestions and len(word) > 4:
                suggestions = [s for s in corrector.suggest(word, limit=5, maxdist=2, prefix=1) if _live(reader, s)]
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
        similarity = self._similarity(searcher, text)
        if plan is None and similarity is None:
            return empty
        rare, common, boosts, words = plan or ([], [], [], [])
        found = select_and_score(searcher, self._postings, rare=rare, common=common, boosts=boosts,
                                 similarity=similarity, floor=SIMILARITY_FLOOR)
        if not rare and len(common) > 1 and not (found.scores > 0).any():
            # Only common words, never all in one document ("alpha bravo"): any of them will do,
            # documents with more of them first.
            found = select_and_score(searcher, self._postings, rare=rare, common=common, boosts=boosts,
                                     all_common=False, similarity=similarity, floor=SIMILARITY_FLOOR)
        if found.similarity is not None:
            found.scores = fuse(found.similarity, found.scores)
        arranged = arrange(Candidates(found.docnums, found.scores, found.categories, found.types, found.answered),
                           doc_type=doc_type, category=category, answered=answered, page=page, per_page=per_page)
        if arranged.total == 0:
            empty.facets, empty.type_facets = arranged.facets, arranged.type_facets
            return empty
        stems = set(words)
        hits = [self._hit(searcher.stored_fields(docnum), score, stems) for docnum, score in arranged.ranked]
        return SearchResults(query=text, total=arranged.total, hits=hits, page=arranged.page, per_page=per_page,
                             facets=arranged.facets, type_facets=arranged.type_facets)

    def _similarity(self, searcher, text: str):
        """segment, reader -> each document's cosine with the query; None when search by meaning is off."""
        if not self.semantic:
            return None
        query = self._query_vectors(text)
        self._segment_vectors.forget_except({sub.reader().segment().segment_id()
                                             for sub, _ in _leaf_searchers(searcher)})

        def similarity(data, reader) -> np.ndarray:
            return self._segment_vectors.similarity(data.segment_id, reader, data.doc_count_all, query)

        return similarity

    def _hit(self, hit: dict, score: float, stems: set[str]) -> SearchHit:
        snippet = snippet_of(hit.get("body", "") or hit.get("summary", ""), stems, self._stem_word)
        return SearchHit(
            doc_id=hit["id"], type=hit["type"], slug=hit["slug"], title=hit["title"], url=hit["url"],
            category=hit.get("category", ""), snippet=nh3.clean(snippet, tags={"mark"}, attributes={}),
            score=round(score, 4), answered=hit.get("answered") == "yes",
        )

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
            if hits.is_empty():
                # A typo ("refnd"): the same correction the results page makes, then the prefixes again.
                corrected = self._correct(searcher, " ".join(words))
                if corrected:
                    words = [w[:20] for w in self._words(corrected) if len(w) >= 2]
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


def _live(reader, word: str) -> bool:
    """Whether a document not deleted holds ``word`` (a reader's postings skip deleted ones)."""
    try:
        return reader.postings("spell", word).is_active()
    except TermNotFound:
        return False


def _leaf_searchers(searcher):
    return searcher.leaf_searchers() if searcher.doc_count_all() else []
