from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from portal.clock import utcnow
from portal.extensions import db


class SearchMiss(db.Model):
    """A query that found nothing: the raw material of a content-gap report."""

    __tablename__ = "search_misses"

    id: Mapped[int] = mapped_column(primary_key=True)
    query: Mapped[str] = mapped_column(sa.String(200), index=True)
    source: Mapped[str] = mapped_column(sa.String(20), default="web")  # web, api, bot
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
