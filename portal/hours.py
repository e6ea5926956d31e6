"""Opening hours, from BUSINESS_HOURS alone: when a person answers live, and the words that
say so (the "nobody is there" notice and the help articles' ``{{ business_hours }}``).

A spec is one or more "Days HH:MM-HH:MM" parts separated by commas or semicolons, such as
"Mon-Fri 08:00-20:00, Sat 09:00-17:00", or "always"."""

from __future__ import annotations

import re
from datetime import datetime

from flask import current_app

DAYS = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
DAY_NAMES = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]
ALWAYS = ("always", "24/7")
CLOCK = re.compile(r"([0-9]{1,2}):([0-9]{2})")

Opening = tuple[set[int], int, int]  # (weekdays, Mon=0; opens and closes in minutes after midnight)


def _minutes(hm: str) -> int:
    """"8:00" or "08:00": ASCII digits only (int() would also take "1_0", "+8" or "٨")."""
    clock = CLOCK.fullmatch(hm)
    if clock is None or int(clock[2]) >= 60 or int(clock[1]) * 60 + int(clock[2]) > 24 * 60:
        raise ValueError(hm)
    return int(clock[1]) * 60 + int(clock[2])


def _day(name: str) -> int:
    """"mon" or "monday" exactly: "Mon–Fri" (an en dash) is no day, not Monday."""
    for number, (short, full) in enumerate(zip(DAYS, DAY_NAMES, strict=True)):
        if name in (short, full.lower()):
            return number
    raise ValueError(name)


def _part(part: str) -> tuple[int, int, int, int]:
    days, hours = part.split()
    first, _, last = days.partition("-")
    start_day, end_day = _day(first), _day(last or first)
    opens, _, closes = hours.partition("-")
    opens_at, closes_at = _minutes(opens), _minutes(closes)
    if opens_at >= closes_at:
        raise ValueError(part)
    return start_day, end_day, opens_at, closes_at


def parse_business_hours(spec: str) -> list[Opening]:
    """"Mon-Fri 08:00-20:00, Sat 09:00-17:00" -> [({0..4}, 480, 1200), ({5}, 540, 1020)]."""
    spec = spec.strip().lower()
    if spec in ALWAYS:
        return [(set(range(7)), 0, 24 * 60)]
    try:
        openings = []
        for part in filter(None, (p.strip() for p in spec.replace(";", ",").split(","))):
            start_day, end_day, opens, closes = _part(part)
            days = {d % 7 for d in range(start_day, start_day + ((end_day - start_day) % 7) + 1)}
            openings.append((days, opens, closes))
        if not openings:
            raise ValueError(spec)
        return openings
    except (ValueError, IndexError) as exc:
        raise ValueError("BUSINESS_HOURS must look like 'Mon-Fri 08:00-20:00, Sat 09:00-17:00' or 'always', "
                         f"not {spec!r}") from exc


def is_open(spec: str, local: datetime) -> bool:
    """Whether ``local`` (a time in the business's own zone) falls in the opening hours."""
    minute = local.hour * 60 + local.minute
    return any(local.weekday() in days and opens <= minute < closes
               for days, opens, closes in parse_business_hours(spec))


def _clock(minutes: int) -> str:
    return f"{minutes // 60}:{minutes % 60:02d}"


def _day_span(days: set[int]) -> str:
    ordered = sorted(days)
    if len(ordered) == 1:
        return DAY_NAMES[ordered[0]]
    if ordered == list(range(ordered[0], ordered[-1] + 1)):
        return f"{DAY_NAMES[ordered[0]]} to {DAY_NAMES[ordered[-1]]}"
    return ", ".join(DAY_NAMES[d] for d in ordered[:-1]) + f" and {DAY_NAMES[ordered[-1]]}"


def describe_business_hours(spec: str) -> str:
    """The hours as a customer reads them: "Monday to Friday 8:00–20:00 and Saturday 9:00–17:00"."""
    if spec.strip().lower() in ALWAYS:
        return "every day, around the clock"
    parts = [f"{_day_span(days)} {_clock(opens)}\u2013{_clock(closes)}"
             for days, opens, closes in parse_business_hours(spec)]
    return parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]


def business_hours_text() -> str:
    """The configured hours in words, the same wherever a customer reads them."""
    return describe_business_hours(current_app.config["BUSINESS_HOURS"])
