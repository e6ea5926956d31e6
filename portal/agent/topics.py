"""What a handed-off ticket is about, for agent assist: the topic decides the words for the issue
and the options a suggestion may offer (a double charge is refunded, never replaced).

The topic comes from the briefing: what the customer said first (a double charge or damage is
named in words), then what they want (the bot's last topical intent, tickets.services.WANTS),
then the team it went to. Nothing known: "general", which offers no options of its own.
"""

from __future__ import annotations

import re
from typing import NamedTuple

from portal.tickets.models import Ticket
from portal.tickets.services import WANTS


class Topic(NamedTuple):
    issue: str  # "" for a topic with no words of its own
    options: str  # what the agent can offer, after "I can ..."; "" for none


TOPICS: dict[str, Topic] = {
    "double_charge": Topic("the double charge", "refund the duplicate payment straight away, or confirm it with "
                                                "our payments team first if it still shows as pending"),
    "billing": Topic("the charge", "check the charge with our payments team now and refund anything taken in "
                                   "error, or go through the statement with you line by line"),
    "refund": Topic("your refund", "chase your refund with our payments team now, or send you the refund "
                                   "reference to give your bank"),
    "payment": Topic("the failed payment", "take the payment again another way, or find out with our payments "
                                           "team why it failed"),
    "damaged": Topic("the damaged item", "send a replacement, or refund you in full"),
    "delivery": Topic("your delivery", "chase the courier now, or send a replacement if it hasn't arrived by "
                                       "tomorrow"),
    "order_change": Topic("the change to your order", "change the order now, or cancel it and refund you"),
    "return": Topic("your return", "book a collection, or email you a returns label"),
    "fault": Topic("the fault", "arrange a repair, or send a replacement"),
    "account": Topic("your account", "help you reset your password now, or check your account details with you"),
    "subscription": Topic("your subscription", "change or pause your subscription now, or cancel it"),
    "protection": Topic("your protection plan", "check exactly what your plan covers, or start a claim with you now"),
    "general": Topic("", ""),
}

BY_INTENT = {
    "order_status": "delivery", "delivery_problem": "delivery", "change_order": "order_change",
    "cancel_order": "order_change", "return_item": "return", "return": "return", "refund": "refund",
    "billing": "billing", "payment_failure": "payment", "account": "account", "subscription": "subscription",
    "protection_plan": "protection", "product_fault": "fault",
}
BY_WANT = {WANTS[intent]: topic for intent, topic in BY_INTENT.items()}
IN_WORDS = (  # said in the customer's own words: these decide before the intent
    ("double_charge", re.compile(r"charged (?:me )?twice|double[- ]charge|two (?:payments|charges)|"
                                 r"charged two times|twice for", re.I)),
    ("damaged", re.compile(r"\b(?:damaged|broken|cracked|smashed|dented)\b", re.I)),
    ("refund", re.compile(r"\brefund", re.I)),
)
BY_TEAM = {"billing": "billing", "technical": "fault"}


def topic_of(ticket: Ticket) -> str:
    briefing = ticket.briefing or {}
    words = f"{briefing.get('problem') or ''} {ticket.subject or ''}"
    for topic, pattern in IN_WORDS:
        if pattern.search(words):
            return topic
    wanted = BY_WANT.get(briefing.get("wants") or "")
    if wanted:
        return wanted
    return BY_TEAM.get(ticket.category or "", "general")
