from flask import Blueprint

bp = Blueprint("auth", __name__, url_prefix="/auth")


def init_app(app) -> None:
    from portal.auth import permissions, views  # noqa: F401  (views registers routes on bp)
    from portal.auth.models import User
    from portal.extensions import db, login_manager

    login_manager.login_view = "auth.login"
    login_manager.login_message = "Please log in to continue."
    login_manager.session_protection = "strong"

    @login_manager.user_loader
    def load_user(user_id: str):
        return db.session.get(User, int(user_id)) if user_id.isdigit() else None

    permissions.init_app(app)
    app.register_blueprint(bp)
