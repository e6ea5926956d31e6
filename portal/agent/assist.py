"""Agent assist: de-escalation replies to suggest by the customer's current frustration,
and canned responses with their placeholders filled in. The agent edits before sending."""

from __future__ import annotations

import re

import sqlalchemy as sa

from portal.extensions import db
from portal.tickets.models import CannedResponse, Ticket

PLACEHOLDER = re.compile(r"\{(customer_first_name|ticket_number|agent_name|order_number)\}")

# Written by us, from the pattern in the de-escalation reference: acknowledge, repeat back,
# apologise and own it, offer options, close with a question.
SUGGESTIONS = {
    "calm": [
        "Thanks for your patience, {customer_first_name}. Let me check that for you now.",
        "Happy to help with that. Could you confirm the order number so I can look it up?",
        "I've got your details here. Is there anything else you'd like me to look at while I'm on it?",
    ],
    "annoyed": [
        "I understand, {customer_first_name}, that's a hassle you shouldn't have had. Let me sort it out now.",
        "Sorry for the trouble with {order_number}. I'm looking at it right now. Can I ask one quick question?",
        "Fair enough, and thanks for bearing with us. Here's what I can do next. Would that work for you?",
    ],
    "frustrated": [
        "I can see why you're frustrated, {customer_first_name}: you've had to chase us, and that's not right. "
        "I'm sorry. I'll stay with this until it's fixed.",
        "So the problem is {order_number}, and it has taken far too long. I'm sorry. I can do one of two things "
        "now: refund it, or send a replacement. Which would you prefer?",
        "You're right to expect better. I'm taking ownership of ticket {ticket_number} myself. Would it help if "
        "I email you as soon as it's done?",
    ],
    "angry": [
        "I hear you, {customer_first_name}, and I'm sorry. This should not have happened. I'm going to fix it "
        "with you right now.",
        "You have every reason to be upset. Let me tell you exactly what I'm doing about {order_number}, and then "
        "you decide what happens next. Is that OK?",
        "I want to resolve this for you. I'd ask that we keep it respectful so I can focus on fixing it. "
        "Shall we start with what matters most to you?",
    ],
}


def values_for(ticket: Ticket, agent) -> dict[str, str]:
    details = (ticket.briefing or {}).get("details") or {}
    return {
        "customer_first_name": ticket.customer.first_name if ticket.customer else "",
        "ticket_number": ticket.number,
        "agent_name": agent.first_name,
        "order_number": details.get("order_number") or "your order",
    }


NAMELESS = re.compile(r",? \{customer_first_name\}(?=[,.!?:])|\{customer_first_name\},? ?")


def fill(template: str, values: dict[str, str]) -> str:
    if not values.get("customer_first_name"):  # a visitor: "Thanks, {name}." reads "Thanks."
        template = NAMELESS.sub("", template)
    return PLACEHOLDER.sub(lambda m: values[m.group(1)], template)


def suggestions(ticket: Ticket, agent, level: str | None) -> list[str]:
    values = values_for(ticket, agent)
    return [fill(t, values) for t in SUGGESTIONS.get(level or "calm", SUGGESTIONS["calm"])]


def canned_for(ticket: Ticket, agent) -> list[dict]:
    values = values_for(ticket, agent)
    rows = db.session.scalars(sa.select(CannedResponse).where(
        sa.or_(CannedResponse.team_id.is_(None), CannedResponse.team_id == ticket.team_id)).order_by(CannedResponse.title))
    return [{"id": r.id, "title": r.title, "body": r.body, "text": fill(r.body, values)} for r in rows]
