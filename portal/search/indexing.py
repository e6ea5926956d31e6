"""Keep the search index in step with the database, on commit.

After a flush, the ids of changed searchable rows are noted on the session; after
the commit they are re-read in a fresh session *inside* the engine's write lock
(see WhooshBackend.apply), so whichever process writes last writes the newest
committed state. A rollback forgets the notes.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass

import sqlalchemy as sa
from flask import current_app, has_app_context
from sqlalchemy import event
from sqlalchemy.orm import Session

from portal.search.backend import SearchDocument

log = logging.getLogger(__name__)
_PENDING = "search_pending"


@dataclass(frozen=True)
class Searchable:
    type: str
    model: type
    to_document: Callable[[object], SearchDocument]


_registry: dict[str, Searchable] = {}
_category_names: dict[str, str] = {}
_listening = False


def register_searchable(type_: str, model: type, to_document: Callable[[object], SearchDocument],
                        category_names: dict[str, str] | None = None) -> None:
    """A capability's documents join the search; ``category_names`` label its category facets."""
    _registry[type_] = Searchable(type_, model, to_document)
    _category_names.update(category_names or {})


def category_names() -> dict[str, str]:
    return dict(_category_names)


def registered_types() -> tuple[str, ...]:
    return tuple(_registry)


def doc_id(type_: str, pk: int) -> str:
    return f"{type_}:{pk}"


def _note_changes(session: Session, flush_context) -> None:
    pending = session.info.setdefault(_PENDING, set())
    for obj in (*session.new, *session.dirty, *session.deleted):
        type_ = getattr(obj, "__searchable__", None)
        if type_ in _registry and obj.id is not None:
            pending.add((type_, obj.id))
        # A row whose text belongs to another row's document (a forum post in its thread)
        # declares __search_owner__ = (type, attribute holding the owner's id).
        owner = getattr(obj, "__search_owner__", None)
        if owner is not None and owner[0] in _registry:
            owner_id = getattr(obj, owner[1], None)
            if owner_id is not None:
                pending.add((owner[0], owner_id))


def _after_commit(session: Session) -> None:
    if session.in_nested_transaction():  # a SAVEPOINT was released: the real commit is still to come
        return
    pending = session.info.pop(_PENDING, None)
    if not pending or not has_app_context():
        return
    try:
        reindex(pending)
    except Exception:  # the data is committed; `flask search reindex` repairs the index
        log.exception("search index update failed for %d documents", len(pending))


def _forget(session: Session, *args) -> None:
    if session.in_nested_transaction():  # only a SAVEPOINT was undone; what the outer transaction changed stands
        return
    session.info.pop(_PENDING, None)


def listen() -> None:
    global _listening
    if _listening:
        return
    event.listen(Session, "after_flush", _note_changes)
    event.listen(Session, "after_commit", _after_commit)
    event.listen(Session, "after_rollback", _forget)
    _listening = True


def _load(session: Session, pending: set[tuple[str, int]]):
    docs, removed = [], []
    by_type: dict[str, set[int]] = {}
    for type_, pk in pending:
        by_type.setdefault(type_, set()).add(pk)
    for type_, pks in by_type.items():
        spec = _registry[type_]
        found = {obj.id: obj for obj in session.scalars(sa.select(spec.model).where(spec.model.id.in_(pks)))}
        for pk in pks:
            obj = found.get(pk)
            if obj is not None and obj.is_searchable():
                docs.append(spec.to_document(obj))
            else:
                removed.append(doc_id(type_, pk))
    return docs, removed


def reindex(pending: set[tuple[str, int]]) -> None:
    from portal.extensions import db

    engine = db.engine
    backend = current_app.extensions["search"]

    def produce():
        with Session(engine) as session:
            return _load(session, pending)

    backend.apply(produce)


def all_documents(session: Session):
    """Every searchable row, for a full rebuild."""
    for spec in _registry.values():
        for obj in session.scalars(sa.select(spec.model).execution_options(yield_per=500)):
            if obj.is_searchable():
                yield spec.to_document(obj)


def count_documents(session: Session) -> int:
    return sum(session.scalar(sa.select(sa.func.count()).select_from(spec.model)) for spec in _registry.values())
