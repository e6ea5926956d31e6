"""The search interface: what the portal needs from any engine.

Whoosh implements it for one box (whoosh_backend), PostgreSQL for several (postgres_backend).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Protocol


@dataclass(frozen=True)
class SearchDocument:
    doc_id: str  # "<type>:<primary key>", stable across edits
    type: str
    slug: str
    title: str
    url: str
    category: str = ""
    tags: tuple[str, ...] = ()
    summary: str = ""
    body: str = ""
    answered: bool = False  # a community thread with an accepted answer


@dataclass(frozen=True)
class SearchHit:
    doc_id: str
    type: str
    slug: str
    title: str
    url: str
    category: str
    snippet: str  # safe HTML: escaped text with <mark> around matches
    score: float
    answered: bool = False


@dataclass
class SearchResults:
    query: str
    total: int
    hits: list[SearchHit]
    page: int
    per_page: int
    suggestion: str | None = None  # "did you mean"
    corrected: bool = False  # hits are for the suggestion, the query found nothing
    facets: dict[str, int] = field(default_factory=dict)  # category -> count
    type_facets: dict[str, int] = field(default_factory=dict)  # type (article, thread) -> count

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))


class SearchBackend(Protocol):
    def apply(self, produce: Callable[[], tuple[Iterable[SearchDocument], Iterable[str]]]) -> None:
        """Call ``produce`` under the engine's write lock; write the documents, remove the ids it returns."""

    def index(self, docs: Iterable[SearchDocument]) -> None: ...

    def remove(self, doc_ids: Iterable[str]) -> None: ...

    def query(self, text: str, *, page: int = 1, per_page: int = 10, doc_type: str | None = None,
              category: str | None = None, answered: bool = False) -> SearchResults: ...

    def suggest(self, prefix: str, limit: int = 8) -> list[SearchHit]: ...

    def rebuild(self, docs: Iterable[SearchDocument], progress: Callable[[int], None] | None = None,
                reread: Callable[[], Iterable[SearchDocument]] | None = None) -> int:
        """Replace the index with ``docs``. Edits and removals written through ``apply`` while the
        rebuild runs are kept: an engine that cannot tell them apart reads ``reread()`` (the source
        of truth, fresh) under its write lock and writes that instead."""
        ...

    def status(self) -> dict: ...


class WritesThroughApply:
    """``index`` and ``remove`` for an engine whose one write path is ``apply``."""

    def apply(self, produce: Callable[[], tuple[Iterable[SearchDocument], Iterable[str]]]) -> None:
        raise NotImplementedError

    def index(self, docs: Iterable[SearchDocument]) -> None:
        docs = list(docs)
        self.apply(lambda: (docs, ()))

    def remove(self, doc_ids: Iterable[str]) -> None:
        doc_ids = list(doc_ids)
        self.apply(lambda: ((), doc_ids))
