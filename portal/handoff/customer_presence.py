"""Whether the customer is following their chat, and the email a live reply sends when not.

As Intercom and Zendesk do: a reply an agent writes in a live chat is also mailed to the
customer's contact address (a visitor's given email, or a signed-in customer's account email)
when the customer is not following the chat: their widget or chat page has not been seen for
CUSTOMER_AWAY_SECONDS. "Seen" is the customer's event stream or polling (the widget follows
across pages) and their own messages.

Marking seen is throttled so polling does not write on every request: each worker skips the
database for a conversation it marked within ``seen_write_seconds``, and the UPDATE itself
matches only a stale value, so several workers write at most about once per interval. The
flood limit is one conditional UPDATE too: of two replies at once, on any worker, one mails.
"""

from __future__ import annotations

import logging
import threading
import time
from datetime import timedelta

import sqlalchemy as sa
from flask import current_app

from portal.clock import utcnow
from portal.conversations.models import Conversation
from portal.extensions import commit_and_keep, db
from portal.tickets.mail import notify_customer_of_chat_reply

log = logging.getLogger(__name__)
SEEN_WRITE_SECONDS = 15.0  # at most; shorter when CUSTOMER_AWAY_SECONDS is short
MAX_REMEMBERED = 10_000  # conversations one worker remembers marking; past it, it starts afresh


class SeenMarks:
    """One worker's memory of when it last marked each conversation (monotonic seconds)."""

    def __init__(self) -> None:
        self._at: dict[int, float] = {}
        self._lock = threading.Lock()

    def due(self, conversation_id: int, interval: float) -> bool:
        """True (and remembered) when this worker has not marked the conversation within `interval`."""
        now = time.monotonic()
        with self._lock:
            last = self._at.get(conversation_id)
            if last is not None and now - last < interval:
                return False
            if len(self._at) >= MAX_REMEMBERED:
                self._at.clear()
            self._at[conversation_id] = now
            return True


def seen_write_seconds() -> float:
    """A quarter of the away time, at most 15 s: a customer who is there never looks away."""
    return max(1.0, min(SEEN_WRITE_SECONDS, current_app.config["CUSTOMER_AWAY_SECONDS"] / 4))


def _marks() -> SeenMarks:
    return current_app.extensions.setdefault("customer_seen_marks", SeenMarks())


def seen_in(conv: Conversation) -> None:
    """The customer wrote: seen now, in the transaction that stores their message."""
    conv.customer_seen_at = utcnow()


def note_seen(conversation_id: int) -> None:
    """The customer is following the chat (events, polling, typing). Commits when it writes."""
    interval = seen_write_seconds()
    if not _marks().due(conversation_id, interval):
        return
    now = utcnow()
    stale = sa.or_(Conversation.customer_seen_at.is_(None),
                   Conversation.customer_seen_at < now - timedelta(seconds=interval))
    db.session.execute(sa.update(Conversation).where(Conversation.id == conversation_id, stale)
                       .values(customer_seen_at=now).execution_options(synchronize_session=False))
    db.session.commit()


def looks_away(conv: Conversation) -> bool:
    """From the row as loaded: no query, so a reply to a customer who is there costs nothing."""
    seen = conv.customer_seen_at
    return seen is None or (utcnow() - seen).total_seconds() >= current_app.config["CUSTOMER_AWAY_SECONDS"]


def _claim_mail(conv: Conversation) -> tuple[bool, object]:
    """Take the right to mail this reply: the customer is away, and no such mail went out within
    CHAT_REPLY_MAIL_MINUTES unless they were seen since. Returns (claimed, the previous value)."""
    config = current_app.config
    now = utcnow()
    away_since = now - timedelta(seconds=config["CUSTOMER_AWAY_SECONDS"])
    quiet_since = now - timedelta(minutes=config["CHAT_REPLY_MAIL_MINUTES"])
    seen, mailed = Conversation.customer_seen_at, Conversation.reply_mailed_at
    previous = db.session.scalar(sa.select(mailed).where(Conversation.id == conv.id))
    result = db.session.execute(
        sa.update(Conversation)
        .where(Conversation.id == conv.id,
               sa.or_(seen.is_(None), seen <= away_since),
               sa.or_(mailed.is_(None), mailed <= quiet_since, seen > mailed))
        .values(reply_mailed_at=now).execution_options(synchronize_session=False))
    commit_and_keep()  # the agent's answer is the message this request stored
    return result.rowcount == 1, previous


def _release(conv: Conversation, previous) -> None:
    """A mail that was not sent does not count against the limit: the next reply tries again."""
    db.session.execute(sa.update(Conversation).where(Conversation.id == conv.id)
                       .values(reply_mailed_at=previous).execution_options(synchronize_session=False))
    commit_and_keep()


def mail_live_reply_if_away(ticket, conv: Conversation, text: str, agent_name: str) -> bool:
    """After the reply is stored: mail it when the customer has gone. Never raises: a failure is
    logged, and the reply (already committed, already in the chat) stands."""
    conv_id, claimed, previous = conv.id, False, None
    try:
        address = ticket.customer.email if ticket.customer else ticket.contact_email
        if not address or not looks_away(conv):  # no address: a visitor who skipped the email
            return False
        claimed, previous = _claim_mail(conv)
        sent = claimed and notify_customer_of_chat_reply(ticket, text, agent_name)
        if claimed and not sent:
            _release(conv, previous)
        return sent
    except Exception:  # the reply is saved and delivered in the chat: the mail must not fail it
        db.session.rollback()
        log.exception("mailing the live reply of conversation %s failed", conv_id)
        if claimed:
            try:
                _release(conv, previous)
            except Exception:
                db.session.rollback()
        return False
