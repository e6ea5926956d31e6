"""Measure how the trained NLU model treats requests it should not answer.

Reports two rates for a model:

- OOS fallback rate: share of CLINC150 ``oos_val`` requests (never trained on) whose
  top intent is ``nlu_fallback`` or ``out_of_scope``. Higher is better.
- In-scope false-fallback rate: share of held-out examples of our own intents (a
  Rasa NLU YAML file, e.g. the test half from ``rasa data split nlu``) that fall back.
  Lower is better.

Optionally ``--clinc-val-foreign`` adds CLINC150 ``val`` requests from domains we do
not serve (travel, utility, kitchen, auto, small talk): a wider out-of-scope check.

    .venv/bin/python scripts/evaluate_oos.py --model models/calmline.tar.gz \
        --in-scope train_test_split/test_data.yml [--thresholds 0.4 0.5 0.6 0.7]

``--thresholds`` re-scores the same parses at other FallbackClassifier thresholds (the
raw DIET ranking is kept in the parse result), so tuning needs no retraining.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
from collections import Counter
from pathlib import Path
from typing import Any

BOT_DIR = Path(__file__).resolve().parent.parent
DEFAULT_CLINC = BOT_DIR.parent.parent / "shared" / "data" / "clinc150" / "train_val.json"
FALLBACK_INTENTS = {"nlu_fallback", "out_of_scope"}
FOREIGN_DOMAINS = ["travel", "utility", "kitchen_and_dining", "auto_and_commute", "small_talk"]
FOREIGN_SKIP = {"greeting", "goodbye", "thank_you", "what_can_i_ask_you", "are_you_a_bot"}


def load_in_scope(path: Path) -> list[tuple[str, str]]:
    from rasa.shared.nlu.training_data.loading import load_data

    data = load_data(str(path))
    return [
        (m.get("text"), m.get("intent"))
        for m in data.intent_examples
        if m.get("intent") != "out_of_scope"
    ]


def load_clinc(path: Path, foreign: bool) -> dict[str, list[str]]:
    data = json.loads(path.read_text(encoding="utf-8"))
    sets = {"clinc_oos_val": [t for t, _ in data["oos_val"]]}
    if foreign:
        domains = json.loads((path.parent / "domains.json").read_text(encoding="utf-8"))
        wanted = {i for d in FOREIGN_DOMAINS for i in domains[d]} - FOREIGN_SKIP
        sets["clinc_val_foreign_domains"] = [t for t, i in data["val"] if i in wanted]
    return sets


def top_intent(parse: dict[str, Any], threshold: float | None) -> str:
    """Top intent as FallbackClassifier would give it at `threshold` (None = as parsed)."""
    if threshold is None:
        return parse["intent"]["name"]
    ranking = [r for r in parse.get("intent_ranking", []) if r["name"] != "nlu_fallback"]
    if not ranking:
        return parse["intent"]["name"]
    first = ranking[0]
    if first["confidence"] < threshold:
        return "nlu_fallback"
    if len(ranking) > 1 and first["confidence"] - ranking[1]["confidence"] < 0.1:
        return "nlu_fallback"
    return first["name"]


async def parse_all(model: Path, texts: list[str]) -> list[dict[str, Any]]:
    from rasa.core.agent import Agent

    agent = Agent.load(str(model))
    return [await agent.parse_message(t) for t in texts]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--model", type=Path, default=BOT_DIR / "models" / "calmline.tar.gz")
    parser.add_argument("--in-scope", type=Path, help="held-out Rasa NLU file of our intents")
    parser.add_argument("--clinc", type=Path, default=DEFAULT_CLINC)
    parser.add_argument("--clinc-val-foreign", action="store_true")
    parser.add_argument("--thresholds", type=float, nargs="*", default=[])
    parser.add_argument("--json", type=Path, help="also write the results here")
    parser.add_argument("--show", type=int, default=10, help="examples of misses to print")
    args = parser.parse_args()
    logging.disable(logging.WARNING)
    os.environ.setdefault("RASA_TELEMETRY_ENABLED", "false")

    sets = load_clinc(args.clinc, args.clinc_val_foreign)
    in_scope = load_in_scope(args.in_scope) if args.in_scope else []
    texts = [t for s in sets.values() for t in s] + [t for t, _ in in_scope]
    parses = dict(zip(texts, asyncio.run(parse_all(args.model, texts)), strict=True))

    results: dict[str, Any] = {"model": str(args.model), "thresholds": {}}
    for threshold in [None, *args.thresholds]:
        label = "as_trained" if threshold is None else f"{threshold:.2f}"
        row: dict[str, Any] = {}
        for name, items in sets.items():
            preds = [top_intent(parses[t], threshold) for t in items]
            fell_back = sum(p in FALLBACK_INTENTS for p in preds)
            row[name] = {"n": len(items), "fallback_rate": round(fell_back / len(items), 3),
                         "wrong_intents": Counter(p for p in preds if p not in FALLBACK_INTENTS).most_common(5)}
        if in_scope:
            preds = [top_intent(parses[t], threshold) for t, _ in in_scope]
            false_fb = sum(p in FALLBACK_INTENTS for p in preds)
            correct = sum(p == gold for p, (_, gold) in zip(preds, in_scope, strict=True))
            row["in_scope_held_out"] = {"n": len(in_scope),
                                        "false_fallback_rate": round(false_fb / len(in_scope), 3),
                                        "accuracy": round(correct / len(in_scope), 3)}
        results["thresholds"][label] = row
        summary = "  ".join(
            f"{k}: {v.get('fallback_rate', v.get('false_fallback_rate'))}" for k, v in row.items()
        )
        print(f"threshold {label:<10} {summary}")

    misses = [t for t in sets["clinc_oos_val"] if parses[t]["intent"]["name"] not in FALLBACK_INTENTS]
    if in_scope:
        print("(in_scope_held_out shows the false-fallback rate: lower is better)")
    print(f"== oos_val requests that landed on an intent (as trained), first {args.show}:")
    for t in misses[: args.show]:
        p = parses[t]["intent"]
        print(f"  {p['name']:<16} {p['confidence']:.2f}  {t}")
    if args.json:
        args.json.write_text(json.dumps(results, indent=1), encoding="utf-8")


if __name__ == "__main__":
    main()
