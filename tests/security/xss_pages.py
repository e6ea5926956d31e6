"""Storing the XSS corpus and reading back every page that shows it.

Each payload gets a marker (``xss007m``) so a page can be asked whether the payload arrived.
Long text fields take the corpus in chunks (one payload a line, under the field's limit);
short ones take one payload each. ``Pages`` sends the stores and renders the pages, noting
what each page must show; ``problems`` then says what could run on any of them: anything
``html_safety`` flags, anything the same page does not have when it shows harmless text,
a payload that did not arrive whole, and JSON that is not served as JSON.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from tests.security.html_safety import compare_with_control, inspect_page, normalise
from tests.security.xss_corpus import HARMLESS, PAYLOADS


def marker(index: int) -> str:
    return f"xss{index:03d}m"


MARKED = [f"{marker(i)} {payload}" for i, (_, payload) in enumerate(PAYLOADS)]


def chunks(limit: int, texts: list[str] = MARKED) -> list[str]:
    """The texts joined a line each, in pieces of at most ``limit`` characters."""
    pieces, current = [], ""
    for text in texts:
        if current and len(current) + 1 + len(text) > limit:
            pieces.append(current)
            current = ""
        current = f"{current}\n{text}" if current else text
    return [*pieces, current] if current else pieces


def markers_in(text: str) -> list[str]:
    return [m for m in (marker(i) for i in range(len(PAYLOADS))) if m in text]


@dataclass
class Pages:
    """What one run stored and rendered: pages and JSON answers by name, with what each must show."""

    harmless: bool = False  # the control run: the same journey with HARMLESS text
    html: dict[str, str] = field(default_factory=dict)
    json: dict[str, object] = field(default_factory=dict)
    shows: dict[str, list[str]] = field(default_factory=dict)  # page -> texts it must show whole
    marks: dict[str, list[str]] = field(default_factory=dict)  # page -> markers it must show
    some: set[str] = field(default_factory=set)  # pages that must show at least one payload
    problems: list[str] = field(default_factory=list)

    def text(self, index: int = 0) -> str:
        return HARMLESS if self.harmless else MARKED[index]

    def expect(self, ok: bool, where: str, what: str) -> None:
        if not ok:
            self.problems.append(f"{where}: {what}")

    def send(self, caller, method: str, path: str, name: str, wanted=(200,), shows=(), marks=(), some=False,
             **kwargs):
        """A request as ``caller`` (with its session's token); an HTML or JSON answer is kept as ``name``."""
        headers = {"X-CSRFToken": caller.token, **kwargs.pop("headers", {})}
        response = caller.client.open(path, method=method, headers=headers, **kwargs)
        self.expect(response.status_code in wanted, name, f"{method} {path} answered {response.status_code}")
        if response.is_json:
            self.json[name] = response.get_json()
            self.expect(response.headers.get("X-Content-Type-Options") == "nosniff", name, "JSON without nosniff")
        elif response.mimetype == "text/html" and response.status_code != 302 and response.status_code != 303:
            self.html[name] = response.get_data(as_text=True)
        if not self.harmless:
            self.shows.setdefault(name, []).extend(shows)
            self.marks.setdefault(name, []).extend(marks)
            if some:
                self.some.add(name)
        return response


def problems(run: Pages, control: Pages) -> list[str]:
    """Everything on ``run``'s pages that could run, load or navigate, or that lost a payload."""
    found = list(run.problems)
    for name, html in run.html.items():
        page = inspect_page(html)
        found += [f"{name}: {p}" for p in page.problems]
        like = control.html.get(name) or _like(control.html, name)
        if like is not None:
            found += [f"{name}: {p}" for p in compare_with_control(page, inspect_page(like))]
        shown = normalise(" ".join(page.text_of("body") + page.text_of("title")))
        if name in run.some and not markers_in(shown):
            found.append(f"{name}: shows none of the payloads")
        found += [f"{name}: does not show {t[:60]!r} as typed" for t in run.shows.get(name, [])
                  if normalise(t) not in shown]
        found += [f"{name}: lost {m}" for m in run.marks.get(name, []) if m not in shown]
    for name, data in run.json.items():
        strings = " ".join(_strings(data))
        found += [f"{name}: does not carry {t[:60]!r} as typed" for t in run.shows.get(name, [])
                  if normalise(t) not in normalise(strings)]
        found += [f"{name}: lost {m}" for m in run.marks.get(name, []) if m not in strings]
        if name in run.some and not markers_in(strings):
            found.append(f"{name}: carries none of the payloads")
    return found


def _like(pages: dict[str, str], name: str) -> str | None:
    """The control's page of the same kind: "draft #7" is like "draft #0"."""
    kind = name.split(" #")[0]
    return next((html for other, html in pages.items() if other.split(" #")[0] == kind), None)


def _strings(data) -> list[str]:
    if isinstance(data, str):
        return [data]
    if isinstance(data, dict):
        return [s for v in data.values() for s in _strings(v)]
    if isinstance(data, list):
        return [s for v in data for s in _strings(v)]
    return []


def store_twice(world, *journeys) -> tuple[Pages, Pages]:
    """Each journey with harmless text (the control), then with the corpus: (run, control)."""
    control, run = Pages(harmless=True), Pages()
    for pages in (control, run):
        for journey in journeys:
            journey(world, pages)
    return run, control


def problems_in(group: str, groups: dict[str, tuple[str, ...]], run: Pages, control: Pages) -> list[str]:
    """The problems on the pages of ``group`` (by the start of their names); "storing": the rest
    (a store or a page that answered what it should not)."""
    every = sum(groups.values(), ())
    return list(dict.fromkeys(p for p in problems(run, control) if p.startswith(groups.get(group, ())) or
                              (group == "storing" and not p.startswith(every))))
