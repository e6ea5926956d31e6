"""Ticket rules: numbers, priority from mood and reason, SLA, briefings."""

from __future__ import annotations

import re
import secrets
from datetime import timedelta

import sqlalchemy as sa
from flask import current_app

from bot.order_numbers import find_order_number, normalise_order_number
from portal.clock import utcnow
from portal.errors import DomainError
from portal.extensions import db
from portal.plaintext import visible_text
from portal.tickets.models import Team, Ticket, TicketEvent

LEVEL_RANK = {"calm": 0, "annoyed": 1, "frustrated": 2, "angry": 3}
HANDOFF_REASONS = ("requested_human", "angry", "frustrated_rising", "abuse", "bot_failing", "left_message",
                   "forum_thread")
WANTS = {
    "order_status": "to know where their order is",
    "change_order": "to cancel or change an order",
    "cancel_order": "to cancel or change an order",
    "delivery_problem": "their delivery sorted out",
    "return_item": "to return an item",
    "return": "to return an item",
    "refund": "their refund",
    "billing": "a billing error (possibly a double charge) corrected",
    "payment_failure": "a failed payment sorted out",
    "account": "access to their account",
    "subscription": "help with a subscription",
    "protection_plan": "to know what their protection plan covers",
    "product_fault": "a faulty product fixed",
    "complaint": "their complaint heard and resolved",
}


class TicketError(DomainError):
    status = 400


def priority_for(reason: str, level: str | None) -> str:
    rank = LEVEL_RANK.get(level or "calm", 0)
    if reason in ("angry", "abuse") or rank >= 3:
        return "urgent"
    if reason == "frustrated_rising" or rank == 2:
        return "high"
    if reason in ("requested_human", "bot_failing") or rank == 1:
        return "normal"
    return "low" if reason == "left_message" and rank == 0 else "normal"


def sla_hours(priority: str) -> float:
    return current_app.config["SLA_HOURS"][priority]


def _new_number() -> str:
    while True:
        number = f"T-{secrets.randbelow(900000) + 100000}"
        if db.session.scalar(sa.select(Ticket.id).where(Ticket.number == number)) is None:
            return number


def open_ticket(*, reason: str, transcript: list[dict], category: str = "general", customer_id: int | None = None,
                conversation_id: int | None = None, contact_email: str = "", subject: str = "",
                briefing: dict | None = None) -> Ticket:
    if reason not in HANDOFF_REASONS:
        raise TicketError(f"reason must be one of: {', '.join(HANDOFF_REASONS)}")
    briefing = briefing or build_briefing(transcript, reason)
    priority = priority_for(reason, briefing.get("mood_now"))
    now = utcnow()
    ticket = Ticket(
        number=_new_number(), reason=reason, category=category or "general", priority=priority,
        customer_id=customer_id, conversation_id=conversation_id, contact_email=contact_email,
        subject=visible_text(subject or briefing.get("problem") or "")[:200] or "Customer message", briefing=briefing,
        transcript=transcript, sla_due_at=now + timedelta(hours=sla_hours(priority)),
        resolution_due_at=now + timedelta(hours=current_app.config["RESOLUTION_HOURS"][priority]),
        team=team_for(category),
    )
    db.session.add(ticket)
    db.session.flush()
    db.session.add(TicketEvent(ticket=ticket, kind="created",
                               data={"reason": reason, "priority": priority, "team": ticket.team.slug if ticket.team
                                     else None}))
    queue_changed(ticket, "new", priority=priority)
    db.session.commit()
    return ticket


def queue_changed(ticket: Ticket, change: str, *, was_team_id: int | None = None, was_assignee_id: int | None = None,
                  **details) -> None:
    """Tell the agents' queues that a ticket changed, in the current transaction. The event
    names the teams and the people who see the ticket now or saw it just before (a transfer's
    old team, an assignment's previous owner): an agent hears only those (portal.events.feed)."""
    from portal.events.feed import publish

    teams = sorted({t for t in (ticket.team_id, was_team_id) if t is not None})
    people = sorted({p for p in (ticket.assignee_id, was_assignee_id) if p is not None})
    publish(None, "queue", {"ticket": ticket.number, "change": change, **details, "teams": teams, "people": people},
            audience="staff")


def team_for(category: str | None) -> Team | None:
    """Routing: the bot's category (billing, technical, general) names the team."""
    teams = {t.slug: t for t in db.session.scalars(sa.select(Team))}
    return teams.get(category or "general") or teams.get("general")


# Turns that never carry the problem: pleasantries, yes/no, thanks, ratings, the portal's triggers.
NOT_A_PROBLEM = {"greet", "goodbye", "affirm", "deny", "thanks", "rate", "chitchat", "bot_challenge",
                 "EXTERNAL_agent_done", "EXTERNAL_handed_back"}
# A message made only of these words is a pleasantry, whatever NLU called it.
PLEASANTRIES = frozenset("""
    hi hiya hello hey there good morning afternoon evening team all everyone again how are you u hope
    you're youre well doing today thanks thank so much a lot cheers ok okay yes yeah yep no nope sure
    great fine bye please i i'm im am just wanted to say the support hiya hey
""".split())
SHORT_WORDS = 3


def problem_message(customer: list[dict]) -> dict:
    """The customer message that carries the issue, for the briefing, the subject and the agent's
    first line: not the greeting or the opening pleasantry that happened to come first.

    Each message is weighed by what it tells an agent: a topical intent (a complaint counts for
    less: it says how, not what), an order number, its length, then its frustration as a tie-break;
    greetings, yes/no, thanks, button presses and very short replies do not count. The earliest
    of equals wins: that is where the customer first said it.
    """
    best, best_score = None, 0.0
    for message in customer:
        score = _problem_weight(message)
        if score > best_score:
            best, best_score = message, score
    if best is not None:
        return best
    typed = [m for m in customer if not (m.get("text") or "").startswith("/")]
    return (typed or customer or [{}])[0]


def _problem_weight(message: dict) -> float:
    text = (message.get("text") or "").strip()
    intent = message.get("intent")
    words = len(text.split())
    order = find_order_number(text) or any(e.get("entity") == "order_number" for e in message.get("entities") or [])
    pleasantry = all(w in PLEASANTRIES for w in re.findall(r"[a-z']+", text.lower()))
    if not text or text.startswith("/") or intent in NOT_A_PROBLEM or (pleasantry and not order):
        return 0.0
    if words < SHORT_WORDS and not order:
        return 0.0
    level = (message.get("frustration") or {}).get("level")
    weight = 1.0 + min(words, 25) / 25
    if intent in WANTS:
        weight += 1.5 if intent == "complaint" else 3.0
    if order:
        weight += 2.0
    return weight + 0.25 * LEVEL_RANK.get(level or "calm", 0)


def order_details(customer: list[dict], problem: dict) -> dict:
    """Entities the customer gave, the order number in one canonical form (bot/order_numbers.py),
    and found in the text when NLU tagged none (or Rasa was down and nothing was tagged)."""
    entities: dict = {}
    for m in customer:
        for e in m.get("entities") or []:
            if not (e.get("entity") and e.get("value")):
                continue
            value = e["value"]
            if e["entity"] == "order_number":
                value = normalise_order_number(value, m.get("text"))
                if value is None:
                    continue
            entities.setdefault(e["entity"], value)
    if "order_number" not in entities:
        for m in [problem, *customer]:
            number = find_order_number(m.get("text") or "") if not (m.get("text") or "").startswith("/") else None
            if number:
                entities["order_number"] = number
                break
    return entities


def build_briefing(transcript: list[dict], reason: str) -> dict:
    """What an agent needs before saying a word: problem, want, what was tried, mood."""
    customer = [m for m in transcript if m.get("sender") == "customer" and m.get("text")]
    bot = [m for m in transcript if m.get("sender") == "bot"]
    first = problem_message(customer)
    intents = [m.get("intent") for m in customer if m.get("intent") in WANTS]
    articles = []
    for m in bot:
        for a in m.get("articles") or []:
            if a not in articles:
                articles.append(a)
    offered = []
    for m in bot:
        for b in m.get("buttons") or []:
            if b.get("title") and b["title"] not in offered:
                offered.append(b["title"])
    levels = [m.get("frustration", {}).get("level") for m in customer if m.get("frustration")]
    entities = order_details(customer, first)
    return {
        "problem": (first.get("text") or "")[:200],
        "wants": WANTS.get(intents[-1], "help from a person") if intents else "help from a person",
        "reason": reason,
        "details": entities,
        "bot_offered_articles": articles,
        "bot_offered_options": offered,
        "mood_start": levels[0] if levels else None,
        "mood_now": levels[-1] if levels else None,
        "mood_peak": max(levels, key=lambda lv: LEVEL_RANK.get(lv, 0)) if levels else None,
        "customer_messages": len(customer),
        "promised": [m["text"] for m in bot if m.get("promise")],
    }
