"""Custom slot mappings: the conversation's mood and counters, updated on every user turn.

Rasa runs action_validate_slot_mappings after each user message; the slots it sets
(frustration_level above all) are what rules and stories branch on.
"""

from __future__ import annotations

from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.forms import ValidationAction
from rasa_sdk.types import DomainDict

from bot.actions.triggers import handoff_reason
from bot.frustration import ConversationMood
from bot.order_numbers import find_order_number, normalise_order_number

INSULT_CONFIDENCE = 0.6


def turn_slots(tracker: Tracker) -> dict[str, Any]:
    """Every slot that follows from the newest user message and the state before it."""
    latest = tracker.latest_message or {}
    text = (latest.get("text") or "").strip()
    intent = (latest.get("intent") or {}).get("name")
    confidence = (latest.get("intent") or {}).get("confidence") or 0.0
    try:
        mood = ConversationMood.from_dict(tracker.get_slot("conversation_mood"))
    except ValueError:  # an unreadable stored state must not break the conversation
        mood = ConversationMood()
    abuse = int(tracker.get_slot("abuse_count") or 0)
    fallbacks = int(tracker.get_slot("failed_turns") or 0)
    human = int(tracker.get_slot("human_requests") or 0)

    prior_level = mood.level if mood.scores else "calm"
    # A button payload ("/affirm") or an intent the portal triggered ("EXTERNAL: ...") says
    # nothing about the customer's mood.
    button_press = text.startswith("/") or (intent or "").startswith("EXTERNAL_")
    # `fallbacks` is still the count of failed bot turns in a row before this message.
    result = None if button_press or not text else mood.add_turn(text, failed_turns=fallbacks)
    abusive = (intent == "insult" and confidence >= INSULT_CONFIDENCE) or bool(result and "insult" in result.signals)
    if abusive:
        abuse += 1
    if intent == "nlu_fallback":
        fallbacks += 1
        mood.record_failed_turn()
    else:
        fallbacks = 0
    if intent == "request_human":
        human += 1
    # Sarcasm is read per message: "great, thanks so much" is thanks only when it is not sarcastic.
    sarcastic = bool(result and "sarcasm" in (getattr(result, "signals", None) or ()))
    reason = handoff_reason(intent=intent, mood=mood, abuse_count=abuse, human_requests=human,
                            consecutive_fallbacks=fallbacks, abusive_turn=abusive, prior_level=prior_level)
    return {
        "conversation_mood": mood.to_dict(),
        "frustration_score": round(mood.current, 4),
        "frustration_level": mood.level,
        "abuse_count": float(abuse),
        "failed_turns": float(fallbacks),
        "human_requests": float(human),
        "handoff_reason": reason,
        "sarcasm": sarcastic,
    }


def order_number_in_text(tracker: Tracker) -> dict[str, Any]:
    """The order number the customer wrote when NLU tagged none ("order no. 48213")."""
    latest = tracker.latest_message or {}
    text = latest.get("text") or ""
    if text.startswith("/") or any(e.get("entity") == "order_number" for e in latest.get("entities") or []):
        return {}
    number = find_order_number(text)
    return {"order_number": number} if number else {}


def previous_value(tracker: Tracker, slot: str) -> Any:
    """The slot's value before the newest user message (what a bad extraction must not erase)."""
    value, seen_user = None, False
    for event in reversed(tracker.events):
        if event.get("event") == "user":
            seen_user = True
        elif seen_user and event.get("event") == "slot" and event.get("name") == slot:
            value = event.get("value")
            break
    return value


class ValidatePredefinedSlots(ValidationAction):
    async def extract_conversation_mood(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                                        domain: DomainDict) -> dict[str, Any]:
        return {**turn_slots(tracker), **order_number_in_text(tracker)}

    async def validate_order_number(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker,
                                    domain: DomainDict) -> dict[str, Any]:
        """One canonical form (bot/order_numbers.py); a tagged price or phone number keeps the old value."""
        text = (tracker.latest_message or {}).get("text") or ""
        number = normalise_order_number(value, text)
        return {"order_number": number if number else previous_value(tracker, "order_number")}
