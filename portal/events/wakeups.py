"""Waking the streams that wait for new events.

publish() calls wake(channel) after the commit. In one process a Condition wakes the
waiting streams at once; across processes Redis pub/sub carries the wake-up (a listener
thread per process turns each message into a local wake). Without Redis, one poller
thread per process asks the database every POLL_SECONDS which conversations have new
events and wakes just those streams: one small query per process, not one per stream.
A wake-up is only a hint: the database is always the source of truth, and every stream
re-checks it every few seconds anyway.

Under gunicorn's gevent worker (the Procfile's) the threading module is monkey-patched before
the app loads: the listener and the poller are greenlets, the locks and Events gevent's, and
redis-py waits on patched sockets, so a waiting stream costs no thread.
"""

from __future__ import annotations

import logging
import threading
import time
import uuid

log = logging.getLogger(__name__)
POLL_SECONDS = 0.25
REDIS_PREFIX = "calmline:live:"


def channel_for(conversation_id: int | None) -> str:
    return "queue" if conversation_id is None else f"c{conversation_id}"


class StreamSlots:
    """The Server-Sent Event streams this process has open, in all and per client. Each holds a
    worker thread (gthread) or connection (gevent): neither one client nor all of them together
    may take what the worker needs for everything else (messages, pages, /healthz).

    With Redis, a client's streams are counted across every worker and box: each open stream is
    a member of the client's sorted set, scored by when its lease ends (a stream lives at most
    ``lease_seconds``), so a worker that dies mid-stream frees its slots when their leases run
    out. Without Redis, or while Redis does not answer, the count is this process's own."""

    # Drop leases that ran out; count the live ones; add this one if there is room. Atomic.
    _TAKE = """
    redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[1])
    if redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[3]) then return 0 end
    redis.call('ZADD', KEYS[1], ARGV[2], ARGV[4])
    redis.call('EXPIRE', KEYS[1], ARGV[5])
    return 1
    """

    def __init__(self, redis_url: str | None = None, lease_seconds: float = 60.0):
        self._lock = threading.Lock()
        self.open = 0
        self._by_client: dict[str, int] = {}
        self._redis_url = redis_url
        self._redis = None
        self._take_script = None
        self.lease_seconds = lease_seconds

    def take(self, client: str, per_worker: int, per_client: int) -> tuple[str | None, str]:
        """(None, ticket) when a slot is taken for ``client`` (the ticket gives it back), else
        (which limit is full, ""): "client" or "worker"."""
        with self._lock:
            mine = self._by_client.get(client, 0)
            if mine >= per_client:
                return "client", ""
            if self.open >= per_worker:
                return "worker", ""
            ticket = uuid.uuid4().hex
            shared = self._take_shared(client, per_client, ticket)
            if shared is False:
                return "client", ""
            self.open += 1
            self._by_client[client] = mine + 1
            return None, ticket if shared else ""

    def give_back(self, client: str, ticket: str = "") -> None:
        with self._lock:
            self.open = max(0, self.open - 1)
            left = self._by_client.pop(client, 0) - 1
            if left > 0:
                self._by_client[client] = left
        if ticket and self._redis is not None:
            try:
                self._redis.zrem(self._key(client), ticket)
            except Exception as exc:  # noqa: BLE001  (the lease runs out on its own)
                log.warning("live: could not give back a stream slot in Redis: %s", exc)

    @staticmethod
    def _key(client: str) -> str:
        return f"{REDIS_PREFIX}streams:{client}"

    def _take_shared(self, client: str, per_client: int, ticket: str) -> bool | None:
        """True: taken in Redis; False: the client's streams on every worker fill its share;
        None: no Redis (or it did not answer), so this process's count decides."""
        if self._redis_url is None:
            return None
        try:
            if self._redis is None:
                import redis

                self._redis = redis.Redis.from_url(self._redis_url, socket_timeout=2, socket_connect_timeout=2)
                self._take_script = self._redis.register_script(self._TAKE)
            now = time.time()
            taken = self._take_script(keys=[self._key(client)],
                                      args=[now, now + self.lease_seconds, per_client, ticket,
                                            int(self.lease_seconds) + 1])
            return bool(taken)
        except Exception as exc:  # noqa: BLE001  (streams keep working on the per-worker count)
            log.warning("live: Redis did not answer for stream slots, counting per worker: %s", exc)
            return None


class Notifier:
    def __init__(self, redis_url: str | None, app=None):
        self._app = app
        self._poller: threading.Thread | None = None
        self._guard = threading.Lock()
        self._versions: dict[str, int] = {}
        # Each waiting stream has its own Event, filed under the channels it follows, so a
        # wake-up reaches only the streams of that conversation (no thundering herd).
        self._waiters: dict[str, set[threading.Event]] = {}
        self._redis_url = redis_url
        self._redis = None
        self._listener: threading.Thread | None = None
        self._subscribed = False  # the listener hears Redis now, this process's own wake-ups included
        self._lock = threading.Lock()

    # ---- publishing side
    def wake(self, channel: str) -> None:
        client = self._client()
        if client is not None:
            # Redis brings the wake-up back to this process too: waking here as well would make
            # every local stream read the database twice for one event.
            try:
                client.publish(REDIS_PREFIX + channel, "1")
                if self._subscribed:
                    return
            except Exception as exc:  # noqa: BLE001  (the database still has the event; streams poll)
                log.warning("live: redis publish failed: %s", exc)
        self._wake_local(channel)

    def _wake_local(self, channel: str) -> None:
        with self._guard:
            self._versions[channel] = self._versions.get(channel, 0) + 1
            waiters = list(self._waiters.get(channel, ()))
        for event in waiters:
            event.set()

    # ---- waiting side
    def version(self, channel: str) -> int:
        with self._guard:
            return self._versions.get(channel, 0)

    def wait(self, channels: list[str], seen: dict[str, int], timeout: float) -> None:
        """Return when any channel moved past `seen`, or after `timeout` (capped to the poll
        interval when there is no Redis to hear other workers)."""
        self._ensure_listener()
        self._ensure_poller()
        # Re-check every few seconds anyway, in case a wake-up was lost (a reconnecting
        # listener, a poller that hit a locked database).
        timeout = min(timeout, 3.0 if (self._redis_url or self._app) else POLL_SECONDS)
        event = threading.Event()
        with self._guard:
            if any(self._versions.get(c, 0) != seen.get(c, 0) for c in channels):
                return  # something arrived between the stream's query and now
            for c in channels:
                self._waiters.setdefault(c, set()).add(event)
        try:
            event.wait(timeout)
        finally:
            with self._guard:
                for c in channels:
                    waiting = self._waiters.get(c)
                    if waiting is not None:
                        waiting.discard(event)
                        if not waiting:
                            del self._waiters[c]

    # ---- database polling (no Redis)
    def _ensure_poller(self) -> None:
        if self._redis_url is not None or self._app is None or (self._poller is not None and self._poller.is_alive()):
            return
        with self._lock:
            if self._poller is not None and self._poller.is_alive():
                return
            self._poller = threading.Thread(target=self._poll, name="live-db-poller", daemon=True)
            self._poller.start()

    def _poll(self) -> None:
        import sqlalchemy as sa

        from portal.conversations.models import ChatEvent
        from portal.extensions import db

        last = None
        while True:
            try:
                with self._app.app_context():
                    if last is None:
                        last = db.session.scalar(sa.select(sa.func.max(ChatEvent.id))) or 0
                    rows = db.session.execute(sa.select(ChatEvent.id, ChatEvent.conversation_id)
                                              .where(ChatEvent.id > last).order_by(ChatEvent.id)).all()
                    db.session.remove()
                if rows:
                    last = rows[-1][0]
                    for conversation_id in {r[1] for r in rows}:
                        self._wake_local(channel_for(conversation_id))
            except Exception as exc:  # noqa: BLE001  (keep polling; streams re-check on their own too)
                log.warning("live: database poll failed: %s", exc)
            time.sleep(POLL_SECONDS)

    # ---- redis
    def _client(self):
        if self._redis_url is None:
            return None
        if self._redis is None:
            import redis

            self._redis = redis.Redis.from_url(self._redis_url, socket_timeout=2, socket_connect_timeout=2)
        return self._redis

    def _ensure_listener(self) -> None:
        if self._redis_url is None or (self._listener is not None and self._listener.is_alive()):
            return
        with self._lock:
            if self._listener is not None and self._listener.is_alive():
                return
            self._listener = threading.Thread(target=self._listen, name="live-redis-listener", daemon=True)
            self._listener.start()

    def _listen(self) -> None:
        import redis

        while True:
            try:
                client = redis.Redis.from_url(self._redis_url, socket_connect_timeout=2)
                pubsub = client.pubsub(ignore_subscribe_messages=True)
                pubsub.psubscribe(REDIS_PREFIX + "*")
                # Past the subscription's confirmation, this process hears its own wake-ups.
                first = pubsub.get_message(timeout=2)
                self._subscribed = True
                if first:
                    self._heard(first)
                for message in pubsub.listen():
                    self._heard(message)
            except Exception as exc:  # noqa: BLE001  (reconnect; streams keep polling meanwhile)
                self._subscribed = False
                log.warning("live: redis listener reconnecting after %s", exc)
                time.sleep(1)

    def _heard(self, message: dict) -> None:
        channel = message.get("channel")
        if isinstance(channel, bytes):
            channel = channel.decode()
        if isinstance(channel, str) and channel.startswith(REDIS_PREFIX):
            self._wake_local(channel[len(REDIS_PREFIX):])
