"""The simulated customer: mood, endings, feedback and score, without a database or Rasa."""

from __future__ import annotations

import pytest

from portal.coaching.moves import read_reply
from portal.training import playbook, simulation
from portal.training.personas import SCENARIOS, built_in
from portal.training.simulation import level_of, replay, respond, score

PERSONAS = {spec.scenario: spec for spec in built_in()}

# A trainee who follows the technique for each scenario, in their own words.
SKILLED = {
    "billing_error": [
        "I'm so sorry, Dana. I can see why you're angry: order BN-2210457 was charged twice and nobody answered "
        "your email. I can refund the second payment today, or keep it as credit. Which would you prefer?",
        "Thank you. I've started the refund of the second £249 for BN-2210457 now, and I'm sorry again for the "
        "wait. Would you like the confirmation by email?",
        "Done. It should be back in your account within five days. Is there anything else I can help with?",
    ],
    "confused": [
        "That's completely understandable, Walter, the box could be clearer. So the hub from order BN-3318804 "
        "can't find your thermostat? Could you tell me the make of the thermostat?",
        "Thanks. I'm sorry for the confusion. The hub only talks to thermostats with wifi, so yours needs a small "
        "adapter. I can send you the adapter free, or arrange a return. Which would you prefer?",
    ],
    "refund_demand": [
        "That sounds frightening, Priya, and I'm so sorry. So the chair from BN-4471920 snapped at the base after "
        "three weeks. I can refund it in full today or send a replacement. Which would you like?",
        "I understand, and I'm sorry again. I can arrange the full refund for BN-4471920 now, or a replacement "
        "delivered this week. Shall I go ahead with the refund?",
        "Thank you. It's done, and you'll get an email within the hour. Is there anything else I can help with?",
    ],
    "aggressive": [
        "I hear you, two days waiting in is awful, and I'm sorry. I'd ask that we keep it respectful so I can "
        "focus on fixing it. Could you give me your order number?",
        "Thanks Rick. So order BN-5502316 was missed twice. I'm sorry. I can book the first slot tomorrow "
        "morning or arrange a refund of the delivery charge. Which would you prefer?",
        "I understand, that's completely fair. I've booked it and you'll get a text tonight. I can also send you "
        "the driver's number in the morning. Would that help?",
        "You're right, you shouldn't have had to chase us. It's all booked. Is there anything else I can do?",
    ],
    "inflexible": [
        "I understand why you want your money back, Margaret, and ten years with us matters. I'm sorry I can't "
        "refund BN-6620417 to your card, but I can offer full store credit or an exchange today. Which would "
        "you prefer?",
        "That's completely fair. I can also add free delivery on the exchange. Would that help?",
    ],
}


def play(spec, replies: list[str]) -> list[simulation.Turn]:
    """The replies until the role-play ends (the trainee stops typing when it does)."""
    turns: list[simulation.Turn] = []
    for reply in replies:
        if turns and turns[-1].outcome != "active":
            break
        turns.append(respond(spec, turns, reply))
    return turns


def test_there_is_a_shipped_persona_for_every_scenario():
    assert set(PERSONAS) == set(SCENARIOS)


@pytest.mark.parametrize("scenario", SCENARIOS)
def test_a_skilled_trainee_calms_every_persona_with_a_high_score(scenario):
    spec = PERSONAS[scenario]
    turns = play(spec, SKILLED[scenario])
    assert [t.outcome for t in turns] == ["active"] * (len(turns) - 1) + ["calmed"]
    assert all(t.mood_after < t.mood_before for t in turns)
    assert turns[-1].line == spec.endings["calmed"]
    result = score(spec, turns)
    assert result.total >= 85 and result.outcome == 40 and result.eased == 30


@pytest.mark.parametrize("scenario", SCENARIOS)
def test_blaming_and_calm_down_escalate(scenario):
    spec = PERSONAS[scenario]
    turns = replay(spec, ["Calm down. You should have read the terms before you ordered."])
    assert turns[-1].outcome == "escalated"
    assert {m for m, _ in turns[-1].hurt} == {"calm_down", "blame"}
    assert turns[-1].line == spec.endings["escalated"]
    assert score(spec, turns).total == 0


def test_calm_down_alone_escalates_an_angry_customer():
    turns = replay(PERSONAS["refund_demand"], ["Please calm down."])
    assert turns[-1].outcome == "escalated"


def test_policy_before_help_pushes_the_inflexible_customer_up():
    spec = PERSONAS["inflexible"]
    turn = respond(spec, [], "Unfortunately we can't refund after 30 days, it's our policy.")
    assert [m for m, _ in turn.hurt] == ["policy_first"]
    assert turn.mood_after > turn.mood_before and not turn.progress


@pytest.mark.parametrize("scenario", ["billing_error", "confused", "refund_demand", "inflexible"])
def test_silence_is_abandoned(scenario):
    spec = PERSONAS[scenario]
    turns = replay(spec, [""] * spec.patience)
    assert all(t.silent for t in turns)
    assert turns[-1].outcome == "abandoned" and turns[-1].line == spec.endings["abandoned"]
    assert score(spec, turns).total == 10


@pytest.mark.parametrize("scenario", SCENARIOS)
def test_unhelpful_replies_are_abandoned(scenario):
    spec = PERSONAS[scenario]
    turns = play(spec, ["ok", "Let me check.", "Noted.", "Hmm.", "Right.", "ok"])
    assert turns[-1].outcome == "abandoned"
    assert all(not t.helped and not t.progress for t in turns)


def test_the_aggressive_customer_left_in_silence_escalates():
    turns = replay(PERSONAS["aggressive"], ["", ""])
    assert turns[-1].outcome == "escalated"


def test_the_same_replies_always_give_the_same_role_play():
    spec = PERSONAS["billing_error"]
    replies = ["I'm sorry about that.", "I understand. Let me look.", "Could you tell me the date?"]
    assert replay(spec, replies) == replay(spec, replies)
    first = replay(spec, replies)
    assert len({t.line for t in first if t.outcome == "active"}) == sum(1 for t in first if t.outcome == "active")


def test_the_customer_answers_from_their_lines_for_the_new_mood():
    spec = PERSONAS["billing_error"]
    turn = respond(spec, [], SKILLED["billing_error"][0])
    assert turn.line in spec.lines[level_of(turn.mood_after)]


def test_an_ended_role_play_takes_no_more_replies():
    spec = PERSONAS["billing_error"]
    turns = replay(spec, ["Calm down."])
    with pytest.raises(ValueError):
        respond(spec, turns, "Sorry!")


def test_the_same_move_again_counts_for_less():
    spec = PERSONAS["billing_error"]
    turns = replay(spec, ["I'm sorry.", "I'm sorry.", "I'm sorry."])
    amounts = [dict(t.helped)["apologise"] for t in turns]
    assert amounts[0] > amounts[1] > amounts[2]
    assert amounts[1] == pytest.approx(amounts[0] * simulation.REPEAT_DECAY, abs=0.001)


def test_one_reply_brings_the_mood_down_at_most_a_step():
    spec = PERSONAS["billing_error"]
    turn = respond(spec, [], SKILLED["billing_error"][0])
    assert sum(a for _, a in turn.helped) > simulation.MAX_RELIEF
    assert turn.mood_after == pytest.approx(turn.mood_before - simulation.MAX_RELIEF)


def test_a_hot_tone_adds_a_little_from_the_detector():
    spec = PERSONAS["billing_error"]
    plain = respond(spec, [], "I will look at the payment now.")
    hot = respond(spec, [], "I WILL LOOK AT THE PAYMENT NOW!!!")
    assert plain.tone == () and {"shouting", "repeated_punctuation"} <= set(hot.tone)
    assert hot.mood_after - plain.mood_after == pytest.approx(simulation.TONE_PER_CUE * len(hot.tone), abs=0.001)
    assert 0 < hot.mood_after - plain.mood_after <= simulation.MAX_TONE


def test_words_of_empathy_are_not_read_as_a_hot_tone():
    turn = respond(PERSONAS["billing_error"], [], "I'm so sorry, that sounds really frustrating and upsetting.")
    assert turn.tone == ()


def test_a_boundary_calms_the_abusive_customer_and_is_neutral_for_others():
    reply = "I'd ask that we keep it respectful so I can help."
    rick = respond(PERSONAS["aggressive"], [], reply)
    walter = respond(PERSONAS["confused"], [], reply)
    assert "set_boundary" in dict(rick.helped)
    assert "set_boundary" in walter.neutral and "set_boundary" not in dict(walter.helped)


def test_calm_needs_the_moves_the_persona_needs():
    spec = PERSONAS["inflexible"]  # needs acknowledge and offer_options
    turns = play(spec, ["I'm so sorry, Margaret, I'm sorry. So BN-6620417 is the rug?"] * 6)
    assert "calmed" not in [t.outcome for t in turns]
    assert simulation.still_needed(spec, turns) == ("acknowledge", "offer_options")


def test_a_role_play_ends_after_the_most_turns():
    spec = PERSONAS["confused"]
    slow = ["Thanks for explaining. So the hub from BN-3318804 doesn't find the thermostat."] * spec.max_turns
    turns = play(spec, slow)
    assert len(turns) <= spec.max_turns and turns[-1].outcome != "active"


def test_the_score_follows_the_documented_formula():
    spec = PERSONAS["billing_error"]
    turns = replay(spec, ["I'm sorry.", "ok", "ok"])
    result = score(spec, turns)
    valued = len(spec.calms)
    assert turns[-1].outcome == "abandoned"
    eased = round(30 * max(0.0, (spec.mood - turns[-1].mood_after) / (spec.mood - spec.calmed_at)))
    assert result == simulation.Score(total=10 + eased + round(30 * 1 / valued), outcome=10, eased=eased,
                                      craft=round(30 / valued))
    assert score(spec, turns[:1]) is None  # still running


def test_inflaming_moves_and_a_hot_tone_cost_craft_points():
    spec = PERSONAS["billing_error"]
    turns = replay(spec, ["I'm sorry, but you should have checked your statement!!!"])
    turns += [respond(spec, turns, "ok")] if turns[-1].outcome == "active" else []
    result = score(spec, turns)
    assert result.craft == max(0, round(30 / len(spec.calms) - 10 - 5))


@pytest.mark.parametrize("scenario", SCENARIOS)
def test_the_better_phrasing_is_filled_and_good_by_our_own_reading(scenario):
    spec = PERSONAS[scenario]
    for level in simulation.LEVELS:
        better = simulation.better_reply(spec, level, spec.opening, set())
        assert better and "{" not in better and "}" not in better
        reading = read_reply(better, spec.opening)
        assert not reading.inflaming and len(reading.helpful) >= 2


def test_every_playbook_line_uses_three_helpful_moves_and_none_that_inflame():
    for scenario, levels in playbook.PLAYBOOK.items():
        for level, lines in levels.items():
            for template in lines:
                line = playbook.filled(template, "Sam", "BN-1048231")
                reading = read_reply(line, "I was charged for order BN-1048231")
                assert not reading.inflaming, line
                assert len(reading.helpful) >= 3, (scenario, level, line, reading.helpful)


def test_feedback_offers_a_new_phrasing_each_turn_while_there_is_one():
    spec = PERSONAS["billing_error"]
    turns = replay(spec, ["ok", "Let me check."][:spec.patience])
    if level_of(turns[0].mood_before) == level_of(turns[1].mood_before):
        assert turns[0].better != turns[1].better
