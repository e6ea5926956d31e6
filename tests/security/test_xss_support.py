"""The XSS corpus through the support desk: what a customer types in the chat and on their
ticket, what the bot's action server sends with a handoff (intents, entities, a rating's
comment), what agents write (chat replies, notes, staff-page replies) and what supervisors
write (canned responses), read back on every page and API that shows it: the staff ticket page
and list, the customer's tickets, the agent console and its JSON, the customer's chat API,
the coaching pages and the supervisor's dashboard (with the payloads in its filters too).

Everything goes in through the real routes, as the role that would send it. The same journey
with harmless text runs first, so each page is also compared with itself (tests/security/xss_pages.py).
"""

from __future__ import annotations

from urllib.parse import urlencode

import pytest
import sqlalchemy as sa

from portal.extensions import db
from portal.tickets.models import CannedResponse
from tests.security.world import SERVICE_TOKEN, Caller
from tests.security.xss_pages import MARKED, Pages, chunks, markers_in, problems, problems_in, store_twice

CHAT_LIMIT = 1900  # a chat message holds 2,000 characters
EDIT_EVERY = 5  # every 5th canned response's edit form is read (the list shows them all)
GROUPS = {"chat and tickets": ("staff ticket", "my ticket", "agent ticket JSON", "conversation JSON",
                               "agent console", "agent queue JSON", "chat page"),
          "canned responses": ("canned",),
          "coaching": ("coaching",),
          "supervisor's dashboard": ("dashboard",)}


def bot_handoff(text: str, conversation: str) -> dict:
    """What the action server sends: the customer's words with the intent and entities Rasa read."""
    first = text.splitlines()[0]
    event = {"event": "user", "text": text, "parse_data": {
        "intent": {"name": first[:60], "confidence": 0.91},
        "entities": [{"entity": "order_number", "value": first}, {"entity": first[:40], "value": text[:200]}]}}
    return {"conversation_id": conversation, "reason": "requested_human", "category": "billing", "events": [event]}


def journey(world, run: Pages) -> None:
    customer, agent, boss = (world.callers[r] for r in ("customer", "agent", "supervisor"))
    bot = Caller(world.app.test_client(), "")
    as_bot = {"Authorization": f"Bearer {SERVICE_TOKEN}"}
    texts = [run.text()] if run.harmless else chunks(CHAT_LIMIT)
    number = "none"
    for k, text in enumerate(texts):
        lines = text.splitlines()
        started = run.send(customer, "POST", "/api/chat/messages", "chat message", (201,), json={"text": text})
        conv = (started.get_json() or {}).get("conversation_id", "none")
        handed = run.send(bot, "POST", "/api/bot/handoffs", "handoff", (201,), json=bot_handoff(text, conv),
                          headers=as_bot)
        number = (handed.get_json() or {}).get("ticket_number", "none")
        api = f"/api/agent/tickets/{number}"
        run.send(agent, "POST", f"{api}/claim", "claim", (200,))
        run.send(customer, "POST", "/api/chat/messages", "chat message", (201,),
                 json={"text": text, "conversation_id": conv})
        run.send(agent, "POST", f"{api}/messages", "agent reply", (201,), json={"text": text})
        run.send(agent, "POST", f"{api}/notes", "agent note", (201,), json={"text": text})
        run.send(agent, "POST", f"/staff/tickets/{number}/reply", "staff reply", (303,), data={"reply": text})
        run.send(agent, "POST", f"/staff/tickets/{number}/notes", "staff note", (303,), data={"note": text})
        run.send(customer, "POST", f"/tickets/{number}/reply", "customer reply", (303,), data={"text": text})
        run.send(agent, "GET", f"{api}", f"agent ticket JSON #{k}", shows=lines)
        run.send(agent, "POST", f"{api}/resolve", "resolve", (200,))
        run.send(bot, "POST", "/api/bot/satisfaction", "rating", (200,), headers=as_bot,
                 json={"conversation_id": conv, "rating": 2, "comment": text})
        run.send(agent, "GET", f"/staff/tickets/{number}", f"staff ticket #{k}", shows=lines)
        run.send(customer, "GET", f"/tickets/{number}", f"my ticket #{k}", shows=lines)
        run.send(customer, "GET", f"/api/chat/conversations/{conv}", f"conversation JSON #{k}", shows=lines)
    for path, name, who in (("/staff/tickets", "staff tickets", agent), ("/tickets", "my tickets", customer),
                            ("/agent", "agent console", agent), ("/api/agent/queue", "agent queue JSON", agent),
                            ("/chat", "chat page", customer), ("/coaching", "coaching (agent)", agent),
                            ("/supervisor/agents", "coaching team", boss),
                            (f"/supervisor/agents/{world.ids['agent']}", "coaching agent", boss),
                            ("/supervisor", "dashboard", boss)):
        run.send(who, "GET", path, name, some=name.startswith(("staff tickets", "my tickets", "coaching agent")))
    for k, text in enumerate(texts):  # the dashboard's filters repeat what was sent
        query = urlencode({"team": text, "channel": text, "from": text, "to": text})
        run.send(boss, "GET", f"/supervisor?{query}", f"dashboard filtered #{k}", (200, 400))
    canned(world, run, number)


def canned(world, run: Pages, number: str) -> None:
    boss, agent = world.callers["supervisor"], world.callers["agent"]
    texts = [run.text()] if run.harmless else MARKED
    kept = []  # (a body with an unknown {placeholder} is refused, and the form shown again)
    for i, text in enumerate(texts):
        saved = run.send(boss, "POST", "/staff/canned", f"canned refused #{i}", (303, 400),
                         data={"title": text[:120], "body": text, "team": ""})
        if saved.status_code == 303:
            kept.append(text)
    with world.app.app_context():
        rows = db.session.execute(sa.select(CannedResponse.id, CannedResponse.body)).all()
    for i, (row, body) in enumerate(r for r in rows if r.body in kept):
        if i % EDIT_EVERY == 0:
            run.send(boss, "GET", f"/staff/canned/{row}/edit", f"canned edit #{i}", shows=[body])
    run.send(boss, "GET", "/staff/canned", "canned list", marks=[m for t in kept for m in markers_in(t)])
    run.send(agent, "GET", f"/api/agent/tickets/{number}", "canned in the console JSON", some=bool(kept))


@pytest.fixture(scope="module")
def stored(world):
    return store_twice(world, journey)


def test_the_checks_fit_our_pages(stored):
    """With harmless text every page is clean and every store went through: the checks fit our markup."""
    _, control = stored
    assert problems(control, control) == []
    assert {"staff ticket #0", "my ticket #0", "agent ticket JSON #0", "conversation JSON #0", "coaching agent",
            "dashboard", "dashboard filtered #0", "canned list"} <= set(control.html) | set(control.json)


@pytest.mark.parametrize("group", [*GROUPS, "storing"])
def test_the_corpus_is_inert_wherever_it_is_shown(stored, group):
    found = problems_in(group, GROUPS, *stored)
    assert found == [], "\n".join(found)


def test_every_payload_reached_the_pages(stored):
    run, _ = stored
    shown = " ".join(run.html.get(f"staff ticket #{k}", "") for k in range(len(chunks(CHAT_LIMIT))))
    assert len(markers_in(shown)) == len(MARKED)
    kept = len(run.marks["canned list"])  # canned responses refuse unknown {placeholders}; most get in
    assert kept >= len(MARKED) * 3 // 4
    assert sum(name.startswith("canned edit #") for name in run.html) == (kept + EDIT_EVERY - 1) // EDIT_EVERY
