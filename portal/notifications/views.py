import logging

from flask import has_request_context, render_template
from flask_login import current_user, login_required
from sqlalchemy.exc import SQLAlchemyError

from portal.extensions import db
from portal.inputs import page_number
from portal.notifications import bp
from portal.notifications.services import mark_read, page_of, unread_count

log = logging.getLogger(__name__)


@bp.route("/notifications")
@login_required
def index():
    page = page_of(current_user.id, page_number())
    unread = {n.id for n in page.items if n.read_at is None}
    if unread:
        mark_read(current_user.id, unread)  # what this page shows has now been seen
    return render_template("notifications/index.html", notifications=page, unread=unread)


@bp.app_context_processor
def bell() -> dict:
    """The nav's bell: how many unread notifications the signed-in person has."""
    if not has_request_context() or not current_user.is_authenticated:
        return {"unread_notifications": 0}
    try:
        return {"unread_notifications": unread_count(current_user.id)}
    except SQLAlchemyError:  # the error page for a database failure must still render
        db.session.rollback()
        log.exception("could not count unread notifications")
        return {"unread_notifications": 0}
