"""The Whoosh index's fields: what is analysed how, and what each document writes into them."""

from __future__ import annotations

import numpy as np
from whoosh.analysis import LowercaseFilter, RegexTokenizer, ShingleFilter, StemmingAnalyzer, StopFilter
from whoosh.fields import ID, NGRAMWORDS, STORED, TEXT, Schema

from portal.search.backend import SearchDocument
from portal.search.ranking import SEARCH_STOP_WORDS
from portal.search.semantic import pack

# Title words also count on their own; adjacent query words found adjacent in a
# document (word pairs, indexed as shingles) rank a phrase match above scattered words.
TITLE_BOOST = 3.0
PAIR_BOOST = 2.0
PAIR_SEP = "\u2063"


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
        # The document's sentence embeddings (float16), for search by meaning.
        vectors=STORED(),
    )


def whoosh_fields(doc: SearchDocument, vectors: np.ndarray | bytes | None = None) -> dict:
    tags = " ".join(doc.tags)
    return {
        "vectors": pack(vectors) if isinstance(vectors, np.ndarray) else (vectors or b""),
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
