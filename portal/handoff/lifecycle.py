"""The one owner of a conversation's state: who has the customer, the bot or a person.

    bot       the assistant answers (the default)
    resolved  the assistant answers; it has marked the customer's question solved
    handoff   handed off, waiting in a team's queue; the bot is paused
    live      a person has claimed it and is chatting; the bot is paused

Every function here is one move in TRANSITIONS. Each checks the state it starts from
(IllegalTransition otherwise), writes the state with its system message and live event,
and leaves the commit to the caller, so the move, the caller's audit record (TicketEvent)
and the ticket's own change land in one transaction. Nothing else assigns
Conversation.status or Conversation.assignee_id.
"""

from __future__ import annotations

from portal.auth.models import User
from portal.conversations.models import Conversation
from portal.errors import Conflict
from portal.events.feed import publish
from portal.handoff.messages import post_message
from portal.metrics import HANDOFFS

BOT, RESOLVED, HANDOFF, LIVE = "bot", "resolved", "handoff", "live"
STATES = (BOT, RESOLVED, HANDOFF, LIVE)
WITH_A_PERSON = (HANDOFF, LIVE)
ANY = frozenset(STATES)

# move: (the states it may start from, the state it ends in; None keeps the state)
TRANSITIONS: dict[str, tuple[frozenset[str], str | None]] = {
    # The bot, the customer or a forum thread asks for a person. Again from handoff: the
    # bot's reply confirms the handoff its action already filed.
    "hand_off": (frozenset({BOT, RESOLVED, HANDOFF}), HANDOFF),
    # A person takes it: from the queue, or from the bot when a reopened ticket is claimed.
    "claim": (frozenset({BOT, RESOLVED, HANDOFF}), LIVE),
    # A person passes it to another person: the state stays, the assignee changes.
    "pass_to": (ANY, None),
    # Staff put it (back) in a team's queue: a transfer to a team, or nobody assigned.
    "requeue": (ANY, HANDOFF),
    # The ticket's owner gives the customer back to the bot, with or without solving it.
    # From bot too: a customer may answer a resolved ticket while its owner still has it.
    "hand_back": (ANY, BOT),
    "resolve": (ANY, BOT),
    # Staff close a ticket while a person still holds the chat.
    "close": (frozenset(WITH_A_PERSON), BOT),
    # The bot solved it itself; it is never asked while a person has the chat.
    "resolve_by_bot": (frozenset({BOT, RESOLVED}), RESOLVED),
}


class IllegalTransition(Conflict):
    status = 409


def with_a_person(conv: Conversation) -> bool:
    """Handed off or live: the bot is paused and what the customer writes goes to a person."""
    return conv.status in WITH_A_PERSON


def _move(conv: Conversation, move: str) -> None:
    starts, ends = TRANSITIONS[move]
    if conv.status not in starts:
        raise IllegalTransition(f"A conversation that is {conv.status} can't be {move.replace('_', ' ')}: "
                                f"that is only possible when it is {' or '.join(sorted(starts))}.")
    if ends is not None:
        conv.status = ends


def hand_off(conv: Conversation) -> None:
    """Into the queue. No live event: the ticket opened with it announces itself."""
    was = conv.status
    _move(conv, "hand_off")
    if was != HANDOFF:  # a confirmation of the same handoff is not another one
        HANDOFFS.inc()


def claim(conv: Conversation, agent: User) -> None:
    _move(conv, "claim")
    conv.assignee_id = agent.id
    post_message(conv, "system", f"{agent.first_name} from support has joined the chat.",
                 payload={"custom": {"agent_joined": agent.first_name}})
    publish(conv.id, "status", {"status": LIVE, "agent": agent.first_name})


def pass_to(conv: Conversation, target: User, actor: User) -> None:
    _move(conv, "pass_to")
    conv.assignee_id = target.id
    post_message(conv, "system", f"{actor.first_name} has passed you to {target.first_name}, who can see the "
                 "whole conversation.")
    publish(conv.id, "status", {"status": LIVE, "agent": target.first_name})


def requeue(conv: Conversation, note: str) -> None:
    """Back in a queue; `note` tells the customer why (which team, or that someone will come)."""
    _move(conv, "requeue")
    conv.assignee_id = None
    post_message(conv, "system", note)
    publish(conv.id, "status", {"status": HANDOFF})


def _back_to_the_bot(conv: Conversation, move: str, note: str) -> None:
    _move(conv, move)
    conv.assignee_id = None
    post_message(conv, "system", note)
    publish(conv.id, "status", {"status": BOT})


def hand_back(conv: Conversation, actor: User) -> None:
    _back_to_the_bot(conv, "hand_back", f"{actor.first_name} has handed you back to our assistant.")


def resolve(conv: Conversation, actor: User) -> None:
    _back_to_the_bot(conv, "resolve", f"{actor.first_name} has marked this as resolved.")
    conv.resolution = "agent"


def close(conv: Conversation, actor: User) -> None:
    _back_to_the_bot(conv, "close", f"{actor.first_name} has marked this as closed.")


def resolve_by_bot(conv: Conversation) -> None:
    """The bot's signal: the customer's question is answered. No live event: the bot's own reply says so."""
    _move(conv, "resolve_by_bot")
    conv.resolution = "self_service"
