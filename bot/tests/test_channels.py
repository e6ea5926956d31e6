"""The checks bot/channels.py puts in front of the portal's channel."""

import asyncio
import time

import jwt
import pytest

from bot.channels import ActionServerCheck, answers_health, health_url, is_the_portal

SECRET = "the-rasa-token-shared-with-the-portal-0123"


def bearer(secret: str = SECRET, **claims) -> str:
    return "Bearer " + jwt.encode({"exp": int(time.time()) + 60, **claims}, secret, algorithm="HS256")


def test_a_current_token_signed_with_the_secret_passes():
    assert is_the_portal(bearer(), SECRET)
    assert is_the_portal(bearer().replace("Bearer", "bearer"), SECRET)


@pytest.mark.parametrize("header", [
    "", "Bearer", "Bearer ", SECRET, f"Bearer {SECRET}", "Basic abc",
    bearer("another-secret-of-a-similar-length-0123"),
    "Bearer " + jwt.encode({"exp": int(time.time()) - 5}, SECRET, algorithm="HS256"),  # expired
    "Bearer " + jwt.encode({"user": "x"}, SECRET, algorithm="HS256"),  # never expires
    "Bearer " + jwt.encode({"exp": int(time.time()) + 60}, SECRET, algorithm="HS512"),
    "Bearer e30.e30.",  # alg none, unsigned
])
def test_anything_else_is_refused(header):
    assert not is_the_portal(header, SECRET)


def test_without_a_secret_nothing_passes():
    assert not is_the_portal(bearer(), "")


# ---- the action server's health, asked before a message is taken ----

@pytest.mark.parametrize("webhook, health", [
    ("http://127.0.0.1:5055/webhook", "http://127.0.0.1:5055/health"),
    ("http://actions.internal:5056/webhook/", "http://actions.internal:5056/health"),
    ("https://h/sdk/webhook", "https://h/sdk/health"),
    ("http://h:5055", "http://h:5055/health"),
])
def test_the_health_check_sits_beside_the_webhook(webhook, health):
    assert health_url(webhook) == health


class Probe:
    def __init__(self, answers):
        self.answers = list(answers)
        self.asked = []

    async def __call__(self, url):
        self.asked.append(url)
        await asyncio.sleep(0.01)
        return self.answers.pop(0)


def test_the_answer_is_kept_for_a_second_then_asked_again():
    now = [100.0]
    probe = Probe([True, False])
    check = ActionServerCheck(probe, ttl=1.0, clock=lambda: now[0])

    async def story():
        assert await check.healthy("http://a/health") is True
        now[0] += 0.9
        assert await check.healthy("http://a/health") is True  # cached: not asked
        now[0] += 0.2
        assert await check.healthy("http://a/health") is False  # the server died meanwhile

    asyncio.run(story())
    assert probe.asked == ["http://a/health"] * 2


def test_requests_arriving_together_ask_once():
    probe = Probe([False])
    check = ActionServerCheck(probe, ttl=1.0)

    async def story():
        return await asyncio.gather(*(check.healthy("http://a/health") for _ in range(20)))

    assert asyncio.run(story()) == [False] * 20
    assert len(probe.asked) == 1


def test_a_server_that_does_not_answer_is_unhealthy_within_the_timeout():
    async def story():
        closed = await answers_health("http://127.0.0.1:9/health", timeout=0.5)  # nothing listens on 9
        server = await asyncio.start_server(lambda r, w: asyncio.sleep(60), "127.0.0.1", 0)  # never answers
        port = server.sockets[0].getsockname()[1]
        started = time.monotonic()
        silent = await answers_health(f"http://127.0.0.1:{port}/health", timeout=0.3)
        elapsed = time.monotonic() - started
        server.close()
        return closed, silent, elapsed

    closed, silent, elapsed = asyncio.run(story())
    assert closed is False and silent is False
    assert elapsed < 1.8  # the 0.3 s asked for ended the wait (not the 2 s default, nor the server)
