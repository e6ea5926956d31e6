"""HandoffPolicy on real Rasa trackers: when it predicts, and when it stays out of the way."""

from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, ConversationPaused, SlotSet, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from bot.components.handoff_policy import HandoffPolicy

DOMAIN = Domain.from_yaml("""
intents: [greet, EXTERNAL_agent_done]
slots:
  handoff_reason:
    type: text
    mappings: [{type: custom}]
actions: [action_handoff]
""")


def tracker(*events):
    return DialogueStateTracker.from_events("c1", [ActionExecuted("action_listen"), *events], DOMAIN.slots)


def user(intent):
    return UserUttered(f"/{intent}", {"name": intent, "confidence": 1.0})


def test_a_reason_after_a_user_message_hands_off():
    t = tracker(user("greet"), SlotSet("handoff_reason", "angry"))
    assert HandoffPolicy.should_hand_off(t)
    assert not HandoffPolicy.should_hand_off(tracker(user("greet")))


def test_after_the_handoff_it_listens_but_not_once_the_customer_speaks_again():
    handed = tracker(user("greet"), SlotSet("handoff_reason", "angry"), ActionExecuted("action_handoff"),
                     ConversationPaused())
    assert HandoffPolicy.just_handed_off(handed) and not HandoffPolicy.should_hand_off(handed)
    resumed = DialogueStateTracker.from_events("c1", [*handed.events, SlotSet("handoff_reason", None),
                                                      user("EXTERNAL_agent_done")], DOMAIN.slots)
    assert not HandoffPolicy.just_handed_off(resumed) and not HandoffPolicy.should_hand_off(resumed)
