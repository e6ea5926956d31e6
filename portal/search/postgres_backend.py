"""PostgreSQL engine behind the search interface, for several boxes on one database.

Every box reads and writes the same tables, so an edit saved on one box is found on the
others at the next query:
- words: a weighted ``tsvector`` (title A, tags B, summary C, body D) with a GIN index,
  queried with ``websearch_to_tsquery`` (all words, then any word when that finds too
  little) and ranked with ``ts_rank``;
- typos: ``pg_trgm`` similarity over the words the documents use (did-you-mean, and the
  suggestions as you type);
- meaning: each document's sentence vectors in a ``bytea`` column; a process keeps them
  as one matrix and catches up by sequence number (every write takes the next number
  under an advisory lock, so numbers follow commit order), then fuses cosine and
  ``ts_rank`` exactly as the Whoosh engine does (`semantic.fuse`, `ranking.arrange`).

The tables live in their own schema (``calmline_search`` unless told), created on first use.
"""

from __future__ import annotations

import re
import threading
import time
import zlib
from collections.abc import Callable, Iterable

import nh3
import numpy as np
import sqlalchemy as sa
from markupsafe import escape

from portal.search.backend import SearchDocument, SearchHit, SearchResults, WritesThroughApply
from portal.search.ranking import SEARCH_STOP_WORDS, WORD_RE, Candidates, arrange, chunks
from portal.search.semantic import SIMILARITY_FLOOR, DocumentVectors, QueryVectors, fuse, pack, unpack

LEXICAL_CAP = 1000  # lexical candidates kept per query (the best by ts_rank)
RANKED_MATCHES = 300  # matches ranked per query (see _lexical)
ANY_WORD_BELOW = 10  # all-words matches under this: any word selects too
START, STOP = "\u27e6", "\u27e7"  # ts_headline's marks, replaced by <mark> after escaping
TSV = ("setweight(to_tsvector('english', :title), 'A') || setweight(to_tsvector('english', :tags), 'B') || "
       "setweight(to_tsvector('english', :summary), 'C') || setweight(to_tsvector('english', :body), 'D')")
IDENT = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")


def _ddl(s: str) -> list[str]:
    return [
        f"CREATE SCHEMA IF NOT EXISTS {s}",
        f"""CREATE TABLE IF NOT EXISTS {s}.documents (
            id text PRIMARY KEY, type text NOT NULL, category text NOT NULL DEFAULT '',
            slug text NOT NULL DEFAULT '', url text NOT NULL DEFAULT '', title text NOT NULL,
            summary text NOT NULL DEFAULT '', tags text NOT NULL DEFAULT '', body text NOT NULL DEFAULT '',
            answered boolean NOT NULL DEFAULT false, vectors bytea, tsv tsvector NOT NULL,
            seq bigint NOT NULL, deleted boolean NOT NULL DEFAULT false)""",
        f"CREATE INDEX IF NOT EXISTS documents_tsv ON {s}.documents USING gin (tsv)",
        f"CREATE INDEX IF NOT EXISTS documents_seq ON {s}.documents (seq)",
        f"CREATE INDEX IF NOT EXISTS documents_title ON {s}.documents USING gin (to_tsvector('simple', title))",
        f"CREATE SEQUENCE IF NOT EXISTS {s}.seq",
        f"CREATE TABLE IF NOT EXISTS {s}.words (word text PRIMARY KEY)",
        f"CREATE INDEX IF NOT EXISTS words_trgm ON {s}.words USING gin (word gin_trgm_ops)",
        f"CREATE TABLE IF NOT EXISTS {s}.vectors (hash text PRIMARY KEY, vector bytea NOT NULL)",
        f"CREATE TABLE IF NOT EXISTS {s}.state (id int PRIMARY KEY, generation bigint NOT NULL)",
        f"INSERT INTO {s}.state (id, generation) VALUES (1, 0) ON CONFLICT DO NOTHING",
    ]


class _StoredVectors(DocumentVectors):
    """Text hash -> vector in a table every box shares: a rebuild on any box resumes from it."""

    def __init__(self, engine: sa.Engine, schema: str):
        super().__init__()
        self.engine, self.schema = engine, schema

    def lookup(self, hashes: list[str]) -> dict[str, np.ndarray]:
        with self.engine.connect() as conn:
            rows = conn.execute(sa.text(f"SELECT hash, vector FROM {self.schema}.vectors WHERE hash = ANY(:h)"),
                                {"h": hashes})
            return {h: unpack(bytes(v))[0] for h, v in rows}

    def store(self, rows: list[tuple[str, bytes]]) -> None:
        with self.engine.begin() as conn:
            conn.execute(sa.text(f"INSERT INTO {self.schema}.vectors (hash, vector) VALUES (:h, :v) "
                                 "ON CONFLICT (hash) DO NOTHING"), [{"h": h, "v": v} for h, v in rows])


class _Matrix:
    """This process's copy of every document's vectors and facets, caught up by sequence number."""

    def __init__(self) -> None:
        self.generation = -1
        self.seq = 0
        self.rows: dict[str, tuple[np.ndarray, str, str, bool]] = {}
        self.ids: list[str] = []
        self.position: dict[str, int] = {}
        self.matrix = np.empty((0, 0), dtype=np.float32)
        self.owners = np.empty(0, dtype=np.int64)
        self.lock = threading.Lock()

    def refresh(self, conn, schema: str) -> None:
        generation, last = conn.execute(sa.text(
            f"SELECT generation, (SELECT coalesce(max(seq), 0) FROM {schema}.documents) FROM {schema}.state")).one()
        with self.lock:
            if generation == self.generation and last == self.seq:
                return
            if generation != self.generation:
                self.rows, self.seq = {}, 0
            changed = conn.execute(sa.text(f"SELECT id, vectors, type, category, answered, deleted, seq "
                                           f"FROM {schema}.documents WHERE seq > :s ORDER BY seq"), {"s": self.seq})
            for doc_id, blob, type_, category, answered, deleted, seq in changed:
                if deleted:
                    self.rows.pop(doc_id, None)
                else:
                    self.rows[doc_id] = (unpack(bytes(blob) if blob else None), type_, category, answered)
                self.seq = max(self.seq, seq)
            self.generation = generation
            self.ids = list(self.rows)
            self.position = {doc_id: i for i, doc_id in enumerate(self.ids)}
            blocks = [self.rows[i][0] for i in self.ids]
            self.owners = np.repeat(np.arange(len(self.ids)), [len(b) for b in blocks]).astype(np.int64)
            nonempty = [b for b in blocks if len(b)]
            self.matrix = np.concatenate(nonempty) if nonempty else np.empty((0, 0), dtype=np.float32)

    def similarity(self, query: np.ndarray) -> np.ndarray:
        out = np.full(len(self.ids), -1.0, dtype=np.float32)
        if self.owners.size:
            np.maximum.at(out, self.owners, self.matrix @ query)
        return out


class PostgresBackend(WritesThroughApply):
    def __init__(self, url: str, *, schema: str = "calmline_search", semantic: bool = True,
                 write_timeout: float = 120.0):
        if not IDENT.match(schema):
            raise ValueError(f"not a plain schema name: {schema!r}")
        url = url.replace("postgresql://", "postgresql+psycopg://", 1) if url.startswith("postgresql://") else url
        self.engine = sa.create_engine(url, pool_pre_ping=True, pool_size=4, max_overflow=8)
        self.schema, self.semantic, self.write_timeout = schema, semantic, write_timeout
        self._lock_key = zlib.crc32(f"calmline-search:{schema}".encode())
        self._matrix = _Matrix()
        self._query_vectors = QueryVectors()
        self._document_vectors = _StoredVectors(self.engine, schema)
        self._ready = False

    def _ensure(self) -> None:
        if self._ready:
            return
        with self.engine.connect() as conn:
            # Already set up (the usual case): no lock, so a new worker never waits on a rebuild.
            if conn.execute(sa.text("SELECT to_regclass(:t)"), {"t": f"{self.schema}.state"}).scalar():
                self._ready = True
                return
        with self.engine.begin() as conn:
            conn.execute(sa.text("SELECT pg_advisory_xact_lock(:k)"), {"k": self._lock_key})
            conn.execute(sa.text("CREATE EXTENSION IF NOT EXISTS pg_trgm"))
            conn.execute(sa.text("CREATE EXTENSION IF NOT EXISTS fuzzystrmatch"))
            for statement in _ddl(self.schema):
                conn.execute(sa.text(statement))
        self._ready = True

    def close(self) -> None:
        self.engine.dispose()

    # ------------------------------------------------------------------ writing
    def _locked(self, conn) -> None:
        """Take the index's write lock for this transaction: writers from every box queue here."""
        conn.execute(sa.text(f"SET LOCAL lock_timeout = '{int(self.write_timeout * 1000)}ms'"))
        conn.execute(sa.text("SELECT pg_advisory_xact_lock(:k)"), {"k": self._lock_key})

    def _embed(self, docs: list[SearchDocument], bulk: bool = False) -> list[np.ndarray | None]:
        return self._document_vectors.of_documents(docs, bulk=bulk) if self.semantic else [None] * len(docs)

    def _write(self, conn, docs: list[SearchDocument], vectors: list, newer_than: int | None = None) -> None:
        """Upsert ``docs``; with ``newer_than`` (a rebuild), a row written since that number wins."""
        s = self.schema
        if not docs:
            return
        conn.execute(sa.text(
            f"INSERT INTO {s}.documents (id, type, category, slug, url, title, summary, tags, body, answered, vectors, "
            f"tsv, seq, deleted) VALUES (:id, :type, :category, :slug, :url, :title, :summary, :tags, :body, "
            f":answered, :vectors, {TSV}, nextval('{s}.seq'), false) ON CONFLICT (id) DO UPDATE SET "
            "type = excluded.type, category = excluded.category, slug = excluded.slug, url = excluded.url, "
            "title = excluded.title, summary = excluded.summary, tags = excluded.tags, body = excluded.body, "
            "answered = excluded.answered, vectors = excluded.vectors, tsv = excluded.tsv, seq = excluded.seq, "
            "deleted = false" + (f" WHERE {s}.documents.seq <= :newer_than" if newer_than is not None else "")),
            [{"id": d.doc_id, "type": d.type, "category": d.category or "", "slug": d.slug, "url": d.url,
              "title": d.title, "summary": d.summary, "tags": " ".join(d.tags), "body": d.body,
              "answered": d.answered, "vectors": None if v is None else (v if isinstance(v, bytes) else pack(v)),
              "newer_than": newer_than}
             for d, v in zip(docs, vectors, strict=True)])
        words = sorted({w for d in docs for w in WORD_RE.findall(" ".join((d.title, " ".join(d.tags), d.summary,
                                                                           d.body)).lower())
                        if 3 <= len(w) <= 40 and not w.isdigit() and w not in SEARCH_STOP_WORDS})
        conn.execute(sa.text(f"INSERT INTO {s}.words (word) SELECT unnest(CAST(:w AS text[])) "
                             "ON CONFLICT DO NOTHING"), {"w": words})

    def apply(self, produce: Callable[[], tuple[Iterable[SearchDocument], Iterable[str]]]) -> None:
        """Call ``produce`` under the write lock and write what it returns (see WhooshBackend.apply)."""
        self._ensure()
        with self.engine.begin() as conn:
            self._locked(conn)
            docs, removed = produce()
            docs, removed = list(docs), list(removed)
            if removed:
                # A removal is a row marked deleted with a new number, so every box's matrix drops it.
                # Its text goes too: a removed or moderated post must not live on in the tables.
                conn.execute(sa.text(f"UPDATE {self.schema}.documents SET deleted = true, vectors = NULL, "
                                     "tsv = ''::tsvector, title = '', summary = '', tags = '', body = '', "
                                     f"seq = nextval('{self.schema}.seq') WHERE id = ANY(:ids)"), {"ids": removed})
            self._write(conn, docs, self._embed(docs))

    def rebuild(self, docs: Iterable[SearchDocument], progress: Callable[[int], None] | None = None,
                reread: Callable[[], Iterable[SearchDocument]] | None = None) -> int:
        # ``reread`` is not needed: rows carry a sequence number, so writes newer than the
        # rebuild's start are told apart and kept.
        self._ensure()
        s = self.schema
        with self.engine.connect() as conn:
            # Rows written after this point (an edit, a removal on any box while this rebuild
            # reads and embeds) are newer than the rebuild's snapshot: they are kept as written.
            start = conn.execute(sa.text(f"SELECT coalesce(max(seq), 0) FROM {s}.documents")).scalar()
        # Embedding first, outside the lock; every vector is kept in the shared table, so an
        # interrupted rebuild embeds only what it had not reached.
        prepared = []
        for chunk in chunks(docs, 64):
            prepared.append((chunk, self._embed(chunk, bulk=True)))
            if progress:
                progress(len(chunk))
        with self.engine.begin() as conn:
            self._locked(conn)
            conn.execute(sa.text(f"DELETE FROM {s}.documents WHERE seq <= :start"), {"start": start})
            conn.execute(sa.text(f"DELETE FROM {s}.words"))
            conn.execute(sa.text(f"UPDATE {s}.state SET generation = generation + 1"))
            for chunk, vectors in prepared:
                self._write(conn, chunk, vectors, newer_than=start)
        return sum(len(chunk) for chunk, _ in prepared)

    # ------------------------------------------------------------------ reading
    def query(self, text: str, *, page: int = 1, per_page: int = 10, doc_type: str | None = None,
              category: str | None = None, answered: bool = False) -> SearchResults:
        self._ensure()
        text = text.replace("\x00", "")  # PostgreSQL text cannot hold NUL
        with self.engine.connect() as conn:
            suggestion = self._correct(conn, text)
            results, corrected = None, False
            if suggestion:
                results = self._run(conn, suggestion, page, per_page, (doc_type, category, answered))
                corrected = results.total > 0
            if not corrected:
                results = self._run(conn, text, page, per_page, (doc_type, category, answered))
        results.query, results.suggestion, results.corrected = text, suggestion, corrected
        return results

    def _lexical(self, conn, text: str) -> tuple[dict[str, float], str]:
        """id -> ts_rank of the documents the words select, and the tsquery used (for snippets)."""
        s = self.schema
        # Ranking reads each match's whole tsvector; a query of common words matches thousands,
        # so at most :pre matches (any of them) are ranked. Meaning brings the rest (fuse).
        sql = (f"SELECT id, ts_rank(tsv, q, 1) AS r FROM (SELECT d.id, d.tsv, q FROM {s}.documents d, {{q}} q "
               "WHERE NOT d.deleted AND d.tsv @@ q LIMIT :pre) m ORDER BY r DESC LIMIT :cap")
        every = "websearch_to_tsquery('english', :t)"
        found = dict(conn.execute(sa.text(sql.format(q=every)), {"t": text, "cap": LEXICAL_CAP,
                                                                        "pre": RANKED_MATCHES}).all())
        if len(found) >= ANY_WORD_BELOW:
            return found, every
        any_word = "CAST(replace(CAST(plainto_tsquery('english', :t) AS text), '&', '|') AS tsquery)"
        for doc_id, rank in conn.execute(sa.text(sql.format(q=any_word)), {"t": text, "cap": LEXICAL_CAP,
                                                                                 "pre": RANKED_MATCHES}):
            found.setdefault(doc_id, rank)
        return found, any_word

    def _run(self, conn, text, page, per_page, filters) -> SearchResults:
        doc_type, category, answered = filters
        lexical, tsquery = self._lexical(conn, text)
        m = self._matrix
        m.refresh(conn, self.schema)
        query = self._query_vectors(text) if self.semantic else None
        with m.lock:
            sims = m.similarity(query) if query is not None else None
            ids = list(lexical)
            if sims is not None:
                ids += [m.ids[i] for i in np.flatnonzero(sims >= SIMILARITY_FLOOR) if m.ids[i] not in lexical]
            known = [m.position.get(i) for i in ids]
            meta = [m.rows[i][1:] if p is not None else None for i, p in zip(ids, known, strict=True)]
            similarity = (np.array([sims[p] if p is not None else -1.0 for p in known], dtype=np.float32)
                          if sims is not None else None)
        missing = [i for i, row in zip(ids, meta, strict=True) if row is None]
        if missing:  # written after this process's copy was taken
            extra = {r[0]: tuple(r[1:]) for r in conn.execute(sa.text(
                f"SELECT id, type, category, answered FROM {self.schema}.documents WHERE id = ANY(:ids)"),
                {"ids": missing})}
            meta = [row if row is not None else extra.get(i, ("", "", False)) for i, row in zip(ids, meta,
                                                                                                strict=True)]
        scores = np.array([lexical.get(i, 0.0) for i in ids], dtype=np.float32)
        if similarity is not None:
            scores = fuse(similarity, scores)
        found = Candidates(np.arange(len(ids), dtype=np.int64), scores, [r[1] for r in meta], [r[0] for r in meta],
                           np.array([bool(r[2]) for r in meta], dtype=bool))
        arranged = arrange(found, doc_type=doc_type, category=category, answered=answered, page=page,
                           per_page=per_page)
        hits = self._hits(conn, [(ids[k], score) for k, score in arranged.ranked], text, tsquery)
        return SearchResults(query=text, total=arranged.total, hits=hits, page=arranged.page, per_page=per_page,
                             facets=arranged.facets, type_facets=arranged.type_facets)

    def _hits(self, conn, ranked: list[tuple[str, float]], text: str, tsquery: str) -> list[SearchHit]:
        if not ranked:
            return []
        options = f"StartSel={START}, StopSel={STOP}, MaxWords=32, MinWords=12, MaxFragments=1"
        rows = {r.id: r for r in conn.execute(sa.text(
            f"SELECT id, type, slug, title, url, category, answered, ts_headline('english', "
            f"CASE WHEN body <> '' THEN body ELSE summary END, {tsquery}, :o) AS snippet "
            f"FROM {self.schema}.documents WHERE id = ANY(:ids) AND NOT deleted"), {"t": text, "o": options,
                                                                    "ids": [i for i, _ in ranked]})}
        return [SearchHit(doc_id=r.id, type=r.type, slug=r.slug, title=r.title, url=r.url, category=r.category,
                          snippet=_marked(r.snippet), score=round(float(score), 4), answered=r.answered)
                for doc_id, score in ranked if (r := rows.get(doc_id)) is not None]

    def _correct(self, conn, text: str) -> str | None:
        """Replace words no document uses with the closest word one does (pg_trgm)."""
        words = [w.lower() for w in WORD_RE.findall(text)]
        unsure = [w for w in words if 3 <= len(w) <= 40 and not w.isdigit() and w not in SEARCH_STOP_WORDS]
        if not unsure:
            return None
        s = self.schema
        # Unknown: a word no document uses, whose stem (pool/pools) no document has either.
        # A word PostgreSQL drops as a stop word has no stem and is never "unknown" (and an
        # empty tsquery would read every row).
        unknown = {w for (w,) in conn.execute(sa.text(
            f"SELECT w FROM unnest(CAST(:w AS text[])) AS w WHERE NOT EXISTS (SELECT 1 FROM {s}.words WHERE word = w) "
            "AND numnode(plainto_tsquery('english', w)) > 0 AND NOT EXISTS (SELECT 1 FROM "
            f"{s}.documents d WHERE d.tsv @@ plainto_tsquery('english', w))"), {"w": unsure})}
        changed, out = False, []
        for word in words:
            if word not in unknown:
                out.append(word)
                continue
            # Trigrams find the candidates (GIN index); the nearest by edits wins, one edit
            # for short words and two for longer ones, as on the Whoosh engine.
            best = conn.execute(sa.text(
                f"SELECT word FROM (SELECT word FROM {s}.words WHERE word % :w AND left(word, 1) = left(:w, 1) "
                "ORDER BY similarity(word, :w) DESC LIMIT 20) c WHERE levenshtein(word, :w) <= :d "
                f"AND EXISTS (SELECT 1 FROM {s}.documents d WHERE d.tsv @@ plainto_tsquery('english', word)) "
                "ORDER BY levenshtein(word, :w), similarity(word, :w) DESC, word LIMIT 1"),
                {"w": word, "d": 2 if len(word) > 4 else 1}).scalar()
            out.append(best or word)
            changed |= bool(best)
        return " ".join(out) if changed else None

    def suggest(self, prefix: str, limit: int = 8) -> list[SearchHit]:
        self._ensure()
        words = [re.sub(r"\W|_", "", w)[:20] for w in WORD_RE.findall(prefix.lower())]
        words = [w for w in words if len(w) >= 2]
        if not words:
            return []
        with self.engine.connect() as conn:
            hits = self._prefixed(conn, words, limit)
            if not hits:
                corrected = self._correct(conn, " ".join(words))
                if corrected:
                    hits = self._prefixed(conn, [w for w in corrected.split() if len(w) >= 2], limit)
        return hits

    def _prefixed(self, conn, words: list[str], limit: int) -> list[SearchHit]:
        rows = conn.execute(sa.text(
            f"SELECT id, type, slug, title, url, category, answered FROM {self.schema}.documents "
            "WHERE NOT deleted AND to_tsvector('simple', title) @@ to_tsquery('simple', :q) "
            "ORDER BY (type = 'article') DESC, length(title), id LIMIT :n"),
            {"q": " & ".join(f"{w}:*" for w in words), "n": limit})
        return [SearchHit(doc_id=r.id, type=r.type, slug=r.slug, title=r.title, url=r.url, category=r.category,
                          snippet="", score=0.0, answered=r.answered) for r in rows]

    def status(self) -> dict:
        started = time.perf_counter()
        self._ensure()
        with self.engine.connect() as conn:
            documents = conn.execute(sa.text(f"SELECT count(*) FROM {self.schema}.documents WHERE NOT deleted")
                                     ).scalar()
        return {"ok": True, "engine": "postgresql", "documents": documents, "needs_reindex": False,
                "latency_ms": round((time.perf_counter() - started) * 1000, 2)}


def _marked(headline: str | None) -> str:
    """ts_headline's text, escaped, with its marks turned into <mark>."""
    safe = str(escape(" ".join((headline or "").split())))
    return nh3.clean(safe.replace(START, "<mark>").replace(STOP, "</mark>"), tags={"mark"}, attributes={})
