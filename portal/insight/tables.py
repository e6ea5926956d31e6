"""The dashboard's tables: what the page shows, what its charts draw and what the CSV holds.

A value is formatted once, here, into the text every one of them uses: the chart reads the
table's cells and the CSV writes the same cells, so the three cannot disagree.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field

# kind: how a value is written. int counts; pct a percentage (one decimal); minutes (one
# decimal); score a frustration score 0-1 (three decimals); rating a mean of 1-5 (two decimals).
FORMATS = {"int": "{:d}", "pct": "{:.1f}", "minutes": "{:.1f}", "score": "{:.3f}", "rating": "{:.2f}"}


@dataclass(frozen=True)
class Column:
    label: str
    kind: str = "int"  # text, int, pct, minutes, score, rating
    series: bool = False  # drawn in the table's chart


@dataclass
class Table:
    key: str
    caption: str
    columns: list[Column]
    rows: list[list] = field(default_factory=list)  # the first cell of each row labels it
    chart: str | None = None  # line, bar, or None for a table without a chart
    total: bool = False  # the last row is the total of the others (listed, not drawn)
    note: str = ""

    def cells(self) -> list[list[str]]:
        return [[cell(value, column.kind) for value, column in zip(row, self.columns, strict=True)]
                for row in self.rows]


@dataclass
class Section:
    key: str
    title: str
    summary: str
    tables: list[Table]


def cell(value, kind: str) -> str:
    """The one written form of a value; an unknown or not-applicable value is empty."""
    if value is None:
        return ""
    if kind == "text":
        return str(value)
    if kind == "int":
        return FORMATS["int"].format(int(value))
    return FORMATS[kind].format(float(value))


def percent(part: int | None, whole: int | None) -> float | None:
    return None if part is None or not whole else 100.0 * part / whole


def minutes(seconds: float | None) -> float | None:
    return None if seconds is None else seconds / 60.0


def to_csv(section: Section) -> str:
    """Each table as its caption, its header and its rows, a blank line between tables."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    for i, table in enumerate(section.tables):
        if i:
            writer.writerow([])
        writer.writerow([table.caption])
        writer.writerow([c.label for c in table.columns])
        writer.writerows(table.cells())
    return out.getvalue()
