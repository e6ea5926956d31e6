"""Understanding benchmarks: how the deployed NLU model tells our customers' requests from
everything else, and intent F1 by cross-validation.

Both run in the bot's virtualenv (Rasa), as child processes:

- ``bot/scripts/evaluate_oos.py`` parses CLINC150 ``oos_val`` (never trained on), CLINC150
  ``val`` from five foreign domains, and our realistic in-domain messages
  (``bot/tests/data/in_domain_eval.yml``, written for evaluation only) with the deployed
  model at the FallbackClassifier settings in ``config.yml``. The numbers reported are the
  *report* halves: the threshold was chosen on the tune halves. Evaluation sets C, D and E
  (out-of-scope requests and customer messages written fresh, none of them in the
  training or development data) are reported whole.
- ``rasa test nlu --cross-validation`` (3 folds: three NLU trainings, about 8 minutes on
  2 cores) gives intent F1 macro and weighted. ``--skip nlu_cv`` leaves it out.

The plain baseline beside them is the model's own top intent with no fall-back threshold
("as trained"), from the same parses.
"""

from __future__ import annotations

import json
import os
import subprocess
import tempfile
import time
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
BOT = ROOT / "bot"
PYTHON = BOT / ".venv" / "bin" / "python"
MODEL = BOT / "models" / "calmline.tar.gz"
REPORT_SETS = ("c", "d", "e", "f")  # evaluation sets written fresh (bot/scripts/evaluate_oos.py)


def fallback_settings() -> tuple[float, float]:
    pipeline = yaml.safe_load((BOT / "config.yml").read_text(encoding="utf-8"))["pipeline"]
    fallback = next(c for c in pipeline if c["name"] == "FallbackClassifier")
    return float(fallback["threshold"]), float(fallback.get("ambiguity_threshold", 0.1))


def _env() -> dict:
    return {**os.environ, "PYTHONPATH": str(ROOT), "RASA_TELEMETRY_ENABLED": "false",
            "OPENBLAS_NUM_THREADS": "1", "TF_CPP_MIN_LOG_LEVEL": "3"}


def bench_understanding(log) -> dict:
    """Out-of-scope fall-back and in-domain acceptance on the report halves."""
    threshold, ambiguity = fallback_settings()
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "oos.json"
        log(f"understanding: parsing the evaluation sets with {MODEL.name} at {threshold}/{ambiguity}")
        started = time.perf_counter()
        subprocess.run([str(PYTHON), "scripts/evaluate_oos.py", "--model", str(MODEL), "--clinc-val-foreign",
                        "--thresholds", str(threshold), "--ambiguities", str(ambiguity), "--show", "0",
                        "--json", str(out)], cwd=BOT, env=_env(), check=True, capture_output=True, timeout=1800)
        data = json.loads(out.read_text(encoding="utf-8"))
    configured = data["settings"][f"{threshold:.2f}/{ambiguity:.2f}"]
    baseline = data["settings"]["as_trained"]

    def row(s: dict) -> dict:
        return {"oos_fallback": s["oos_val_report"]["fallback_rate"],
                "foreign_domains_fallback": s["clinc_val_foreign_domains"]["fallback_rate"],
                "in_domain_acceptable": s["in_domain_report"]["acceptable_rate"],
                "in_domain_sent_away": s["in_domain_report"]["fallback_rate"],
                **{f"set_{x}_{key}": value for x in REPORT_SETS for key, value in (
                    ("oos_fallback", s[f"oos_eval_{x}"]["fallback_rate"]),
                    ("in_domain_acceptable", s[f"in_domain_eval_{x}"]["acceptable_rate"]),
                    ("in_domain_sent_away", s[f"in_domain_eval_{x}"]["fallback_rate"]))}}

    def pooled(s: dict) -> dict:
        """The report halves and sets C-F together (the sets nobody tuned on), by count."""
        oos = [s["oos_val_report"], *(s[f"oos_eval_{x}"] for x in REPORT_SETS)]
        ours = [s["in_domain_report"], *(s[f"in_domain_eval_{x}"] for x in REPORT_SETS)]
        def count(rows: list[dict], key: str) -> int:  # each set's rate has 3 decimals and n < 1,000
            return sum(round(r[key] * r["n"]) for r in rows)

        n_oos, n_ours = sum(r["n"] for r in oos), sum(r["n"] for r in ours)
        return {"oos_fallback": count(oos, "fallback_rate") / n_oos,
                "in_domain_acceptable": count(ours, "acceptable_rate") / n_ours,
                "in_domain_sent_away": count(ours, "fallback_rate") / n_ours,
                "n": {"oos": n_oos, "in_domain": n_ours}}

    return {"threshold": threshold, "ambiguity": ambiguity, "configured": row(configured),
            "pooled": pooled(configured),
            "baseline_no_threshold": row(baseline),
            "n": {"oos_val_report": configured["oos_val_report"]["n"],
                  "foreign_domains": configured["clinc_val_foreign_domains"]["n"],
                  "in_domain_report": configured["in_domain_report"]["n"],
                  **{f"set_{x}_{part}": configured[f"{part}_eval_{x}"]["n"] for x in REPORT_SETS
                     for part in ("oos", "in_domain")}},
            "targets": {"oos_fallback": 0.93, "in_domain_acceptable": 0.95, "in_domain_sent_away_below": 0.02},
            "seconds": round(time.perf_counter() - started, 1)}


def bench_cross_validation(log, folds: int = 3) -> dict:
    """Intent F1 macro/weighted by k-fold cross-validation on the NLU training data."""
    log(f"understanding: {folds}-fold cross-validation (three NLU trainings, several minutes)")
    started = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run([str(BOT / ".venv" / "bin" / "rasa"), "test", "nlu", "--nlu", "data/nlu", "--config",
                        "config.yml", "--cross-validation", "--folds", str(folds), "--out", tmp],
                       cwd=BOT, env=_env(), check=True, capture_output=True, timeout=3600)
        report = json.loads((Path(tmp) / "intent_report.json").read_text(encoding="utf-8"))
    return {"folds": folds, "intent_f1_macro": round(report["macro avg"]["f1-score"], 3),
            "intent_f1_weighted": round(report["weighted avg"]["f1-score"], 3),
            "accuracy": round(report["accuracy"], 3), "examples": report["macro avg"]["support"],
            "seconds": round(time.perf_counter() - started, 1)}


def summary_lines(results: dict) -> list[str]:
    lines = []
    u = results.get("understanding")
    if u:
        if "error" in u:
            lines.append(f"Understanding: ERROR {u['error']}")
        else:
            c, b, n = u["configured"], u["baseline_no_threshold"], u["n"]
            lines.append(f"Understanding (report halves; threshold {u['threshold']} chosen on tune halves; "
                         f"baseline = top intent, no threshold):")
            lines.append(f"  OOS fall-back {c['oos_fallback']:.3f} (baseline {b['oos_fallback']:.3f}, "
                         f"n={n['oos_val_report']}; target >= 0.93); foreign domains "
                         f"{c['foreign_domains_fallback']:.3f} (n={n['foreign_domains']})")
            lines.append(f"  in-domain acceptable {c['in_domain_acceptable']:.3f} (baseline "
                         f"{b['in_domain_acceptable']:.3f}; target >= 0.95), sent away {c['in_domain_sent_away']:.3f} "
                         f"(n={n['in_domain_report']}; target < 0.02)")
            for x in REPORT_SETS:
                lines.append(f"  set {x.upper()} (written fresh, never tuned on): OOS fall-back "
                             f"{c[f'set_{x}_oos_fallback']:.3f} (baseline {b[f'set_{x}_oos_fallback']:.3f}, "
                             f"n={n[f'set_{x}_oos']}); in-domain acceptable {c[f'set_{x}_in_domain_acceptable']:.3f} "
                             f"(baseline {b[f'set_{x}_in_domain_acceptable']:.3f}), sent away "
                             f"{c[f'set_{x}_in_domain_sent_away']:.3f} (n={n[f'set_{x}_in_domain']})")
            if "pooled" in u:
                p = u["pooled"]
                lines.append(f"  pooled, report halves and sets C-F: OOS fall-back {p['oos_fallback']:.3f} "
                             f"(n={p['n']['oos']}; target >= 0.93), in-domain acceptable "
                             f"{p['in_domain_acceptable']:.3f} (target >= 0.95), sent away "
                             f"{p['in_domain_sent_away']:.3f} (n={p['n']['in_domain']}; target < 0.02)")
    cv = results.get("nlu_cv")
    if cv:
        lines.append(f"Intent F1 by cross-validation: ERROR {cv['error']}" if "error" in cv else
                     f"Intent F1, {cv['folds']}-fold cross-validation: macro {cv['intent_f1_macro']:.3f}, weighted "
                     f"{cv['intent_f1_weighted']:.3f}, accuracy {cv['accuracy']:.3f} "
                     f"({cv['examples']} examples, {cv['seconds']:.0f} s)")
    return lines
