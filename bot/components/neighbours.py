"""A second opinion on the intent, by meaning: the nearest training examples.

DIET learns a decision from words, character n-grams and the sentence embedding; on
phrasings unlike anything in training it can be confidently wrong. The training examples
nearest in meaning (cosine of all-MiniLM-L6-v2 sentence embeddings, which
`SentenceEmbeddingFeaturizer` has already put on every message) are a robust second
opinion: an intent's score is the mean similarity of its ``k`` nearest examples, turned
into probabilities with a softmax at ``temperature``. The component blends the two,
``(1 - weight) * DIET + weight * neighbours``, and rewrites ``intent`` and
``intent_ranking``; FallbackClassifier, after it, applies its threshold to the blend.

Sending a customer away costs more than answering a stray question: when
``out_of_scope`` leads the blend by less than ``out_of_scope_margin``, the best of our
own intents is served instead (`prefer_in_domain`). It costs most when the customer is
already upset, and an upset message to a shop's support is nearly always about the shop:
when the frustration detector (`FrustrationAnnotator`, earlier in the pipeline) reads the
message as annoyed or worse, ``upset_out_of_scope_margin`` applies instead, if larger.

A request unlike everything we serve is not ours, however the two rank our intents: when
the training example of our own intents nearest in meaning is less similar than
``min_similarity`` (cosine), the served intent's share goes to ``out_of_scope``
(`unlike_ours`). Not for a message read as upset, for the reason above.

``weight``, ``k``, ``temperature``, both margins and ``min_similarity`` are chosen on
development data only
(``scripts/tune_neighbours.py``; README, "Understanding by meaning"). No embedding is
computed here: the sentence vector comes from the featurizer's output.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.classifiers.classifier import IntentClassifier
from rasa.shared.nlu.constants import (
    FEATURE_TYPE_SENTENCE,
    INTENT,
    INTENT_NAME_KEY,
    INTENT_RANKING_KEY,
    PREDICTED_CONFIDENCE_KEY,
    TEXT,
)
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from bot.components.frustration import FRUSTRATION, is_upset
from bot.embedding import DIMENSIONS

FILE = "neighbours.npz"
OUT_OF_SCOPE = "out_of_scope"


def sentence_vector(message: Message) -> np.ndarray | None:
    """The message's dense sentence embedding (unit length), or None if it has none."""
    for feature in message.features:
        if (feature.attribute == TEXT and feature.type == FEATURE_TYPE_SENTENCE and not feature.is_sparse()
                and feature.features.shape[-1] == DIMENSIONS):
            vector = np.asarray(feature.features, dtype=np.float32).reshape(-1)
            norm = float(np.linalg.norm(vector))
            return vector / norm if norm > 0 else None
    return None


def neighbour_probabilities(vector: np.ndarray, examples: np.ndarray, labels: np.ndarray, n_intents: int,
                            k: int, temperature: float) -> np.ndarray:
    """Softmax over intents of the mean cosine of each intent's k nearest examples."""
    similarities = examples @ vector
    scores = np.full(n_intents, -1.0, dtype=np.float64)
    for intent in range(n_intents):
        own = similarities[labels == intent]
        if own.size:
            top = np.partition(own, -min(k, own.size))[-min(k, own.size):]
            scores[intent] = float(top.mean())
    scaled = (scores - scores.max()) / temperature
    weights = np.exp(scaled)
    return weights / weights.sum()


def prefer_in_domain(ordered: list[tuple[str, float]], margin: float) -> list[tuple[str, float]]:
    """Serve our best intent when out_of_scope leads it by less than ``margin``.

    ``ordered`` is (intent, confidence), highest first. Out-of-scope then leaves the
    ranking, so it stays in order (FallbackClassifier's ambiguity check compares the first
    two) and the fall-back threshold applies to the intent that is served, at its own
    confidence."""
    if margin <= 0 or len(ordered) < 2 or ordered[0][0] != OUT_OF_SCOPE or ordered[1][0].startswith("nlu_"):
        return ordered
    return ordered[1:] if ordered[0][1] - ordered[1][1] < margin else ordered


def nearest_of_ours(vector: np.ndarray, examples: np.ndarray, labels: np.ndarray, out_of_scope: int | None) -> float:
    """The cosine of the nearest training example of an intent we serve (not out-of-scope)."""
    similarities = examples @ vector
    if out_of_scope is not None:
        similarities = similarities[labels != out_of_scope]
    return float(similarities.max()) if similarities.size else -1.0


def unlike_ours(ordered: list[tuple[str, float]], nearest: float, min_similarity: float,
                upset: bool) -> list[tuple[str, float]]:
    """Hand the served intent's share to out_of_scope when nothing we serve is near in meaning.

    ``ordered`` is (intent, confidence), highest first; ``nearest`` the cosine of the nearest
    example of our own intents. Nothing changes when the gate is off (0), when out-of-scope or a
    fall-back already leads, or for an upset customer (`margin_for`)."""
    if (min_similarity <= 0 or upset or not ordered or nearest >= min_similarity
            or ordered[0][0] == OUT_OF_SCOPE or ordered[0][0].startswith("nlu_")):
        return ordered
    served, share = ordered[0]
    moved = {name: confidence for name, confidence in ordered[1:]}
    moved[OUT_OF_SCOPE] = moved.get(OUT_OF_SCOPE, 0.0) + share
    moved[served] = 0.0
    return sorted(moved.items(), key=lambda item: item[1], reverse=True)


def margin_for(frustration: dict[str, Any] | None, margin: float, upset_margin: float) -> float:
    """The out-of-scope margin for a message: the larger one when the detector reads it as upset."""
    return max(margin, upset_margin) if is_upset(frustration) else margin


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=True)
class NeighbourIntentBlender(GraphComponent, IntentClassifier):
    @staticmethod
    def get_default_config() -> dict[str, Any]:
        return {"weight": 0.5, "k": 3, "temperature": 0.05, "out_of_scope_margin": 0.0,
                "upset_out_of_scope_margin": 0.0, "min_similarity": 0.0, "ranking_length": 10}

    @classmethod
    def validate_config(cls, config: dict[str, Any]) -> None:
        if not 0.0 <= float(config["weight"]) <= 1.0:
            raise ValueError("weight must be between 0 and 1")
        if int(config["k"]) < 1 or float(config["temperature"]) <= 0:
            raise ValueError("k must be at least 1 and temperature positive")
        for key in ("out_of_scope_margin", "upset_out_of_scope_margin", "min_similarity"):
            if not 0.0 <= float(config.get(key, 0.0)) <= 1.0:
                raise ValueError(f"{key} must be between 0 and 1")

    def __init__(self, config: dict[str, Any], model_storage: ModelStorage, resource: Resource,
                 intents: list[str] | None = None, examples: np.ndarray | None = None,
                 labels: np.ndarray | None = None) -> None:
        self.validate_config(config)
        self.config = config
        self._model_storage = model_storage
        self._resource = resource
        self.intents = intents or []
        self.examples = examples if examples is not None else np.zeros((0, DIMENSIONS), dtype=np.float32)
        self.labels = labels if labels is not None else np.zeros(0, dtype=np.int32)

    @classmethod
    def create(cls, config: dict[str, Any], model_storage: ModelStorage, resource: Resource,
               execution_context: ExecutionContext) -> NeighbourIntentBlender:
        return cls(config, model_storage, resource)

    def train(self, training_data: TrainingData) -> Resource:
        pairs = [(vector, example.get(INTENT)) for example in training_data.intent_examples
                 if (vector := sentence_vector(example)) is not None]
        if not pairs:
            raise ValueError("NeighbourIntentBlender needs SentenceEmbeddingFeaturizer before it in the pipeline")
        self.intents = sorted({intent for _, intent in pairs})
        index = {name: i for i, name in enumerate(self.intents)}
        self.examples = np.stack([vector for vector, _ in pairs]).astype(np.float32)
        self.labels = np.array([index[intent] for _, intent in pairs], dtype=np.int32)
        with self._model_storage.write_to(self._resource) as directory:
            np.savez(directory / FILE, examples=self.examples, labels=self.labels,
                     intents=np.array(self.intents))
        return self._resource

    @classmethod
    def load(cls, config: dict[str, Any], model_storage: ModelStorage, resource: Resource,
             execution_context: ExecutionContext, **kwargs: Any) -> NeighbourIntentBlender:
        with model_storage.read_from(resource) as directory:
            data = np.load(directory / FILE, allow_pickle=False)
            return cls(config, model_storage, resource, intents=[str(i) for i in data["intents"]],
                       examples=data["examples"], labels=data["labels"])

    def process(self, messages: list[Message]) -> list[Message]:
        weight = float(self.config["weight"])
        if weight == 0.0 or not self.intents:
            return messages
        for message in messages:
            vector = sentence_vector(message)
            ranking = message.get(INTENT_RANKING_KEY) or []
            if vector is None or not ranking:
                continue
            blended = {r[INTENT_NAME_KEY]: (1.0 - weight) * float(r[PREDICTED_CONFIDENCE_KEY]) for r in ranking}
            neighbours = neighbour_probabilities(vector, self.examples, self.labels, len(self.intents),
                                                 int(self.config["k"]), float(self.config["temperature"]))
            for name, p in zip(self.intents, neighbours, strict=True):
                blended[name] = blended.get(name, 0.0) + weight * float(p)
            ordered = sorted(blended.items(), key=lambda item: item[1], reverse=True)
            margin = margin_for(message.get(FRUSTRATION), float(self.config.get("out_of_scope_margin", 0.0)),
                                float(self.config.get("upset_out_of_scope_margin", 0.0)))
            ordered = prefer_in_domain(ordered, margin)
            if OUT_OF_SCOPE in self.intents:  # without the intent there is nothing to hand the share to
                nearest = nearest_of_ours(vector, self.examples, self.labels, self.intents.index(OUT_OF_SCOPE))
                ordered = unlike_ours(ordered, nearest, float(self.config.get("min_similarity", 0.0)),
                                      is_upset(message.get(FRUSTRATION)))
            ordered = ordered[: int(self.config["ranking_length"])]
            top_name, top_confidence = ordered[0]
            message.set(INTENT, {INTENT_NAME_KEY: top_name, PREDICTED_CONFIDENCE_KEY: top_confidence},
                        add_to_output=True)
            message.set(INTENT_RANKING_KEY, [{INTENT_NAME_KEY: n, PREDICTED_CONFIDENCE_KEY: c} for n, c in ordered],
                        add_to_output=True)
        return messages
