"""After a person resolved the ticket: the customer's rating and comment go to the portal."""

from __future__ import annotations

import asyncio
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from bot.actions.portal import PortalUnavailable, get_portal


def rating_value(raw) -> int | None:
    try:
        value = int(str(raw).strip())
    except (TypeError, ValueError):
        return None
    return value if 1 <= value <= 5 else None


class ActionSubmitSatisfaction(Action):
    def name(self) -> str:
        return "action_submit_satisfaction"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[dict[str, Any]]:
        rating = rating_value(tracker.get_slot("satisfaction_rating"))
        comment = (tracker.get_slot("satisfaction_comment") or "").strip()[:2000]
        try:
            await asyncio.to_thread(get_portal().record_satisfaction, tracker.sender_id, rating, comment)
        except PortalUnavailable:
            pass  # the rating is also in Rasa's tracker store; nothing the customer can do about it
        return [SlotSet("satisfaction_rating", None), SlotSet("satisfaction_comment", None)]
