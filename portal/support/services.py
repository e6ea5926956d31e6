"""Ticket rules: numbers, priority from mood and reason, SLA, briefings."""

from __future__ import annotations

import secrets
from datetime import timedelta

import sqlalchemy as sa
from flask import current_app

from portal.extensions import db
from portal.models import utcnow
from portal.support.models import Team, Ticket, TicketEvent

LEVEL_RANK = {"calm": 0, "annoyed": 1, "frustrated": 2, "angry": 3}
HANDOFF_REASONS = ("requested_human", "angry", "frustrated_rising", "abuse", "bot_failing", "left_message",
                   "forum_thread")
WANTS = {
    "order_status": "to know where their order is",
    "cancel_order": "to cancel or change an order",
    "delivery_problem": "their delivery sorted out",
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


class TicketError(ValueError):
    pass


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
        subject=(subject or briefing.get("problem") or "Customer message")[:200], briefing=briefing,
        transcript=transcript, sla_due_at=now + timedelta(hours=sla_hours(priority)),
        resolution_due_at=now + timedelta(hours=current_app.config["RESOLUTION_HOURS"][priority]),
        team=team_for(category),
    )
    db.session.add(ticket)
    db.session.flush()
    db.session.add(TicketEvent(ticket=ticket, kind="created",
                               data={"reason": reason, "priority": priority, "team": ticket.team.slug if ticket.team
                                     else None}))
    from portal.live.events import publish

    publish(None, "queue", {"ticket": ticket.number, "change": "new", "priority": priority}, audience="staff")
    db.session.commit()
    return ticket


def team_for(category: str | None) -> Team | None:
    """Routing: the bot's category (billing, technical, general) names the team."""
    teams = {t.slug: t for t in db.session.scalars(sa.select(Team))}
    return teams.get(category or "general") or teams.get("general")


def build_briefing(transcript: list[dict], reason: str) -> dict:
    """What an agent needs before saying a word: problem, want, what was tried, mood."""
    customer = [m for m in transcript if m.get("sender") == "customer" and m.get("text")]
    bot = [m for m in transcript if m.get("sender") == "bot"]
    substantive = [m for m in customer if m.get("intent") not in (None, "greet", "affirm", "deny", "thanks")]
    first = (substantive or customer or [{}])[0]
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
    entities = {}
    for m in customer:
        for e in m.get("entities") or []:
            if e.get("entity") and e.get("value"):
                entities.setdefault(e["entity"], e["value"])
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
