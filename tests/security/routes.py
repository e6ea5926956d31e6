"""The application's routes, read once when the tests are collected, so the suite is
parametrized by ``app.url_map`` itself: a route added tomorrow is in every check at once.
"""

from __future__ import annotations

import re
import shutil
import tempfile
from dataclasses import dataclass
from functools import cache

from portal import create_app

METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")
STATE_CHANGING = frozenset({"POST", "PUT", "PATCH", "DELETE"})
INT_ARGUMENT = re.compile(r"<int(?:\([^)]*\))?:(\w+)>")
ARGUMENT = re.compile(r"<(?:[^<>]*:)?(\w+)>")
NOT_ROUTES = {"static"}  # Flask's own file serving, no code of ours


@dataclass(frozen=True)
class Route:
    method: str
    rule: str  # as in app.url_map
    endpoint: str

    @property
    def arguments(self) -> tuple[str, ...]:
        return tuple(ARGUMENT.findall(self.rule))

    @property
    def int_arguments(self) -> tuple[str, ...]:
        return tuple(INT_ARGUMENT.findall(self.rule))

    @property
    def changes_state(self) -> bool:
        return self.method in STATE_CHANGING

    def __str__(self) -> str:
        return f"{self.method} {self.rule}"


@cache
def url_map():
    """The url_map of an app built with a throwaway database and search index (nothing is queried)."""
    folder = tempfile.mkdtemp(prefix="calmline-routes-")
    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": "sqlite://", "SEARCH_INDEX_DIR": folder})
    app.extensions["search"].close()
    shutil.rmtree(folder, ignore_errors=True)
    return app.url_map


@cache
def routes() -> tuple[Route, ...]:
    found = {Route(method, rule.rule, rule.endpoint) for rule in url_map().iter_rules()
             if rule.endpoint not in NOT_ROUTES for method in rule.methods if method in METHODS}
    return tuple(sorted(found, key=lambda r: (r.rule, r.method)))


def rule_of(method: str, path: str) -> str:
    """The rule a concrete path (query string allowed) is served by."""
    rule, _ = url_map().bind("localhost").match(path.split("?", 1)[0], method=method, return_rule=True)
    return rule.rule
