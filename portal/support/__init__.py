from flask import Blueprint

bp = Blueprint("support", __name__)


def init_app(app) -> None:
    from portal.support import customer_views, models, staff_views, views  # noqa: F401  (routes, tables)

    app.register_blueprint(bp)
