"""The Rasa project itself: domain, NLU data, rules and stories agree (`rasa data validate`)."""

import subprocess
import sys
from pathlib import Path

import pytest

BOT = Path(__file__).resolve().parent.parent


def norm(text: str) -> str:
    """A message as the data-hygiene tests compare it: entity marks, case, apostrophes ("what's" =
    "whats") and other punctuation ignored."""
    import re

    text = re.sub(r"\[([^\]]*)\]\([a-z_]+\)", r"\1", text.lower())
    return re.sub(r"[^a-z0-9]+", " ", re.sub(r"['\u2019`]", "", text)).strip()


def test_rasa_data_validate_is_clean():
    result = subprocess.run(
        [sys.executable, "-m", "rasa", "data", "validate", "--domain", "domain.yml", "--data", "data",
         "--fail-on-warnings"],
        cwd=BOT, capture_output=True, text=True, timeout=600,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert "No story structure conflicts found" in result.stdout + result.stderr


def test_the_frustration_annotator_runs_before_the_components_that_read_it():
    """Rasa runs the NLU components in config.yml's order; the blender's upset margin reads the
    detector's result, so without the annotator first every message would count as calm."""
    import yaml

    names = [c["name"] for c in yaml.safe_load((BOT / "config.yml").read_text(encoding="utf-8"))["pipeline"]]
    annotator = names.index("bot.components.frustration.FrustrationAnnotator")
    blender = names.index("bot.components.neighbours.NeighbourIntentBlender")
    assert annotator < blender < names.index("FallbackClassifier")


def test_replies_for_an_upset_customer_acknowledge_and_offer_a_person():
    """Issue 11: every fallback, out-of-scope and "thanks that is not thanks" reply for a customer
    who is annoyed or worse offers a person and never says the bot can't help. utter_default is
    also what action_default_fallback says, so its variations carry the mood as conditions."""
    import re

    import yaml

    responses = yaml.safe_load((BOT / "domain.yml").read_text())["responses"]
    cold = re.compile(r"can't help|cannot help|not something I can do|outside what I can help", re.I)
    upset = [v for v in responses["utter_default"] if v.get("condition")]
    assert {c["value"] for v in upset for c in v["condition"] if c["name"] == "frustration_level"} == {
        "annoyed", "frustrated", "angry"}
    calm = [v for v in responses["utter_default"] if not v.get("condition")]
    assert calm and all(v["buttons"][0]["payload"] != "/request_human" for v in calm)  # calm keeps today's reply
    for name in ("utter_default_acknowledge", "utter_out_of_scope_acknowledge", "utter_acknowledge_failure"):
        upset += responses[name]
    for variation in upset:
        assert not cold.search(variation["text"]), variation["text"]
        assert re.search(r"sorry|fault|let down|not been good|hasn't been good", variation["text"], re.I), variation
        assert "/request_human" in [b["payload"] for b in variation["buttons"]], variation["text"]


@pytest.mark.parametrize("name, at_least, later_sets", [
    ("breadth", 900, ()),
    ("contrast", 450, ("in_domain_eval_d", "oos_eval_d", "in_domain_eval_e", "oos_eval_e")),
    ("contrast_b", 250, ("in_domain_eval_d", "oos_eval_d", "in_domain_eval_e", "oos_eval_e")),
])
def test_breadth_examples_hold_no_development_or_evaluation_message(name, at_least, later_sets):
    """breadth.yml and the contrast files were filtered against every development and evaluation set
    of their day (cosine 0.85; README, "Breadth"): not one of their messages may come back into
    training, even re-cased."""

    import yaml

    held = set()
    filtered_against = ("in_domain_dev", "in_domain_dev_b", "oos_dev_b", "in_domain_eval", "in_domain_eval_c",
                        "oos_eval_c") + later_sets  # set D was written after breadth.yml
    for path in (BOT / "tests" / "data" / f"{held_name}.yml" for held_name in filtered_against):
        held |= {norm(i["text"] if isinstance(i, dict) else str(i)) for i in yaml.safe_load(path.read_text())["items"]}
    assert len(held) > 1000
    examples = [line.strip()[2:] for block in yaml.safe_load((BOT / "data" / "nlu" / f"{name}.yml").read_text())["nlu"]
                for line in block["examples"].splitlines() if line.strip().startswith("- ")]
    assert len(examples) > at_least
    assert [e for e in examples if norm(e) in held] == []


def test_reporting_sets_hold_no_message_of_the_training_or_development_data():
    """Sets C, D, E and F measure messages the model never saw: none of their messages (ignoring case
    and punctuation) is a training example or a development message, and no development
    message is in the report set in_domain_eval.yml."""

    import yaml

    def texts(name: str) -> set[str]:
        items = yaml.safe_load((BOT / "tests" / "data" / f"{name}.yml").read_text())["items"]
        return {norm(i["text"] if isinstance(i, dict) else str(i)) for i in items}

    training = {norm(line.strip()[2:]) for path in (BOT / "data" / "nlu").glob("*.yml")
                for block in (yaml.safe_load(path.read_text()) or {}).get("nlu", []) if "examples" in block
                for line in block["examples"].splitlines() if line.strip().startswith("- ")}
    development = set().union(*(texts(name) for name in ("in_domain_dev", "in_domain_dev_b", "in_domain_dev_c",
                                                          "oos_dev_b", "oos_dev_c")))
    assert len(training) > 2500 and len(development) > 1100
    for name in ("in_domain_eval_c", "oos_eval_c", "in_domain_eval_d", "oos_eval_d", "in_domain_eval_e", "oos_eval_e",
                 "in_domain_eval_f", "oos_eval_f"):
        held = texts(name)
        assert len(held) > 150, name
        assert held & training == set(), (name, sorted(held & training)[:5])
        assert held & development == set(), (name, sorted(held & development)[:5])
    assert texts("in_domain_eval") & development == set()
