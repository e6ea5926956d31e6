"""The XSS corpus in what editors and supervisors write: knowledge-base drafts (title, summary,
tags and Markdown body, through the editor's form, some then published) and the trainer's
personas (name, problem, opening line, lines for each mood, endings, through the supervisor's
form), with agents' replies in a role-play. Read back: the drafts list and each draft, the
published article, its topic, search and the search API; the trainer's page, each attempt and
the team's progress. Forms that refuse a payload (personas take no angle brackets) are shown
again with what was typed, and are checked too.

The same journey with harmless text runs first (tests/security/xss_pages.py).
"""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from portal.extensions import db
from portal.kb.models import Article
from portal.kb.services import get_or_create_category, render_article_body
from portal.training.models import Persona
from tests.portal.test_authorization_matrix import PERSONA_FORM
from tests.security.xss_pages import MARKED, Pages, chunks, markers_in, problems, problems_in, store_twice

# Escaping is the templates' work, the same on either database, so these payload suites run in one
# pass, the PostgreSQL one (conftest); what they also store and page through, each page's own
# tests cover in both passes.
pytestmark = pytest.mark.once

PUBLISH_EVERY = 10  # every 10th draft is published, and its article page read
GROUPS = {"knowledge base": ("draft", "article", "topic", "search"),
          "trainer": ("persona", "training", "attempt")}


def drafts(world, run: Pages) -> None:
    editor, visitor = world.callers["editor"], world.callers["anonymous"]
    titles = [run.text(), f"{run.text()} Again."] if run.harmless else MARKED  # (two: an article lists the other)
    summaries = [run.text()] if run.harmless else chunks(480)
    bodies = [run.text()] if run.harmless else chunks(1500)
    with world.app.app_context():
        topic = get_or_create_category("billing-payments")
        rows = [Article(slug=f"security-draft-{i}{'c' if run.harmless else ''}", title="A draft", body_md="Draft.",
                        body_html=str(render_article_body("Draft.")), published=False, source_path="",
                        category=topic) for i in range(len(titles))]
        db.session.add_all(rows)
        db.session.commit()
        ids = [a.id for a in rows]
    published = []
    for i, (article, title) in enumerate(zip(ids, titles, strict=True)):
        summary, body = summaries[i % len(summaries)], bodies[i % len(bodies)]
        form = {"title": title[:200], "summary": summary, "category": "billing-payments",
                "tags": f"{title.split()[0]}, {title[:30]}", "body": body}
        publish = i % PUBLISH_EVERY == 0 or run.harmless
        if publish:
            form["publish"] = "1"
        saved = run.send(editor, "POST", f"/kb/drafts/{article}", f"draft refused #{i}", (303, 400), data=form)
        if saved.status_code == 303 and publish:
            published.append((saved.headers["Location"], title, body))
        run.send(editor, "GET", f"/kb/drafts/{article}", f"draft #{i}", marks=markers_in(title[:200] + body))
    run.send(editor, "GET", "/kb/drafts", "drafts", some=True)
    for k, (path, title, body) in enumerate(published):
        run.send(visitor, "GET", path, f"article #{k}", marks=markers_in(title[:200] + body))
        mark = (markers_in(title) or ["Plain"])[0]
        run.send(visitor, "GET", f"/search?q={mark}", f"search #{k}", some=not run.harmless)
        run.send(visitor, "GET", f"/api/search?q={mark}", f"search API #{k}", some=not run.harmless)
    run.send(visitor, "GET", "/kb/category/billing-payments", "topic")


def personas(world, run: Pages) -> None:
    boss, agent = world.callers["supervisor"], world.callers["agent"]
    kept = []
    for i, text in enumerate([run.text()] if run.harmless else MARKED):
        form = {**PERSONA_FORM, "name": text[:80], "problem": f"{text} (and it is not fixed)"[:600],
                "opening": text[:500], "lines_calm": f"{text[:300]}\nThanks.", "lines_annoyed": f"{text[:300]}\nOK.",
                "ending_calmed": text[:300], "ending_escalated": f"No. {text}"[:300]}
        added = run.send(boss, "POST", "/training/personas/new", f"persona refused #{i}", (303, 400), data=form)
        if added.status_code == 303:
            kept.append(text)
    run.send(agent, "GET", "/training", "training", marks=[m for t in kept for m in markers_in(t[:80])])
    with world.app.app_context():
        found = {p.name: p.id for p in db.session.scalars(sa.select(Persona).where(Persona.built_in.is_(False)))}
    for i, text in enumerate(kept):
        begun = run.send(agent, "POST", "/training/attempts", "start an attempt", (303,),
                         data={"persona": found.get(" ".join(text[:80].split()), 0)})
        attempt = begun.headers.get("Location", "/training/attempts/0")
        run.send(agent, "POST", f"{attempt}/replies", "trainee reply", (303,), data={"reply": text, "send": "1"})
        run.send(agent, "GET", attempt, f"attempt #{i}", shows=[text])
    run.send(boss, "GET", "/training/team", "training team")


@pytest.fixture(scope="module")
def stored(world):
    return store_twice(world, drafts, personas)


def test_the_checks_fit_our_pages(stored):
    _, control = stored
    assert problems(control, control) == []
    assert {"draft #0", "drafts", "article #0", "search #0", "topic", "training", "attempt #0",
            "training team"} <= set(control.html)


@pytest.mark.parametrize("group", [*GROUPS, "storing"])
def test_the_corpus_is_inert_wherever_it_is_shown(stored, group):
    found = problems_in(group, GROUPS, *stored)
    assert found == [], "\n".join(found)


def test_the_corpus_got_in(stored):
    """Drafts take every payload; personas refuse angle brackets, but take the rest."""
    run, _ = stored
    assert sum(name.startswith("article #") for name in run.html) == len(MARKED) // PUBLISH_EVERY + 1
    assert sum(name.startswith("attempt #") for name in run.html) >= 20
