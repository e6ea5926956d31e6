from flask import Blueprint

bp = Blueprint("support", __name__)


def init_app(app) -> None:
    from portal.support import models, views  # noqa: F401  (routes, tables)

    app.register_blueprint(bp)
