"""The embedding module runs in the portal's virtualenv too (numpy 2), with the same vectors."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from bot.embedding import DIMENSIONS, embed

# No database: the same in both passes of `make test`, so it runs in one.
pytestmark = pytest.mark.once

REFERENCE = Path(__file__).resolve().parents[2] / "bot" / "tests" / "data" / "embedding_reference.json"


def test_vectors_match_the_reference_model_in_the_portal_environment():
    items = json.loads(REFERENCE.read_text(encoding="utf-8"))["items"]
    expected = np.array([i["vector"] for i in items], dtype=np.float32)
    vectors = embed([i["text"] for i in items])
    assert vectors.shape == (len(items), DIMENSIONS) and vectors.dtype == np.float32
    cosines = (vectors * expected).sum(axis=1) / np.linalg.norm(expected, axis=1)
    assert cosines.min() > 0.999
