"""Self-service: offer up to three articles from the portal's search, or, when an answered
community thread fits the question better than any article, that thread first."""

from __future__ import annotations

import asyncio
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from bot.actions.portal import PortalUnavailable, get_portal

SOLVED_BUTTONS = [
    {"title": "That solved it", "payload": "/affirm"},
    {"title": "No, I still need help", "payload": "/deny"},
]


def last_question(tracker: Tracker) -> str:
    """The newest user text that is not a button payload."""
    for event in reversed(tracker.events):
        if event.get("event") == "user":
            text = (event.get("text") or "").strip()
            if text and not text.startswith("/"):
                return text
    return ""


class ActionSearchArticles(Action):
    def name(self) -> str:
        return "action_search_articles"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[dict[str, Any]]:
        query = last_question(tracker)
        portal = get_portal()
        try:
            articles = await asyncio.to_thread(portal.search, query, 3) if query else []
        except PortalUnavailable:
            dispatcher.utter_message(response="utter_search_unavailable")
            return [SlotSet("self_service", "unavailable"), SlotSet("articles_offered", [])]
        thread = await asyncio.to_thread(better_community_answer, portal, query, articles) if query else None
        if thread is not None:
            offered = [{"title": thread["title"], "url": thread["url"], "type": "thread"}] + articles[:2]
            dispatcher.utter_message(json_message={"articles": offered})
            dispatcher.utter_message(response="utter_community_found", buttons=SOLVED_BUTTONS)
            return [SlotSet("self_service", "offered"), SlotSet("articles_offered", [a["url"] for a in offered])]
        if not articles:
            dispatcher.utter_message(response="utter_no_articles")
            return [SlotSet("self_service", "none"), SlotSet("articles_offered", [])]
        dispatcher.utter_message(json_message={"articles": articles})
        dispatcher.utter_message(response="utter_articles_found", buttons=SOLVED_BUTTONS)
        return [SlotSet("self_service", "offered"), SlotSet("articles_offered", [a["url"] for a in articles])]


def better_community_answer(portal, query: str, articles: list[dict]) -> dict | None:
    """The best answered community thread, if it scores above the best article (both come from
    the same index and the same query, so the scores compare). The forum is optional: when
    asking for it fails, the articles are offered as before."""
    try:
        threads = portal.community(query, 1)
    except PortalUnavailable:
        return None
    if not threads:
        return None
    best_article = max((a.get("score", 0.0) for a in articles), default=0.0)
    return threads[0] if threads[0].get("score", 0.0) > best_article else None
