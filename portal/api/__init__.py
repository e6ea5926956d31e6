from flask import Blueprint

bp = Blueprint("api", __name__)


def init_app(app) -> None:
    from portal.api import views  # noqa: F401  (routes)
    from portal.extensions import csrf

    # The JSON API takes no cookie-authenticated writes yet; reads need no token.
    app.register_blueprint(bp)
    csrf.exempt(views.health)
