"""When the bot should stop and hand over to a person. Pure functions, no Rasa."""

from __future__ import annotations

from bot.frustration import ConversationMood

CATEGORY_BY_INTENT = {
    "billing": "billing", "payment_failure": "billing", "refund": "billing", "subscription": "billing",
    "product_fault": "technical", "account": "technical",
    "order_status": "general", "change_order": "general", "delivery_problem": "general",
    "return_item": "general", "protection_plan": "general", "complaint": "general",
}


def handoff_reason(*, intent: str | None, mood: ConversationMood, abuse_count: int, human_requests: int,
                   consecutive_fallbacks: int, abusive_turn: bool = False,
                   prior_level: str = "calm") -> str | None:
    """The reason to hand off now, or None to let the bot carry on.

    A calm first request for a person gets one offer of help (never pushed); a
    second request is never refused, and a customer who was already annoyed (the
    "let me talk to your supervisor" moment) or is frustrated now is never made to ask
    twice. `prior_level` is the mood before this message: asking for a person is itself
    a frustration signal, so the request alone must not count as being annoyed.
    The first abusive message gets a calm boundary, not a handoff, even though abuse
    usually scores as angry; the second one hands off.
    """
    if abuse_count >= 2:
        return "abuse"
    if abusive_turn and intent != "request_human":
        return None
    if mood.level == "angry":
        return "angry"
    if intent == "request_human" and (human_requests >= 2 or mood.level == "frustrated"
                                      or prior_level in ("annoyed", "frustrated", "angry")):
        return "requested_human"
    if mood.level == "frustrated" and mood.rising_for(2):
        return "frustrated_rising"
    if consecutive_fallbacks >= 2:
        return "bot_failing"
    return None


def category_for(intents: list[str]) -> str:
    """The team that owns the customer's problem: the last topical intent decides.

    A complaint says how the customer feels, not what about, so it decides only when
    nothing more specific was said.
    """
    topical = [i for i in intents if i in CATEGORY_BY_INTENT]
    specific = [i for i in topical if i != "complaint"]
    for intent in reversed(specific or topical):
        return CATEGORY_BY_INTENT[intent]
    return "general"
