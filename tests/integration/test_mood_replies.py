"""Replies that fit the mood, in the real stack (issue 11): a sarcastic thanks is not taken as
thanks, a disappointed customer with a parcel nobody can trace is never told the bot can't help,
and the handoff's briefing, subject and the agent's first line name the message with the problem."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa

from tests.integration.test_bot_stack import APOLOGY, Agent, Customer, as_json, engine_for, texts, ticket_row

pytestmark = pytest.mark.integration

WELCOME = re.compile(r"you're welcome|happy to help|no problem at all", re.I)
REFUSAL = re.compile(r"can't help|cannot help|not something I can do|outside what I can help", re.I)


def offers_a_person(turn: dict) -> bool:
    buttons = [b for r in turn["replies"] for b in r.get("buttons") or []]
    return turn["status"] == "handoff" or any(b["payload"] == "/request_human" for b in buttons)


@pytest.mark.parametrize("thanks", ["Oh great, thanks a bunch", "great, thanks so much"])
def test_sarcastic_thanks_after_a_week_without_an_appliance_is_not_taken_as_thanks(stack, thanks):
    customer = Customer(stack.portal_url)
    customer.say("My washing machine stopped working a week ago and nobody has come to fix it")
    turn = customer.say(thanks)
    replies = texts(turn)
    assert replies and not any(WELCOME.search(t) for t in replies), replies
    assert any(APOLOGY.search(t) for t in replies), replies
    assert offers_a_person(turn), turn["replies"]
    slots = stack.rasa_tracker(customer.conversation_id)["slots"]
    # The detector's sarcasm signal, or the level it keeps from the complaint before: either is enough.
    assert slots["sarcasm"] is True or slots["frustration_level"] != "calm", slots


def test_a_disappointed_customer_whose_parcel_nobody_can_trace_is_never_told_the_bot_cannot_help(stack):
    customer = Customer(stack.portal_url)
    turn = customer.say("I'm really disappointed, nobody can tell me where my parcel is")
    replies = texts(turn)
    assert replies and not any(REFUSAL.search(t) for t in replies), replies
    assert any(APOLOGY.search(t) for t in replies), replies  # acknowledged first
    assert stored_level(stack, turn["message"]["id"]) != "calm"  # scored for staff only (issue 15)


def stored_level(stack, message_id: int) -> str | None:
    engine = engine_for(stack.database_url)
    try:
        with engine.connect() as conn:
            return conn.execute(sa.text("SELECT frustration_level FROM chat_messages WHERE id = :i"),
                                {"i": message_id}).scalar_one()
    finally:
        engine.dispose()


def test_the_briefing_subject_and_first_line_name_the_problem_not_the_greeting(stack):
    customer = Customer(stack.portal_url)
    agent = Agent(stack.portal_url)
    problem = "I'm really disappointed, nobody can tell me where my parcel is, order #48213"
    customer.say("Hello, good morning!")
    turn = customer.say(problem)
    assert not any(REFUSAL.search(t) for t in texts(turn)), texts(turn)
    assert stack.rasa_tracker(customer.conversation_id)["slots"]["order_number"] == "48213"
    handoff = customer.say("Can I talk to a person please?")
    if handoff["status"] != "handoff":  # a calm customer is offered help once; the second ask is never refused
        handoff = customer.say("/request_human", label="No, a person please")
    assert handoff["status"] == "handoff", handoff["replies"]

    ticket = ticket_row(stack, customer.conversation_id)
    briefing = as_json(ticket["briefing"])
    assert briefing["problem"] == problem
    assert briefing["details"]["order_number"] == "48213"
    assert agent.post(f"/api/agent/tickets/{ticket['number']}/claim").status_code == 200
    messages = customer.transcript()["messages"]
    first_line = next(m["text"] for m in messages if m["sender"] == "agent")
    assert "nobody can tell me where my parcel is" in first_line and "good morning" not in first_line
    engine = engine_for(stack.database_url)
    try:
        with engine.connect() as conn:
            subject = conn.execute(sa.text("SELECT subject FROM tickets WHERE number = :n"),
                                   {"n": ticket["number"]}).scalar_one()
    finally:
        engine.dispose()
    assert subject == problem
