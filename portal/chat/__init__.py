from flask import Blueprint

bp = Blueprint("chat", __name__)


def init_app(app) -> None:
    from portal.chat import contact_views, stream_views, views  # noqa: F401  (routes)
    from portal.chat.rasa_client import RasaClient
    from portal.conversations import models  # noqa: F401  (tables)

    if "rasa" not in app.extensions:
        app.extensions["rasa"] = RasaClient(app.config["RASA_URL"], app.config["RASA_TOKEN"],
                                            timeout=app.config["RASA_TIMEOUT_SECONDS"])
    app.register_blueprint(bp)
