"""Measure how the trained NLU model tells in-domain requests from out-of-scope ones.

Thresholds are chosen on data we do not report on, and reported on data they were not
chosen on: every evaluation set is split once, deterministically, by a hash of the text
(`half`), into a *tune* half and a *report* half.

- OOS fall-back rate: share of CLINC150 ``oos_val`` requests (never trained on) whose
  top intent is ``nlu_fallback`` or ``out_of_scope``. Higher is better.
- In-domain acceptable rate: share of our realistic customer messages
  (``tests/data/in_domain_eval.yml``, written for evaluation only) whose intent is one
  of the acceptable ones; and the share sent to ``out_of_scope``/``nlu_fallback``
  (lower is better).
- Evaluation sets C, D, E and F (``tests/data/in_domain_eval_{c,d,e,f}.yml`` and
  ``oos_eval_{c,d,e,f}.yml``, written fresh by helpers who never saw the training data;
  reported whole, never tuned on).
- Optionally the in-scope false-fallback rate on a held-out Rasa NLU file
  (``--in-scope``, e.g. the test half of ``rasa data split nlu``), and
  ``--clinc-val-foreign``: CLINC150 ``val`` requests from domains we do not serve.

    .venv/bin/python scripts/evaluate_oos.py --model results/models/calmline.tar.gz \
        --thresholds 0.4 0.5 0.6 0.7 --ambiguities 0.05 0.1 --tune

The parse keeps DIET's raw ranking, so other FallbackClassifier settings are re-scored
from the same parses without retraining. ``--tune`` picks the (threshold, ambiguity)
that is best on the tune halves and prints the report halves for it.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import json
import logging
import os
from collections import Counter
from pathlib import Path
from typing import Any

import yaml
from prepare_nlu import normalise

BOT_DIR = Path(__file__).resolve().parent.parent
DEFAULT_CLINC = BOT_DIR.parent.parent / "shared" / "data" / "clinc150" / "train_val.json"
TRAINED_CLINC = BOT_DIR / "data" / "nlu" / "clinc_oos_train.yml"
DEFAULT_IN_DOMAIN = BOT_DIR / "tests" / "data" / "in_domain_eval.yml"
# Evaluation sets written fresh for reporting (never tuned on): C, D, E and F (bot README).
REPORT_SETS = {name: (BOT_DIR / "tests" / "data" / f"in_domain_eval_{name}.yml",
                      BOT_DIR / "tests" / "data" / f"oos_eval_{name}.yml") for name in ("c", "d", "e", "f")}
SET_C = REPORT_SETS["c"]
FALLBACK_INTENTS = {"nlu_fallback", "out_of_scope"}
FOREIGN_DOMAINS = ["travel", "utility", "kitchen_and_dining", "auto_and_commute", "small_talk"]
FOREIGN_SKIP = {"greeting", "goodbye", "thank_you", "what_can_i_ask_you", "are_you_a_bot"}
HALVES = ("tune", "report")


def half(text: str) -> str:
    """The half a text belongs to, fixed by its content (same text, same half, always)."""
    return "tune" if hashlib.sha1(text.encode("utf-8")).digest()[0] % 2 == 0 else "report"


def load_in_scope(path: Path) -> list[tuple[str, set[str]]]:
    from rasa.shared.nlu.training_data.loading import load_data

    data = load_data(str(path))
    return [
        (m.get("text"), {m.get("intent")})
        for m in data.intent_examples
        if m.get("intent") != "out_of_scope"
    ]


def load_in_domain(path: Path) -> list[tuple[str, set[str]]]:
    items = yaml.safe_load(path.read_text(encoding="utf-8"))["items"]
    return [(item["text"], set(item["ok"])) for item in items]


def load_oos(path: Path) -> list[str]:
    """A YAML list of out-of-scope requests (``items:``), e.g. set C."""
    return [str(t) for t in yaml.safe_load(path.read_text(encoding="utf-8"))["items"]]


def load_clinc(path: Path, foreign: bool) -> dict[str, list[str]]:
    data = json.loads(path.read_text(encoding="utf-8"))
    oos = [t for t, _ in data["oos_val"]]
    sets = {f"oos_val_{h}": [t for t in oos if half(t) == h] for h in HALVES}
    if foreign:
        domains = json.loads((path.parent / "domains.json").read_text(encoding="utf-8"))
        wanted = {i for d in FOREIGN_DOMAINS for i in domains[d]} - FOREIGN_SKIP
        sets["clinc_val_foreign_domains"] = [t for t, i in data["val"] if i in wanted]
    return sets


def clinc_train_foreign(path: Path, per_intent: int) -> list[str]:
    """CLINC150 *train* requests from the same foreign domains, never trained on (checked against
    the generated ``clinc_oos_train.yml``, normalised as prepare_nlu writes it): ``per_intent`` of
    each intent, picked by a hash of the text. For tuning only: the report set above is their *val*
    split."""
    nlu = yaml.safe_load(TRAINED_CLINC.read_text(encoding="utf-8"))["nlu"]
    trained = {normalise(line[2:]) for block in nlu for line in block["examples"].splitlines()
               if line.startswith("- ")}
    data = json.loads(path.read_text(encoding="utf-8"))
    domains = json.loads((path.parent / "domains.json").read_text(encoding="utf-8"))
    wanted = {i for d in FOREIGN_DOMAINS for i in domains[d]} - FOREIGN_SKIP
    by_intent: dict[str, list[str]] = {}
    for text, intent in data["train"]:
        if intent in wanted and normalise(text) not in trained:
            by_intent.setdefault(intent, []).append(text)
    return [t for intent in sorted(by_intent)
            for t in sorted(by_intent[intent], key=lambda t: hashlib.sha1(t.encode("utf-8")).hexdigest())[:per_intent]]


def top_intent(parse: dict[str, Any], threshold: float | None, ambiguity: float = 0.1) -> str:
    """Top intent as FallbackClassifier would give it at these settings (None = as parsed)."""
    if threshold is None:
        return parse["intent"]["name"]
    ranking = [r for r in parse.get("intent_ranking", []) if r["name"] != "nlu_fallback"]
    if not ranking:
        return parse["intent"]["name"]
    first = ranking[0]
    if first["confidence"] < threshold:
        return "nlu_fallback"
    if len(ranking) > 1 and first["confidence"] - ranking[1]["confidence"] < ambiguity:
        return "nlu_fallback"
    return first["name"]


async def parse_all(model: Path, texts: list[str]) -> list[dict[str, Any]]:
    from rasa.core.agent import Agent

    agent = Agent.load(str(model))
    return [await agent.parse_message(t) for t in texts]


def score(parses: dict[str, dict[str, Any]], oos_sets: dict[str, list[str]],
          labelled: dict[str, list[tuple[str, set[str]]]], threshold: float | None,
          ambiguity: float) -> dict[str, Any]:
    row: dict[str, Any] = {}
    for name, texts in oos_sets.items():
        preds = [top_intent(parses[t], threshold, ambiguity) for t in texts]
        row[name] = {"n": len(texts),
                     "fallback_rate": round(sum(p in FALLBACK_INTENTS for p in preds) / max(len(texts), 1), 3),
                     "wrong_intents": Counter(p for p in preds if p not in FALLBACK_INTENTS).most_common(5)}
    for name, items in labelled.items():
        preds = [top_intent(parses[t], threshold, ambiguity) for t, _ in items]
        n = max(len(items), 1)
        row[name] = {"n": len(items),
                     "acceptable_rate": round(sum(p in ok for p, (_, ok) in zip(preds, items, strict=True)) / n, 3),
                     "fallback_rate": round(sum(p in FALLBACK_INTENTS for p in preds) / n, 3)}
    return row


def summary(row: dict[str, Any]) -> str:
    parts = []
    for name, v in row.items():
        if "acceptable_rate" in v:
            parts.append(f"{name}: ok {v['acceptable_rate']:.3f} fb {v['fallback_rate']:.3f}")
        else:
            parts.append(f"{name}: fb {v['fallback_rate']:.3f}")
    return "  ".join(parts)


def tuning_objective(row: dict[str, Any]) -> float:
    """OOS fall-back plus in-domain acceptable, on the tune halves only."""
    return row["oos_val_tune"]["fallback_rate"] + row["in_domain_tune"]["acceptable_rate"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--model", type=Path, default=BOT_DIR / "models" / "calmline.tar.gz")
    parser.add_argument("--in-domain", type=Path, default=DEFAULT_IN_DOMAIN,
                        help="YAML of realistic messages and their acceptable intents")
    parser.add_argument("--in-scope", type=Path, help="held-out Rasa NLU file of our intents")
    parser.add_argument("--clinc", type=Path, default=DEFAULT_CLINC)
    parser.add_argument("--clinc-val-foreign", action="store_true")
    parser.add_argument("--thresholds", type=float, nargs="*", default=[])
    parser.add_argument("--ambiguities", type=float, nargs="*", default=[0.1])
    parser.add_argument("--tune", action="store_true",
                        help="choose the settings on the tune halves, print the report halves for them")
    parser.add_argument("--json", type=Path, help="also write the results here")
    parser.add_argument("--show", type=int, default=10, help="examples of misses to print")
    args = parser.parse_args()
    logging.disable(logging.WARNING)
    import structlog  # Rasa logs every parse at debug level through structlog

    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(logging.WARNING))
    os.environ.setdefault("RASA_TELEMETRY_ENABLED", "false")

    oos_sets = load_clinc(args.clinc, args.clinc_val_foreign)
    in_domain = load_in_domain(args.in_domain)
    labelled = {f"in_domain_{h}": [item for item in in_domain if half(item[0]) == h] for h in HALVES}
    for name, (in_domain_path, oos_path) in REPORT_SETS.items():
        oos_sets[f"oos_eval_{name}"] = load_oos(oos_path)
        labelled[f"in_domain_eval_{name}"] = load_in_domain(in_domain_path)
    if args.in_scope:
        labelled["in_scope_held_out"] = load_in_scope(args.in_scope)
    texts = list(dict.fromkeys([t for s in oos_sets.values() for t in s]
                               + [t for items in labelled.values() for t, _ in items]))
    parses = dict(zip(texts, asyncio.run(parse_all(args.model, texts)), strict=True))

    results: dict[str, Any] = {"model": str(args.model), "settings": {}}
    settings = [(None, 0.0)] + [(t, a) for t in args.thresholds for a in args.ambiguities]
    for threshold, ambiguity in settings:
        label = "as_trained" if threshold is None else f"{threshold:.2f}/{ambiguity:.2f}"
        row = score(parses, oos_sets, labelled, threshold, ambiguity)
        results["settings"][label] = row
        print(f"{label:<11} {summary(row)}")
    print("(fb = share sent to out_of_scope/nlu_fallback; ok = share with an acceptable intent)")

    if args.tune and len(settings) > 1:
        scored = [(tuning_objective(results["settings"][f"{t:.2f}/{a:.2f}"]), -t, -a, t, a)
                  for t, a in settings[1:]]
        _, _, _, threshold, ambiguity = max(scored)
        chosen = results["settings"][f"{threshold:.2f}/{ambiguity:.2f}"]
        results["chosen"] = {"threshold": threshold, "ambiguity": ambiguity}
        print(f"== chosen on the tune halves: threshold {threshold:.2f}, ambiguity {ambiguity:.2f}")
        print(f"   report halves: OOS fall-back {chosen['oos_val_report']['fallback_rate']:.3f} "
              f"(n={chosen['oos_val_report']['n']}), in-domain acceptable "
              f"{chosen['in_domain_report']['acceptable_rate']:.3f}, sent to out_of_scope/fallback "
              f"{chosen['in_domain_report']['fallback_rate']:.3f} (n={chosen['in_domain_report']['n']})")

    # Misses are shown from the tune halves only: the report halves are for reporting,
    # not for reading and fixing.
    print(f"== tune-half oos_val requests that landed on an intent (as trained), first {args.show}:")
    for t in [t for t in oos_sets["oos_val_tune"] if parses[t]["intent"]["name"] not in FALLBACK_INTENTS][: args.show]:
        p = parses[t]["intent"]
        print(f"  {p['name']:<16} {p['confidence']:.2f}  {t}")
    print(f"== tune-half in-domain messages without an acceptable intent (as trained), first {args.show}:")
    misses = [(t, ok) for t, ok in labelled["in_domain_tune"] if parses[t]["intent"]["name"] not in ok]
    for t, ok in misses[: args.show]:
        p = parses[t]["intent"]
        top = [r for r in parses[t].get("intent_ranking", []) if r["name"] != "nlu_fallback"][:1] or [p]
        print(f"  {p['name']:<16} {p['confidence']:.2f} (top {top[0]['name']} {top[0]['confidence']:.2f})  {t}"
              f"  (ok: {', '.join(sorted(ok))})")
    if args.json:
        args.json.write_text(json.dumps(results, indent=1), encoding="utf-8")


if __name__ == "__main__":
    main()
