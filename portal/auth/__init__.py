from flask import Blueprint

bp = Blueprint("auth", __name__, url_prefix="/auth")


def init_app(app) -> None:
    from portal.auth import permissions, views  # noqa: F401  (views registers routes on bp)
    from portal.auth.sessions import user_for_token
    from portal.extensions import login_manager

    login_manager.login_view = "auth.login"
    login_manager.login_message = "Please log in to continue."
    login_manager.session_protection = "strong"

    # The cookies carry a sign-in's token, not the user's id (portal.auth.sessions).
    login_manager.user_loader(user_for_token)

    permissions.init_app(app)
    app.register_blueprint(bp)
