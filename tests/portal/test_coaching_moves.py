"""The de-escalation moves recognised in a reply (portal/coaching/moves.py)."""

import pytest

from portal.coaching.moves import HELPFUL, INFLAMING, LABELS, read_reply


@pytest.mark.parametrize(("reply", "customer", "expected"), [
    ("I'm so sorry about order 48213, I can see why you're upset. I can either refund it or send a "
     "replacement. Which would you prefer?", "Where is order 48213??",
     {"acknowledge", "apologise", "repeat_back", "offer_options", "close_question"}),
    ("Calm down. As I said, our policy does not allow refunds.", "I want my money back NOW",
     {"calm_down", "blame", "policy_first"}),
    ("Unfortunately we cannot refund opened items, it's our policy.", "my blender broke", {"policy_first"}),
    ("I understand. Our policy covers opened items for 30 days, and I can send a replacement today.",
     "my blender broke", {"acknowledge", "offer_options"}),
    ("So your blender stopped working after two days? That's not good enough.",
     "my blender stopped working after two days", {"repeat_back", "acknowledge"}),
    ("You should have checked the size chart before ordering.", "the shoes don't fit", {"blame"}),
    ("Please hold.", "hi", set()),
])
def test_each_reply_is_read_for_its_moves(reply, customer, expected):
    assert set(read_reply(reply, customer).moves) == expected


def test_a_question_mid_reply_is_not_a_closing_question():
    assert "close_question" not in read_reply("Is it the blue one? I'll check the warehouse.").moves
    assert "close_question" in read_reply("I'll check the warehouse. Is it the blue one?").moves


def test_repeating_back_needs_the_customers_own_detail():
    assert "repeat_back" not in read_reply("So you want to know about delivery times.", "").moves
    assert "repeat_back" not in read_reply("Thanks for waiting.", "parcel never arrived, tracking stuck").moves
    assert "repeat_back" in read_reply("Just to confirm: the parcel never arrived and tracking is stuck.",
                                       "parcel never arrived, tracking stuck").moves


def test_every_move_has_a_label_and_the_groups_do_not_overlap():
    assert set(LABELS) == set(HELPFUL) | set(INFLAMING)
    assert not set(HELPFUL) & set(INFLAMING)


def test_hostile_or_huge_input_is_read_quickly():
    import time

    start = time.monotonic()
    read_reply("either " + "a" * 50_000 + " or", "x " * 20_000)
    assert time.monotonic() - start < 1.0


@pytest.mark.parametrize(("reply", "expected"), [
    # Good news is not a policy refusal.
    ("Fortunately we don't charge for returns, so you're covered.", set()),
    ("Unfortunately we cannot refund opened items.", {"policy_first"}),
    # Agents look things up all day: "I can see your order" is not acknowledging a feeling.
    ("I can see the order was shipped on Monday.", set()),
    ("I can see how frustrating this is.", {"acknowledge"}),
    ("I can tell you're really worried about it.", {"acknowledge"}),
    # Naming the customer's feeling is not blaming them.
    ("You must have been so worried when it didn't arrive.", {"acknowledge"}),
    ("You must have been sent the wrong size.", set()),
    ("You must have entered the wrong address.", {"blame"}),
])
def test_everyday_phrases_that_were_misread(reply, expected):
    assert set(read_reply(reply, "").moves) == expected
