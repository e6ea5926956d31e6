"""The rating step's actions (issue 14): the rating reaches the portal when it is clicked,
the comment follows on its own, and a post never carries what was not given."""

from __future__ import annotations

import asyncio

import pytest
from rasa_sdk import Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from bot.tests.test_actions import FakePortal, run, tracker, user


@pytest.fixture
def portal(monkeypatch):
    """The action server's portal client, swapped for the fake (and back after the test)."""
    fake = FakePortal()
    monkeypatch.setattr("bot.actions.portal._portal", fake)
    return fake


def validate_rating(value, sender="c1"):
    """What validate_satisfaction_form makes of the rating slot just filled in the form."""
    from bot.actions.satisfaction import ValidateSatisfactionForm

    events = [user(f'/rate{{"rating": "{value}"}}', "rate"),
              {"event": "slot", "name": "satisfaction_rating", "value": value}]
    t = Tracker.from_dict({
        "sender_id": sender, "slots": {"satisfaction_rating": value, "requested_slot": "satisfaction_rating"},
        "events": events, "paused": False, "followup_action": None,
        "active_loop": {"name": "satisfaction_form"}, "latest_action_name": "action_listen",
        "latest_message": {"text": events[0]["text"], **events[0]["parse_data"]},
    })
    domain = {"forms": {"satisfaction_form": {"required_slots": ["satisfaction_rating", "satisfaction_comment"]}},
              "slots": {"satisfaction_rating": {"type": "text"}, "satisfaction_comment": {"type": "text"}}}
    out = asyncio.run(ValidateSatisfactionForm().run(CollectingDispatcher(), t, domain))
    return {e["name"]: e["value"] for e in out if e["event"] == "slot"}


def test_a_clicked_rating_reaches_the_portal_at_once_before_any_comment(portal):
    assert validate_rating("4")["satisfaction_rating"] == "4"
    assert portal.calls == [("satisfaction", "c1", 4, None)]  # the rating alone, straight away


def test_a_rating_outside_one_to_five_is_asked_again_and_never_posted(portal):
    for bad in ("0", "6", "six"):
        assert validate_rating(bad)["satisfaction_rating"] is None
    assert portal.calls == []


def test_the_portal_being_down_when_the_rating_is_clicked_does_not_break_the_form(portal):
    portal.fail = True
    assert validate_rating("2")["satisfaction_rating"] == "2"  # the form goes on to the comment


def test_no_comment_means_no_second_post(portal):
    from bot.actions.satisfaction import ActionSubmitSatisfaction

    for said in ("", "   ", None):
        t = tracker([user("/deny", "deny")], {"satisfaction_rating": "5", "satisfaction_comment": said}, sender="c2")
        _, out = run(ActionSubmitSatisfaction(), t)
        assert SlotSet("satisfaction_rating", None) in out
    assert portal.calls == []


def test_the_portal_client_sends_only_what_it_was_given(monkeypatch):
    from bot.actions.portal import PortalClient

    sent = []

    class Answer:
        status_code = 200

        def json(self):
            return {"ok": True}

    client = PortalClient("http://portal", "svc")
    monkeypatch.setattr(client._http, "post", lambda url, json, headers, timeout: sent.append(json) or Answer())
    client.record_satisfaction("c1", 4)
    client.record_satisfaction("c1", None, "Quick and kind")
    assert sent == [{"conversation_id": "c1", "rating": 4}, {"conversation_id": "c1", "comment": "Quick and kind"}]
