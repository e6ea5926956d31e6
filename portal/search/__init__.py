"""Search: one interface (backend.SearchBackend); Whoosh on one box, PostgreSQL for several."""

from flask import Blueprint

bp = Blueprint("search", __name__)


def make_backend(config: dict):
    """The engine the configuration names (SEARCH_BACKEND)."""
    engine = config.get("SEARCH_BACKEND", "whoosh")
    if engine == "whoosh":
        from portal.search.whoosh_backend import WhooshBackend

        return WhooshBackend(config["SEARCH_INDEX_DIR"], semantic=config["SEARCH_SEMANTIC"])
    if engine in ("postgresql", "postgres"):
        from portal.search.postgres_backend import PostgresBackend

        url = config.get("SEARCH_DATABASE_URL") or config["SQLALCHEMY_DATABASE_URI"]
        if not url.startswith("postgresql"):
            raise RuntimeError("SEARCH_BACKEND=postgresql needs a PostgreSQL DATABASE_URL or SEARCH_DATABASE_URL")
        return PostgresBackend(url, schema=config.get("SEARCH_SCHEMA") or "calmline_search",
                               semantic=config["SEARCH_SEMANTIC"])
    raise RuntimeError(f"unknown SEARCH_BACKEND {engine!r}: use whoosh or postgresql")


def init_app(app) -> None:
    from portal.search import indexing, models, views  # noqa: F401  (routes, tables)

    if "search" not in app.extensions:
        app.extensions["search"] = make_backend(app.config)
    indexing.listen()
    app.register_blueprint(bp)
