"""`calibrate --check` forgives another CPU's rounding noise and nothing more."""

import copy

import pytest

from bot.frustration.calibrate import differences

# No database: the same in both passes of `make test`, so it runs in one.
pytestmark = pytest.mark.once

COMMITTED = {
    "about": "weights",
    "bias": -1.2345,
    "weights": {"shouting": 0.8123, "question": -0.1},
    "ngram_weights": {"still": 0.41, "again": 0.021},
    "context": {"carry": 0.6},
    "thresholds": {"annoyed": 0.38, "frustrated": 0.48},
    "features": ["shouting", "question"],
}


def test_the_same_weights_match():
    assert differences(COMMITTED, copy.deepcopy(COMMITTED)) == []


def test_a_rounding_unit_apart_and_an_ngram_at_the_prune_edge_match():
    fresh = copy.deepcopy(COMMITTED)
    fresh["bias"] = -1.2346
    fresh["weights"]["shouting"] = 0.8125
    del fresh["ngram_weights"]["again"]  # 0.021 sits on the other side of PRUNE_BELOW
    fresh["thresholds"]["annoyed"] = 0.39  # one two-decimal step
    assert differences(COMMITTED, fresh) == []


def test_a_real_change_is_named():
    fresh = copy.deepcopy(COMMITTED)
    fresh["weights"]["shouting"] = 0.9
    fresh["context"]["carry"] = 0.4
    fresh["thresholds"]["frustrated"] = 0.5
    del fresh["ngram_weights"]["still"]
    fresh["features"] = ["question", "shouting"]
    found = differences(COMMITTED, fresh)
    assert len(found) == 6, found  # the swapped features count twice
    assert any(f.startswith("weights.shouting: 0.8123 committed, 0.9 fresh") for f in found)
    assert "ngram_weights.still: only in the committed weights" in found
    assert any(f.startswith("context.carry") for f in found)
    assert any(f.startswith("thresholds.frustrated") for f in found)


def test_a_changed_text_or_type_is_named():
    fresh = copy.deepcopy(COMMITTED)
    fresh["about"] = "other"
    fresh["bias"] = "-1.2345"
    assert len(differences(COMMITTED, fresh)) == 2
