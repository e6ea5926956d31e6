"""Search quality on a real FAQ-matching set: Calmline's engine vs. plain BM25.

Dataset: deepset COVID-QA question-similarity evaluation set (see SOURCE.txt in
shared/data/deepset-covid-faq-similarity). The English FAQ rows are the documents
(title = question, body = answer; duplicate questions keep the first row). Each
``similar == 1`` pair is one query: ``question_2`` is a paraphrase and the relevant
document is the FAQ whose question equals ``question_1``.

Metrics, averaged over the queries: recall@1, recall@5 and MRR@10.

Run: .venv/bin/python bench/search_quality.py
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import shutil
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

SHARED = ROOT.parent / "shared" / "data"
DATASET = "deepset-covid-faq-similarity"
DATA_DIR = SHARED / DATASET
TOP_K = 10


def _read_csv(path: Path) -> list[dict]:
    with open(path, newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def _norm(text: str) -> str:
    # Seven FAQ questions carry a stray leading/trailing newline that their
    # question_1 copies in the eval file do not; compare whitespace-normalised.
    return " ".join((text or "").split())


def load_faqs(data_dir: Path = DATA_DIR) -> list[dict]:
    """English FAQ rows, first row per distinct (whitespace-normalised) question, in file order."""
    seen: set[str] = set()
    faqs = []
    for row in _read_csv(data_dir / "faq_covidbert.csv"):
        question = _norm(row["question"])
        if row.get("lang") != "en" or not question or question in seen:
            continue
        seen.add(question)
        faqs.append({"question": question, "answer": row["answer"] or "",
                     "category": row.get("category") or ""})
    return faqs


def load_queries(faqs: list[dict], data_dir: Path = DATA_DIR) -> list[tuple[str, str]]:
    """(query text, relevant doc id) for every similar pair."""
    by_question = {f["question"]: f"faq:{i}" for i, f in enumerate(faqs)}
    queries = []
    for row in _read_csv(data_dir / "eval_question_similarity_en.csv"):
        if str(row["similar"]).strip() != "1":
            continue
        relevant = by_question.get(_norm(row["question_1"]))
        if relevant is None:
            raise ValueError(f"question_1 not found among FAQ questions: {row['question_1']!r}")
        queries.append((row["question_2"], relevant))
    return queries


def score(ranked_lists: list[list[str]], queries: list[tuple[str, str]]) -> dict:
    r1 = r5 = mrr = 0.0
    for ranked, (_, relevant) in zip(ranked_lists, queries, strict=True):
        ranked = ranked[:TOP_K]
        if relevant in ranked:
            rank = ranked.index(relevant) + 1
            r1 += rank == 1
            r5 += rank <= 5
            mrr += 1.0 / rank
    n = max(1, len(queries))
    return {"recall_at_1": round(r1 / n, 4), "recall_at_5": round(r5 / n, 4), "mrr_at_10": round(mrr / n, 4)}


# ------------------------------------------------------------------ systems
def run_calmline_words_only(faqs: list[dict], queries: list[tuple[str, str]]) -> list[list[str]]:
    return run_calmline(faqs, queries, semantic=False)


def run_calmline(faqs: list[dict], queries: list[tuple[str, str]], semantic: bool = True,
                 pg_url: str | None = None) -> list[list[str]]:
    from portal.search.backend import SearchDocument
    from portal.search.whoosh_backend import WhooshBackend

    docs = [
        SearchDocument(doc_id=f"faq:{i}", type="faq", slug=f"faq-{i}", title=f["question"], url=f"/faq/{i}",
                       category=f["category"] or "", tags=(), summary="", body=f["answer"])
        for i, f in enumerate(faqs)
    ]
    tmpdir = tempfile.mkdtemp(prefix="calmline-sq-")
    if pg_url:
        from portal.search.postgres_backend import PostgresBackend

        backend = PostgresBackend(pg_url, schema="bench_search_quality", semantic=semantic)
    else:
        backend = WhooshBackend(tmpdir, semantic=semantic)
    try:
        backend.rebuild(docs)
        return [[h.doc_id for h in backend.query(q, page=1, per_page=TOP_K).hits] for q, _ in queries]
    finally:
        if pg_url:
            import sqlalchemy as sa

            with backend.engine.begin() as conn:
                conn.execute(sa.text("DROP SCHEMA IF EXISTS bench_search_quality CASCADE"))
        backend.close()
        shutil.rmtree(tmpdir, ignore_errors=True)


def run_plain_bm25(faqs: list[dict], queries: list[tuple[str, str]]) -> list[list[str]]:
    from portal.search.backend import SearchDocument

    docs = [SearchDocument(doc_id=f"faq:{i}", type="faq", slug="", title=f["question"], url="", body=f["answer"])
            for i, f in enumerate(faqs)]
    return run_plain_bm25_docs(docs, [q for q, _ in queries])


def run_plain_bm25_docs(docs, queries: list[str]) -> list[list[str]]:
    """Plain Whoosh BM25F over title and body, any word (the baseline beside every relevance number)."""
    from whoosh import index
    from whoosh.analysis import StandardAnalyzer
    from whoosh.fields import ID, TEXT, Schema
    from whoosh.qparser import OrGroup, QueryParser

    schema = Schema(id=ID(stored=True, unique=True), text=TEXT(analyzer=StandardAnalyzer()))
    tmpdir = tempfile.mkdtemp(prefix="plain-bm25-sq-")
    try:
        ix = index.create_in(tmpdir, schema)
        writer = ix.writer()
        for doc in docs:
            writer.add_document(id=doc.doc_id, text=f"{doc.title} {doc.summary} {doc.body}")
        writer.commit()
        parser = QueryParser("text", schema, group=OrGroup)
        out = []
        with ix.searcher() as searcher:  # default weighting: BM25F
            for q in queries:
                hits = searcher.search(parser.parse(q), limit=TOP_K)
                out.append([h["id"] for h in hits])
        ix.close()
        return out
    finally:
        shutil.rmtree(tmpdir, ignore_errors=True)


def run_plain_cosine(faqs: list[dict], queries: list[tuple[str, str]]) -> list[list[str]]:
    from portal.search.backend import SearchDocument

    docs = [SearchDocument(doc_id=f"faq:{i}", type="faq", slug="", title=f["question"], url="", body=f["answer"])
            for i, f in enumerate(faqs)]
    return run_plain_cosine_docs(docs, [q for q, _ in queries])


def run_plain_cosine_docs(docs, queries: list[str]) -> list[list[str]]:
    """Meaning alone, the issue's reference: MiniLM cosine to the title (with its summary) and to
    the whole body (the model reads its first 256 tokens), embedded separately; best of the two."""
    import numpy as np

    from bot.embedding import default_encoder

    encoder = default_encoder()
    heads = encoder.embed([f"{d.title}. {d.summary}".strip(" .") if d.summary else d.title for d in docs])
    bodies = encoder.embed([d.body or d.title for d in docs])
    asked = encoder.embed(queries)
    best = np.maximum(asked @ heads.T, asked @ bodies.T)
    order = np.argsort(-best, axis=1, kind="stable")[:, :TOP_K]
    return [[docs[j].doc_id for j in row] for row in order]


SYSTEMS = {"calmline": run_calmline, "calmline_words_only": run_calmline_words_only, "plain_bm25": run_plain_bm25,
           "plain_cosine": run_plain_cosine}


def evaluate(pg_url: str | None = None) -> dict:
    """Every system on the FAQ set, then our dev set; with ``pg_url`` (or BENCH_SEARCH_DATABASE_URL)
    the PostgreSQL engine too, each in a schema of its own that is dropped after."""
    pg_url = pg_url or os.environ.get("BENCH_SEARCH_DATABASE_URL")
    faqs = load_faqs()
    queries = load_queries(faqs)
    result: dict = {"dataset": DATASET, "queries": len(queries), "documents": len(faqs)}
    for name, run in SYSTEMS.items():
        result[name] = score(run(faqs, queries), queries)
    if pg_url:
        result["calmline_postgresql"] = score(run_calmline(faqs, queries, pg_url=pg_url), queries)
    from search_dev import evaluate as evaluate_dev  # our own questions, where the fusion is tuned

    dev = evaluate_dev(pg_url=pg_url)
    result.update({f"dev_{k}": v for k, v in dev.items() if isinstance(v, dict)})
    return result


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--postgresql", metavar="URL", help="also measure the PostgreSQL engine on this database")
    print(json.dumps(evaluate(parser.parse_args().postgresql), indent=2))
