"""Live agents: the handoff queue, claiming, live chat, agent assist, bot pause and resume."""

from flask import Blueprint

bp = Blueprint("agent", __name__)


def init_app(app) -> None:
    from portal.agent import inbox_views, views  # noqa: F401  (routes)

    app.register_blueprint(bp)
