"""Numbers and JSON from a request, checked once before any view or query sees them.

A number from outside reaches the database only inside the range of its integer columns:
past it SQLite raises OverflowError (2**63) and PostgreSQL refuses an integer (2**31), and
either was a 500. So:

- an id in a URL goes through the app's ``int`` converter, which stops at MAX_ID: a larger
  id matches no route, a 404 like any id that names nothing;
- a number in a query string, a header or a JSON body goes through ``query_int``,
  ``page_number`` or ``is_id``: out of range is a 400 that says the range (or, for an id,
  the caller's own "no such ..." answer);
- a JSON body is refused (400) when nested deeper than MAX_JSON_DEPTH, counted on the raw
  bytes before the parser, which recurses, ever sees it (MAX_CONTENT_LENGTH caps its size).
"""

from __future__ import annotations

import re

from flask import Request, request
from werkzeug.routing import IntegerConverter

from portal.errors import DomainError

MAX_ID = 2**31 - 1  # PostgreSQL's INTEGER: every id column; nothing larger is a row of ours
MAX_PAGE = 100_000  # page numbers past it are no page of any list we show
MAX_JSON_DEPTH = 32  # the deepest body the portal takes (the bot's tracker events need about 6)
_MAX_DIGITS = len(str(MAX_ID))


class BadInput(DomainError):
    status = 400


# ---- integers ---------------------------------------------------------------------------------

class IdConverter(IntegerConverter):
    """The ``int`` URL converter, bounded: ``<int:post_id>`` takes 0 to MAX_ID (or the ``max`` given)."""

    def __init__(self, map, fixed_digits: int = 0, min: int | None = None, max: int | None = MAX_ID,
                 signed: bool = False) -> None:
        super().__init__(map, fixed_digits=fixed_digits, min=min, max=MAX_ID if max is None else max, signed=signed)


def _whole_number(raw: str) -> int | None:
    """The number a plain decimal string spells, or None; never parses thousands of digits."""
    raw = raw.strip()
    digits = raw.removeprefix("-")
    if not digits.isascii() or not digits.isdigit() or len(digits) > _MAX_DIGITS:
        return None
    return int(raw)


def parse_int(raw: str | None, name: str, default: int, low: int, high: int) -> int:
    """``raw`` as a whole number from ``low`` to ``high``; ``default`` when missing or empty."""
    if raw is None or not raw.strip():
        return default
    value = _whole_number(raw)
    if value is None or not low <= value <= high:
        raise BadInput(f"'{name}' must be a whole number from {low} to {high}.")
    return value


def query_int(name: str, default: int, low: int, high: int) -> int:
    return parse_int(request.args.get(name), name, default, low, high)


def page_number(name: str = "page", high: int = MAX_PAGE) -> int:
    """A list's page from the query string. What is not a page number ("abc", "-1") reads as
    page 1, as it always has (links get mangled); only a number past ``high`` is refused."""
    raw = (request.args.get(name) or "").strip()
    if not raw.isascii() or not raw.isdigit():
        return 1
    if len(raw) > len(str(high)) or int(raw) > high:
        raise BadInput(f"'{name}' must be a page number from 1 to {high}.")
    return max(1, int(raw))


def is_id(value) -> bool:
    """Whether a value from a JSON body or a form can be a row's id (an int, not a bool, in range)."""
    return isinstance(value, int) and not isinstance(value, bool) and 0 < value <= MAX_ID


# ---- links --------------------------------------------------------------------------------------

# A path on this site: "/" and then neither "/" nor a backslash (browsers read "//host" and
# "/\host" as another site), and no backslash, whitespace or control character anywhere
# (browsers turn a backslash into "/" and drop tabs and newlines, which could make "//" again).
# portal/static/js/chat.js checks the bot's links the same way.
_LOCAL_PATH = re.compile(r"/(?![/\\])[^\\\s\x00-\x1f\x7f]*")


def is_local_path(url) -> bool:
    """Whether a link or redirect target from outside (the bot, a ?next=) stays on this site."""
    return isinstance(url, str) and _LOCAL_PATH.fullmatch(url) is not None


# ---- JSON -------------------------------------------------------------------------------------

_STRINGS = re.compile(rb'"(?:[^"\\]+|\\.)*"?', re.DOTALL)  # brackets inside strings do not nest
_NOT_BRACKETS = bytes(b for b in range(256) if b not in b"[]{}")
_OPENING = frozenset(b"[{")


def json_depth(body: bytes, stop_past: int = MAX_JSON_DEPTH) -> int:
    """How deep the brackets of a JSON text nest, counted without parsing it; the count stops
    at ``stop_past + 1``. Linear: strings are dropped by one regex, then the brackets are walked."""
    depth = deepest = 0
    for byte in _STRINGS.sub(b"", body).translate(None, _NOT_BRACKETS):
        depth += 1 if byte in _OPENING else -1
        if depth > deepest:
            deepest = depth
            if deepest > stop_past:
                break
    return deepest


class GuardedRequest(Request):
    """The app's request class: a JSON body is checked for depth before it is parsed."""

    def get_json(self, force: bool = False, silent: bool = False, cache: bool = True):
        if (force or self.is_json) and not getattr(self, "_json_depth_checked", False):
            if json_depth(self.get_data(cache=True)) > MAX_JSON_DEPTH:
                raise BadInput(f"The JSON body is nested more than {MAX_JSON_DEPTH} levels deep.")
            self._json_depth_checked = True
        return super().get_json(force=force, silent=silent, cache=cache)


def init_app(app) -> None:
    """Before any blueprint: a rule takes its converter when it is added."""
    app.url_map.converters["int"] = IdConverter
    app.request_class = GuardedRequest
