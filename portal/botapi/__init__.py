"""The portal's API for the bot's action server (/api/bot/...): service-token auth on every
route, never a browser session, no CSRF. Plug-ins add their own bot endpoints through
``app.extensions["bot_endpoints"]`` (rule -> view), registered here under the same guard."""

from flask import Blueprint

bp = Blueprint("bot_api", __name__)


def init_app(app) -> None:
    from portal.botapi import views  # noqa: F401  (routes)
    from portal.botapi.auth import service_token_required
    from portal.extensions import csrf

    app.register_blueprint(bp)
    for rule, (view, methods) in app.extensions.get("bot_endpoints", {}).items():
        guarded = csrf.exempt(service_token_required(view))
        app.add_url_rule(rule, f"{bp.name}.{view.__name__}", guarded, methods=methods)
