"""Notifications for signed-in people: the nav's bell and the /notifications page."""

from flask import Blueprint

bp = Blueprint("notifications", __name__)


def init_app(app) -> None:
    from portal.notifications import models, views  # noqa: F401  (tables, routes)

    app.register_blueprint(bp)
