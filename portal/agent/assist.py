"""Agent assist: de-escalation replies to suggest by the customer's current frustration and
topic, and canned responses with their placeholders filled in. The agent edits before sending.

A suggestion is a list of wordings, most specific first; the console gets the first whose
details are all known (never "the problem is BN-…" with nothing after it), and the options it
offers are the topic's (a refund for a double charge, never a replacement).
"""

from __future__ import annotations

import re

import sqlalchemy as sa

from portal.agent.topics import TOPICS, topic_of
from portal.extensions import db
from portal.tickets.models import CannedResponse, Ticket

PLACEHOLDER = re.compile(r"\{(customer_first_name|ticket_number|agent_name|order_number)\}")
ANY_FIELD = re.compile(r"\{(\w+)\}")
OPTIONAL = re.compile(r"\[([^\[\]]*)\]")  # "[, {customer_first_name}]": only when the name is known

# Written by us, from the pattern in the de-escalation reference: acknowledge, repeat back,
# apologise and own it, offer options, close with a question.
TOPICAL: dict[str, list[list[str]]] = {
    "calm": [
        ["Thanks for your patience[, {customer_first_name}]. Let me check {issue} on order {order_number} for you now.",
         "Thanks for your patience[, {customer_first_name}]. Let me check {issue} for you now.",
         "Thanks for your patience[, {customer_first_name}]. Let me check that for you now."],
        ["Happy to help with {issue}. I have order {order_number} open here. Is there anything you'd add?",
         "Happy to help with {issue}. Could you give me the order number so I can look it up?",
         "Happy to help with that. Could you tell me a little more so I can look into it?"],
        ["I've got your details here. Is there anything else you'd like me to look at while I'm on it?"],
    ],
    "annoyed": [
        ["I understand[, {customer_first_name}], that's a hassle you shouldn't have had. Let me sort out {issue} now.",
         "I understand[, {customer_first_name}], that's a hassle you shouldn't have had. Let me sort it out now."],
        ["Sorry for the trouble with order {order_number}. I'm looking at it right now. Can I ask one quick question?",
         "Sorry for the trouble with {issue}. I'm looking at it right now. Can I ask one quick question?",
         "Sorry for the trouble. I'm looking at it right now. Can I ask one quick question?"],
        ["Thanks for bearing with us. Here's what I can do: {options}. Which would you prefer?",
         "Fair enough, and thanks for bearing with us. Here's what I can do next. Would that work for you?"],
    ],
    "frustrated": [
        ["I can see why you're frustrated[, {customer_first_name}]: you've had to chase us, and that's not right. "
         "I'm sorry. I'll stay with this until it's fixed."],
        ["So the problem is {issue} on order {order_number}, and it has taken far too long. I'm sorry. "
         "I can {options}. Which would you prefer?",
         "So the problem is {issue}, and it has taken far too long. I'm sorry. I can {options}. "
         "Which would you prefer?",
         "This has taken far too long, and I'm sorry. Tell me what would put it right for you, and I'll do what "
         "I can now. What matters most to you?"],
        ["You're right to expect better. I'm taking ownership of ticket {ticket_number} myself. Would it help if "
         "I email you as soon as it's done?"],
    ],
    "angry": [
        ["I hear you[, {customer_first_name}], and I'm sorry. This should not have happened. I'm going to fix it "
         "with you right now."],
        ["You have every reason to be upset. Let me tell you exactly what I'm doing about {issue} on order "
         "{order_number}, and then you decide what happens next. Is that OK?",
         "You have every reason to be upset. Let me tell you exactly what I'm doing about {issue}, and then you "
         "decide what happens next. Is that OK?",
         "You have every reason to be upset. Let me tell you exactly what I'm doing about it, and then you decide "
         "what happens next. Is that OK?"],
        ["I want to resolve this for you. I'd ask that we keep it respectful so I can focus on fixing it. "
         "Shall we start with what matters most to you?"],
    ],
}

# The same lines without topic: for the trainer (portal.training.playbook), which fills only a
# name and an order. Each is the last, least specific wording with nothing but those details.
SUGGESTIONS: dict[str, list[str]] = {
    level: [next(w for w in reversed(wordings) if set(ANY_FIELD.findall(w)) <= {"customer_first_name", "order_number",
                                                                             "ticket_number", "agent_name"})
            .replace("[, {customer_first_name}]", ", {customer_first_name}") for wordings in lines]
    for level, lines in TOPICAL.items()
}


def values_for(ticket: Ticket, agent) -> dict[str, str]:
    """For canned responses, which supervisors write: every placeholder gets a value."""
    details = (ticket.briefing or {}).get("details") or {}
    return {
        "customer_first_name": ticket.customer.first_name if ticket.customer else "",
        "ticket_number": ticket.number,
        "agent_name": agent.first_name,
        "order_number": details.get("order_number") or "your order",
    }


def known_details(ticket: Ticket, agent) -> dict[str, str]:
    """Only what we know: an unknown detail is "" (its wording is skipped), never a stand-in."""
    details = (ticket.briefing or {}).get("details") or {}
    topic = TOPICS[topic_of(ticket)]
    order = details.get("order_number")
    return {
        "customer_first_name": ticket.customer.first_name if ticket.customer else "",
        "ticket_number": ticket.number or "",
        "agent_name": agent.first_name if agent is not None else "",
        "order_number": order if isinstance(order, str) else "",
        "issue": topic.issue,
        "options": topic.options,
    }


NAMELESS = re.compile(r",? \{customer_first_name\}(?=[,.!?:])|\{customer_first_name\},? ?")


def fill(template: str, values: dict[str, str]) -> str:
    if not values.get("customer_first_name"):  # a visitor: "Thanks, {name}." reads "Thanks."
        template = NAMELESS.sub("", template)
    return PLACEHOLDER.sub(lambda m: values[m.group(1)], template)


def wording(wordings: list[str], values: dict[str, str]) -> str | None:
    """The first wording whose details are all known, its optional parts kept only when theirs are."""
    for text in wordings:
        text = OPTIONAL.sub(lambda m: m.group(1) if all(values.get(f) for f in ANY_FIELD.findall(m.group(1))) else "",
                            text)
        fields = ANY_FIELD.findall(text)
        if all(values.get(f) for f in fields):
            return ANY_FIELD.sub(lambda m: values[m.group(1)], text)
    return None


def suggestions(ticket: Ticket, agent, level: str | None) -> list[str]:
    values = known_details(ticket, agent)
    lines = TOPICAL.get(level or "calm", TOPICAL["calm"])
    return [text for text in (wording(w, values) for w in lines) if text]


def canned_for(ticket: Ticket, agent) -> list[dict]:
    values = values_for(ticket, agent)
    rows = db.session.scalars(sa.select(CannedResponse).where(
        sa.or_(CannedResponse.team_id.is_(None), CannedResponse.team_id == ticket.team_id)).order_by(CannedResponse.title))
    return [{"id": r.id, "title": r.title, "body": r.body, "text": fill(r.body, values)} for r in rows]
