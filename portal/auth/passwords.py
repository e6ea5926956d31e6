"""Password policy: long enough, and not something an attacker guesses first."""

from zxcvbn import zxcvbn

from portal.errors import DomainError

MIN_LENGTH = 8
MAX_LENGTH = 128  # scrypt cost grows with input; refuse absurd sizes early
MIN_STRENGTH = 2  # zxcvbn score 0-4; 0 and 1 are common or trivially guessed


class WeakPassword(DomainError):
    status = 400


def check_password_policy(password: str, user_inputs: list[str] | None = None) -> None:
    if len(password) < MIN_LENGTH:
        raise WeakPassword(f"Use at least {MIN_LENGTH} characters.")
    if len(password) > MAX_LENGTH:
        raise WeakPassword(f"Use at most {MAX_LENGTH} characters.")
    result = zxcvbn(password, user_inputs=user_inputs or [])
    if result["score"] < MIN_STRENGTH:
        warning = result["feedback"].get("warning") or "This password is too common or easy to guess."
        raise WeakPassword(f"{warning.rstrip('.')}. Choose a less common password.")
