"""Calling any route the way the suite's checks need: as a role the matrices allow, with the
session's CSRF token (or the bot's service token), on fresh targets, and noting whether any
table changed. Also the strict expected-failure marks for findings that other work fixes.
"""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from tests.security.matrix import SIGNS_OUT, body_for, caller_for, fill
from tests.security.world import SERVICE_TOKEN, Callers, Targets, Writes, path_for

SERVER_ERROR = 500


@dataclass
class Call:
    """One route, ready to be called: the client and headers of someone allowed, and what the
    matrices send it (targets are made before the database is first read)."""

    world: object
    route: object
    client: object
    headers: dict
    targets: Targets
    path: str
    form: dict
    body: dict

    def send(self, path: str | None = None, **kwargs):
        """A request with the caller's credentials; ``kwargs`` as for the test client's ``open``."""
        headers = {**self.headers, **kwargs.pop("headers", {})}
        response = self.client.open(path or self.path, method=self.route.method, headers=headers, **kwargs)
        response.close()  # an event stream is not read to its end
        return response

    def payload(self) -> dict:
        """What the matrices send the route: its form, or its JSON body (none for a GET)."""
        if self.route.method == "GET":
            return {}
        return {"json": self.body} if self.body else {"data": self.form}

    def watched(self, **kwargs) -> tuple[object, list[str]]:
        """The response, and the tables the request wrote."""
        with Writes(self.world.app) as writes:
            response = self.send(**kwargs)
        return response, writes.tables


def prepare(world, route) -> Call:
    targets = world.aim()
    form, body = body_for(route.method, route.rule)
    role = caller_for(route.method, route.rule)
    headers = {}
    if role is None:  # only the bot's token opens it
        role, headers = "anonymous", {"Authorization": f"Bearer {SERVICE_TOKEN}"}
    caller = (Callers(world.app) if route.rule in SIGNS_OUT else world.callers)[role]
    if route.changes_state:
        headers["X-CSRFToken"] = caller.token
    return Call(world, route, caller.client, headers, targets, path_for(route, targets),
                _filled(form, targets), _filled(body, targets))


def _filled(fields: dict | None, targets: Targets) -> dict:
    return {k: fill(v, targets) if isinstance(v, str) else v for k, v in (fields or {}).items()}


def refused_cleanly(status: int, changed: list[str]) -> list[str]:
    """What is wrong with an answer to bad input: a server error, or a refusal that wrote something."""
    problems = []
    if status >= SERVER_ERROR:
        problems.append(f"answered {status}")
    if 400 <= status < SERVER_ERROR and changed:
        problems.append(f"refused ({status}) but changed {changed}")
    return problems


def marked(routes, failing: set[str] = frozenset(), reason: str = "") -> list:
    """``routes`` as parameters, those in ``failing`` (by str(route)) strict expected failures:
    when the fix lands they pass, the mark fails the build, and the list is removed."""
    assert failing <= {str(r) for r in routes}, f"not routes: {sorted(failing - {str(r) for r in routes})}"
    return [pytest.param(r, id=str(r), marks=pytest.mark.xfail(strict=True, reason=reason))
            if str(r) in failing else pytest.param(r, id=str(r)) for r in routes]
