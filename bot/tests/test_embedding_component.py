"""The sentence-embedding featurizer gives DIET sentence and per-token dense features."""

from __future__ import annotations

import numpy as np
from rasa.engine.graph import ExecutionContext
from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.engine.storage.resource import Resource
from rasa.nlu.tokenizers.whitespace_tokenizer import WhitespaceTokenizer
from rasa.shared.nlu.constants import TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from bot.components.embedding import SentenceEmbeddingFeaturizer
from bot.embedding import DIMENSIONS, embed


def featurizer(tmp_path) -> SentenceEmbeddingFeaturizer:
    return SentenceEmbeddingFeaturizer.create(
        {**SentenceEmbeddingFeaturizer.get_default_config()},
        LocalModelStorage(tmp_path), Resource("embedding"), ExecutionContext(None, node_name="embedding"))


def tokenized(*texts: str) -> list[Message]:
    messages = [Message.build(text=t) for t in texts]
    WhitespaceTokenizer(WhitespaceTokenizer.get_default_config()).process(messages)
    return messages


def test_sentence_feature_is_the_scaled_embedding_and_sequence_has_one_row_per_token(tmp_path):
    messages = tokenized("order #48213 still hasn't arrived", "hi")
    featurizer(tmp_path).process(messages)
    for message in messages:
        sequence, sentence = message.get_dense_features(TEXT)
        tokens = message.get("text_tokens")
        assert sequence.features.shape == (len(tokens), DIMENSIONS)
        assert sentence.features.shape == (1, DIMENSIONS)
        expected = embed([message.get(TEXT)])[0] * np.sqrt(DIMENSIONS)
        np.testing.assert_allclose(sentence.features[0], expected, atol=1e-4)
        assert np.isfinite(sequence.features).all()


def test_training_examples_are_featurized_and_untokenized_messages_are_left_alone(tmp_path):
    examples = tokenized("where is my parcel", "I was charged twice")
    data = TrainingData(examples)
    featurizer(tmp_path).process_training_data(data)
    assert all(m.features_present(TEXT) for m in examples)
    bare = Message.build(text="no tokens yet")
    featurizer(tmp_path).process([bare])
    assert not bare.features_present(TEXT)
