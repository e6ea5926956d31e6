"""Conversation tests: `rasa test core` over bot/tests/conversations/ with the trained model.

Every playbook and every handoff trigger has a story there; one wrong prediction fails.
The model comes from `make bot-train` (make test runs it first).
"""

import re
import subprocess
import sys
from pathlib import Path

import pytest

BOT = Path(__file__).resolve().parent.parent
MODEL = BOT / "models" / "calmline.tar.gz"
CONVERSATIONS = BOT / "tests" / "conversations"


def test_every_playbook_and_handoff_trigger_conversation_passes(tmp_path):
    if not MODEL.exists():
        pytest.fail("bot/models/calmline.tar.gz is missing: run `make bot-train`", pytrace=False)
    stories = sum(len(re.findall(r"^- story:", p.read_text(), re.M)) for p in CONVERSATIONS.glob("*.yml"))
    result = subprocess.run(
        [sys.executable, "-W", "ignore", "-m", "rasa", "test", "core", "--model", str(MODEL),
         "--stories", str(CONVERSATIONS), "--out", str(tmp_path / "results")],
        cwd=BOT, capture_output=True, text=True, timeout=900,
        env={"PYTHONPATH": str(BOT.parent), "RASA_TELEMETRY_ENABLED": "false", "TQDM_DISABLE": "1",
             "PATH": "/usr/bin:/bin", "HOME": str(tmp_path)},
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, output[-4000:]
    failed = (tmp_path / "results" / "failed_test_stories.yml").read_text()
    assert "None of the test stories failed" in failed, failed
    match = re.search(r"Correct:\s+(\d+) / (\d+)", output)
    assert match and match.group(1) == match.group(2) == str(stories), output[-3000:]
    assert stories >= 30
