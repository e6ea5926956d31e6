"""The supervisor's figures against a week worked out by hand (tests/portal/insight_builders.py).

Every expected number has its arithmetic beside it. The same figures run on SQLite and, with
TEST_DATABASE_URL, on PostgreSQL.
"""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from portal.extensions import db
from portal.insight import sections
from portal.insight.sql import percentiles, percentiles_by_rank
from tests.portal.insight_builders import at, filters, history


@pytest.fixture
def week(app):
    with app.app_context():
        history()
    return app


def tables(app, f, keys=None) -> dict[str, dict[str, list[str]]]:
    """{table key: {row label: the row's other cells, as shown}}."""
    with app.app_context():
        built = sections.build(f, keys)
    return {t.key: {row[0]: row[1:] for row in t.cells()} for s in built for t in s.tables}


def test_volume_by_day(week):
    got = tables(week, filters(), ["volume"])["volume-by-day"]
    # day: conversations, handoffs (live chats passed to a person), tickets opened, forum threads
    assert got["2026-03-01"] == ["2", "0", "0", "0"]  # C1, C2 (C0 is the day before)
    assert got["2026-03-02"] == ["2", "2", "2", "0"]  # C3, C4; T3 angry and T4 requested_human
    assert got["2026-03-03"] == ["0", "0", "0", "1"]  # a billing thread
    assert got["2026-03-04"] == ["1", "1", "1", "0"]  # C7, T7 bot_failing
    assert got["2026-03-05"] == ["1", "0", "1", "0"]  # C5, T5 left_message (not a live handoff)
    assert got["2026-03-06"] == ["1", "0", "1", "1"]  # C6, T6 forum_thread; a products-setup thread
    assert got["2026-03-07"] == ["1", "0", "0", "0"]  # C8 (C9, T9 and a thread start at 03-08 00:00: out)
    assert got["Total"] == ["8", "3", "5", "2"]
    assert list(got) == [f"2026-03-0{d}" for d in range(1, 8)] + ["Total"]


def test_self_service_and_deflection(week):
    got = tables(week, filters(), ["self-service"])
    # conversations, resolved by the bot alone, escalated, self-service rate
    assert got["self-service-by-day"]["2026-03-01"] == ["2", "2", "0", "100.0"]
    assert got["self-service-by-day"]["2026-03-03"] == ["0", "0", "0", ""]  # nothing to divide
    assert got["self-service-by-day"]["Total"] == ["8", "2", "5", "25.0"]  # 2 / 8
    # opened: articles 03-03 and 03-07, a thread 03-06 (posted anyway); both articles' windows are over at NOW
    assert got["suggestions"] == {"Articles opened": ["2"], "Threads opened": ["1"],
                                  "Deflected (no thread followed)": ["2"], "Posted a thread anyway": ["1"],
                                  "Still within the window": ["0"]}
    assert got["deflection"]["All opened"] == ["3", "2", "66.7"]  # 2 / (2 + 1)
    # Just after the range ends, the 23:50 article is still inside its 30 minutes.
    early = tables(week, filters(now=at(8, 0, 5)), ["self-service"])
    assert early["suggestions"]["Still within the window"] == ["1"]
    assert early["deflection"]["All opened"] == ["2", "1", "50.0"]


def test_escalation_rate_and_reasons(week):
    got = tables(week, filters(), ["escalation"])
    assert got["escalation-rate"]["The whole range"] == ["8", "5", "62.5"]  # C3 C4 C7 C5 C6 of 8
    assert got["escalation-reasons"] == {
        "Asked for a person": ["1", "20.0"], "Angry": ["1", "20.0"], "Frustrated and rising": ["0", "0.0"],
        "Abuse": ["0", "0.0"], "Bot failing (repeated fallbacks)": ["1", "20.0"], "Left a message": ["1", "20.0"],
        "Forum thread": ["1", "20.0"], "Total": ["5", "100.0"],
    }


def test_speed_percentiles_and_sla(week):
    got = tables(week, filters(), ["speed"])
    # queue wait, minutes: T3 10, T7 20, T4 30, T5 720 (T6 never claimed).
    # p50 at rank 1.5: 20 + .5 * 10 = 25; p90 at rank 2.7: 30 + .7 * 690 = 513
    assert got["speed-times"]["Queue wait (handoff to claim)"] == ["4", "25.0", "513.0"]
    # first response: 10, 20, 30, 750 -> p50 25; p90 30 + .7 * 720 = 534
    assert got["speed-times"]["First response"] == ["4", "25.0", "534.0"]
    # resolution: T3 60, T7 60, T4 1080 (resolved again 03-03 09:00) -> p50 60; p90 60 + .8 * 1020 = 876
    assert got["speed-times"]["Resolution"] == ["3", "60.0", "876.0"]
    # first response: four in time, T6 never answered and past due at NOW
    assert got["speed-sla"]["First response"] == ["4", "1", "0", "20.0"]
    # resolution: T3 T4 T7 in time; T5 past due unresolved; T6 due 03-12, still running
    assert got["speed-sla"]["Resolution"] == ["3", "1", "1", "25.0"]


def test_outcome_by_path(week):
    got = tables(week, filters(), ["outcome"])
    # a person's: C3 5, C4 2, C7 4 -> 11 / 3; the bot's: C1 4, C2 5 (C0's 1 is the day before)
    assert got["satisfaction"]["With a person"] == ["3", "3.67", "0", "1", "0", "1", "1"]
    assert got["satisfaction"]["Bot alone"] == ["2", "4.50", "0", "0", "0", "1", "1"]
    # resolved: T3 T4 T7. T3: casey's T5 came 3.4 days later; T4 reopened; T7 (a visitor) stayed solved.
    assert got["resolution"]["With a person"] == ["3", "1", "33.3", "1", "33.3"]
    # C1: casey's T3 came the next day; C2 (a visitor) stayed solved. A bot-solved chat has no reopening.
    assert got["resolution"]["Bot alone"] == ["2", "1", "50.0", "", ""]


def test_mood_start_peak_end(week):
    got = tables(week, filters(), ["mood"])
    by_day = got["mood-by-day"]
    # day: conversations, start, peak, end, came down (peak - end), ended below the peak
    assert by_day["2026-03-01"] == ["2", "0.125", "0.125", "0.075", "0.050", "50.0"]  # C1 .2/.2/.1, C2 .05
    assert by_day["2026-03-02"] == ["2", "0.400", "0.625", "0.375", "0.250", "50.0"]  # C3 .5/.9/.4, C4 .3/.35/.35
    assert by_day["2026-03-03"] == ["0", "", "", "", "", ""]
    assert by_day["2026-03-04"] == ["1", "0.700", "0.700", "0.200", "0.500", "100.0"]  # C7
    # all seven scored: starts 2.55, peaks 3.0, ends 1.9 (C8 has nothing scored); below: C1 C3 C7
    assert by_day["Total"] == ["7", "0.364", "0.429", "0.271", "0.157", "42.9"]
    assert got["mood-levels"] == {"Start": ["3", "2", "2", "0"], "Peak": ["3", "1", "2", "1"],
                                  "End": ["4", "2", "1", "0"]}


def test_a_team_keeps_its_own_tickets_and_conversations(week):
    got = tables(week, filters(team="billing"))
    assert got["volume-by-day"]["Total"] == ["2", "2", "2", "1"]  # C3 C7, T3 T7, the billing thread
    assert got["self-service-by-day"]["Total"] == ["2", "0", "2", "0.0"]  # bot-alone chats have no team
    assert got["escalation-reasons"]["Total"] == ["2", "100.0"]
    assert got["speed-times"]["Queue wait (handoff to claim)"] == ["2", "15.0", "19.0"]  # 10, 20
    assert got["satisfaction"]["With a person"] == ["2", "4.50", "0", "0", "0", "1", "1"]
    assert got["mood-by-day"]["Total"][0] == "2"
    assert got["suggestions"]["Articles opened"] == [""]  # not recorded by team: left out, not guessed
    technical = tables(week, filters(team="technical"), ["volume"])["volume-by-day"]
    assert technical["Total"] == ["2", "1", "2", "1"]  # C4 C6, T4 T6, the products-setup thread


def test_a_channel_keeps_its_own(week):
    message = tables(week, filters(channel="message"))
    assert message["volume-by-day"]["Total"] == ["1", "0", "1", "0"]  # C5 and T5; threads are the forum's
    assert message["escalation-reasons"]["Left a message"] == ["1", "100.0"]
    assert message["speed-times"]["Queue wait (handoff to claim)"] == ["1", "720.0", "720.0"]
    forum = tables(week, filters(channel="forum"))
    assert forum["volume-by-day"]["Total"] == ["1", "0", "1", "2"]
    assert forum["speed-sla"]["First response"] == ["0", "1", "0", "100.0"]
    chat = tables(week, filters(channel="chat"))
    assert chat["volume-by-day"]["Total"] == ["6", "3", "3", "0"]
    assert chat["suggestions"]["Articles opened"] == ["0"]


def test_percentiles_both_ways_match_postgresql_percentile_cont(week):
    from portal.conversations.models import Message

    values = sa.select(Message.frustration_score.label("score"),
                       sa.case((Message.frustration_score > 0.5, Message.frustration_score)).label("high"),
                       sa.literal(None, sa.Float).label("none")).where(Message.sender == "customer")
    ps = (0.5, 0.9, 0.25, 1.0, 0.0)
    with week.app_context():
        for ours in (percentiles(values, ps), percentiles_by_rank(values, ps)):
            score = ours["score"]
            # sorted: .05 .1 .2 .2 .2 .3 .35 .4 .5 .5 .6 .7 .9 .9 (14 values)
            assert score["n"] == 14
            assert score[0.5] == pytest.approx(0.375)  # rank 6.5: .35 and .4
            assert score[0.9] == pytest.approx(0.84)  # rank 11.7: .7 and .9 -> .7 + .7 * .2
            assert score[0.25] == pytest.approx(0.2)  # rank 3.25: .2 and .2
            assert score[0.0] == pytest.approx(0.05) and score[1.0] == pytest.approx(0.9)
            assert ours["high"]["n"] == 4 and ours["high"][0.5] == pytest.approx(0.8)  # .6 .7 .9 .9: rank 1.5
            assert ours["none"] == {"n": 0, **dict.fromkeys(ps)}
        if db.engine.dialect.name == "postgresql":
            theirs = db.session.execute(sa.select(*(
                sa.func.percentile_cont(p).within_group(Message.frustration_score) for p in (0.5, 0.9, 0.25)))
                .where(Message.sender == "customer")).one()
            ours = percentiles_by_rank(values, ps)["score"]
            assert [ours[0.5], ours[0.9], ours[0.25]] == pytest.approx(list(theirs))
