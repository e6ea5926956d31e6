"""Attaching files to a conversation, as the customer or as an agent, and who may read them.

A file travels as a message: a chat Message whose payload lists its attachments, announced
live with the same ChatEvent as any message, so the other side sees it as it sees words.
Files are checked completely before anything is written; a refusal stores nothing (no row,
no file), and a failure after the files were written removes them again.
"""

from __future__ import annotations

import re
from collections.abc import Callable

import sqlalchemy as sa
from flask import current_app
from werkzeug.datastructures import FileStorage

from portal.attachments import storage
from portal.attachments.checks import AttachmentRefused, CheckedFile, check_file, clean_name
from portal.attachments.models import Attachment
from portal.auth.models import User
from portal.auth.permissions import SUPPORT_STAFF, holds, sees_ticket
from portal.chat.services import ChatError, ConversationNotFound, already_sent, find_conversation, validate_text
from portal.clock import utcnow
from portal.conversations.models import Conversation, Message
from portal.errors import NotFound
from portal.events.feed import publish
from portal.extensions import commit_and_keep, db
from portal.handoff import lifecycle
from portal.handoff.messages import customer_message
from portal.handoff.tickets import open_ticket_for, relay_customer_reply
from portal.tickets.models import Ticket

PUBLIC_ID = re.compile(r"^[0-9a-f]{32}$")
BOT_CANNOT_READ = ("Thanks, your file is kept with this chat. I can't open files myself: "
                   "ask for a person and they will see it.")


class NoSuchAttachment(AttachmentRefused, NotFound):
    status = 404


def read_uploads(files: list[FileStorage]) -> list[CheckedFile]:
    """Every file checked before any is kept: one bad file refuses the whole message."""
    config = current_app.config
    files = [f for f in files if f is not None and (f.filename or f.content_length)]
    if not files:
        raise AttachmentRefused("Choose a file to attach.")
    if len(files) > config["ATTACHMENT_MAX_PER_MESSAGE"]:
        raise AttachmentRefused(f"Attach at most {config['ATTACHMENT_MAX_PER_MESSAGE']} files to one message.")
    checked = []
    for upload in files:
        name = clean_name(upload.filename)
        data = upload.stream.read(config["ATTACHMENT_MAX_BYTES"] + 1)
        checked.append(check_file(name, data, config["ATTACHMENT_MAX_BYTES"], config["ATTACHMENT_MAX_PIXELS"]))
    return checked


def optional_text(text) -> str:
    """The words sent with the files, if any."""
    if text is None or (isinstance(text, str) and not text.strip()):
        return ""
    try:
        return validate_text(text)
    except ChatError as exc:
        raise AttachmentRefused(str(exc)) from None


def summary(files: list[CheckedFile]) -> str:
    """How the ticket's timeline and the reply email name the files."""
    return "Attached: " + ", ".join(f.name for f in files)


def _keeping_files(conv: Conversation, files: list[CheckedFile], sender: str, author: User | None,
                   ticket: Ticket | None, post: Callable[[dict], Message]) -> Message:
    """Write the files, then `post` the message carrying them (which commits it with its live
    event); a failure before that commit removes the files and keeps no row."""
    written: list[str] = []
    rows: list[Attachment] = []
    try:
        for f in files:
            stored = storage.save(f.data)
            written.append(stored)
            preview = storage.save(f.preview, "webp") if f.preview else None
            if preview:
                written.append(preview)
            rows.append(Attachment(conversation_id=conv.id, ticket_id=ticket.id if ticket else None, sender=sender,
                                   author_id=author.id if author else None, original_name=f.name, kind=f.kind,
                                   content_type=f.content_type, size=len(f.data), sha256=f.sha256,
                                   stored_name=stored, preview_name=preview, width=f.width, height=f.height))
        db.session.add_all(rows)
        db.session.flush()
        message = post({"attachments": [row.to_dict() for row in rows]})
    except BaseException:
        db.session.rollback()
        if not any(sa.inspect(row).persistent for row in rows):  # not committed: keep nothing
            storage.remove(written)
        raise
    for row in rows:  # the rows and files are kept now; this only links them to their message
        row.message_id = message.id
    commit_and_keep()
    return message


def _customer_says(conv: Conversation, text: str, page: str, payload: dict) -> Message:
    if text:
        message = customer_message(conv, text, page=page, payload=payload)
    else:
        message = Message(conversation=conv, sender="customer", text="", page=page[:300], payload=payload)
        conv.last_activity_at = utcnow()
        db.session.add(message)
    db.session.flush()
    return message


def attach_in_chat(conv: Conversation, files: list[CheckedFile], text: str = "", page: str = "") -> Message:
    """The customer sends files in the chat: to the person who has it, or kept for one."""
    def post(payload: dict) -> Message:
        message = _customer_says(conv, text, page, payload)
        if lifecycle.with_a_person(conv):
            relay_customer_reply(conv, message, open_ticket_for(conv), None, summary=summary(files))
        else:
            publish(conv.id, "message", message.to_dict(internal=True))
            db.session.add(Message(conversation=conv, sender="system", text=BOT_CANNOT_READ))
            commit_and_keep()
        return message

    return _keeping_files(conv, files, "customer", None, open_ticket_for(conv), post)


def attach_on_ticket(ticket: Ticket, files: list[CheckedFile], text: str, author: User | None) -> Message:
    """The customer sends files from their ticket's page (My tickets)."""
    from portal.chat.services import start_conversation
    from portal.support.customer import TicketClosed

    if ticket.status == "closed":
        raise TicketClosed(f"Ticket {ticket.number} is closed. Start a chat and we'll open a new one for you.")
    conv = ticket.conversation
    if conv is None:
        conv = start_conversation(ticket.customer_id, None)
        ticket.conversation_id, ticket.conversation = conv.id, conv

    def post(payload: dict) -> Message:
        message = _customer_says(conv, text, f"/tickets/{ticket.number}", payload)
        relay_customer_reply(conv, message, ticket, author, summary=summary(files))
        return message

    return _keeping_files(conv, files, "customer", author, ticket, post)


def attach_as_agent(ticket: Ticket, agent: User, files: list[CheckedFile], text: str,
                    client_id: str | None = None) -> Message:
    """An agent sends files to the customer: the same rules as a reply (their chat, not read-only)."""
    from portal.agent.services import agent_reply, check_can_reply

    conv = check_can_reply(ticket, agent)
    earlier = already_sent(conv, client_id, "agent")
    if earlier is not None:  # a retry after a lost answer: its files are kept already
        return earlier
    return _keeping_files(conv, files, "agent", agent, ticket,
                          lambda payload: agent_reply(ticket.number, agent, text, client_id, payload=payload,
                                                      summary=summary(files)))


# ---- reading -------------------------------------------------------------------------------

def viewable(public_id: str, user, owner: tuple[int | None, str | None], linked: list[int] = ()) -> Attachment:
    """The attachment, for the customer whose chat it is (or whose ticket this browser opened from
    a mailed link, ``linked``: the ticket page shows the chat's files) or staff who may see one of
    its tickets; for anyone else (and for an id that does not exist) the same 404."""
    if not isinstance(public_id, str) or not PUBLIC_ID.match(public_id):
        raise NoSuchAttachment("No such file.")
    attachment = db.session.scalar(sa.select(Attachment).where(Attachment.public_id == public_id))
    if attachment is None:
        raise NoSuchAttachment("No such file.")
    conv = attachment.conversation
    try:
        find_conversation(conv.public_id, *owner)
        return attachment
    except ConversationNotFound:
        pass
    tickets = list(db.session.scalars(sa.select(Ticket).where(Ticket.conversation_id == conv.id)))
    if any(t.id in linked and t.customer_id is None for t in tickets):  # as customer.owned_by reads a link
        return attachment
    if holds(user, SUPPORT_STAFF) and any(sees_ticket(user, t) for t in tickets):
        return attachment
    raise NoSuchAttachment("No such file.")
