"""Mailed links that open one ticket from any browser, for visitors without an account.

The link carries a random token; the table keeps only its SHA-256 (as sign-ins do,
portal.auth.sessions), so a copy of the database opens nothing. Opening a link grants
this browser's session that one ticket (``granted_ticket_ids``) for as long as the link
lives: no account, no other ticket, and the token leaves the address bar at once. A link
that expires or is revoked (the visitor corrected their address) ends the grant too."""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

import sqlalchemy as sa
from flask import current_app, session

from portal.clock import utcnow
from portal.errors import NotFound
from portal.extensions import db
from portal.tickets.models import Ticket, TicketLink

MAX_TOKEN_LENGTH = 100
SESSION_KEY = "ticket_link_ids"  # TicketLink ids, checked on each use
MAX_GRANTS = 20  # the session cookie stays small however many links one browser opens


class TicketLinkError(NotFound):
    """Unknown, mistyped or expired: one answer for all, so a guess learns nothing."""


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create_ticket_link(ticket: Ticket) -> str:
    """A new token for ``ticket`` (each mail gets its own; older links keep working until they expire)."""
    now = utcnow()
    db.session.execute(sa.delete(TicketLink).where(TicketLink.expires_at <= now))
    token = secrets.token_urlsafe(32)
    db.session.add(TicketLink(ticket_id=ticket.id, token_hash=_digest(token),
                              expires_at=now + timedelta(days=current_app.config["TICKET_LINK_DAYS"])))
    db.session.commit()
    return token


def open_link(token: str) -> Ticket:
    """The ticket a mailed link opens, granted to this browser's session while the link lives."""
    link = None
    if isinstance(token, str) and 20 <= len(token) <= MAX_TOKEN_LENGTH:
        link = db.session.scalar(sa.select(TicketLink).where(TicketLink.token_hash == _digest(token),
                                                             TicketLink.expires_at > utcnow()))
    ticket = db.session.get(Ticket, link.ticket_id) if link else None
    if ticket is None:
        raise TicketLinkError("This link does not open a ticket: it is mistyped or has expired. The newest email "
                              "about your ticket has a fresh link, or start a chat and we'll help.")
    ids = [i for i in session.get(SESSION_KEY, []) if isinstance(i, int) and i != link.id]
    session[SESSION_KEY] = [*ids[-(MAX_GRANTS - 1):], link.id]
    return ticket


def granted_ticket_ids() -> list[int]:
    """The tickets this browser opened from links that still live (one query, only if it opened any)."""
    ids = [i for i in session.get(SESSION_KEY, []) if isinstance(i, int)][-MAX_GRANTS:]
    if not ids:
        return []
    return list(db.session.scalars(sa.select(TicketLink.ticket_id).distinct()
                                   .where(TicketLink.id.in_(ids), TicketLink.expires_at > utcnow())))


def revoke_ticket_links(ticket: Ticket) -> None:
    """Links mailed so far stop working, and so do the browsers that opened them (the caller commits)."""
    db.session.execute(sa.delete(TicketLink).where(TicketLink.ticket_id == ticket.id))
