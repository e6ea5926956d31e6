"""The forum's numbers for the supervisor's dashboard, registered in app.extensions so the
portal reads them without importing the forum: threads started per day, and the suggestions
people opened while writing a thread title (forum.deflections).

A thread's team is its category's, as bridges route them to support (TEAM_CATEGORY; other
categories go to general). Suggestions are opened before there is a thread or a category,
so they are not recorded by team: with a team chosen they are left out, not guessed.
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa

from forum.bridges import TEAM_CATEGORY
from forum.deflections import DEFLECTION_WINDOW
from forum.models import ForumCategory, ForumDeflection, Thread
from portal.extensions import db


def _count_if(condition):
    return sa.func.coalesce(sa.func.sum(sa.case((condition, 1), else_=0)), 0)


def _team_categories(team: str):
    """Categories whose threads go to ``team``: the mapped ones, or every other one for general."""
    mapped = [slug for slug, routed in TEAM_CATEGORY.items() if routed == team]
    if team == "general":
        others = [slug for slug in TEAM_CATEGORY if TEAM_CATEGORY[slug] != "general"]
        return sa.or_(ForumCategory.slug.in_(mapped), ForumCategory.slug.not_in(others))
    return ForumCategory.slug.in_(mapped)


def forum_figures(*, start_at: datetime, end_before: datetime, team: str | None, now: datetime) -> dict:
    day = sa.func.date(Thread.created_at)
    threads = sa.select(day, sa.func.count()).where(Thread.created_at >= start_at, Thread.created_at < end_before)
    if team is not None:
        threads = threads.join(ForumCategory, ForumCategory.id == Thread.category_id).where(_team_categories(team))
    by_day = dict(db.session.execute(threads.group_by(day)).all())
    if team is not None:
        return {"threads_by_day": by_day, "suggestions": None,
                "note": "Suggestions are opened before a thread has a category, so they are not counted by team."}
    D = ForumDeflection
    decided_before = now - DEFLECTION_WINDOW
    row = db.session.execute(sa.select(
        _count_if(D.doc_type == "article"), _count_if(D.doc_type == "thread"),
        _count_if(sa.and_(D.posted_after.is_(False), D.opened_at < decided_before)),
        _count_if(D.posted_after.is_(True)),
        _count_if(sa.and_(D.posted_after.is_(False), D.opened_at >= decided_before)),
    ).where(D.opened_at >= start_at, D.opened_at < end_before)).one()
    keys = ("articles_opened", "threads_opened", "deflected", "posted_after", "pending")
    return {"threads_by_day": by_day, "suggestions": dict(zip(keys, row, strict=True))}
