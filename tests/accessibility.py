"""Accessibility checks in the browser: axe-core (pinned in tests/tools/package-lock.json,
installed by `make test-tools`) run inside the page Playwright drives."""

from __future__ import annotations

from pathlib import Path

import pytest

AXE = Path(__file__).resolve().parent / "tools" / "node_modules" / "axe-core" / "axe.min.js"
SERIOUS = ("serious", "critical")


def axe_violations(page, context: str | None = None, impacts: tuple[str, ...] = SERIOUS) -> list[dict]:
    """axe-core's violations of the given impacts on ``page`` (or within the CSS selector
    ``context``): each with its rule id, impact, help text and the offending elements."""
    if not AXE.exists():
        pytest.fail(f"{AXE} is missing: run `make test-tools` (make test does)")
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        page.evaluate(AXE.read_text())  # through DevTools: the page's CSP would refuse a <script> tag
    found = page.evaluate(
        """async (context) => {
            const result = await axe.run(context ? document.querySelector(context) : document,
                                         {resultTypes: ["violations"]});
            return result.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,
                                                nodes: v.nodes.map(n => n.target.join(" ")).slice(0, 5)}));
        }""",
        context,
    )
    return [v for v in found if v["impact"] in impacts]
