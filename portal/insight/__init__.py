"""Supervisor insight: /supervisor, whether the front line works, for a range of days, a team
and a channel. Figures come from SQL aggregates (volume, speed, outcome, mood, and what the
forum registers in app.extensions["insight_sources"]); sections.py lays them out as tables,
which the page draws as charts and exports as CSV. Nothing imports this package.
"""

from flask import Blueprint

bp = Blueprint("insight", __name__)


def init_app(app) -> None:
    from portal.insight import views  # noqa: F401  (routes)

    app.register_blueprint(bp)
