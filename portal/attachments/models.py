from __future__ import annotations

import secrets
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, backref, mapped_column, relationship

from portal.clock import utcnow
from portal.extensions import db

KINDS = ("image", "pdf")


def new_public_id() -> str:
    return secrets.token_hex(16)


class Attachment(db.Model):
    """One file sent in a conversation (in the chat or on its ticket). The file itself is in
    ATTACHMENT_DIR under a random name; the name the sender gave is only shown, never used."""

    __tablename__ = "attachments"

    id: Mapped[int] = mapped_column(primary_key=True)
    public_id: Mapped[str] = mapped_column(sa.String(32), unique=True, index=True, default=new_public_id)
    conversation_id: Mapped[int] = mapped_column(sa.ForeignKey("chat_conversations.id", ondelete="CASCADE"),
                                                 index=True)
    message_id: Mapped[int | None] = mapped_column(sa.ForeignKey("chat_messages.id", ondelete="CASCADE"), index=True)
    ticket_id: Mapped[int | None] = mapped_column(sa.ForeignKey("tickets.id", ondelete="SET NULL"), index=True)
    sender: Mapped[str] = mapped_column(sa.String(10))  # customer, agent
    author_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    original_name: Mapped[str] = mapped_column(sa.String(120))
    kind: Mapped[str] = mapped_column(sa.String(10))  # KINDS
    content_type: Mapped[str] = mapped_column(sa.String(40))
    size: Mapped[int]
    sha256: Mapped[str] = mapped_column(sa.String(64))
    stored_name: Mapped[str] = mapped_column(sa.String(40))
    preview_name: Mapped[str | None] = mapped_column(sa.String(40))
    width: Mapped[int | None]
    height: Mapped[int | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    conversation = relationship("Conversation", backref=backref("attachments", order_by="Attachment.id",
                                                                passive_deletes=True))

    def to_dict(self) -> dict:
        """What a message carries about its file: enough to show it, nothing of where it lies."""
        return {"id": self.public_id, "name": self.original_name, "kind": self.kind, "type": self.content_type,
                "size": self.size, "width": self.width, "height": self.height,
                "url": f"/attachments/{self.public_id}",
                "preview": f"/attachments/{self.public_id}/preview" if self.preview_name else None}
