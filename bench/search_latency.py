"""Benchmark section 1: search latency on a generated corpus (Whoosh; PostgreSQL beside it in
search_engines.py)."""

from __future__ import annotations

import shutil
import statistics
import time
from pathlib import Path

import corpus
import search_engines
from common import WARMUP_QUERY, dir_size_mb, latency_stats, loadavg, log


def to_document(i: int, art: dict):
    from portal.search.backend import SearchDocument

    slug = art["slug"]
    return SearchDocument(
        doc_id=f"article:{i}", type="article", slug=slug, title=art["title"], url="/kb/" + slug,
        category=art["category"], tags=tuple(art["tags"]), summary=art["summary"], body=art["body"],
    )


def time_queries(backend, queries: list[str]) -> tuple[list[float], list]:
    times, results = [], []
    for q in queries:
        t0 = time.perf_counter()
        r = backend.query(q, page=1, per_page=10)
        times.append((time.perf_counter() - t0) * 1000)
        results.append(r)
    return times, results


def embedding_cost(queries: list[str], index_dir: Path) -> dict:
    """Milliseconds to embed one query, and one document's texts (title with summary, first passage)."""
    from bot.embedding import default_encoder
    from portal.search.semantic import document_texts

    encoder = default_encoder()
    t0 = time.perf_counter()
    for q in queries:
        encoder.embed([q])
    per_query = (time.perf_counter() - t0) * 1000 / max(1, len(queries))
    docs = [to_document(i, a) for i, a in enumerate(corpus.generate_articles(32))]
    t0 = time.perf_counter()
    encoder.embed([t for d in docs for t in document_texts(d.title, d.summary, d.body)])
    per_doc = (time.perf_counter() - t0) * 1000 / len(docs)
    return {"query_ms": round(per_query, 1), "document_ms_batched": round(per_doc, 1)}


def bench_search(size: int, queries: list[str], workdir: Path) -> dict:
    from portal.search.whoosh_backend import WhooshBackend

    index_dir = workdir / f"index-{size}"
    load_before = loadavg()
    log(f"search {size}: generating corpus")
    t0 = time.perf_counter()
    docs = [to_document(i, a) for i, a in enumerate(corpus.generate_articles(size))]
    gen_s = time.perf_counter() - t0
    words = sum(len(d.body.split()) for d in docs)

    search_engines.forget_vectors()
    with search_engines.vectors_for(size) as vectors:
        log(f"search {size}: building index ({vectors} vectors)")
        t0 = time.perf_counter()
        count = WhooshBackend(index_dir).rebuild(iter(docs))
        build_s = time.perf_counter() - t0
    del docs

    # A fresh backend, as a newly started worker would have: opens the index on first query.
    backend = WhooshBackend(index_dir)
    try:
        t0 = time.perf_counter()
        backend.query(WARMUP_QUERY, page=1, per_page=10)
        warmup_ms = (time.perf_counter() - t0) * 1000
        log(f"search {size}: timing {len(queries)} queries (first pass)")
        first, results = time_queries(backend, queries)
        log(f"search {size}: timing {len(queries)} queries (warm pass)")
        warm, _ = time_queries(backend, queries)
    finally:
        backend.close()

    embedding = embedding_cost(queries[:50], index_dir)
    zero = sum(1 for r in results if r.total == 0)
    corrected = sum(1 for r in results if r.corrected)
    suggested = sum(1 for r in results if r.suggestion)
    slowest = sorted(zip(first, queries, results, strict=True), key=lambda x: -x[0])[:5]
    out = {
        "engine": "whoosh",
        "vectors": vectors,
        "articles": count,
        "corpus_words_total": words,
        "corpus_generation_s": round(gen_s, 2),
        "index_build_s": round(build_s, 2),
        "index_build_docs_per_s": round(count / build_s, 1),
        "index_size_mb": dir_size_mb(index_dir),
        "queries": len(queries),
        "warmup_query_ms": round(warmup_ms, 2),
        "latency_first_pass": latency_stats(first),
        "latency_warm_pass": latency_stats(warm),
        "embedding": embedding,
        "zero_result_queries": zero,
        "zero_result_share": round(zero / len(queries), 4),
        "spelling_suggested_queries": suggested,
        "spelling_corrected_queries": corrected,
        "mean_total_hits": round(statistics.fmean(r.total for r in results), 1),
        "loadavg_before": load_before,
        "loadavg_after": loadavg(),
        "slowest_first_pass": [
            {"query": q, "ms": round(ms, 2), "total_hits": r.total, "corrected": r.corrected}
            for ms, q, r in slowest
        ],
    }
    shutil.rmtree(index_dir, ignore_errors=True)
    return out

