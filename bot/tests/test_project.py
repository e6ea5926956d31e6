"""The Rasa project itself: domain, NLU data, rules and stories agree (`rasa data validate`)."""

import subprocess
import sys
from pathlib import Path

BOT = Path(__file__).resolve().parent.parent


def test_rasa_data_validate_is_clean():
    result = subprocess.run(
        [sys.executable, "-m", "rasa", "data", "validate", "--domain", "domain.yml", "--data", "data",
         "--fail-on-warnings"],
        cwd=BOT, capture_output=True, text=True, timeout=600,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert "No story structure conflicts found" in result.stdout + result.stderr
