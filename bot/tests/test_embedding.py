"""The numpy all-MiniLM-L6-v2 gives the reference model's vectors (bot/.venv, numpy 1.23)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from bot.embedding import DIMENSIONS, MAX_TOKENS, default_encoder, embed, embed_one

REFERENCE = Path(__file__).with_name("data") / "embedding_reference.json"


def reference() -> tuple[list[str], np.ndarray]:
    """Texts and vectors from sentence-transformers (data/make_embedding_reference.py)."""
    items = json.loads(REFERENCE.read_text(encoding="utf-8"))["items"]
    return [i["text"] for i in items], np.array([i["vector"] for i in items], dtype=np.float32)


def test_vectors_match_the_reference_model_sentence_by_sentence():
    texts, expected = reference()
    vectors = embed(texts)
    assert vectors.shape == (len(texts), DIMENSIONS) and vectors.dtype == np.float32
    cosines = (vectors * expected).sum(axis=1) / np.linalg.norm(expected, axis=1)
    assert cosines.min() > 0.999, dict(zip(texts, cosines.round(5), strict=True))


def test_batching_and_order_do_not_change_a_vector():
    texts, _ = reference()
    together = embed(texts)
    alone = np.stack([default_encoder().embed([t])[0] for t in reversed(texts)])[::-1]
    np.testing.assert_allclose(together, alone, atol=1e-5)
    np.testing.assert_allclose(embed_one(texts[0]), together[0], atol=1e-5)
    assert embed([]).shape == (0, DIMENSIONS)


def test_long_texts_are_cut_at_the_models_limit_and_vectors_have_unit_length():
    vectors = embed(["refund " * 600, "hi"])
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    assert len(default_encoder().tokenizer.encode("refund " * 600).ids) == MAX_TOKENS


def test_meaning_is_closer_than_words():
    parcel, lost, weather = embed(["where is my parcel", "my package never arrived", "is it raining in Paris"])
    assert parcel @ lost > parcel @ weather + 0.2
