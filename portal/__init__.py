"""Calmline portal: the Flask application factory."""

from __future__ import annotations

import os
from pathlib import Path

# Search embeds queries with numpy: one BLAS thread per process, or a gunicorn worker's
# threads and OpenBLAS's own fight over the cores (a 15 ms embedding took 165-300 ms).
# Set before anything imports numpy.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

from flask import Flask


def create_app(overrides: dict | None = None) -> Flask:
    app = Flask(__name__, instance_relative_config=False, instance_path=str(_instance_dir()))
    from portal.config import engine_options, load_config

    app.config.update(load_config(Path(app.instance_path)))
    if overrides:
        app.config.update(overrides)
        if "SQLALCHEMY_ENGINE_OPTIONS" not in overrides:
            app.config["SQLALCHEMY_ENGINE_OPTIONS"] = engine_options(app.config["SQLALCHEMY_DATABASE_URI"])
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)

    register_extensions(app)
    register_capabilities(app)
    register_shell(app)
    return app


def _instance_dir() -> Path:
    import os

    return Path(os.environ.get("CALMLINE_INSTANCE_DIR") or Path(__file__).resolve().parent.parent / "instance")


def register_extensions(app: Flask) -> None:
    from portal.extensions import csrf, db, limiter, login_manager, migrate

    db.init_app(app)
    migrate.init_app(app, db, directory=str(Path(__file__).resolve().parent.parent / "migrations"))
    login_manager.init_app(app)
    csrf.init_app(app)
    limiter.init_app(app)


def register_capabilities(app: Flask) -> None:
    import forum
    from portal import (
        agent,
        api,
        attachments,
        auth,
        botapi,
        chat,
        cli,
        coaching,
        errors,
        events,
        inputs,
        insight,
        kb,
        layout,
        notifications,
        observability,
        search,
        security,
        support,
        training,
        visitor,
    )

    # inputs first: a URL rule takes its converter when it is added
    for module in (inputs, observability, errors, security, visitor, auth, search, kb, forum, notifications, events, chat, support,
                   agent, attachments, coaching, training, api, botapi, insight, layout, cli):
        module.init_app(app)


def register_shell(app: Flask) -> None:
    @app.shell_context_processor
    def context():
        from portal.auth.models import User
        from portal.extensions import db
        from portal.kb.models import Article

        return {"db": db, "User": User, "Article": Article}
