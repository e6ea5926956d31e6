"""Action server unit tests: Tracker, CollectingDispatcher and a fake portal client.

Run in the bot's virtualenv: bot/.venv/bin/python -m pytest bot/tests
"""

from __future__ import annotations

import asyncio

import pytest
from rasa_sdk import Tracker
from rasa_sdk.events import ConversationPaused, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from bot.actions import ActionHandoff, ActionSearchArticles, ValidatePredefinedSlots
from bot.actions.portal import PortalUnavailable, set_portal
from bot.actions.triggers import category_for, handoff_reason
from bot.frustration import ConversationMood

MOOD_SLOTS = ("conversation_mood", "frustration_score", "frustration_level", "abuse_count", "failed_turns",
              "human_requests", "handoff_reason", "sarcasm")
# As in domain.yml: the mood slots have custom mappings filled by ValidatePredefinedSlots.
DOMAIN = {"slots": {name: {"type": "any", "mappings": [{"type": "custom"}]} for name in MOOD_SLOTS}}


class FakePortal:
    def __init__(self, fail: bool = False, articles=None):
        self.fail, self.calls = fail, []
        self.articles = articles if articles is not None else [
            {"title": "I've been charged twice", "url": "/kb/charged-twice-double-charge", "score": 9.0}]
        self.threads: list[dict] = []
        self.community_fails = False

    def community(self, query, limit=1):
        self.calls.append(("community", query, limit))
        if self.fail or self.community_fails:
            raise PortalUnavailable("ConnectionError")
        return self.threads[:limit]

    def search(self, query, limit=3):
        self.calls.append(("search", query, limit))
        if self.fail:
            raise PortalUnavailable("ConnectionError")
        return self.articles[:limit]

    def open_handoff(self, conversation_id, reason, events, category):
        self.calls.append(("handoff", conversation_id, reason, category, events))
        if self.fail:
            raise PortalUnavailable("ConnectionError")
        return {"ticket_number": "T-123456", "priority": "urgent"}

    def record_satisfaction(self, conversation_id, rating, comment):
        self.calls.append(("satisfaction", conversation_id, rating, comment))
        if self.fail:
            raise PortalUnavailable("ConnectionError")
        return {"rating": rating}


@pytest.fixture
def portal():
    fake = FakePortal()
    set_portal(fake)
    yield fake
    set_portal(None)


def user(text, intent="billing", confidence=0.9, entities=()):
    return {"event": "user", "text": text, "parse_data": {"intent": {"name": intent, "confidence": confidence},
                                                          "entities": list(entities)}}


def tracker(events, slots=None, sender="conv-1"):
    last_user = next((e for e in reversed(events) if e["event"] == "user"), {"text": "", "parse_data": {}})
    return Tracker.from_dict({
        "sender_id": sender, "slots": slots or {}, "events": events, "paused": False, "followup_action": None,
        "active_loop": {}, "latest_action_name": "action_listen",
        "latest_message": {"text": last_user["text"], **last_user["parse_data"]},
    })


def run(action, t):
    dispatcher = CollectingDispatcher()
    events = asyncio.run(action.run(dispatcher, t, DOMAIN))
    return dispatcher.messages, events


def slots_after(events, slots=None):
    _, out = run(ValidatePredefinedSlots(), tracker(events, slots))
    return {e["name"]: e["value"] for e in out if e["event"] == "slot"}


def test_calm_question_sets_calm_slots():
    slots = slots_after([user("Hi, where is my order BN-1048231?", "order_status")])
    assert slots["frustration_level"] == "calm"
    assert slots["handoff_reason"] is None
    assert ConversationMood.from_dict(slots["conversation_mood"]).scores == [pytest.approx(slots["frustration_score"])]


def test_mood_follows_the_conversation_and_an_angry_turn_hands_off():
    events = [user("I was charged twice for my order")]
    slots = slots_after(events)
    events.append(user("Why has nobody fixed this yet? This is the second time I ask!!"))
    slots = slots_after(events, slots)
    events.append(user("This is a JOKE. I will cancel and post a review everywhere!!!"))
    slots = slots_after(events, slots)
    assert slots["frustration_level"] == "angry"
    assert slots["handoff_reason"] == "angry"
    assert len(ConversationMood.from_dict(slots["conversation_mood"]).scores) == 3


def test_first_insult_is_a_boundary_the_second_a_handoff():
    events = [user("you are useless", "insult")]
    first = slots_after(events)
    assert first["abuse_count"] == 1.0
    events.append(user("ok fine, what about my refund", "refund"))
    second = slots_after(events, first)
    assert second["abuse_count"] == 1.0 and second["handoff_reason"] in (None, "angry", "frustrated_rising")
    events.append(user("you stupid bot", "insult"))
    third = slots_after(events, second)
    assert third["abuse_count"] == 2.0 and third["handoff_reason"] == "abuse"


def test_a_first_insult_is_a_boundary_even_when_it_scores_angry():
    slots = slots_after([user("you are a useless idiot, this is a f***ing disgrace!!!", "insult")])
    assert slots["frustration_level"] == "angry" and slots["abuse_count"] == 1.0
    assert slots["handoff_reason"] is None
    # ...but an abusive demand for a person is not made to wait
    demand = slots_after([user("you stupid bot, get me a human NOW!!!", "request_human")])
    assert demand["handoff_reason"] == "angry"


def test_a_calm_first_request_for_a_person_gets_one_offer_the_second_is_never_refused():
    events = [user("can I talk to a person please", "request_human")]
    first = slots_after(events)
    assert first["human_requests"] == 1.0 and first["handoff_reason"] is None
    events.append(user("I'd still like a person", "request_human"))
    second = slots_after(events, first)
    assert second["handoff_reason"] == "requested_human"


def test_an_annoyed_customer_asking_for_a_person_is_handed_over_at_once():
    events = [user("my parcel is late again, this is annoying", "delivery_problem")]
    first = slots_after(events)
    # Already upset (the detector's exact level may move as it is recalibrated), not yet handed off.
    assert first["frustration_level"] in ("annoyed", "frustrated") and first["handoff_reason"] is None
    events.append(user("let me talk to your supervisor", "request_human"))
    assert slots_after(events, first)["handoff_reason"] == "requested_human"


def test_two_fallbacks_in_a_row_hand_off_and_a_good_turn_resets_the_count():
    events = [user("blorp zzz", "nlu_fallback", 0.2)]
    one = slots_after(events)
    events.append(user("where is my parcel", "order_status"))
    reset = slots_after(events, one)
    assert reset["failed_turns"] == 0.0
    events += [user("qwerty uiop", "nlu_fallback", 0.1)]
    again = slots_after(events, reset)
    events += [user("asdf ghjk", "nlu_fallback", 0.1)]
    twice = slots_after(events, again)
    assert twice["failed_turns"] == 2.0 and twice["handoff_reason"] == "bot_failing"


def test_button_payloads_do_not_change_the_mood():
    events = [user("my refund is late and I'm annoyed", "refund")]
    slots = slots_after(events)
    events.append(user("/affirm", "affirm", 1.0))
    after = slots_after(events, slots)
    assert ConversationMood.from_dict(after["conversation_mood"]).scores == \
        ConversationMood.from_dict(slots["conversation_mood"]).scores


def test_an_unreadable_stored_mood_starts_fresh():
    slots = slots_after([user("hello", "greet")], {"conversation_mood": {"version": 99}})
    assert slots["frustration_level"] == "calm"


def test_handoff_opens_a_ticket_pauses_and_tells_the_number(portal):
    events = [user("I was charged twice", "billing", entities=[{"entity": "order_number", "value": "BN-1"}]),
              {"event": "bot", "text": "Sorry about that."}, user("GET ME A HUMAN NOW", "request_human")]
    messages, out = run(ActionHandoff(), tracker(events, {"handoff_reason": "angry"}, sender="abc123"))
    [call] = portal.calls
    assert call[:4] == ("handoff", "abc123", "angry", "billing")
    assert [e["event"] for e in call[4]] == ["user", "bot", "user"]
    assert call[4][0]["parse_data"]["entities"] == [{"entity": "order_number", "value": "BN-1"}]
    assert [m.get("response") for m in messages[:2]] == ["utter_handoff_intro", "utter_handoff_done"]
    assert messages[1]["ticket_number"] == "T-123456"
    assert messages[2]["custom"]["handoff"]["ticket_number"] == "T-123456"
    assert SlotSet("ticket_number", "T-123456") in out and ConversationPaused() in out


def test_handoff_when_the_portal_is_down_is_honest_and_marks_the_reply(portal):
    portal.fail = True
    messages, out = run(ActionHandoff(), tracker([user("help", "request_human")], {"handoff_reason": "requested_human"}))
    assert [m.get("response") for m in messages[:2]] == ["utter_handoff_intro", "utter_handoff_delayed"]
    assert messages[2]["custom"]["handoff"] == {"reason": "requested_human", "category": "general",
                                                "ticket_number": None}
    assert ConversationPaused() in out


def test_search_offers_articles_with_solved_buttons(portal):
    events = [user("how do I get a refund for a double charge", "billing"), user("/affirm", "affirm")]
    messages, out = run(ActionSearchArticles(), tracker(events))
    assert portal.calls == [("search", "how do I get a refund for a double charge", 3),
                            ("community", "how do I get a refund for a double charge", 1)]
    assert messages[0]["custom"]["articles"][0]["url"] == "/kb/charged-twice-double-charge"
    assert messages[1]["response"] == "utter_articles_found"  # the question comes last
    assert [b["payload"] for b in messages[1]["buttons"]] == ["/affirm", "/deny"]
    assert SlotSet("articles_offered", ["/kb/charged-twice-double-charge"]) in out
    assert SlotSet("self_service", "offered") in out


def test_an_answered_thread_that_fits_better_is_offered_first(portal):
    portal.threads = [{"title": "Smart lamp won't pair after a new router", "url": "/forum/t/3-lamp", "score": 14.5}]
    messages, out = run(ActionSearchArticles(), tracker([user("lamp won't pair with my new router", "product_fault")]))
    offered = messages[0]["custom"]["articles"]
    assert offered[0] == {"title": "Smart lamp won't pair after a new router", "url": "/forum/t/3-lamp", "type": "thread"}
    assert offered[1]["url"] == "/kb/charged-twice-double-charge"  # the articles still follow
    assert messages[1]["response"] == "utter_community_found"
    assert SlotSet("articles_offered", ["/forum/t/3-lamp", "/kb/charged-twice-double-charge"]) in out


def test_a_thread_that_scores_below_the_best_article_is_not_offered(portal):
    portal.threads = [{"title": "Two payments on my statement", "url": "/forum/t/2-two", "score": 4.0}]
    messages, _ = run(ActionSearchArticles(), tracker([user("refund for a double charge", "billing")]))
    assert [a["url"] for a in messages[0]["custom"]["articles"]] == ["/kb/charged-twice-double-charge"]
    assert messages[1]["response"] == "utter_articles_found"


def test_an_answered_thread_is_offered_when_no_article_matches_and_a_forum_failure_is_harmless(portal):
    portal.articles = []
    portal.threads = [{"title": "Lamp offline", "url": "/forum/t/3-lamp", "score": 2.0}]
    messages, out = run(ActionSearchArticles(), tracker([user("lamp offline", "product_fault")]))
    assert messages[1]["response"] == "utter_community_found" and SlotSet("self_service", "offered") in out
    portal.community_fails = True
    portal.articles = [{"title": "Reset a lamp", "url": "/kb/lamp", "score": 1.0}]
    messages, _ = run(ActionSearchArticles(), tracker([user("lamp offline", "product_fault")]))
    assert messages[1]["response"] == "utter_articles_found"


def test_search_with_no_results_or_no_portal(portal):
    portal.articles = []
    messages, out = run(ActionSearchArticles(), tracker([user("xylophone", "out_of_scope")]))
    assert messages[0]["response"] == "utter_no_articles" and SlotSet("self_service", "none") in out
    portal.fail = True
    messages, out = run(ActionSearchArticles(), tracker([user("refund", "refund")]))
    assert messages[0]["response"] == "utter_search_unavailable" and SlotSet("self_service", "unavailable") in out


def test_triggers_and_categories_directly():
    calm = ConversationMood()
    calm.add_turn("hello")
    assert handoff_reason(intent="greet", mood=calm, abuse_count=0, human_requests=0, consecutive_fallbacks=0) is None
    assert category_for(["greet", "refund", "thanks"]) == "billing"
    assert category_for(["product_fault"]) == "technical"
    assert category_for(["greet"]) == "general"
    assert category_for(["billing", "complaint"]) == "billing"  # the complaint is about the charge
    assert category_for(["complaint"]) == "general"


def test_the_rating_and_comment_go_to_the_portal_and_the_slots_clear(portal):
    from bot.actions.satisfaction import ActionSubmitSatisfaction, rating_value

    t = tracker([user('/rate{"rating": "4"}', "rate")], {"satisfaction_rating": "4",
                                                         "satisfaction_comment": "Alex was quick"}, sender="c1")
    messages, out = run(ActionSubmitSatisfaction(), t)
    # Issue 14: the rating went to the portal when it was clicked; this post only adds the comment.
    assert portal.calls[-1] == ("satisfaction", "c1", None, "Alex was quick")
    assert SlotSet("satisfaction_rating", None) in out and SlotSet("satisfaction_comment", None) in out
    assert [rating_value(v) for v in ("5", 1, "0", "six", None)] == [5, 1, None, None, None]
    portal.fail = True
    _, out = run(ActionSubmitSatisfaction(), t)  # the portal being down does not break the conversation
    assert SlotSet("satisfaction_rating", None) in out


def test_an_intent_the_portal_triggers_does_not_count_as_the_customers_words():
    slots = slots_after([user("you useless idiot!!!", "insult")])
    events = [user("you useless idiot!!!", "insult"), user("EXTERNAL: EXTERNAL_agent_done", "EXTERNAL_agent_done")]
    after = slots_after(events, slots)
    assert after["abuse_count"] == slots["abuse_count"]
    assert ConversationMood.from_dict(after["conversation_mood"]).scores == \
        ConversationMood.from_dict(slots["conversation_mood"]).scores


# ---- replies that fit the mood (issue 11): sarcasm and order numbers -------------------------

@pytest.fixture
def signals(monkeypatch):
    """The detector's signals for the next turns, whatever it scores (it is being recalibrated)."""
    from types import SimpleNamespace

    chosen: list[str] = []
    original = ConversationMood.add_turn

    def add_turn(self, text, **situation):
        result = original(self, text, **situation)
        return SimpleNamespace(**{**result.to_dict(), "signals": list(chosen)})

    monkeypatch.setattr(ConversationMood, "add_turn", add_turn)
    return chosen


def test_sarcasm_is_a_slot_for_the_turn_it_was_said_in(signals):
    signals.append("sarcasm")
    events = [user("great, thanks so much. a week without a washing machine", "thanks")]
    slots = slots_after(events)
    assert slots["sarcasm"] is True
    signals.clear()
    events.append(user("thank you, that's sorted now", "thanks"))
    assert slots_after(events, slots)["sarcasm"] is False


def test_a_button_press_is_never_sarcastic(signals):
    signals.append("sarcasm")
    assert slots_after([user("/affirm", "affirm", 1.0)])["sarcasm"] is False


def validated(events, slots=None, entity_value=None):
    """Slots after action_validate_slot_mappings, with order_number as action_extract_slots set it."""
    events = list(events)
    if entity_value is not None:
        events.append({"event": "slot", "name": "order_number", "value": entity_value})
    domain = {"slots": {**DOMAIN["slots"], "order_number": {"type": "text", "mappings": [
        {"type": "from_entity", "entity": "order_number"}]}}}
    dispatcher = CollectingDispatcher()
    out = asyncio.run(ValidatePredefinedSlots().run(dispatcher, tracker(events, slots), domain))
    return {e["name"]: e["value"] for e in out if e["event"] == "slot"}


def test_an_order_number_nlu_missed_is_read_from_the_text():
    assert validated([user("where is order no. 48213?", "order_status")])["order_number"] == "48213"
    assert validated([user("my parcel bn1048231 is late", "delivery_problem")])["order_number"] == "BN-1048231"
    assert "order_number" not in validated([user("call me on 07700 900123", "account")])
    assert "order_number" not in validated([user("/order_status", "order_status", 1.0)])


def test_a_tagged_order_number_is_normalised_and_a_tagged_non_order_keeps_the_old_one():
    tagged = [user("where is order #48213", "order_status", entities=[{"entity": "order_number", "value": "#48213"}])]
    assert validated(tagged, entity_value="#48213")["order_number"] == "48213"
    earlier = [user("order BN-1048231 is late", "delivery_problem"),
               {"event": "slot", "name": "order_number", "value": "BN-1048231"}]
    phone = user("call me on 07700 900123", "account", entities=[{"entity": "order_number", "value": "07700"}])
    assert validated([*earlier, phone], entity_value="07700")["order_number"] == "BN-1048231"

