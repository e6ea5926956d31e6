"""Search on the PostgreSQL engine beside Whoosh, in the same run (`make bench`, section search).

Real sentence vectors up to EMBED_UP_TO documents. Past that, embedding the corpus would
take most of an hour on 2 cores (about 40-90 ms a document), so each text gets a fixed
pseudo-random unit vector instead: the query still costs the same cosine over every
document, so latency and memory are measured faithfully, relevance is not (and is not
reported at that size).
"""

from __future__ import annotations

import hashlib
import time
from contextlib import contextmanager

import numpy as np

EMBED_UP_TO = 20_000


@contextmanager
def vectors_for(size: int):
    """Real embeddings for a corpus we can embed in the run; fixed pseudo-random ones past that."""
    from portal.search import semantic

    if size <= EMBED_UP_TO:
        yield "real"
        return
    real = semantic.DocumentVectors.embed

    def synthetic(self, texts):
        out = np.empty((len(texts), semantic.DIMENSIONS), dtype=np.float32)
        for i, text in enumerate(texts):
            seed = int.from_bytes(hashlib.sha1(text.encode("utf-8")).digest()[:8], "little")
            v = np.random.default_rng(seed).standard_normal(semantic.DIMENSIONS).astype(np.float32)
            out[i] = v / np.linalg.norm(v)
        return out

    semantic.DocumentVectors.embed = synthetic
    try:
        yield "synthetic (latency only)"
    finally:
        semantic.DocumentVectors.embed = real


def forget_vectors() -> None:
    """Drop this process's remembered vectors, so the next engine embeds (and is timed) from scratch."""
    from portal.search import semantic

    with semantic._MEMORY_LOCK:  # noqa: SLF001 (a benchmark resetting a cache)
        semantic._MEMORY.clear()  # noqa: SLF001


def bench_postgres(size: int, docs_factory, queries: list[str], url: str, time_queries, latency_stats, log) -> dict:
    import sqlalchemy as sa

    from portal.search.postgres_backend import PostgresBackend

    schema = f"bench_search_{size}"
    backend = PostgresBackend(url, schema=schema)
    try:
        with backend.engine.begin() as conn:
            conn.execute(sa.text(f"DROP SCHEMA IF EXISTS {schema} CASCADE"))
        forget_vectors()
        with vectors_for(size) as vectors:
            log(f"search postgresql {size}: building ({vectors} vectors)")
            t0 = time.perf_counter()
            count = backend.rebuild(docs_factory())
            build_s = time.perf_counter() - t0
        fresh = PostgresBackend(url, schema=schema)
        try:
            t0 = time.perf_counter()
            fresh.query(queries[0])
            warmup_ms = (time.perf_counter() - t0) * 1000
            log(f"search postgresql {size}: timing {len(queries)} queries")
            first, results = time_queries(fresh, queries)
            warm, _ = time_queries(fresh, queries)
            matrix_mb = fresh._matrix.matrix.nbytes / 2**20  # noqa: SLF001 (what a box holds in memory)
        finally:
            fresh.close()
        with backend.engine.connect() as conn:
            size_mb = conn.execute(sa.text(
                "SELECT coalesce(sum(pg_total_relation_size(c.oid)), 0) / 1048576.0 FROM pg_class c "
                "JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = :s AND c.relkind IN ('r', 'm')"),
                {"s": schema}).scalar()
        with backend.engine.begin() as conn:
            conn.execute(sa.text(f"DROP SCHEMA IF EXISTS {schema} CASCADE"))
    finally:
        backend.close()
    zero = sum(1 for r in results if r.total == 0)
    return {
        "engine": "postgresql",
        "vectors": vectors,
        "articles": count,
        "index_build_s": round(build_s, 2),
        "index_build_docs_per_s": round(count / build_s, 1),
        "tables_mb": round(float(size_mb), 1),
        "vector_matrix_mb_per_process": round(matrix_mb, 1),
        "warmup_query_ms": round(warmup_ms, 2),
        "latency_first_pass": latency_stats(first),
        "latency_warm_pass": latency_stats(warm),
        "zero_result_share": round(zero / len(queries), 4),
        "spelling_corrected_queries": sum(1 for r in results if r.corrected),
    }


def relevance(pg_url: str | None) -> dict:
    """MRR@10 on our development set: both engines with meaning, Whoosh by words only, plain BM25."""
    import search_dev

    return search_dev.evaluate(pg_url=pg_url)
