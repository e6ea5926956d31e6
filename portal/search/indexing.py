"""Keep the search index in step with the database, on commit.

After a flush, the ids of changed searchable rows are noted on the session; after
the commit they are re-read in a fresh session *inside* the engine's write lock
(see WhooshBackend.apply), so whichever process writes last writes the newest
committed state. A rollback forgets the notes.

Only changes that can reach a document are noted: a model lists in ``__search_ignored__``
the attributes its document never reads (a thread's ``last_post_at``), and a document made
of other rows (a thread of its posts) can say which of them it holds (``part_changes``):
a reply far down a long thread then writes nothing to the index.
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
    # For a row declaring __search_owner__ = (this type, ...): can its change alter the owner's document?
    part_changes: Callable[[Session, object], bool] | None = None


_registry: dict[str, Searchable] = {}
_category_names: dict[str, str] = {}
_listening = False


def register_searchable(type_: str, model: type, to_document: Callable[[object], SearchDocument],
                        category_names: dict[str, str] | None = None,
                        part_changes: Callable[[Session, object], bool] | None = None) -> None:
    """A capability's documents join the search; ``category_names`` label its category facets;
    ``part_changes(session, row)``, asked after a flush, tells whether a changed row owned by a
    document (see _note_changes) can alter it (when it has no answer, every change does)."""
    _registry[type_] = Searchable(type_, model, to_document, part_changes)
    _category_names.update(category_names or {})


def category_names() -> dict[str, str]:
    return dict(_category_names)


def registered_types() -> tuple[str, ...]:
    return tuple(_registry)


def doc_id(type_: str, pk: int) -> str:
    return f"{type_}:{pk}"


def _note_changes(session: Session, flush_context) -> None:
    pending = session.info.setdefault(_PENDING, set())
    dirty = session.dirty
    for obj in (*session.new, *dirty, *session.deleted):
        type_ = getattr(obj, "__searchable__", None)
        if type_ in _registry and obj.id is not None and not (obj in dirty and _only_ignored_changed(obj)):
            pending.add((type_, obj.id))
        # A row whose text belongs to another row's document (a forum post in its thread)
        # declares __search_owner__ = (type, attribute holding the owner's id).
        owner = getattr(obj, "__search_owner__", None)
        if owner is not None and owner[0] in _registry:
            pending.update(_owners_changed(session, obj, *owner))


def _only_ignored_changed(obj) -> bool:
    """Whether the flush changed nothing of ``obj`` but attributes its document never reads."""
    ignored = getattr(obj, "__search_ignored__", ())
    # In after_flush the attributes still hold the flushed change as their history.
    return bool(ignored) and not any(attr.history.has_changes() for attr in sa.inspect(obj).attrs
                                     if attr.key not in ignored)


def _owners_changed(session: Session, obj, type_: str, attribute: str) -> set[tuple[str, int]]:
    """The documents a changed owned row alters: the one it left (when it moved) and the one it is in."""
    moved_from = {(type_, pk) for pk in sa.inspect(obj).attrs[attribute].history.deleted if pk is not None}
    owner_id = getattr(obj, attribute, None)
    if owner_id is None:
        return moved_from
    part_changes = _registry[type_].part_changes
    if moved_from or part_changes is None or part_changes(session, obj):
        moved_from.add((type_, owner_id))
    return moved_from


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
