"""Search relevance on our own development set, and the tuning of search by meaning.

`bench/data/search_dev.yml`: questions written by us for our own `kb_articles/`, with the
article(s) that answer each. The fusion weight and the similarity floor in
`portal/search/semantic.py` are chosen here (``--tune``), never on the set we report
(`bench/search_quality.py`, a public FAQ set).

    .venv/bin/python bench/search_dev.py            # MRR@10: hybrid, words only, plain BM25
    .venv/bin/python bench/search_dev.py --tune     # grid over the fusion settings
    .venv/bin/python bench/search_dev.py --postgresql postgresql://postgres@127.0.0.1:5432/test
"""

from __future__ import annotations

import argparse
import itertools
import json
import shutil
import sys
import tempfile
from pathlib import Path

import frontmatter
import yaml

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

DEV = ROOT / "bench" / "data" / "search_dev.yml"
TOP_K = 10
# Words nobody would find an article for: a floor must leave these with no result.
NONSENSE = ["zzzzqqq", "wombat", "asdfgh", "xylophone lessons", "qwerty uiop", "the", "purple elephant dance"]


def our_documents():
    from portal.search.backend import SearchDocument

    docs = []
    for path in sorted((ROOT / "kb_articles").glob("*.md")):
        post = frontmatter.load(path)
        docs.append(SearchDocument(doc_id=post["slug"], type="article", slug=post["slug"], title=post["title"],
                                   url=f"/kb/{post['slug']}", category=str(post.get("category", "")),
                                   tags=tuple(post.get("tags") or ()), summary=post.get("summary") or "",
                                   body=post.content))
    return docs


def dev_queries() -> list[tuple[str, set[str]]]:
    items = yaml.safe_load(DEV.read_text(encoding="utf-8"))["items"]
    return [(i["q"], set(i["ok"])) for i in items]


def mrr(ranked: list[list[str]], golds: list[set[str]]) -> dict:
    total = first = 0.0
    for ids, gold in zip(ranked, golds, strict=True):
        for rank, doc_id in enumerate(ids[:TOP_K], start=1):
            if doc_id in gold:
                total += 1.0 / rank
                first += rank == 1
                break
    n = max(1, len(golds))
    return {"mrr_at_10": round(total / n, 4), "recall_at_1": round(first / n, 4)}


def run(backend, queries: list[str]) -> list[list[str]]:
    return [[h.doc_id for h in backend.query(q, per_page=TOP_K).hits] for q in queries]


def postgres_mrr(docs, texts: list[str], golds: list[set[str]], url: str) -> dict:
    """The same dev set on the PostgreSQL engine (its own schema, dropped after)."""
    import sqlalchemy as sa

    from portal.search.postgres_backend import PostgresBackend

    backend = PostgresBackend(url, schema="bench_search_dev")
    try:
        backend.rebuild(docs)
        row = mrr(run(backend, texts), golds)
        row["nonsense_with_results"] = sum(backend.query(q).total > 0 for q in NONSENSE)
        with backend.engine.begin() as conn:
            conn.execute(sa.text("DROP SCHEMA IF EXISTS bench_search_dev CASCADE"))
        return row
    finally:
        backend.close()


def evaluate(tune: bool = False, pg_url: str | None = None) -> dict:
    from portal.search import semantic
    from portal.search.whoosh_backend import WhooshBackend

    docs = our_documents()
    queries = dev_queries()
    texts, golds = [q for q, _ in queries], [g for _, g in queries]
    result: dict = {"dataset": "bench/data/search_dev.yml", "queries": len(queries), "documents": len(docs)}
    tmp = Path(tempfile.mkdtemp(prefix="calmline-dev-"))
    try:
        hybrid = WhooshBackend(tmp / "hybrid")
        hybrid.rebuild(docs)
        words = WhooshBackend(tmp / "words", semantic=False)
        words.rebuild(docs)
        result["hybrid"] = mrr(run(hybrid, texts), golds)
        result["hybrid"]["nonsense_with_results"] = sum(hybrid.query(q).total > 0 for q in NONSENSE)
        result["words_only"] = mrr(run(words, texts), golds)
        from search_quality import run_plain_bm25_docs, run_plain_cosine_docs

        result["plain_bm25"] = mrr(run_plain_bm25_docs(docs, texts), golds)
        result["plain_cosine"] = mrr(run_plain_cosine_docs(docs, texts), golds)
        if pg_url:
            result["postgresql_hybrid"] = postgres_mrr(docs, texts, golds, pg_url)
        if tune:
            grid = []
            default = (semantic.LEXICAL_WEIGHT, semantic.SIMILARITY_FLOOR)
            for weight, floor in itertools.product((0.0, 0.1, 0.2, 0.3, 0.5, 0.8), (0.35, 0.4, 0.45, 0.5, 0.55)):
                semantic.LEXICAL_WEIGHT = weight
                import portal.search.whoosh_backend as wb

                wb.SIMILARITY_FLOOR = floor
                row = mrr(run(hybrid, texts), golds)
                row["nonsense_with_results"] = sum(hybrid.query(q).total > 0 for q in NONSENSE)
                grid.append({"lexical_weight": weight, "floor": floor, **row})
            semantic.LEXICAL_WEIGHT, wb.SIMILARITY_FLOOR = default
            result["grid"] = grid
        hybrid.close()
        words.close()
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--tune", action="store_true")
    parser.add_argument("--postgresql", metavar="URL", help="also measure the PostgreSQL engine on this database")
    args = parser.parse_args()
    result = evaluate(tune=args.tune, pg_url=args.postgresql)
    grid = result.pop("grid", [])
    print(json.dumps(result, indent=2))
    for row in sorted(grid, key=lambda r: (r["nonsense_with_results"], -r["mrr_at_10"]))[:12]:
        print(row)


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    main()
