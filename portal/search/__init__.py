"""Search: one interface (backend.SearchBackend), Whoosh behind it today."""

from flask import Blueprint

bp = Blueprint("search", __name__)


def init_app(app) -> None:
    from portal.search import indexing, models, views  # noqa: F401  (routes, tables)
    from portal.search.whoosh_backend import WhooshBackend

    if "search" not in app.extensions:
        app.extensions["search"] = WhooshBackend(app.config["SEARCH_INDEX_DIR"], semantic=app.config["SEARCH_SEMANTIC"])
    indexing.listen()
    app.register_blueprint(bp)
