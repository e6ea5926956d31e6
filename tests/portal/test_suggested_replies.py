"""Agent assist's suggested replies (issue 16): by topic and mood, filled only with the details
we have. Never a placeholder left empty ("So the problem is BN-…"), never a stand-in for a
missing detail, and never an option that does not fit the topic (a replacement for a double
charge)."""

from __future__ import annotations

import re
from types import SimpleNamespace

import pytest

from portal.agent import assist
from portal.agent.topics import topic_of
from portal.tickets.services import WANTS

LEVELS = ("calm", "annoyed", "frustrated", "angry")
AGENT = SimpleNamespace(first_name="Ann")


def ticket(problem="", wants="help from a person", order=None, customer="Casey", category="general", subject=""):
    details = {"order_number": order} if order else {}
    return SimpleNamespace(briefing={"problem": problem, "wants": wants, "details": details}, subject=subject,
                           category=category, number="T-104823",
                           customer=SimpleNamespace(first_name=customer) if customer else None)


def all_suggestions(t) -> list[str]:
    return [s for level in LEVELS for s in assist.suggestions(t, AGENT, level)]


def readable(text: str) -> None:
    assert "{" not in text and "}" not in text and "[" not in text, text
    assert not re.search(r"\s[,.!?:]|,,|\.\.|  |BN-…|about order \W|order \.|\bNone\b", text), text


@pytest.mark.parametrize("customer", ["Casey", None])
def test_a_double_charge_without_an_order_number_is_offered_a_refund_never_a_replacement(customer):
    t = ticket(problem="I was charged twice this month!!", wants=WANTS["billing"], customer=customer)
    assert topic_of(t) == "double_charge"
    said = all_suggestions(t)
    assert len(said) == 12
    for text in said:
        readable(text)
        assert "replacement" not in text and "BN-" not in text and "your order" not in text
    assert any("the double charge" in s and "refund the duplicate payment" in s for s in said)
    assert ("Casey" in " ".join(said)) is bool(customer)


def test_the_order_number_is_repeated_back_only_when_we_have_it():
    t = ticket(problem="The lamp arrived broken", wants=WANTS["delivery_problem"], order="BN-2200417")
    assert topic_of(t) == "damaged"
    said = assist.suggestions(t, AGENT, "frustrated")
    assert said[1] == ("So the problem is the damaged item on order BN-2200417, and it has taken far too long. "
                       "I'm sorry. I can send a replacement, or refund you in full. Which would you prefer?")
    for text in all_suggestions(t):
        readable(text)


def test_nothing_known_gives_plain_wordings_with_no_options_made_up():
    t = ticket(customer=None)
    assert topic_of(t) == "general"
    said = assist.suggestions(t, AGENT, "frustrated")
    assert said[1].startswith("This has taken far too long, and I'm sorry.")
    assert assist.suggestions(t, AGENT, "calm")[0] == "Thanks for your patience. Let me check that for you now."
    for text in all_suggestions(t):
        readable(text)
        assert "replacement" not in text and "refund" not in text


@pytest.mark.parametrize(("intent", "topic", "fits"), [
    ("order_status", "delivery", "courier"), ("return_item", "return", "returns label"),
    ("payment_failure", "payment", "payment again"), ("account", "account", "password"),
    ("product_fault", "fault", "repair"), ("subscription", "subscription", "pause"),
    ("cancel_order", "order_change", "cancel it"), ("protection_plan", "protection", "claim"),
    ("refund", "refund", "refund reference"),
])
def test_each_topic_offers_its_own_options(intent, topic, fits):
    t = ticket(problem="Hello, I need some help please", wants=WANTS[intent], order="BN-1048231")
    assert topic_of(t) == topic
    offers = assist.suggestions(t, AGENT, "annoyed")[2]
    assert fits in offers and offers.startswith("Thanks for bearing with us. Here's what I can do: ")
    for text in all_suggestions(t):
        readable(text)


def test_the_team_decides_when_the_words_and_the_wants_do_not():
    assert topic_of(ticket(category="billing")) == "billing"
    assert topic_of(ticket(category="technical")) == "fault"
    assert topic_of(ticket(subject="Charged twice for BN-1")) == "double_charge"


def test_a_wording_is_chosen_only_when_all_its_details_are_known():
    wordings = ["A {order_number} B.", "C[, {customer_first_name}]."]
    assert assist.wording(wordings, {"order_number": "", "customer_first_name": ""}) == "C."
    assert assist.wording(wordings, {"order_number": "", "customer_first_name": "Jo"}) == "C, Jo."
    assert assist.wording(wordings, {"order_number": "BN-1", "customer_first_name": ""}) == "A BN-1 B."
    assert assist.wording(["{issue} only"], {"issue": ""}) is None


def test_the_trainers_lines_keep_only_a_name_and_an_order():
    for lines in assist.SUGGESTIONS.values():
        for line in lines:
            assert set(re.findall(r"\{(\w+)\}", line)) <= {"customer_first_name", "order_number", "ticket_number"}
            assert "replacement" not in line and "[" not in line
