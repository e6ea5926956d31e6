"""Each agent's de-escalation measure (portal/coaching/measure.py), against numbers worked out
by hand: four agents, March 2026, conversations with known scores, ratings, reopens and replies.

The intervals were checked against scipy (stats.t.interval, binomtest(...).proportion_ci("wilson")).
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest

from portal.auth.models import User
from portal.chat.satisfaction import record_satisfaction
from portal.coaching import measure
from portal.coaching.stats import mean_of, t_quantile_975, wilson
from portal.conversations.models import Message
from portal.extensions import db
from portal.tickets.models import TicketEvent
from tests.portal.coaching_builders import HARSH, T0, handled, march_team
from tests.portal.ticket_builders import person

MARCH = measure.period_from("2026-03-01", "2026-03-31", date(2026, 4, 15))


def approx(value):
    return pytest.approx(value, abs=1e-6)


@pytest.fixture
def team_app(make_app):
    app = make_app()
    with app.app_context():
        march_team()
    return app


def test_one_agents_figures_match_the_hand_computed_ones(team_app):
    with team_app.app_context():
        ann = db.session.scalar(db.select(User).where(User.email == "ann@example.com"))
        m = measure.agent_measure(ann, MARCH)
    assert m.conversations == 20
    # Mood: at claim 0.8/0.6 and at the end 0.2/0.4, alternately; brought down by 0.6/0.2.
    assert (m.mood_change.n, m.mood_change.value) == (20, approx(0.4))
    assert (m.mood_change.low, m.mood_change.high) == (approx(0.303965), approx(0.496035))
    assert (m.mood_at_claim.value, m.mood_at_claim.low, m.mood_at_claim.high) == (approx(0.7), approx(0.651983),
                                                                                   approx(0.748017))
    assert (m.mood_at_end.value, m.mood_at_end.low, m.mood_at_end.high) == (approx(0.3), approx(0.251983),
                                                                             approx(0.348017))
    # Ratings 5,5,5,5,4,4,4,3,2,1: mean 3.8, sd 1.3984, t(9) interval; 7 of 10 rated 4 or 5.
    assert (m.satisfaction.n, m.satisfaction.value) == (10, approx(3.8))
    assert (m.satisfaction.low, m.satisfaction.high) == (approx(2.799636), approx(4.800364))
    assert (m.satisfied.n, m.satisfied.value, m.satisfied.low, m.satisfied.high) == (
        10, approx(0.7), approx(0.396778), approx(0.892209))
    # Reopened 3 and 6 days after resolving count; 8 days after does not: 2 of 20.
    assert (m.reopened.n, m.reopened.value, m.reopened.low, m.reopened.high) == (
        20, approx(0.1), approx(0.027866), approx(0.301034))
    # First written reply 30 s or 90 s after the claim (the greeting at 0 s does not count).
    assert (m.first_reply_seconds.n, m.first_reply_seconds.value) == (20, pytest.approx(60, abs=1e-3))
    assert (m.first_reply_seconds.low, m.first_reply_seconds.high) == (pytest.approx(45.594821, abs=1e-3),
                                                                       pytest.approx(74.405179, abs=1e-3))
    # 15 kind replies, 5 harsh ones; greetings are not read.
    moves = {u.name: u.share for u in m.moves}
    assert m.replies.read == 20
    assert (m.replies.any_helpful.value, m.replies.any_helpful.low, m.replies.any_helpful.high) == (
        approx(0.75), approx(0.531299), approx(0.888138))
    assert (m.replies.any_inflaming.value, m.replies.any_inflaming.low, m.replies.any_inflaming.high) == (
        approx(0.25), approx(0.111862), approx(0.468701))
    assert {name: round(f.value, 4) for name, f in moves.items()} == {
        "acknowledge": 0.0, "apologise": 0.75, "repeat_back": 0.0, "offer_options": 0.75, "close_question": 0.75,
        "calm_down": 0.25, "blame": 0.25, "policy_first": 0.25}
    assert all(f.n == 20 for f in moves.values())
    assert [e.text for e in m.replies.examples] == [HARSH] * 5  # the most recent few
    assert m.replies.examples[0].customer_text == "This is the third time I ask!"
    assert m.replies.examples[0].inflaming == ("calm_down", "blame", "policy_first")


def test_the_team_is_ranked_by_mood_brought_down_above_the_minimum_only(team_app):
    with team_app.app_context():
        table = measure.team_measures(MARCH)
    rows = [(m.name, m.rank, m.conversations, m.mood_change.n) for m in table]
    assert rows == [
        ("Ann Agent", 1, 20, 20),
        ("Bo Agent", 2, 21, 21),
        ("Cy Agent", None, 5, 5),  # brought the mood down furthest (0.7), but on 5 conversations
        ("Di Agent", None, 20, 19),  # 20 conversations, 19 with a mood at the end: one short
        ("Eve Agent", None, 0, 0),
    ]
    bo = table[1]
    assert (bo.mood_change.value, bo.mood_change.low, bo.mood_change.high) == (approx(0.1), approx(0.1), approx(0.1))
    assert (bo.satisfaction.n, bo.reopened.n) == (21, 21)
    assert table[2].mood_change.value == approx(0.7)
    assert table[4].satisfaction.value is None and table[4].replies.read == 0


def test_standing_is_the_tables_rank(team_app):
    with team_app.app_context():
        people = {u.email: u for u in db.session.scalars(db.select(User))}
        assert measure.standing(people["bo@example.com"], MARCH) == (2, 2)
        assert measure.standing(people["cy@example.com"], MARCH) == (None, 2)


def test_equal_means_share_a_rank():
    ms = [measure.AgentMeasure(i, name, mood_change=mean_of([0.3] * 20)) for i, name in enumerate("abc")]
    ms[2].mood_change = mean_of([0.5] * 20)
    assert [(m.name, m.rank) for m in measure.rank(ms)] == [("c", 1), ("a", 2), ("b", 2)]


def test_a_handling_ends_when_it_is_passed_on_and_only_the_last_resolver_gets_the_rating(make_app):
    app = make_app()
    with app.app_context():
        ann = person("ann@example.com", ["agent"], "Ann Agent")
        bo = person("bo@example.com", ["agent"], "Bo Agent")
        sue = person("sue@example.com", ["supervisor"], "Sue Super")
        # Ann takes it and transfers it away; then Sue assigns it to Bo, who resolves it; rated 2.
        ticket = handled(ann, T0, 0.9, 0.7, ended="transferred", rating=2)
        conv = ticket.conversation
        later = T0 + timedelta(hours=1)
        db.session.add(TicketEvent(ticket=ticket, actor_id=sue.id, kind="assigned", created_at=later,
                                   data={"to_id": bo.id, "to": "Bo Agent"}))
        db.session.add(Message(conversation=conv, sender="agent", author_id=bo.id, text="I can refund it today.",
                               created_at=later + timedelta(seconds=45)))
        db.session.add(Message(conversation=conv, sender="customer", text="thanks", frustration_score=0.1,
                               created_at=later + timedelta(minutes=1)))
        db.session.add(Message(conversation=conv, sender="customer", text="(no score)", created_at=later
                               + timedelta(minutes=2)))
        db.session.add(TicketEvent(ticket=ticket, actor_id=bo.id, kind="status", created_at=later
                                   + timedelta(minutes=5), data={"old": "open", "new": "resolved"}))
        db.session.commit()
        a, b = measure.agent_measure(ann, MARCH), measure.agent_measure(bo, MARCH)
    # Ann: 0.9 at claim, 0.7 when she passed it on; not resolved by her, so no rating or reopen.
    assert (a.conversations, a.mood_change.value, a.satisfaction.n, a.reopened.n) == (1, approx(0.2), 0, 0)
    # Bo: took it at 0.7 (the last scored message before), ended at 0.1; the rating is his.
    assert (b.conversations, b.mood_at_claim.value, b.mood_at_end.value) == (1, approx(0.7), approx(0.1))
    assert (b.satisfaction.n, b.satisfaction.value, b.reopened.n) == (1, approx(2.0), 1)
    assert b.first_reply_seconds.value == pytest.approx(45, abs=1e-3)
    assert b.satisfaction.low is None  # one rating has no interval


def test_a_running_handling_has_no_mood_at_the_end(make_app):
    app = make_app()
    with app.app_context():
        ann = person("ann@example.com", ["agent"], "Ann Agent")
        handled(ann, T0, 0.9, 0.2, ended=None)
        db.session.commit()
        m = measure.agent_measure(ann, MARCH)
    assert (m.conversations, m.mood_change.n, m.reopened.n, m.first_reply_seconds.n) == (1, 0, 0, 1)


def test_the_real_console_flow_is_measured(make_app, monkeypatch):
    """Claim, reply and resolve through the agent services, with the detector scoring the customer."""
    from portal.agent import services as agent_svc
    from portal.clock import utcnow
    from portal.handoff.messages import customer_message
    from tests.portal.ticket_builders import handoff, ticket_app

    monkeypatch.setattr("portal.tickets.mail.send_mail", lambda *args: True)
    app = ticket_app(make_app)
    with app.app_context():
        ann = person("ann@example.com", ["agent"], "Ann Agent", teams=["billing"])
        ticket = handoff(customer=person("casey@example.com"), category="billing")  # scored 0.45 by the builder
        agent_svc.claim(ticket.number, ann)
        agent_svc.agent_reply(ticket.number, ann, "I'm so sorry about order BN-1048231. Shall I refund it?")
        calmer = customer_message(ticket.conversation, "ok thank you, that would be great")
        db.session.commit()
        agent_svc.resolve(ticket.number, ann)
        record_satisfaction(ticket.conversation, rating=5)
        today = utcnow().date()
        m = measure.agent_measure(ann, measure.period_from(str(today), str(today), today))
        assert (m.conversations, m.mood_change.n) == (1, 1)
        assert m.mood_at_claim.value == approx(0.45)
        assert m.mood_at_end.value == approx(calmer.frustration_score)
        assert (m.satisfaction.value, m.reopened.value, m.first_reply_seconds.n) == (approx(5), 0, 1)
        assert m.replies.read == 1  # the greeting posted on claim is not read
        assert set(m.replies.examples[0].helpful) >= {"apologise", "repeat_back", "close_question"}


@pytest.mark.parametrize(("first", "last", "message"), [
    ("2026-13-01", None, "YYYY-MM-DD"), ("yesterday", None, "YYYY-MM-DD"), ("2026-03-31", "2026-03-01", "swap"),
    ("2020-01-01", "2026-01-01", "at most"), ("0001-01-01", "0001-01-02", "between"),
    ("9999-12-30", "9999-12-31", "between"),
])
def test_bad_periods_are_refused(first, last, message):
    with pytest.raises(measure.BadPeriod, match=message):
        measure.period_from(first, last, date(2026, 4, 15))


def test_the_default_period_is_the_last_thirty_days_both_included():
    p = measure.period_from(None, None, date(2026, 4, 15))
    assert (p.first_day, p.last_day, p.start, p.end) == (date(2026, 3, 17), date(2026, 4, 15),
                                                         datetime(2026, 3, 17), datetime(2026, 4, 16))


def test_intervals_at_the_edges():
    assert wilson(0, 0).value is None
    one = wilson(1, 1)
    assert (one.value, one.low, one.high) == (1.0, approx(0.206549), 1.0)
    none = wilson(0, 3)
    assert (none.low, none.high) == (approx(0.0), approx(0.561497))
    assert mean_of([]).value is None and mean_of([2.0]).low is None
    # Past the table, the expansion: t(40) = 2.021075, t(120) = 1.979930 (scipy).
    assert (t_quantile_975(40), t_quantile_975(120)) == (approx(2.021075), approx(1.979930))
    with pytest.raises(ValueError):
        t_quantile_975(0)


# Student's t, 0.975 quantile, from the published tables (scipy.stats.t.ppf gives the same);
# fixed here so the check runs everywhere, with no optional dependency to skip on.
T_975 = {1: 12.706205, 2: 4.302653, 5: 2.570582, 10: 2.228139, 30: 2.042272, 50: 2.008559, 99: 1.984217,
         250: 1.969498, 1000: 1.962339, 10**6: 1.959966}


@pytest.mark.parametrize(("df", "expected"), sorted(T_975.items()))
def test_t_quantiles_match_the_published_table(df, expected):
    assert t_quantile_975(df) == pytest.approx(expected, abs=2e-6)


def test_a_transfer_to_a_person_through_the_console_starts_their_handling(make_app, monkeypatch):
    from portal.agent import services as agent_svc
    from portal.clock import utcnow
    from tests.portal.ticket_builders import handoff, ticket_app

    monkeypatch.setattr("portal.tickets.mail.send_mail", lambda *args: True)
    app = ticket_app(make_app)
    with app.app_context():
        ann = person("ann@example.com", ["agent"], "Ann Agent", teams=["billing"])
        bo = person("bo@example.com", ["agent"], "Bo Agent", teams=["technical"])
        ticket = handoff(customer=person("casey@example.com"), category="billing")
        agent_svc.claim(ticket.number, ann)
        agent_svc.transfer(ticket.number, ann, to_agent=bo.id)
        agent_svc.agent_reply(ticket.number, bo, "Hi, Bo here: I can refund it now.")
        today = utcnow().date()
        period = measure.period_from(str(today), str(today), today)
        a, b = measure.agent_measure(ann, period), measure.agent_measure(bo, period)
    assert (a.conversations, a.replies.read, a.first_reply_seconds.n) == (1, 0, 0)  # only the greeting
    assert (b.conversations, b.replies.read, b.first_reply_seconds.n, b.mood_at_claim.n) == (1, 1, 1, 0)
