"""Time left waiting counts in the customer's mood: "hello?" after twenty unanswered minutes
is not the same message as "hello?" right away."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa

from portal.chat.rasa_client import RasaClient
from portal.clock import utcnow
from portal.conversations.models import Conversation, Message
from portal.extensions import db
from portal.handoff.messages import unanswered_seconds
from tests.fake_rasa import FakeRasa
from tests.portal.test_chat import send


def test_a_customer_left_waiting_scores_higher_than_one_answered_at_once(make_app):
    silent = FakeRasa(replies=[])  # the assistant answers nothing: the customer waits
    try:
        app = make_app(CHAT_RATE_LIMIT="1000 per minute")
        app.extensions["rasa"] = RasaClient(silent.url, timeout=2)
        client = app.test_client()
        first = send(client, "my order hasn't come, can you check it?").get_json()
        with app.app_context():
            conv = db.session.scalar(sa.select(Conversation).filter_by(public_id=first["conversation_id"]))
            db.session.execute(sa.update(Message).where(Message.conversation_id == conv.id)
                               .values(created_at=utcnow() - timedelta(minutes=25)))
            db.session.commit()
            assert unanswered_seconds(conv) >= 24 * 60
        waited = send(client, "hello? anyone there?", conversation_id=first["conversation_id"]).get_json()
        fresh = send(app.test_client(), "hello? anyone there?").get_json()
        # Scored where staff see it: the customer's answer holds no score (issue 15, finding 13).
        with app.app_context():
            score = {m.id: m.frustration_score for m in db.session.scalars(sa.select(Message))}
        assert score[waited["message"]["id"]] > score[fresh["message"]["id"]]
        with app.app_context():
            new = db.session.scalar(sa.select(Conversation).filter_by(public_id=fresh["conversation_id"]))
            assert unanswered_seconds(new) < 60
    finally:
        silent.close()


def test_an_answer_ends_the_wait(make_app):
    chatty = FakeRasa()
    try:
        app = make_app(CHAT_RATE_LIMIT="1000 per minute")
        app.extensions["rasa"] = RasaClient(chatty.url, timeout=2)
        first = send(app.test_client(), "where is my parcel?").get_json()
        with app.app_context():
            conv = db.session.scalar(sa.select(Conversation).filter_by(public_id=first["conversation_id"]))
            db.session.execute(sa.update(Message).where(Message.conversation_id == conv.id, Message.sender == "customer")
                               .values(created_at=utcnow() - timedelta(minutes=25)))
            db.session.commit()
            assert unanswered_seconds(conv) == 0.0  # the bot answered after it
    finally:
        chatty.close()
