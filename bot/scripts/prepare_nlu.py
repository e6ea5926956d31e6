"""Build generated NLU training files from the shared public datasets.

Writes two files (both regenerated, never hand-edited):

- data/nlu/bitext.yml: a mapped, deduplicated, capped sample of the Bitext
  customer-support sample, with raw order ids rewritten to our BN-####### format
  and annotated as ``order_number``; refund amounts annotated as ``amount``.
- data/nlu/clinc_oos_train.yml: ``out_of_scope`` examples from CLINC150's *train*
  splits only (``oos_train`` plus ``CLINC_PER_INTENT`` in-scope requests from each
  intent of domains we do not serve, minus any that mention our topics). The
  ``oos_val``/``val`` splits are kept for scripts/evaluate_oos.py.

Deterministic: a fixed seed, sorted inputs.

    python scripts/prepare_nlu.py [--cap 60] [--shared ../../shared/data]
"""

from __future__ import annotations

import argparse
import csv
import json
import random
import re
from collections import defaultdict
from pathlib import Path

SEED = 20261123
BOT_DIR = Path(__file__).resolve().parent.parent
DEFAULT_SHARED = BOT_DIR.parent.parent / "shared" / "data"

# Bitext intent -> our intent. Unlisted Bitext intents are skipped:
# place_order, check_payment_methods, delivery_options, set_up_shipping_address,
# check_cancellation_fee, review, switch_account, newsletter_subscription
# (a newsletter is not our "Plus" membership; mixing them would teach the wrong thing).
INTENT_MAP: dict[str, str] = {
    "track_order": "order_status",
    "delivery_period": "order_status",  # "when will my parcel arrive" is a status question
    "cancel_order": "change_order",
    "change_order": "change_order",
    "change_shipping_address": "change_order",
    "get_refund": "refund",
    "track_refund": "refund",
    "check_refund_policy": "refund",
    "check_invoice": "billing",
    "get_invoice": "billing",
    "payment_issue": "payment_failure",
    "recover_password": "account",
    "registration_problems": "account",
    "edit_account": "account",
    "create_account": "account",
    "delete_account": "account",
    "complaint": "complaint",
    "contact_human_agent": "request_human",
    "contact_customer_service": "request_human",
}

# CLINC150 in-scope intents that are clearly outside a shop's support desk. Intents that
# overlap ours (card_declined, pay_bill, account_blocked, order_status, greeting, ...) are
# deliberately absent.
CLINC_FOREIGN_INTENTS = [
    "routing", "interest_rate", "order_checks", "pin_change", "min_payment", "transfer",
    "apr", "credit_score", "improve_credit_score", "credit_limit", "rewards_balance",
    "international_fees", "expiration_date",
    "food_last", "how_busy", "ingredients_list", "calories", "nutrition_info", "recipe",
    "restaurant_reviews", "restaurant_reservation", "meal_suggestion", "cook_time",
    "what_song", "play_music", "reminder", "calendar_update", "update_playlist",
    "calendar", "next_song", "todo_list", "smart_home",
    "current_location", "oil_change_how", "uber", "traffic", "tire_pressure", "gas",
    "mpg", "distance", "directions", "gas_type", "jump_start",
    "plug_type", "translate", "flight_status", "international_visa", "timezone",
    "exchange_rate", "travel_suggestion", "vaccines", "book_flight", "book_hotel",
    "carry_on", "car_rental",
    "weather", "alarm", "date", "timer", "calculator", "definition",
    "measurement_conversion", "flip_coin", "spelling", "time", "roll_dice",
    "next_holiday", "insurance", "meeting_schedule", "payday", "taxes", "rollover_401k",
    "pto_balance", "w2", "direct_deposit",
    "meaning_of_life", "do_you_have_pets", "what_are_your_hobbies", "fun_fact",
    "tell_joke", "how_old_are_you", "where_are_you_from",
    # Added later: further foreign requests whose wording sits
    # near ours (reservations, "lost" luggage, a card "replacement", maintenance bookings,
    # time off). Still absent: anything about bills, balances, transactions, fraud, frozen
    # or blocked accounts, declined cards, rewards redemption, shopping lists and orders.
    "confirm_reservation", "cancel_reservation", "restaurant_suggestion",
    "accept_reservations", "ingredient_substitution",
    "oil_change_when", "schedule_maintenance", "last_maintenance", "tire_change",
    "travel_alert", "lost_luggage",
    "pto_request", "pto_request_status", "pto_used", "schedule_meeting", "income",
    "insurance_change",
    "replacement_card_duration", "damaged_card", "report_lost_card", "new_card",
    "application_status", "credit_limit_change",
    "change_speed", "change_volume", "whisper_mode", "change_accent", "change_ai_name",
    # Tried and left out: travel_notification ("I'm away next week"), what_is_your_name,
    # who_made_you ("what's your ..."), find_phone, share_location, text, sync_device.
    # With them, our customers' delivery changes and contact requests landed on
    # out_of_scope (suspected cause; not measured intent by intent).
]
# Requests per foreign intent. Measured (README, "Understanding by meaning"): three and
# two each raised out-of-scope fall-back but sent our own customers' messages to
# out_of_scope (in-domain acceptance -4 points); one each over the wider intent list
# keeps out_of_scope from swamping our intents.
CLINC_PER_INTENT = 1
# oos_train lines (and foreign-intent requests) that are actually in scope for a shop, or
# worded like our customers' problems (billing address, customer service, a phone number
# to call, damaged or broken things, warranties, memberships).
CLINC_OOS_EXCLUDE = re.compile(
    r"billing address|customer service|refund|deliver|order|invoice|account|password"
    r"|phone number|complain|damaged|broken|warranty|subscription|membership", re.I
)

ORDER_ID = "order_id"
REFUND_AMOUNT = "refund_amount"


def normalise(text: str) -> str:
    return re.sub(r"\s+", " ", text.strip().lower())


def yaml_quote(text: str) -> str:
    """Examples go in a block list; only a leading YAML indicator needs care."""
    return text.replace("\n", " ").strip()


def bitext_example(row: dict[str, str], rng: random.Random) -> str:
    """Return the instruction in Rasa markup, with our entity formats swapped in."""
    text = row["instruction"].replace("[", "(").replace("]", ")")
    etype = row["entity_type"]
    if etype not in (ORDER_ID, REFUND_AMOUNT) or not row["start_offset"]:
        return text
    start, end = int(row["start_offset"]), int(row["end_offset"])
    span = text[start:end]
    if not span.strip():
        return text
    before, after = text[:start], text[end:]
    if etype == ORDER_ID:
        span = f"BN-{rng.randrange(1_000_000, 10_000_000)}"
        label = "order_number"
    else:
        label = "amount"
        if before.endswith("$"):
            before, span = before[:-1], "£" + span
    # Entities must line up with whitespace tokens ("purchaseBN-1234567" would not).
    if before and before[-1].isalnum():
        before += " "
    if after and after[0].isalnum():
        after = " " + after
    return f"{before}[{span}]({label}){after}"


def build_bitext(csv_path: Path, cap: int) -> dict[str, list[str]]:
    rng = random.Random(SEED)
    by_source: dict[str, list[dict[str, str]]] = defaultdict(list)
    with csv_path.open(newline="", encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            if row["intent"] in INTENT_MAP:
                by_source[row["intent"]].append(row)

    # Round-robin over the Bitext intents feeding each of ours, so no one source dominates.
    sources_of: dict[str, list[str]] = defaultdict(list)
    for source in sorted(by_source):
        rows = sorted(by_source[source], key=lambda r: r["instruction"])
        rng.shuffle(rows)
        by_source[source] = rows
        sources_of[INTENT_MAP[source]].append(source)

    out: dict[str, list[str]] = {}
    seen: set[str] = set()
    for intent in sorted(sources_of):
        queues = [list(by_source[s]) for s in sources_of[intent]]
        picked: list[str] = []
        while len(picked) < cap and any(queues):
            for queue in queues:
                if not queue or len(picked) >= cap:
                    continue
                row = queue.pop(0)
                key = normalise(row["instruction"])
                if key in seen:
                    continue
                seen.add(key)
                picked.append(bitext_example(row, rng))
        out[intent] = picked
    return out


def build_clinc_oos(json_path: Path) -> list[str]:
    rng = random.Random(SEED)
    data = json.loads(json_path.read_text(encoding="utf-8"))
    examples = [t for t, _ in data["oos_train"] if not CLINC_OOS_EXCLUDE.search(t)]
    by_intent: dict[str, list[str]] = defaultdict(list)
    for text, intent in data["train"]:
        by_intent[intent].append(text)
    for intent in CLINC_FOREIGN_INTENTS:
        texts = sorted(t for t in by_intent[intent] if not CLINC_OOS_EXCLUDE.search(t))
        rng.shuffle(texts)
        examples.extend(texts[:CLINC_PER_INTENT])
    unique: list[str] = []
    seen: set[str] = set()
    for text in examples:
        key = normalise(text)
        if key not in seen:
            seen.add(key)
            unique.append(text)
    return unique


def write_nlu(path: Path, header: str, intents: dict[str, list[str]]) -> None:
    lines = [f"# {line}" if line else "#" for line in header.splitlines()]
    lines += ['version: "3.1"', "", "nlu:"]
    for intent, examples in intents.items():
        lines.append(f"- intent: {intent}")
        lines.append("  examples: |")
        lines.extend(f"    - {yaml_quote(e)}" for e in examples)
        lines.append("")
    path.write_text("\n".join(lines), encoding="utf-8")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--shared", type=Path, default=DEFAULT_SHARED)
    parser.add_argument("--cap", type=int, default=60, help="max Bitext examples per intent")
    parser.add_argument("--out", type=Path, default=BOT_DIR / "data" / "nlu")
    args = parser.parse_args()

    bitext = build_bitext(
        args.shared / "bitext-customer-support" / "Bitext_Sample_Customer_Support_Training_Dataset.csv",
        args.cap,
    )
    write_nlu(
        args.out / "bitext.yml",
        "GENERATED by scripts/prepare_nlu.py from the Bitext customer-support sample\n"
        "(CDLA-Sharing-1.0). Do not edit by hand; rerun the script.",
        bitext,
    )
    oos = build_clinc_oos(args.shared / "clinc150" / "train_val.json")
    write_nlu(
        args.out / "clinc_oos_train.yml",
        "GENERATED by scripts/prepare_nlu.py from CLINC150 train splits only (CC-BY-3.0).\n"
        "oos_val and val are held out for scripts/evaluate_oos.py. Do not edit by hand.",
        {"out_of_scope": oos},
    )
    counts = ", ".join(f"{k}={len(v)}" for k, v in bitext.items())
    print(f"bitext.yml: {counts}")
    print(f"clinc_oos_train.yml: out_of_scope={len(oos)}")


if __name__ == "__main__":
    main()
