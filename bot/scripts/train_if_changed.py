"""Train the bot only when its training inputs changed (content fingerprint, not timestamps).

The fingerprint is a SHA-256 over config.yml, domain.yml, every file under data/, our
custom components (bot/components/, bot/embedding.py) and the Rasa version; it is stored next to the model. `make run` and `make test` call this, so a
fresh clone trains once (about 4 minutes on 2 cores) and later runs start at once.

Usage (from the repository root): bot/.venv/bin/python bot/scripts/train_if_changed.py [--force]
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from importlib.metadata import version
from pathlib import Path

BOT = Path(__file__).resolve().parents[1]
MODEL = BOT / "models" / "calmline.tar.gz"
STAMP = BOT / "models" / "calmline.fingerprint"


def training_inputs() -> list[Path]:
    """Everything a trained model depends on: config, domain, data, and our own components
    (the embedding featurizer's code decides the features DIET was trained on)."""
    code = [BOT / "embedding.py", *sorted((BOT / "components").glob("*.py"))]
    return [BOT / "config.yml", BOT / "domain.yml", *sorted(p for p in (BOT / "data").rglob("*") if p.is_file()), *code]


def fingerprint() -> str:
    digest = hashlib.sha256(f"rasa {version('rasa')}\n".encode())
    for path in training_inputs():
        digest.update(str(path.relative_to(BOT)).encode() + b"\0")
        digest.update(path.read_bytes() + b"\0")
    return digest.hexdigest()


def main(argv: list[str]) -> int:
    wanted = fingerprint()
    if "--force" not in argv and MODEL.exists() and STAMP.exists() and STAMP.read_text().strip() == wanted:
        print(f"bot: model is up to date ({MODEL.relative_to(BOT.parent)})")
        return 0
    print("bot: training data or config changed; training the model (about 4 minutes)...", flush=True)
    env = dict(os.environ, PYTHONPATH=str(BOT.parent), RASA_TELEMETRY_ENABLED="false")
    result = subprocess.run(
        [sys.executable, "-W", "ignore", "-m", "rasa", "train", "--domain", "domain.yml", "--data", "data",
         "--config", "config.yml", "--out", "models", "--fixed-model-name", "calmline"],
        cwd=BOT, env=env,
    )
    if result.returncode != 0 or not MODEL.exists():
        print("bot: training failed", file=sys.stderr)
        return result.returncode or 1
    STAMP.write_text(wanted + "\n")
    print(f"bot: trained {MODEL.relative_to(BOT.parent)}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
