"""The handoff briefing names the message that carries the problem (issue 11), and order numbers
are read in the forms customers write them, in one canonical form."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from bot.order_numbers import find_order_number, find_order_numbers, normalise_order_number
from portal.agent.services import _first_line
from portal.chat.rasa_client import RasaClient
from portal.extensions import db
from portal.tickets.models import Ticket
from portal.tickets.services import build_briefing
from tests.fake_rasa import FakeRasa
from tests.portal.test_chat import handoff, send


@pytest.fixture
def chat_app(make_app):
    rasa = FakeRasa()
    app = make_app(BOT_SERVICE_TOKEN="service-token-for-tests", CHAT_RATE_LIMIT="1000 per minute")
    app.extensions["rasa"] = RasaClient(rasa.url, timeout=2)
    yield app
    rasa.close()


def said(text, intent=None, level="calm", entities=()):
    message = {"sender": "customer", "text": text, "frustration": {"level": level}}
    if intent:
        message["intent"] = intent
    if entities:
        message["entities"] = list(entities)
    return message


def bot(text):
    return {"sender": "bot", "text": text}


def test_the_problem_is_the_disappointed_message_not_the_greeting_or_the_calm_opener():
    transcript = [
        said("Hi there", "greet"),
        bot("Hello, what can I help you with?"),
        said("how do I track my order?", "order_status"),
        bot("I can check that. What's your order number?"),
        said("I'm really disappointed, nobody can tell me where my parcel is", "delivery_problem", "annoyed"),
        said("ok", "affirm"),
    ]
    briefing = build_briefing(transcript, "requested_human")
    assert briefing["problem"] == "I'm really disappointed, nobody can tell me where my parcel is"
    assert briefing["wants"] == "their delivery sorted out"


def test_a_pleasantry_is_skipped_even_when_nlu_did_not_call_it_a_greeting():
    transcript = [
        said("hello there, hope you're well", "nlu_fallback"),
        said("Thank you so much", "out_of_scope"),
        said("my refund for the blender still hasn't arrived", "refund"),
    ]
    assert build_briefing(transcript, "bot_failing")["problem"] == "my refund for the blender still hasn't arrived"


def test_the_message_that_named_the_order_beats_a_later_outburst():
    transcript = [
        said("I was charged twice for order BN-2200417", "billing",
             entities=[{"entity": "order_number", "value": "BN-2200417"}]),
        said("This is RIDICULOUS!!! I've asked three times. I want my money back NOW", "refund", "angry"),
    ]
    briefing = build_briefing(transcript, "angry")
    assert briefing["problem"] == "I was charged twice for order BN-2200417"
    assert briefing["details"] == {"order_number": "BN-2200417"}
    assert briefing["mood_now"] == "angry"


def test_sarcastic_thanks_and_short_replies_are_never_the_problem():
    transcript = [
        said("the washing machine you sent has been broken for a week", "product_fault", "annoyed"),
        said("great, thanks so much", "thanks", "annoyed"),
        said("yes", "affirm"),
        said("/request_human", "request_human"),
    ]
    assert build_briefing(transcript, "requested_human")["problem"] == \
        "the washing machine you sent has been broken for a week"


def test_without_intents_the_rasa_down_path_still_finds_the_problem_and_the_order():
    transcript = [said("hi"), said("my parcel for order #48213 never came"), said("anyone?")]
    briefing = build_briefing(transcript, "left_message")
    assert briefing["problem"] == "my parcel for order #48213 never came"
    assert briefing["details"] == {"order_number": "48213"}


def test_only_pleasantries_fall_back_to_the_first_typed_message():
    transcript = [said("/greet", "greet"), said("hello", "greet"), said("thanks", "thanks")]
    assert build_briefing(transcript, "requested_human")["problem"] == "hello"
    assert build_briefing([], "requested_human")["problem"] == ""


@pytest.mark.parametrize("value, text, expected", [
    ("#48213", "where is order #48213?", "48213"),
    ("bn1048231", "track bn1048231", "BN-1048231"),
    ("BN 1048231", "is BN 1048231 coming", "BN-1048231"),
    ("48213", "order no. 48213 came damaged", "48213"),
    ("07700", "call me on 07700 900123", None),
    ("49.99", "order 49.99", None),
])
def test_entity_values_are_normalised_and_tagged_non_orders_dropped(value, text, expected):
    assert normalise_order_number(value, text) == expected
    transcript = [said(text, "order_status", entities=[{"entity": "order_number", "value": value}])]
    assert build_briefing(transcript, "requested_human")["details"].get("order_number") == expected


@pytest.mark.parametrize("text, expected", [
    ("BN-1234567", ["BN-1234567"]),
    ("bn1234567 please", ["BN-1234567"]),
    ("order 48213", ["48213"]),
    ("Order #48213 is late", ["48213"]),
    ("#48213", ["48213"]),
    ("order no. 48213", ["48213"]),
    ("order number: 48213", ["48213"]),
    ("my order number is 48213", ["48213"]),
    ("my order (#48213) and BN 7654321", ["48213", "BN-7654321"]),
    # Not order numbers: phone numbers, prices, years, postcodes, bare numbers without a cue.
    ("call me on 07700 900123", []),
    ("my phone is 07700900123", []),
    ("I paid £49.99 for order 49.99", []),
    ("I ordered in 2023, order 2023", []),
    ("deliver to SW1A 1AA or 90210", []),
    ("order 0123 456789", []),
    ("BN-12345678", []),
    ("I was charged £120.00 on 12/03/2024", []),
])
def test_order_numbers_in_the_forms_customers_write(text, expected):
    assert find_order_numbers(text) == expected
    assert find_order_number(text) == (expected[0] if expected else None)


def test_the_ticket_subject_and_the_agents_first_line_name_the_problem(chat_app):
    client = chat_app.test_client()
    conv = send(client, "Hello!").get_json()["conversation_id"]
    send(client, "I'm really disappointed, nobody can tell me where my parcel is, order #48213",
         conversation_id=conv)
    send(client, "great, thanks so much", conversation_id=conv)
    events = [
        {"event": "user", "text": "Hello!", "parse_data": {"intent": {"name": "greet", "confidence": 0.99}}},
        {"event": "user", "text": "I'm really disappointed, nobody can tell me where my parcel is, order #48213",
         "parse_data": {"intent": {"name": "delivery_problem", "confidence": 0.8},
                        "entities": [{"entity": "order_number", "value": "#48213"}]}},
        {"event": "user", "text": "great, thanks so much",
         "parse_data": {"intent": {"name": "thanks", "confidence": 0.9}, "entities": []}},
    ]
    assert handoff(client, conversation_id=conv, reason="requested_human", events=events).status_code == 201
    with chat_app.app_context():
        ticket = db.session.scalar(sa.select(Ticket))
        problem = "I'm really disappointed, nobody can tell me where my parcel is, order #48213"
        assert ticket.briefing["problem"] == problem
        assert ticket.subject == problem
        assert ticket.briefing["details"] == {"order_number": "48213"}
        line = _first_line(ticket)
        assert "nobody can tell me where my parcel is" in line and "Hello" not in line
