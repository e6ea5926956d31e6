"""Event delivery: every chat message, typing notice and queue change is a ChatEvent row,
written with what it announces; clients follow them by Server-Sent Events (resuming from
Last-Event-ID) or by polling (`streams`). Several gunicorn workers: Redis pub/sub wakes the
streams when REDIS_URL is set; otherwise each stream polls the database (`wakeups`)."""


def init_app(app) -> None:
    from portal.events.feed import install_commit_hook
    from portal.events.wakeups import Notifier, StreamSlots

    app.extensions["event_wakeups"] = Notifier(app.config.get("REDIS_URL"), app)
    # A stream's lease in Redis outlives the stream itself (SSE_STREAM_SECONDS) by a margin.
    app.extensions["event_stream_slots"] = StreamSlots(app.config.get("REDIS_URL"),
                                                       lease_seconds=app.config["SSE_STREAM_SECONDS"] + 30)
    install_commit_hook()
