from flask import Blueprint

bp = Blueprint("support", __name__)


def init_app(app) -> None:
    from portal.support import customer_views, staff_views  # noqa: F401  (routes)
    from portal.tickets import models  # noqa: F401  (tables)

    app.register_blueprint(bp)
