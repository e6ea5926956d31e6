"""The check bot/channels.py puts in front of the portal's channel."""

import time

import jwt
import pytest

from bot.channels import is_the_portal

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
