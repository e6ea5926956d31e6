"""Order numbers as customers write them, in pure Python (the action server and the portal share it).

Our own numbers are ``BN-`` and seven digits; customers also quote the number from an older
confirmation or a marketplace order ("order 48213", "order #48213", "#48213", "order no. 48213",
"order number: 48213"). A bare run of digits is an order number only with one of those cues, so
phone numbers, prices, years and postcodes are left alone.

One canonical form, everywhere (slot, briefing, agent replies): ``BN-1234567`` for our numbers
(whatever the case or hyphen), the digits alone for the rest (``48213``).
"""

from __future__ import annotations

import re

# Digits that are not glued to more digits, a decimal part or a phone-style group ("07700 900123").
_END = r"(?![\d]|[.,]\d|[-\s]\d)"
BN_PATTERN = re.compile(r"(?<![A-Za-z0-9])BN[-\s]?(\d{7})" + _END, re.I)
CUED_PATTERN = re.compile(
    r"\border\s*(?:(?:no|nr|num|number|id|ref|reference)\b\.?\s*)?(?:is\s+)?[:#]?\s*#?\s*(\d{5,10})" + _END, re.I)
HASH_PATTERN = re.compile(r"(?<![\w&£$€])#\s?(\d{5,10})" + _END)


def find_order_numbers(text: str) -> list[str]:
    """Every order number in the text, canonical, in the order written, without repeats."""
    found: list[tuple[int, str]] = []
    for match in BN_PATTERN.finditer(text or ""):
        found.append((match.start(), f"BN-{match.group(1)}"))
    for pattern in (CUED_PATTERN, HASH_PATTERN):
        for match in pattern.finditer(text or ""):
            found.append((match.start(1), match.group(1)))
    out: list[str] = []
    for _, number in sorted(found):
        if number not in out:
            out.append(number)
    return out


def find_order_number(text: str) -> str | None:
    """The first order number in the text (canonical), or None."""
    numbers = find_order_numbers(text)
    return numbers[0] if numbers else None


def normalise_order_number(value: object, text: str | None = None) -> str | None:
    """An extracted entity value ("bn1234567", "#48213", "order no. 48213") in canonical form, or
    None when it is not an order number.

    A bare run of digits (the entity span often leaves the cue word outside) counts only when
    the message it came from (`text`) quotes it as an order number, so a tagged phone number,
    price, year or postcode is dropped rather than filed as an order.
    """
    if not isinstance(value, str):
        return None
    raw = value.strip()
    found = find_order_number(raw)
    if found:
        return found
    digits = raw.lstrip("#").strip()
    if re.fullmatch(r"\d{5,10}", digits) and (text is None or digits in find_order_numbers(text)):
        return digits
    return None
