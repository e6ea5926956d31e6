"""The files themselves: in ATTACHMENT_DIR (under the instance directory unless set, never
under static/), each under a random name, written owner-only."""

from __future__ import annotations

import os
import re
import secrets
from pathlib import Path

from flask import current_app

STORED_NAME = re.compile(r"^[0-9a-f]{32}\.(?:bin|webp)$")


def folder() -> Path:
    path = Path(current_app.config["ATTACHMENT_DIR"])
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    return path


def save(data: bytes, suffix: str = "bin") -> str:
    name = f"{secrets.token_hex(16)}.{suffix}"
    fd = os.open(folder() / name, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as fh:
        fh.write(data)
    return name


def path_of(name: str) -> Path:
    if not STORED_NAME.match(name or ""):  # only names we made: nothing from a request reaches here
        raise ValueError(f"not a stored attachment name: {name!r}")
    return folder() / name


def remove(names: list[str]) -> None:
    for name in names:
        try:
            path_of(name).unlink(missing_ok=True)
        except (OSError, ValueError):
            pass
