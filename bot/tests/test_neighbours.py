"""The nearest-examples blender: a second opinion by meaning on DIET's intent ranking."""

from __future__ import annotations

import numpy as np
import pytest
from rasa.engine.graph import ExecutionContext
from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.engine.storage.resource import Resource
from rasa.nlu.classifiers.fallback_classifier import FallbackClassifier
from rasa.nlu.tokenizers.whitespace_tokenizer import WhitespaceTokenizer
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from bot.components.embedding import SentenceEmbeddingFeaturizer
from bot.components.frustration import FrustrationAnnotator
from bot.components.neighbours import (
    NeighbourIntentBlender,
    margin_for,
    nearest_of_ours,
    neighbour_probabilities,
    prefer_in_domain,
    unlike_ours,
)

TRAINING = {
    "order_status": ["where is my order", "has my parcel shipped yet", "when will my delivery arrive"],
    "refund": ["I want my money back", "how long does a refund take", "refund me please"],
    "out_of_scope": ["what's the weather tomorrow", "tell me a joke", "who won the football"],
}


def featurized(*texts: str, storage: LocalModelStorage) -> list[Message]:
    messages = [Message.build(text=t) for t in texts]
    WhitespaceTokenizer(WhitespaceTokenizer.get_default_config()).process(messages)
    SentenceEmbeddingFeaturizer.create(SentenceEmbeddingFeaturizer.get_default_config(), storage,
                                       Resource("embedding"), ExecutionContext(None, node_name="embedding")
                                       ).process(messages)
    return messages


def trained(tmp_path, **config) -> tuple[NeighbourIntentBlender, LocalModelStorage, Resource]:
    storage, resource = LocalModelStorage(tmp_path), Resource("neighbours")
    examples = []
    for intent, texts in TRAINING.items():
        for message in featurized(*texts, storage=storage):
            message.set("intent", intent)
            examples.append(message)
    blender = NeighbourIntentBlender.create({**NeighbourIntentBlender.get_default_config(), **config}, storage,
                                            resource, ExecutionContext(None, node_name="neighbours"))
    blender.train(TrainingData(examples))
    return blender, storage, resource


def plain_and_set(tmp_path, **setting) -> tuple[NeighbourIntentBlender, NeighbourIntentBlender, LocalModelStorage]:
    """Two blenders trained alike (weight 0.2, k 1): the second with ``setting``."""
    (tmp_path / "plain").mkdir()
    (tmp_path / "set").mkdir()
    plain, storage, _ = trained(tmp_path / "plain", weight=0.2, k=1, temperature=0.05)
    other, _, _ = trained(tmp_path / "set", weight=0.2, k=1, temperature=0.05, **setting)
    return plain, other, storage


def diet_says(message: Message, ranking: dict[str, float]) -> Message:
    ordered = sorted(ranking.items(), key=lambda item: item[1], reverse=True)
    message.set("intent", {"name": ordered[0][0], "confidence": ordered[0][1]})
    message.set("intent_ranking", [{"name": n, "confidence": c} for n, c in ordered])
    return message


def test_neighbour_probabilities_favour_the_intent_with_the_closest_examples():
    examples = np.array([[1, 0], [0.9, 0.1], [0, 1], [0.1, 0.9]], dtype=np.float32)
    examples /= np.linalg.norm(examples, axis=1, keepdims=True)
    labels = np.array([0, 0, 1, 1])
    probs = neighbour_probabilities(np.array([1.0, 0.0], dtype=np.float32), examples, labels, 2, k=2, temperature=0.1)
    assert probs.sum() == pytest.approx(1.0) and probs[0] > 0.9
    sharper = neighbour_probabilities(np.array([1.0, 0.0], dtype=np.float32), examples, labels, 2, k=2,
                                      temperature=0.02)
    assert sharper[0] > probs[0]


def test_a_confidently_wrong_diet_is_corrected_by_meaning_and_survives_a_reload(tmp_path):
    blender, storage, resource = trained(tmp_path, weight=0.6, k=2, temperature=0.05)
    message = diet_says(featurized("nobody can tell me where my package is", storage=storage)[0],
                        {"refund": 0.7, "order_status": 0.2, "out_of_scope": 0.1})
    blender.process([message])
    assert message.get("intent")["name"] == "order_status"
    ranking = message.get("intent_ranking")
    assert [r["name"] for r in ranking][0] == "order_status"
    assert sum(r["confidence"] for r in ranking) == pytest.approx(1.0, abs=1e-6)

    reloaded = NeighbourIntentBlender.load({**blender.config}, storage, resource,
                                           ExecutionContext(None, node_name="neighbours"))
    again = diet_says(featurized("nobody can tell me where my package is", storage=storage)[0],
                      {"refund": 0.7, "order_status": 0.2, "out_of_scope": 0.1})
    reloaded.process([again])
    assert again.get("intent") == message.get("intent")


def test_weight_zero_leaves_diet_alone_and_messages_without_features_are_skipped(tmp_path):
    blender, storage, _ = trained(tmp_path, weight=0.0)
    message = diet_says(featurized("nobody can tell me where my package is", storage=storage)[0],
                        {"refund": 0.7, "order_status": 0.3})
    blender.process([message])
    assert message.get("intent")["name"] == "refund"
    blender.config["weight"] = 0.5
    bare = diet_says(Message.build(text="no features"), {"refund": 0.9, "order_status": 0.1})
    blender.process([bare])
    assert bare.get("intent") == {"name": "refund", "confidence": 0.9}


def test_a_narrow_out_of_scope_lead_serves_our_best_intent_and_keeps_its_confidence():
    narrow = [("out_of_scope", 0.45), ("order_status", 0.37), ("refund", 0.1)]
    assert prefer_in_domain(narrow, 0.1) == [("order_status", 0.37), ("refund", 0.1)]  # still in order
    assert prefer_in_domain(narrow, 0.05) == narrow  # a clear lead stands
    assert prefer_in_domain(narrow, 0.0) == narrow
    ours_first = [("refund", 0.5), ("out_of_scope", 0.45)]
    assert prefer_in_domain(ours_first, 0.3) == ours_first
    assert prefer_in_domain([("out_of_scope", 0.9)], 0.3) == [("out_of_scope", 0.9)]
    assert prefer_in_domain([("out_of_scope", 0.45), ("nlu_fallback", 0.4), ("refund", 0.1)], 0.5)[0][0] == "out_of_scope"


def test_the_component_applies_the_margin_to_the_blend(tmp_path):
    (tmp_path / "strict").mkdir()
    (tmp_path / "lenient").mkdir()
    text = "tell me a joke about my order"
    strict, storage, _ = trained(tmp_path / "strict", weight=0.5, k=1, temperature=0.05)
    lenient, _, _ = trained(tmp_path / "lenient", weight=0.5, k=1, temperature=0.05, out_of_scope_margin=1.0)
    diet = {"out_of_scope": 0.6, "order_status": 0.4}
    first = diet_says(featurized(text, storage=storage)[0], diet)
    strict.process([first])
    assert first.get("intent")["name"] == "out_of_scope"
    second = diet_says(featurized(text, storage=storage)[0], diet)
    lenient.process([second])
    assert second.get("intent")["name"] == "order_status"
    ranking = {r["name"]: r["confidence"] for r in first.get("intent_ranking")}
    assert second.get("intent")["confidence"] == pytest.approx(ranking["order_status"])
    served = [r["confidence"] for r in second.get("intent_ranking")]
    assert served == sorted(served, reverse=True) and "out_of_scope" not in {r["name"] for r in
                                                                            second.get("intent_ranking")}
    # Rasa's FallbackClassifier, as configured after it, keeps the served intent.
    fallback = FallbackClassifier({**FallbackClassifier.get_default_config(), "threshold": 0.25,
                                   "ambiguity_threshold": 0.0})
    fallback.process([second])
    assert second.get("intent")["name"] == "order_status"


def test_bad_settings_are_refused():
    for bad in ({"weight": 1.5}, {"k": 0}, {"temperature": 0.0}, {"out_of_scope_margin": -0.1},
                {"upset_out_of_scope_margin": 1.5}, {"min_similarity": -0.2}, {"min_similarity": 1.2}):
        with pytest.raises(ValueError):
            NeighbourIntentBlender.validate_config({**NeighbourIntentBlender.get_default_config(), **bad})


def test_an_upset_message_gets_the_larger_margin():
    assert margin_for({"level": "frustrated", "score": 0.8}, 0.0, 0.3) == 0.3
    assert margin_for({"level": "annoyed", "score": 0.5}, 0.2, 0.1) == 0.2  # never smaller than the calm one
    assert margin_for({"level": "angry", "score": 0.95}, 0.0, 0.3) == 0.3
    assert margin_for({"level": "calm", "score": 0.1}, 0.0, 0.3) == 0.0
    assert margin_for({}, 0.0, 0.3) == 0.0
    assert margin_for(None, 0.1, 0.3) == 0.1  # a button press is not scored


def test_the_component_keeps_an_upset_customer_that_a_calm_question_would_not_keep(tmp_path):
    plain, kind, storage = plain_and_set(tmp_path, upset_out_of_scope_margin=1.0)
    diet = {"out_of_scope": 0.9, "order_status": 0.1}
    texts = ("what is the weather like on my delivery day",
             "THIRD time asking, this is ridiculous, nobody tells me anything about my order")
    for blender, upset_read_as in ((plain, "out_of_scope"), (kind, "order_status")):
        calm, upset = (diet_says(m, diet) for m in featurized(*texts, storage=storage))
        FrustrationAnnotator().process([calm, upset])  # as in the pipeline, before the blender
        assert calm.get("frustration")["level"] == "calm" and upset.get("frustration")["level"] != "calm"
        blender.process([calm, upset])
        assert calm.get("intent")["name"] == "out_of_scope"
        assert upset.get("intent")["name"] == upset_read_as


def test_a_request_unlike_everything_we_serve_goes_to_out_of_scope():
    ranking = [("order_status", 0.6), ("out_of_scope", 0.3), ("refund", 0.1)]
    moved = unlike_ours(ranking, nearest=0.25, min_similarity=0.4, upset=False)
    assert moved[0] == ("out_of_scope", pytest.approx(0.9))  # the served intent's share, no more
    assert sum(c for _, c in moved) == pytest.approx(1.0) and dict(moved)["order_status"] == 0.0
    assert unlike_ours(ranking, nearest=0.45, min_similarity=0.4, upset=False) == ranking  # near enough
    assert unlike_ours(ranking, nearest=0.25, min_similarity=0.0, upset=False) == ranking  # the gate is off
    assert unlike_ours(ranking, nearest=0.25, min_similarity=0.4, upset=True) == ranking  # an upset customer
    fallback_first = [("nlu_fallback", 0.5), ("refund", 0.4)]
    assert unlike_ours(fallback_first, nearest=0.1, min_similarity=0.4, upset=False) == fallback_first
    assert unlike_ours([("refund", 1.0)], nearest=0.1, min_similarity=0.4, upset=False) == [
        ("out_of_scope", 1.0), ("refund", 0.0)]


def test_nearest_of_ours_ignores_the_out_of_scope_examples():
    examples = np.array([[1.0, 0.0], [0.0, 1.0], [0.6, 0.8]], dtype=np.float32)
    labels = np.array([0, 1, 0])
    vector = np.array([0.0, 1.0], dtype=np.float32)
    assert nearest_of_ours(vector, examples, labels, out_of_scope=1) == pytest.approx(0.8)
    assert nearest_of_ours(vector, examples, labels, out_of_scope=None) == pytest.approx(1.0)


def test_the_component_sends_a_faraway_request_out_of_scope_but_keeps_an_upset_customer(tmp_path):
    open_, gated, storage = plain_and_set(tmp_path, min_similarity=0.5)
    diet = {"order_status": 0.9, "out_of_scope": 0.1}
    texts = ("how many moons does jupiter have",
             "where is my order, I have been waiting for a week",
             "THIRD time asking, this is ridiculous, how many moons does jupiter have")
    for blender, read_as in ((open_, ("order_status", "order_status", "order_status")),
                             (gated, ("out_of_scope", "order_status", "order_status"))):
        messages = [diet_says(m, diet) for m in featurized(*texts, storage=storage)]
        FrustrationAnnotator().process(messages)
        assert messages[2].get("frustration")["level"] != "calm"
        blender.process(messages)
        assert tuple(m.get("intent")["name"] for m in messages) == read_as
    unread = diet_says(featurized(texts[2], storage=storage)[0], diet)  # the same words, no mood read
    gated.process([unread])
    assert unread.get("intent")["name"] == "out_of_scope"  # so it was the mood that kept the upset one
