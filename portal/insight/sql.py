"""SQL the figures share, spelled once for SQLite and PostgreSQL: seconds between two
timestamps, a timestamp's day, and percentiles (PostgreSQL's ``percentile_cont``: linear
interpolation between the two values around rank ``p * (n - 1)``).
"""

from __future__ import annotations

from datetime import date

import sqlalchemy as sa
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.expression import FunctionElement

from portal.extensions import db


class seconds_between(FunctionElement):  # noqa: N801  (used like a SQL function)
    """``later - earlier`` in seconds, as a float (NULL if either is NULL)."""

    type = sa.Float()
    inherit_cache = True
    name = "seconds_between"


@compiles(seconds_between)
def _seconds_between_postgresql(element, compiler, **kw) -> str:
    later, earlier = (compiler.process(c, **kw) for c in element.clauses)
    return f"EXTRACT(EPOCH FROM ({later} - {earlier}))"


@compiles(seconds_between, "sqlite")
def _seconds_between_sqlite(element, compiler, **kw) -> str:
    later, earlier = (compiler.process(c, **kw) for c in element.clauses)
    return f"((julianday({later}) - julianday({earlier})) * 86400.0)"


def day_of(column) -> sa.ColumnElement:
    """The UTC day of a timestamp column (SQLite answers text, PostgreSQL a date: see as_day)."""
    return sa.func.date(column)


def as_day(value) -> date:
    return value if isinstance(value, date) else date.fromisoformat(str(value)[:10])


def percentiles(measures: sa.Select, ps: tuple[float, ...]) -> dict[str, dict]:
    """Percentiles of each column of ``measures`` (NULLs left out): {column: {"n": n, p: value}};
    with no values, n is 0 and every percentile None.

    PostgreSQL's own ``percentile_cont`` sorts each column once in one pass, three times faster
    than the window functions, so it is used there; every other database takes the portable
    path, which gives the same answer (tests run both on PostgreSQL)."""
    if db.engine.dialect.name == "postgresql":
        return _percentile_cont(measures, ps)
    return percentiles_by_rank(measures, ps)


def _percentile_cont(measures: sa.Select, ps: tuple[float, ...]) -> dict[str, dict]:
    sub = measures.subquery()
    columns = [sa.func.count(c) for c in sub.c]
    for p in ps:
        columns += [sa.func.percentile_cont(p).within_group(sa.cast(c, sa.Float)) for c in sub.c]
    row = db.session.execute(sa.select(*columns)).one()
    width = len(sub.c)
    return {c.name: {"n": row[i], **{p: None if row[i] == 0 else float(row[width * (j + 1) + i])
                                      for j, p in enumerate(ps)}}
            for i, c in enumerate(sub.c)}


def percentiles_by_rank(measures: sa.Select, ps: tuple[float, ...]) -> dict[str, dict]:
    """The portable path: each column's values ranked by window functions (row_number and count
    over the sorted values); only the two rows around each rank p * (n - 1) leave the database,
    and the answer is interpolated between them, as percentile_cont does."""
    sub = measures.subquery()
    names = [c.name for c in sub.c]
    values = sa.union_all(*(sa.select(sa.cast(c, sa.Float).label("v"), sa.literal(i).label("k"))
                            for i, c in enumerate(sub.c)))
    each = values.subquery()
    ranked = sa.select(
        each.c.k, each.c.v,
        (sa.func.row_number().over(partition_by=each.c.k, order_by=each.c.v) - 1).label("i"),
        sa.func.count().over(partition_by=each.c.k).label("n"),
    ).where(each.c.v.isnot(None)).subquery()
    wanted = []
    for p in ps:
        low = (_percent(p) * (ranked.c.n - 1)) // 100  # whole numbers: integer division in both
        wanted += [ranked.c.i == low, ranked.c.i == low + 1]
    rows = db.session.execute(sa.select(ranked.c.k, ranked.c.i, ranked.c.n, ranked.c.v)
                              .where(sa.or_(*wanted))).all()
    found: dict = {}
    for k, i, n, v in rows:
        found.setdefault(k, {"n": n, "at": {}})["at"][i] = float(v)
    return {name: _interpolate(found[i]["n"], found[i]["at"], ps) if i in found else {"n": 0, **dict.fromkeys(ps)}
            for i, name in enumerate(names)}


def _percent(p: float) -> int:
    percent = round(p * 100)
    if not 0 <= percent <= 100 or abs(percent - p * 100) > 1e-9:
        raise ValueError("percentiles are whole percents from 0 to 1")
    return percent


def _interpolate(n: int, at: dict[int, float], ps: tuple[float, ...]) -> dict:
    out: dict = {"n": n}
    for p in ps:
        low, rest = divmod(_percent(p) * (n - 1), 100)
        high = min(low + 1, n - 1)
        out[p] = at[low] + rest / 100 * (at[high] - at[low])
    return out
