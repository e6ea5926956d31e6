"""Adds the frustration detector's result to every parsed message.

The result appears in the parse output (`frustration`: score, level, signals) and in
the tracker's latest_message, where the action server and the portal read it.
Registered as a featurizer so Rasa places it after the tokenizer; it trains nothing.
"""

from __future__ import annotations

from typing import Any

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from bot.frustration import score_message

FRUSTRATION = "frustration"


def is_upset(frustration: dict[str, Any] | None) -> bool:
    """Whether a parsed message's detector result (``FRUSTRATION``) reads annoyed or worse."""
    return bool(frustration) and frustration.get("level", "calm") != "calm"


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.MESSAGE_FEATURIZER], is_trainable=False)
class FrustrationAnnotator(GraphComponent):
    @classmethod
    def create(cls, config: dict[str, Any], model_storage: ModelStorage, resource: Resource,
               execution_context: ExecutionContext) -> FrustrationAnnotator:
        return cls()

    def process(self, messages: list[Message]) -> list[Message]:
        for message in messages:
            text = message.get("text")
            if text and not text.startswith("/"):  # "/intent" payloads are button presses, not words
                message.set(FRUSTRATION, score_message(text).to_dict(), add_to_output=True)
        return messages

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        return training_data
