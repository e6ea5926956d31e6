"""Hands off as soon as a trigger fires, whatever the customer said.

The action server decides *whether* to hand off (bot/actions/triggers.py) and writes the
reason into the `handoff_reason` slot while it extracts slots after every user message.
Rules cannot say "after any intent, when this slot is set", so this policy does: on the
first prediction after a user message with `handoff_reason` set, it predicts
`action_handoff` with full confidence, and after that action, `action_listen`. Its priority sits above RulePolicy's, so a trigger
always wins over a rule or story for that turn; otherwise it predicts nothing.
"""

from __future__ import annotations

from typing import Any

from rasa.core.policies.policy import Policy, PolicyPrediction
from rasa.engine.graph import ExecutionContext
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.core.constants import ACTION_LISTEN_NAME
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, UserUttered
from rasa.shared.core.generator import TrackerWithCachedStates
from rasa.shared.core.trackers import DialogueStateTracker

HANDOFF_ACTION = "action_handoff"
REASON_SLOT = "handoff_reason"


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.POLICY_WITHOUT_END_TO_END_SUPPORT, is_trainable=True)
class HandoffPolicy(Policy):
    @staticmethod
    def get_default_config() -> dict[str, Any]:
        return {"priority": 7}

    def __init__(self, config: dict[str, Any], model_storage: ModelStorage, resource: Resource,
                 execution_context: ExecutionContext, featurizer=None) -> None:
        super().__init__(config, model_storage, resource, execution_context, featurizer)

    def train(self, training_trackers: list[TrackerWithCachedStates], domain: Domain, **kwargs: Any) -> Resource:
        if HANDOFF_ACTION not in domain.action_names_or_texts:
            raise ValueError(f"HandoffPolicy needs '{HANDOFF_ACTION}' in the domain's actions.")
        if REASON_SLOT not in {slot.name for slot in domain.slots}:
            raise ValueError(f"HandoffPolicy needs the '{REASON_SLOT}' slot in the domain.")
        return self._resource  # nothing is learned; the trigger logic lives in the action server

    def predict_action_probabilities(self, tracker: DialogueStateTracker, domain: Domain,
                                     rule_only_data: dict[str, Any] | None = None,
                                     **kwargs: Any) -> PolicyPrediction:
        probabilities = self._default_predictions(domain)
        if self.should_hand_off(tracker):
            probabilities[domain.index_for_action(HANDOFF_ACTION)] = 1.0
        elif self.just_handed_off(tracker):
            # The action pauses the conversation; wait for the person who takes over.
            probabilities[domain.index_for_action(ACTION_LISTEN_NAME)] = 1.0
        return self._prediction(probabilities)

    @staticmethod
    def just_handed_off(tracker: DialogueStateTracker) -> bool:
        """action_handoff was the last thing that happened (no user message since)."""
        for event in reversed(tracker.events):
            if isinstance(event, ActionExecuted):
                return event.action_name == HANDOFF_ACTION
            if isinstance(event, UserUttered):
                return False
        return False

    @staticmethod
    def should_hand_off(tracker: DialogueStateTracker) -> bool:
        """A reason is set and the bot has not acted yet since the customer last spoke."""
        return (
            not tracker.is_paused()
            and not tracker.active_loop_name  # a form (the rating) finishes first
            and tracker.latest_action_name == ACTION_LISTEN_NAME
            and tracker.latest_message is not None
            and tracker.latest_message.intent.get("name") is not None
            and bool(tracker.get_slot(REASON_SLOT))
        )
