"""The trainer's pages: a role-play from start to score, history, the team's progress, adding a
persona, and every way a request can be wrong. Runs without Rasa."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa

from portal.extensions import db
from portal.training.models import Attempt, AttemptTurn, Persona
from tests.portal.ticket_builders import page_token, person, sign_in

SKILLED = [
    "I'm so sorry, Dana. I can see why you're angry: order BN-2210457 was charged twice and nobody answered your "
    "email. I can refund the second payment today, or keep it as credit. Which would you prefer?",
    "Thank you. I've started the refund of the second £249 for BN-2210457 now, and I'm sorry again for the wait. "
    "Would you like the confirmation by email?",
    "Done. It should be back in your account within five days. Is there anything else I can help with?",
]


@pytest.fixture
def trainer(make_app):
    app = make_app()
    with app.app_context():
        person("ann@example.com", ["agent"], "Ann Agent", teams=["billing"])
        person("tom@example.com", ["agent"], "Tom Tech", teams=["technical"])
        person("sue@example.com", ["supervisor"], "Sue Super")
        person("casey@example.com", name="Casey Doe")
    return app


def client_for(app, email):
    client = sign_in(app.test_client(), email)
    client.token = page_token(client, "/training" if email != "casey@example.com" else "/")
    return client


def persona_id(app, slug="billing-error-dana") -> int:
    with app.app_context():
        return db.session.scalar(sa.select(Persona.id).where(Persona.slug == slug))


def start(client, persona: int):
    return client.post("/training/attempts", data={"persona": persona, "csrf_token": client.token})


def begin(app, client, slug="billing-error-dana") -> int:
    response = start(client, persona_id(app, slug))
    assert response.status_code == 303
    return int(re.search(r"/training/attempts/(\d+)$", response.headers["Location"]).group(1))


def send(client, attempt: int, text: str, silent: bool = False):
    data = {"reply": text, "csrf_token": client.token, "silent" if silent else "send": "1"}
    return client.post(f"/training/attempts/{attempt}/replies", data=data)


def counts() -> tuple[int, int, int]:
    db.session.expire_all()
    return tuple(db.session.scalar(sa.select(sa.func.count()).select_from(m)) for m in (Persona, Attempt, AttemptTurn))


def test_the_trainer_lists_the_five_scenarios_with_a_persona_each(trainer):
    html = client_for(trainer, "ann@example.com").get("/training").get_data(as_text=True)
    for key in ("billing_error", "confused", "refund_demand", "aggressive", "inflexible"):
        assert f'data-scenario="{key}"' in html
    assert "Practise with Dana" in html and "No attempts yet" in html
    assert "Add a persona" not in html  # agents practise; supervisors manage


def test_a_full_role_play_ends_calmed_with_feedback_and_a_score(trainer):
    ann = client_for(trainer, "ann@example.com")
    attempt = begin(trainer, ann)
    page = ann.get(f"/training/attempts/{attempt}").get_data(as_text=True)
    assert "taken £249 off me TWICE" in page and 'name="reply"' in page
    for number, text in enumerate(SKILLED, start=1):
        response = send(ann, attempt, text)
        assert response.status_code == 303 and response.headers["Location"].endswith(f"#turn-{number}")
        page = ann.get(f"/training/attempts/{attempt}").get_data(as_text=True)
        assert f'data-testid="feedback" data-turn="{number}"' in page
        assert "Helped:" in page and "From our playbook" in page and "{" not in page.split("<ol")[1]
        if 'data-testid="ending"' in page:
            break
    assert 'data-outcome="calmed"' in page and 'name="reply"' not in page
    with trainer.app_context():
        row = db.session.get(Attempt, attempt)
        assert row.outcome == "calmed" and row.score >= 85 and row.finished_at is not None
        assert f'data-testid="score">{row.score}<' in page
    history = ann.get("/training").get_data(as_text=True)
    assert f'data-attempt="{attempt}"' in history and "Calmed" in history


def test_blame_escalates_and_scores_nothing(trainer):
    ann = client_for(trainer, "ann@example.com")
    attempt = begin(trainer, ann)
    send(ann, attempt, "Calm down. You should have checked your statement.")
    page = ann.get(f"/training/attempts/{attempt}").get_data(as_text=True)
    assert 'data-outcome="escalated"' in page and "told them to calm down" in page and "blamed the customer" in page
    with trainer.app_context():
        assert db.session.get(Attempt, attempt).score == 0


def test_staying_silent_twice_is_abandoned(trainer):
    ann = client_for(trainer, "ann@example.com")
    attempt = begin(trainer, ann)
    send(ann, attempt, "this text is ignored", silent=True)
    send(ann, attempt, "", silent=True)
    page = ann.get(f"/training/attempts/{attempt}").get_data(as_text=True)
    assert page.count("(you said nothing)") == 2 and 'data-outcome="abandoned"' in page


def test_an_ended_role_play_refuses_more_replies(trainer):
    ann = client_for(trainer, "ann@example.com")
    attempt = begin(trainer, ann)
    send(ann, attempt, "Calm down.")
    with trainer.app_context():
        before = counts()
    assert send(ann, attempt, "Sorry!").status_code == 409
    with trainer.app_context():
        assert counts() == before


def test_an_oversized_reply_is_refused_and_nothing_is_saved(trainer):
    ann = client_for(trainer, "ann@example.com")
    attempt = begin(trainer, ann)
    response = send(ann, attempt, "sorry " * 400)
    assert response.status_code == 400 and "limited to 2,000 characters" in response.get_data(as_text=True)
    with trainer.app_context():
        assert db.session.scalar(sa.select(sa.func.count(AttemptTurn.id))) == 0


def test_control_characters_in_a_reply_are_refused(trainer):
    ann = client_for(trainer, "ann@example.com")
    attempt = begin(trainer, ann)
    response = send(ann, attempt, "Sorry\x00 about that")
    assert response.status_code == 400 and "control characters" in response.get_data(as_text=True)
    with trainer.app_context():
        assert db.session.scalar(sa.select(sa.func.count(AttemptTurn.id))) == 0
    assert send(ann, attempt, "Sorry about that.\r\nI can refund it.").status_code == 303


@pytest.mark.parametrize("path", ["/training/attempts/999999", "/training/attempts/99999999999999999999999",
                                  "/training/attempts/-1", "/training/attempts/abc", "/training/attempts/0"])
def test_unknown_or_huge_attempt_ids_are_404(trainer, path):
    ann = client_for(trainer, "ann@example.com")
    assert ann.get(path).status_code == 404
    assert ann.post(f"{path}/replies", data={"reply": "hi", "csrf_token": ann.token}).status_code == 404


@pytest.mark.parametrize("value, status", [("999999", 404), ("99999999999999999999", 400), ("abc", 400), ("", 400),
                                           ("-3", 400)])
def test_unknown_or_bad_persona_ids_are_refused(trainer, value, status):
    ann = client_for(trainer, "ann@example.com")
    ann.get("/training")
    with trainer.app_context():
        before = counts()
    assert start(ann, value).status_code == status
    with trainer.app_context():
        assert counts() == before


def test_posts_need_the_csrf_token(trainer):
    ann = client_for(trainer, "ann@example.com")
    attempt = begin(trainer, ann)
    sue = client_for(trainer, "sue@example.com")
    with trainer.app_context():
        before = counts()
    assert ann.post("/training/attempts", data={"persona": persona_id(trainer)}).status_code == 400
    assert ann.post(f"/training/attempts/{attempt}/replies", data={"reply": "Sorry", "send": "1"}).status_code == 400
    assert ann.post(f"/training/attempts/{attempt}/replies",
                    data={"reply": "Sorry", "send": "1", "csrf_token": "forged"}).status_code == 400
    assert sue.post("/training/personas/new", data=persona_form()).status_code == 400
    with trainer.app_context():
        assert counts() == before


def test_agents_never_see_each_others_attempts(trainer):
    ann, tom = client_for(trainer, "ann@example.com"), client_for(trainer, "tom@example.com")
    attempt = begin(trainer, ann)
    send(ann, attempt, "I'm sorry about that, Dana.")
    assert tom.get(f"/training/attempts/{attempt}").status_code == 404
    assert send(tom, attempt, "Calm down.").status_code == 404
    assert f'data-attempt="{attempt}"' not in tom.get("/training").get_data(as_text=True)
    with trainer.app_context():
        assert db.session.scalar(sa.select(sa.func.count(AttemptTurn.id))) == 1


def test_supervisors_review_an_attempt_but_cannot_reply_in_it(trainer):
    ann, sue = client_for(trainer, "ann@example.com"), client_for(trainer, "sue@example.com")
    attempt = begin(trainer, ann)
    page = sue.get(f"/training/attempts/{attempt}").get_data(as_text=True)
    assert "Ann Agent's attempt" in page and 'name="reply"' not in page
    assert send(sue, attempt, "Calm down.").status_code == 403


def test_the_team_page_shows_attempts_and_best_and_last_scores(trainer):
    ann = client_for(trainer, "ann@example.com")
    first = begin(trainer, ann)
    send(ann, first, "Calm down.")  # 0
    second = begin(trainer, ann)
    for text in SKILLED:
        send(ann, second, text)
    begin(trainer, ann)  # still running: counted, not scored
    with trainer.app_context():
        best = db.session.get(Attempt, second).score
    sue = client_for(trainer, "sue@example.com")
    html = sue.get("/training/team").get_data(as_text=True)
    ann_row = re.search(r'<tr data-agent="ann@example.com">(.*?)</tr>', html, re.S).group(1)
    assert '<td class="attempts">3</td>' in ann_row
    cell = re.search(r'data-scenario="billing_error">(.*?)</td>', ann_row, re.S).group(1)
    assert f"best {best}" in cell and f"last {best}" in cell and "(3)" in cell
    tom_row = re.search(r'<tr data-agent="tom@example.com">(.*?)</tr>', html, re.S).group(1)
    assert '<td class="attempts">0</td>' in tom_row
    assert "casey@example.com" not in html and "sue@example.com" not in html
    technical = sue.get("/training/team?team=technical").get_data(as_text=True)
    assert "tom@example.com" in technical and "ann@example.com" not in technical
    assert sue.get("/training/team?team=nope").status_code == 400


def persona_form(**overrides) -> dict:
    data = {
        "name": "Olive Grant", "scenario": "refund_demand",
        "problem": "Olive's kettle stopped working after a week and she wants her money back.",
        "order_number": "BN-7781234",
        "opening": "My kettle from order BN-7781234 died after a week. I want a refund.",
        "mood": "0.6", "calmed": "0.2", "escalated": "0.95", "patience": "2", "max_turns": "5",
        "calm_acknowledge": "0.12", "calm_apologise": "0.1", "calm_offer_options": "0.15",
        "inflame_calm_down": "0.25", "inflame_blame": "0.3", "needs": ["offer_options"],
        "lines_calm": "That's fine, thanks.\nGreat, that works.",
        "lines_annoyed": "OK, what next?\nFine, go on.",
        "lines_frustrated": "It's a kettle. It should boil water.\nWhy is this so hard?",
        "lines_angry": "I want my money back NOW.\nThis is useless.",
        "ending_calmed": "Thanks, that's sorted.", "ending_escalated": "Get me a manager.",
        "ending_abandoned": "Forget it.",
    }
    data.update(overrides)
    return data


def test_a_supervisor_adds_a_persona_that_agents_can_practise_with(trainer):
    sue = client_for(trainer, "sue@example.com")
    assert "Add a persona" in sue.get("/training").get_data(as_text=True)
    form = sue.get("/training/personas/new")
    assert form.status_code == 200
    problem = "Olive's kettle stopped working after a week.\r\nShe wants her money back."
    response = sue.post("/training/personas/new", data={**persona_form(problem=problem), "csrf_token": sue.token})
    assert response.status_code == 303
    with trainer.app_context():
        row = db.session.scalar(sa.select(Persona).where(Persona.slug == "olive-grant"))
        spec = row.spec
        assert spec.problem == "Olive's kettle stopped working after a week. She wants her money back."
        assert not row.built_in and spec.max_turns == 5 and spec.calms["offer_options"] == 0.15
        assert spec.lines["angry"] == ("I want my money back NOW.", "This is useless.")
        assert "set_boundary" not in spec.calms  # a blank weight is no weight
    ann = client_for(trainer, "ann@example.com")
    assert "Practise with Olive" in ann.get("/training").get_data(as_text=True)
    attempt = begin(trainer, ann, "olive-grant")
    send(ann, attempt, "I'm so sorry, I can refund it or send a new kettle. Which would you prefer?")
    assert ann.get(f"/training/attempts/{attempt}").status_code == 200
    again = sue.post("/training/personas/new", data={**persona_form(), "csrf_token": sue.token})
    assert again.status_code == 303
    with trainer.app_context():
        assert db.session.scalar(sa.select(Persona.id).where(Persona.slug == "olive-grant-2"))


@pytest.mark.parametrize("overrides, message", [
    ({"name": "<script>alert('x')</script>"}, "Angle brackets"),
    ({"lines_angry": "Fine\n<img src=x onerror=alert(1)>"}, "Angle brackets"),
    ({"opening": "x" * 501}, "At most 500"),
    ({"lines_calm": "Only one"}, "Between 2 and 8 lines"),
    ({"mood": "lots"}, "Not a valid float"),
    ({"mood": "0.99"}, "between the calmed and escalated"),
    ({"calm_apologise": "3"}, "Between 0.01 and 0.5"),
    ({"scenario": "pirates"}, "Not a valid choice"),
    ({"needs": ["calm_down"]}, "not a valid choice"),
    ({"needs": ["set_boundary"]}, "Up to 3 of the moves"),
    ({"name": ""}, "Required"),
    ({"problem": "Null\x00byte in the middle"}, "control characters"),
    ({"max_turns": "60"}, "Between 2 and 6"),
])
def test_bad_or_hostile_personas_are_refused_and_nothing_is_saved(trainer, overrides, message):
    sue = client_for(trainer, "sue@example.com")
    with trainer.app_context():
        before = counts()
    response = sue.post("/training/personas/new", data={**persona_form(**overrides), "csrf_token": sue.token})
    html = response.get_data(as_text=True)
    assert response.status_code == 400 and message in html
    assert "<script>alert" not in html and "<img src=x" not in html  # shown escaped, if at all
    with trainer.app_context():
        assert counts() == before


def test_the_shipped_personas_load_once(trainer):
    ann = client_for(trainer, "ann@example.com")
    ann.get("/training")
    ann.get("/training")
    with trainer.app_context():
        assert db.session.scalar(sa.select(sa.func.count(Persona.id)).where(Persona.built_in)) == 5
