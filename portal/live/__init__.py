"""Live delivery: every chat message, typing notice and queue change is a ChatEvent row,
written with what it announces; clients follow them by Server-Sent Events (resuming from
Last-Event-ID) or by polling. Several gunicorn workers: Redis pub/sub wakes the streams
when REDIS_URL is set; otherwise each stream polls the database."""

from flask import Blueprint

bp = Blueprint("live", __name__)


def init_app(app) -> None:
    from portal.live import views  # noqa: F401  (routes)
    from portal.live.events import install_commit_hook
    from portal.live.notify import Notifier, StreamSlots

    app.extensions["live_notifier"] = Notifier(app.config.get("REDIS_URL"), app)
    app.extensions["live_stream_slots"] = StreamSlots()
    install_commit_hook()
    app.register_blueprint(bp)
