"""Command line: ``python -m bot.frustration {score,evaluate,calibrate}``.

score      JSON lines in, JSON lines out, one output line per input line, in order.
           In:  {"text": "...", "history": ["earlier customer message", ...]}  (history optional;
                 also optional: "failed_turns", the bot's unhelpful turns in a row before
                 this message, and "waited_seconds", how long the customer waited)
           Out: {"score": 0.71, "level": "frustrated", "signals": ["threat_to_cancel"]}
           A line that cannot be scored gets {"error": "...", "line": N} in its place,
           so a bad line never hides or shifts the others. Exit status 0; 2 when the
           model itself cannot be loaded.
evaluate   ROC-AUC and F1 on the test splits next to a VADER-only baseline (--json).
calibrate  refit weights.json from the training splits (--output to write elsewhere,
           --check to only compare with the committed file).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any, BinaryIO, TextIO

from .datasets import DataUnavailable
from .lexicon import LexiconUnavailable
from .model import WEIGHTS_PATH, Model, WeightsError, default_model


class BadLine(ValueError):
    """One input line that cannot be scored; reported in place of its result."""


def parse_request(raw: bytes) -> tuple[str, list[str] | None, dict[str, Any]]:
    try:
        line = raw.decode("utf-8")
    except UnicodeDecodeError as error:
        raise BadLine(f"not UTF-8: {error.reason} at byte {error.start}") from error
    if not line.strip():
        raise BadLine('empty line: expected a JSON object with a "text" field')
    try:
        request = json.loads(line)
    except json.JSONDecodeError as error:
        raise BadLine(f"invalid JSON: {error.msg} at column {error.colno}") from error
    if not isinstance(request, dict):
        raise BadLine(f"expected a JSON object, got {type(request).__name__}")
    text = request.get("text")
    if not isinstance(text, str):
        raise BadLine('"text" is required and must be a string')
    history = request.get("history")
    if history is not None and (not isinstance(history, list) or not all(isinstance(h, str) for h in history)):
        raise BadLine('"history" must be a list of strings (the customer\'s earlier messages)')
    situation = {}
    for name, kind in (("failed_turns", int), ("waited_seconds", (int, float))):
        value = request.get(name)
        if value is None:
            continue
        if isinstance(value, bool) or not isinstance(value, kind) or value < 0 or value > 10**9:
            raise BadLine(f'"{name}" must be a non-negative number')
        situation[name] = value
    return text, history, situation


def score_stream(source: BinaryIO, sink: TextIO, model: Model) -> int:
    """Score each line of ``source`` into ``sink``; returns how many lines were bad."""
    bad = 0
    for number, raw in enumerate(source, start=1):
        try:
            text, history, situation = parse_request(raw.rstrip(b"\r\n"))
            reply: dict[str, Any] = model.score(text, history, **situation).to_dict()
        except BadLine as error:
            bad += 1
            reply = {"error": str(error), "line": number}
        except Exception as error:  # one odd message must not end the stream for the others
            bad += 1
            reply = {"error": f"could not score this line: {type(error).__name__}: {error}", "line": number}
        sink.write(json.dumps(reply, ensure_ascii=False) + "\n")
        sink.flush()
    return bad


def _score(_: argparse.Namespace) -> int:
    from .lexicon import sentiment_valences

    try:  # load both now, so that a broken install fails once, before any input is read
        model = default_model()
        sentiment_valences()
    except (WeightsError, LexiconUnavailable) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    score_stream(sys.stdin.buffer, sys.stdout, model)
    return 0


def _evaluate(args: argparse.Namespace) -> int:
    from .evaluate import evaluate, format_table

    try:
        report = evaluate(speed=not args.no_speed)
    except DataUnavailable as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    print(json.dumps(report, indent=2) if args.json else format_table(report))
    return 0


def _calibrate(args: argparse.Namespace) -> int:
    from .calibrate import calibrate, differences, write

    try:
        result = calibrate()
    except DataUnavailable as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    if args.check:
        committed = json.loads(WEIGHTS_PATH.read_text(encoding="utf-8"))
        found = differences(committed, json.loads(json.dumps(result)))
        if found:
            print(
                f"{WEIGHTS_PATH} differs from a fresh calibration; run without --check to rewrite it:",
                *found[:20],
                sep="\n  ",
                file=sys.stderr,
            )
            return 1
        print(f"{WEIGHTS_PATH} matches a fresh calibration")
        return 0
    path = write(result, args.output)
    t = result["thresholds"]
    print(f"wrote {path}: dev ROC-AUC {result['blend']['dev_roc_auc']}, carry {result['context']['carry']}, thresholds {t}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m bot.frustration", description="Customer frustration detector.")
    commands = parser.add_subparsers(dest="command", required=True)
    score = commands.add_parser("score", help="score JSON lines from stdin")
    score.set_defaults(run=_score)
    evaluate = commands.add_parser("evaluate", help="ROC-AUC and F1 on the test splits vs VADER")
    evaluate.add_argument("--json", action="store_true", help="print the report as JSON")
    evaluate.add_argument("--no-speed", action="store_true", help="skip the throughput measurement")
    evaluate.set_defaults(run=_evaluate)
    calibrate = commands.add_parser("calibrate", help="refit weights.json from the training splits")
    calibrate.add_argument("--output", type=Path, default=WEIGHTS_PATH, help="where to write (default: weights.json)")
    calibrate.add_argument("--check", action="store_true", help="only check that weights.json is up to date")
    calibrate.set_defaults(run=_calibrate)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return args.run(args)
