"""Detector v2 on how customers write to support: the issue's conversations, context,
the situation (failed bot turns, waiting), our labelled set and the quality it reaches."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from bot.frustration import LEVELS, ConversationMood, datasets, score_message
from bot.frustration.metrics import f1_at, roc_auc
from bot.frustration.model import default_model

# No database: the same in both passes of `make test`, so it runs in one.
pytestmark = pytest.mark.once

REPO = Path(__file__).resolve().parents[2]
HAS_COMPLAINTS = (datasets.data_dir() / "complaints-social-media" / "complaints-data.csv").is_file()
# The complaints set may not be copied into the repository (its SOURCE.txt: research use,
# no text in tests or fixtures), so this one test needs the shared data folder beside the
# clone; our own labelled set, which ships in the repository, is tested without it.
needs_complaints = pytest.mark.skipif(
    not HAS_COMPLAINTS,
    reason=f"complaints set not found in {datasets.data_dir()}: its licence keeps it out of the repository",
)


def rank(text: str, history: list[str] | None = None, **situation) -> int:
    return LEVELS.index(score_message(text, history, **situation).level)


def annoyed_or_worse_f1(labels: list[int], results) -> float:
    """F1 of "not calm" against the labels; a level above calm is exactly a score at or over
    the annoyed threshold, rule floors included."""
    return f1_at(labels, [r.score for r in results], default_model().thresholds[0])


# --- the conversations of the issue -------------------------------------------------------


def test_a_double_charge_left_for_two_weeks_demanded_back_in_capitals_is_at_least_frustrated():
    text = "I was charged twice for the same coffee machine and nobody has fixed it in two weeks. I WANT MY MONEY BACK"
    assert rank(text) >= LEVELS.index("frustrated")


def test_sarcastic_thanks_after_an_unsolved_complaint_is_sarcasm_not_thanks():
    history = ["my fridge was meant to come last monday", "it's been a week now and still no fridge"]
    result = score_message("great, thanks so much", history)
    assert "sarcasm" in result.signals
    assert LEVELS.index(result.level) >= LEVELS.index("annoyed")


@pytest.mark.parametrize(
    "thanks", ["great, thanks so much, it arrived this morning", "perfect, that fixed it, thank you"]
)
def test_thanks_for_a_solved_problem_stays_calm(thanks):
    history = ["my fridge was meant to come last monday", "it's been a week now and still no fridge"]
    result = score_message(thanks, history)
    assert "sarcasm" not in result.signals
    assert result.level == "calm"


def test_polite_disappointment_is_noticed():
    text = "I'm really disappointed to be honest, nobody seems able to tell me where my parcel has gone"
    assert rank(text) >= LEVELS.index("annoyed")


@pytest.mark.parametrize(
    "text",
    [
        "The screen is cracked, how do I claim?",
        "my toaster stopped working, is it still under warranty?",
        "Payment declined at checkout, which cards do you accept?",
        "Unfortunately I need to cancel my order, can you help?",
    ],
)
def test_calm_requests_with_negative_words_are_at_most_annoyed(text):
    assert rank(text) <= LEVELS.index("annoyed")


# --- context and situation ----------------------------------------------------------------


def test_a_short_follow_up_keeps_the_heat_of_the_conversation():
    history = ["my refund still hasn't arrived", "I already sent the photos twice, this is ridiculous"]
    assert rank("still nothing?", history) >= LEVELS.index("frustrated")
    assert score_message("still nothing?", history).score > score_message("still nothing?").score


def test_a_solved_problem_leaves_the_earlier_heat_behind():
    mood = ConversationMood()
    mood.add_turn("This is the THIRD time I've asked!!! Where is my refund?")
    mood.add_turn("ok thank you, that's sorted now")
    assert mood.level == "calm"


def test_failed_bot_turns_and_waiting_raise_the_score():
    text = "hello? is anyone there"
    alone = score_message(text).score
    assert score_message(text, failed_turns=2).score > score_message(text, failed_turns=1).score > alone
    assert score_message(text, waited_seconds=1200).score > score_message(text, waited_seconds=300).score > alone
    assert score_message(text, waited_seconds=60).score == alone  # a minute is normal
    assert score_message(text, waited_seconds=10**9).score <= 1.0


def test_a_conversation_counts_the_failed_turns_it_is_given():
    fresh, failing = ConversationMood(), ConversationMood()
    assert (
        failing.add_turn("that's not what I asked", failed_turns=2).score
        > fresh.add_turn("that's not what I asked").score
    )


@pytest.mark.parametrize(
    "situation", [{"failed_turns": -1}, {"failed_turns": "2"}, {"waited_seconds": "soon"}, {"failed_turns": True}]
)
def test_bad_situation_arguments_are_refused(situation):
    with pytest.raises(TypeError):
        score_message("hello", **situation)


def test_score_command_takes_the_situation_and_refuses_bad_values():
    lines = [
        {"text": "hello? anyone?"},
        {"text": "hello? anyone?", "failed_turns": 2, "waited_seconds": 900},
        {"text": "hello? anyone?", "waited_seconds": -5},
        {"text": "hello? anyone?", "failed_turns": 1e400},
    ]
    source = "\n".join(
        json.dumps(line) if "e400" not in json.dumps(line) else '{"text": "x", "failed_turns": 1e400}' for line in lines
    )
    done = subprocess.run(
        [sys.executable, "-m", "bot.frustration", "score"],
        input=source + "\n",
        capture_output=True,
        text=True,
        cwd=REPO,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    replies = [json.loads(line) for line in done.stdout.splitlines()]
    assert replies[1]["score"] > replies[0]["score"]
    assert set(replies[2]) == {"error", "line"} and replies[2]["line"] == 3
    assert set(replies[3]) == {"error", "line"} and replies[3]["line"] == 4


# --- our labelled set -----------------------------------------------------------------------


def test_our_labelled_set_is_large_varied_and_split_once():
    messages = datasets.own_messages()
    conversations = datasets.own_conversations()
    assert len(messages) >= 600 and len(conversations) >= 60
    assert {m.level for m in messages} == set(LEVELS)
    tags = {tag for m in messages for tag in m.tags}
    for needed in (
        "billing_error",
        "confused",
        "refund_demand",
        "aggressive",
        "inflexible_policy",
        "sarcasm",
        "polite_frustration",
        "capitals_urgency",
        "repetition",
        "waiting",
        "threat_bank",
        "threat_chargeback",
        "threat_review",
        "threat_social",
        "calm_negative_words",
    ):
        assert needed in tags, needed
    parts = {split: {m.id for m in datasets.own_messages(split)} for split in datasets.SPLITS}
    assert sum(len(ids) for ids in parts.values()) == len(messages)
    assert not (parts["train"] & parts["test"]) and not (parts["dev"] & parts["test"])
    assert parts == {split: {m.id for m in datasets.own_messages(split)} for split in datasets.SPLITS}


def test_quality_on_our_untouched_test_part():
    test = datasets.own_set("test")
    results = [score_message(text) for text in test.texts]
    assert roc_auc(test.labels, [r.score for r in results]) >= 0.85
    assert annoyed_or_worse_f1(test.labels, results) >= 0.75


@needs_complaints
def test_quality_on_the_complaints_test_part_and_ordinary_requests():
    test = datasets.complaints("test", to_support_only=True)
    results = [score_message(text) for text in test.texts]
    assert roc_auc(test.labels, [r.score for r in results]) >= 0.80
    assert annoyed_or_worse_f1(test.labels, results) >= 0.75
    ordinary = datasets.bitext_split("test")
    calm = sum(score_message(text).level == "calm" for text in ordinary)
    assert calm >= 0.90 * len(ordinary)


@pytest.mark.parametrize(
    ("text", "signal"),
    [
        *((text, "not_understood") for text in (
            "no, I said Tuesday not Thursday",
            "that's not what I asked",
            "are you even reading what I write?",
            "forget it, I'll do it myself",
            "I'm losing patience here",
            "how hard is it to find a hotel with parking",
            "I asked for a quiet room, not one over the bar",
            "I told you I'm flying from Leeds",
            "you've booked the wrong day",
            "we're just going round in circles",
            "can you just answer the question",
        )),
        *((text, "threat_to_cancel") for text in (
            "never buying from you lot again",
            "never again, honestly",
            "that's the last time I order from Brightnest",
        )),
    ],
)
def test_a_customer_who_is_not_understood_or_is_leaving_is_not_calm(text, signal):
    result = score_message(text)
    assert signal in result.signals
    assert result.level != "calm"


@pytest.mark.parametrize(
    "text",
    ["I didn't get the email yet, can you resend it?", "no thanks, that's all", "is it possible to change the date?",
     "I said I'd be home after 5, is that ok for the driver?", "which is the wrong way round, the left or right panel?",
     "I wanted to know if it's not too late to change my delivery address",
     "I asked for the grey one, is it not in stock any more?", "I said yes to the email offers but I'm not sure",
     "oops, that's the wrong order number, it's BN-1234567", "if that's the wrong size can I swap it?",
     "please ask the driver to pay attention to the gate code", "could you answer my question about the warranty?",
     "the drum just goes round in circles and doesn't drain"],
)
def test_ordinary_turns_are_not_taken_for_not_being_understood(text):
    assert "not_understood" not in score_message(text).signals


@pytest.mark.parametrize(
    "text",
    ["the last time I ordered it came in two days, is that normal?", "one shelf is missing a screw, can you send one?",
     "how do I screw this leg onto the table?", "never again will I forget to measure first, can I return it?"],
)
def test_hardware_and_an_earlier_order_are_not_threats_or_swearing(text):
    result = score_message(text)
    assert not {"threat_to_cancel", "profanity"} & set(result.signals)
    assert result.level == "calm"
