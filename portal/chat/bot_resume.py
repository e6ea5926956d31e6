"""Handing a conversation back to the bot: un-pause Rasa's tracker, then let the bot speak
(a rating request when a person resolved the chat, a welcome back when they handed it back)."""

from __future__ import annotations

import logging

from flask import current_app

from portal.chat.rasa_client import BotUnavailable
from portal.chat.satisfaction import AGENT, ask_for_rating, may_ask_rating
from portal.conversations.models import Conversation, Message
from portal.handoff.messages import post_message

log = logging.getLogger(__name__)
# What the bot's slots go back to when a person hands the conversation back.
RESUME_EVENTS = [
    {"event": "resume"},
    {"event": "action", "name": "action_listen"},  # rules start from listening
    {"event": "slot", "name": "conversation_mood", "value": None},
    {"event": "slot", "name": "frustration_level", "value": "calm"},
    {"event": "slot", "name": "frustration_score", "value": 0.0},
    {"event": "slot", "name": "handoff_reason", "value": None},
    {"event": "slot", "name": "human_requests", "value": 0.0},
    {"event": "slot", "name": "abuse_count", "value": 0.0},
    {"event": "slot", "name": "failed_turns", "value": 0.0},
]


def resume_bot(conv: Conversation, ask_rating: bool) -> list[Message]:
    """Un-pause Rasa's conversation (tracker events API), then let the bot speak. A resolved chat
    is rated once: a conversation already asked gets the welcome back instead."""
    if ask_rating and may_ask_rating(conv):
        return ask_for_rating(conv, AGENT, before=RESUME_EVENTS)
    client = current_app.extensions["rasa"]
    try:
        client.append_events(conv.public_id, RESUME_EVENTS)
        replies = client.trigger_intent(conv.public_id, "EXTERNAL_handed_back")
    except BotUnavailable as exc:
        log.warning("could not resume the bot for %s: %s", conv.public_id, exc)
        return [post_message(conv, "system", "You're back with our assistant. Ask it anything.")]
    return [post_message(conv, "bot", r.text, payload=r.payload()) for r in replies if r.text or r.buttons]
