"""SQL the figures share, spelled once for SQLite and PostgreSQL: seconds between two
timestamps, a timestamp's day, and percentiles.

Percentiles use window functions both databases have (row_number and count over the
sorted values), so there is one code path, and the answer is PostgreSQL's
``percentile_cont``: linear interpolation between the two ranks around ``p * (n - 1)``.
Only the two rows around each rank leave the database.
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


def percentiles(values: sa.Select, ps: tuple[float, ...], group: bool = False) -> dict:
    """Percentiles of the first column of ``values`` (NULLs left out), per group when ``group``
    is set: then the select's second column names the group, and the answer is
    {group: {"n": n, p: value}}; otherwise {"n": n, p: value}. Empty: n 0 and None."""
    sub = values.subquery()
    value, key = sub.c[0], (sub.c[1] if group else sa.literal(""))
    partition = {"partition_by": key} if group else {}
    ranked = sa.select(
        key.label("k"), value.label("v"),
        (sa.func.row_number().over(order_by=value, **partition) - 1).label("i"),
        sa.func.count().over(**partition).label("n"),
    ).where(value.isnot(None)).subquery()
    wanted = []
    for p in ps:
        low = (_percent(p) * (ranked.c.n - 1)) // 100  # whole numbers: integer division in both
        wanted += [ranked.c.i == low, ranked.c.i == low + 1]
    rows = db.session.execute(sa.select(ranked.c.k, ranked.c.i, ranked.c.n, ranked.c.v)
                              .where(sa.or_(*wanted))).all()
    found: dict = {}
    for k, i, n, v in rows:
        found.setdefault(k, {"n": n, "at": {}})["at"][i] = float(v)
    answer = {k: _interpolate(g["n"], g["at"], ps) for k, g in found.items()}
    return answer if group else answer.get("", {"n": 0, **{p: None for p in ps}})


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
