"""Hand the customer to a person with a ticket that carries the whole conversation."""

from __future__ import annotations

import asyncio
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import ConversationPaused, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from bot.actions.portal import PortalUnavailable, get_portal
from bot.actions.triggers import category_for

EVENT_KEYS = ("event", "timestamp", "text", "parse_data", "name", "value", "data")


def portable_events(events: list[dict]) -> list[dict]:
    """User and bot turns, with what the portal needs of each (intent, entities, buttons)."""
    out = []
    for event in events:
        if event.get("event") not in ("user", "bot", "slot"):
            continue
        item = {k: event[k] for k in EVENT_KEYS if k in event}
        if "parse_data" in item:
            parse = item["parse_data"] or {}
            item["parse_data"] = {"intent": parse.get("intent"), "entities": parse.get("entities", [])}
        out.append(item)
    return out


class ActionHandoff(Action):
    def name(self) -> str:
        return "action_handoff"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[dict[str, Any]]:
        reason = tracker.get_slot("handoff_reason") or "requested_human"
        intents = [((e.get("parse_data") or {}).get("intent") or {}).get("name") for e in tracker.events
                   if e.get("event") == "user"]
        category = category_for([i for i in intents if i])
        # The lead-in fits the reason (an apology for an angry customer, a plain yes for a request).
        dispatcher.utter_message(response="utter_handoff_intro")
        try:
            ticket = await asyncio.to_thread(get_portal().open_handoff, tracker.sender_id, reason,
                                             portable_events(tracker.events), category)
        except PortalUnavailable:
            # Honest: the portal sees this marker in the reply and opens the ticket itself.
            dispatcher.utter_message(response="utter_handoff_delayed")
            dispatcher.utter_message(json_message={"handoff": {"reason": reason, "category": category,
                                                               "ticket_number": None}})
            return [ConversationPaused()]
        number = ticket["ticket_number"]
        dispatcher.utter_message(response="utter_handoff_done", ticket_number=number)
        dispatcher.utter_message(json_message={"handoff": {"reason": reason, "category": category,
                                                           "ticket_number": number}})
        return [SlotSet("ticket_number", number), ConversationPaused()]
