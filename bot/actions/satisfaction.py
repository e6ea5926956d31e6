"""The customer's rating, after a person resolved the ticket or the assistant solved it alone.

The rating goes to the portal the moment it is given (validate_satisfaction_form), because a
customer who is done often leaves right after clicking a number; the optional comment follows
in a second post that only adds it (action_submit_satisfaction).
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from bot.actions.portal import PortalUnavailable, get_portal

log = logging.getLogger(__name__)
MAX_COMMENT = 2000


def rating_value(raw) -> int | None:
    try:
        value = int(str(raw).strip())
    except (TypeError, ValueError):
        return None
    return value if 1 <= value <= 5 else None


class ValidateSatisfactionForm(FormValidationAction):
    def name(self) -> str:
        return "validate_satisfaction_form"

    async def validate_satisfaction_rating(self, slot_value: Any, dispatcher: CollectingDispatcher,
                                           tracker: Tracker, domain: DomainDict) -> dict[str, Any]:
        """A number from 1 to 5 is stored at once; anything else is asked again."""
        rating = rating_value(slot_value)
        if rating is None:
            return {"satisfaction_rating": None}
        try:
            await asyncio.to_thread(get_portal().record_satisfaction, tracker.sender_id, rating, None)
        except PortalUnavailable as exc:
            # Rasa's tracker store keeps it; the conversation goes on either way.
            log.warning("the rating for %s did not reach the portal: %s", tracker.sender_id, exc)
        return {"satisfaction_rating": str(rating)}


class ActionSubmitSatisfaction(Action):
    def name(self) -> str:
        return "action_submit_satisfaction"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[dict[str, Any]]:
        """The form is complete: the comment, if any, joins the rating already stored."""
        comment = (tracker.get_slot("satisfaction_comment") or "").strip()[:MAX_COMMENT]
        if comment:
            try:
                await asyncio.to_thread(get_portal().record_satisfaction, tracker.sender_id, None, comment)
            except PortalUnavailable as exc:
                log.warning("the comment for %s did not reach the portal: %s", tracker.sender_id, exc)
        return [SlotSet("satisfaction_rating", None), SlotSet("satisfaction_comment", None)]
