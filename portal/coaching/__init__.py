"""De-escalation coaching: recognising the moves in a reply (moves.py), each agent's measure
(measure.py, replies.py, stats.py; pages in views.py), and the role-play trainer builds on it."""

from flask import Blueprint

bp = Blueprint("coaching", __name__)


def init_app(app) -> None:
    from portal.coaching import views  # noqa: F401  (routes)

    app.register_blueprint(bp)
