"""The customer's rating of a conversation: asked at most once, stored the moment it is given.

Two paths are rated. "agent": a person resolved the chat, and the bot asks as it takes the
conversation back (chat.bot_resume). "bot": the assistant solved the question alone (the
conversation is `resolved` by self-service), and the bot asks when the customer then says
goodbye (its goodbye carries `closing`). Either way the question is asked once in a
conversation, whichever path asks first.

The rating lives on the conversation with the path it rates, so supervisors compare the bot
with people from one table. For the agent path the conversation's newest ticket keeps the same
rating and comment, with a "rated" entry in its timeline: the staff pages and the agent console
read it there. The bot's action server posts the rating when it is clicked, and the optional
comment later in a second post that only adds it; a post never clears what an earlier one
stored.
"""

from __future__ import annotations

import logging

from flask import current_app

from portal.chat.rasa_client import BotUnavailable
from portal.clock import utcnow
from portal.conversations.models import Conversation, Message
from portal.errors import DomainError
from portal.events.feed import publish
from portal.extensions import db
from portal.handoff.messages import post_message
from portal.handoff.tickets import open_ticket_for, record_event
from portal.inputs import parse_int
from portal.tickets.models import Ticket

log = logging.getLogger(__name__)
BOT, AGENT = "bot", "agent"
PATHS = (BOT, AGENT)
# The portal triggers these in Rasa; its satisfaction_form then asks (bot/data/rules/after_agent.yml).
ASK_INTENT = {AGENT: "EXTERNAL_agent_done", BOT: "EXTERNAL_bot_done"}
MAX_COMMENT = 2000
RATING_BUTTONS = [{"title": str(n), "payload": f'/rate{{"rating": "{n}"}}'} for n in range(1, 6)]
AGENT_FALLBACK_QUESTION = "How did we do today? Please rate your conversation from 1 (poor) to 5 (great)."


class SatisfactionError(DomainError):
    status = 400


class NothingToRate(SatisfactionError):
    status = 409


def may_ask_rating(conv: Conversation) -> bool:
    """Never twice in one conversation, and never once it is rated."""
    return conv.rating_asked_at is None and conv.satisfaction_rating is None


def ask_for_rating(conv: Conversation, path: str, before: list[dict] | None = None) -> list[Message]:
    """Ask the customer to rate `path`'s help: the bot's rating question, or ours when Rasa is
    down after a person resolved (its buttons are the bot's). `before`: tracker events to
    append first (resuming a paused conversation). The caller checks may_ask_rating and commits."""
    conv.rating_asked_at, conv.satisfaction_path = utcnow(), path
    client = current_app.extensions["rasa"]
    try:
        # Whose help is rated: the bot's question and thanks are worded for it.
        client.append_events(conv.public_id, [*(before or []), {"event": "slot", "name": "rating_for", "value": path}])
        replies = client.trigger_intent(conv.public_id, ASK_INTENT[path])
    except BotUnavailable as exc:
        log.warning("could not ask %s for a rating of the %s: %s", conv.public_id, path, exc)
        if path == BOT:  # nobody to take the answer: not asked, so a later goodbye may ask
            conv.rating_asked_at, conv.satisfaction_path = None, None
            return []
        return [post_message(conv, "system", AGENT_FALLBACK_QUESTION,
                             payload={"custom": {"rating": True}, "buttons": RATING_BUTTONS})]
    return [post_message(conv, "bot", r.text, payload=r.payload()) for r in replies if r.text or r.buttons]


def parse_rating(raw) -> int | None:
    """1 to 5 (the bot's slot is text: "4" too); None when not given."""
    if raw is None:
        return None
    if isinstance(raw, str):
        raw = parse_int(raw, "rating", 0, 1, 5)  # "" is 0: refused below like any other non-rating
    if isinstance(raw, bool) or not isinstance(raw, int) or not 1 <= raw <= 5:
        raise SatisfactionError("'rating' must be a whole number from 1 to 5.")
    return raw


def parse_comment(raw) -> str:
    if raw is None:
        return ""
    if not isinstance(raw, str) or len(raw) > MAX_COMMENT:
        raise SatisfactionError(f"'comment' must be text of at most {MAX_COMMENT} characters.")
    return raw.strip()


def rated_path(conv: Conversation) -> str:
    """The path the customer was asked about; for a conversation asked before paths were
    recorded, whoever resolved it."""
    if conv.satisfaction_path in PATHS:
        return conv.satisfaction_path
    if conv.resolution == "agent":
        return AGENT
    if conv.resolution == "self_service":
        return BOT
    raise NothingToRate("This conversation has not been resolved, so there is nothing to rate yet.")


def record_satisfaction(conv: Conversation, rating=None, comment=None, path: str | None = None) -> Ticket | None:
    """Store what the customer gave: the rating, the comment, or both. What is not given is
    kept as it was. Returns the ticket that carries it (agent path), if any."""
    rating, comment = parse_rating(rating), parse_comment(comment)
    if rating is None and not comment:
        raise SatisfactionError("Send a 'rating' from 1 to 5, a 'comment', or both.")
    if path is not None and path not in PATHS:
        raise SatisfactionError(f"'path' must be one of: {', '.join(PATHS)}.")
    conv.satisfaction_path = path or rated_path(conv)
    new_rating = rating is not None and rating != conv.satisfaction_rating
    new_comment = bool(comment) and comment != conv.satisfaction_comment
    if new_rating:
        conv.satisfaction_rating, conv.rated_at = rating, utcnow()
    if new_comment:
        conv.satisfaction_comment = comment
    ticket = open_ticket_for(conv, any_status=True) if conv.satisfaction_path == AGENT else None
    if ticket is not None:
        if new_rating or ticket.satisfaction_rating is None:
            ticket.satisfaction_rating = conv.satisfaction_rating
        if new_comment:
            ticket.satisfaction_comment = comment
        if new_rating:
            record_event(ticket, None, "rated", rating=rating)
        if new_comment:
            record_event(ticket, None, "rated", comment=comment)
    if new_rating or new_comment:  # the agent console shows it as it arrives
        publish(conv.id, "rating", {"rating": conv.satisfaction_rating, "comment": conv.satisfaction_comment,
                                    "path": conv.satisfaction_path, "ticket": ticket.number if ticket else None},
                audience="staff")
    db.session.commit()
    return ticket
