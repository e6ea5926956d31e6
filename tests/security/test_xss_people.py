"""The XSS corpus as people's names and as moderators' words: each payload is a member's name,
given when they register (the real form and the mailed link), and a staff member's name; moderators' reasons
(a warning, a hidden post), members' flag notes and watched words carry it too. Then every page
that shows a name or a reason is read as the role that sees it: the forum and its threads, the
moderation queue, log, member pages and watched words, the staff ticket pages and list (the
customer, the assignee, every colleague in the assign list), the agent console's JSON, and the
coaching and trainer's team pages.

The same journey with harmless text runs first (tests/security/xss_pages.py). Registering hashes
with a cheap method here (scrypt is slow on purpose, and it is the name being tested), and the
mail with the link is caught on its way out.
"""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa
from werkzeug.security import generate_password_hash

from forum.reading import opening_post_id
from portal.auth.models import User
from portal.extensions import db
from tests.conftest import csrf_from
from tests.factories import PASSWORD
from tests.portal.ticket_builders import page_token, person
from tests.security.world import Caller
from tests.security.xss_pages import MARKED, Pages, chunks, markers_in, problems, problems_in, store_twice

# Escaping is the templates' work, the same on either database, so these payload suites run in one
# pass, the PostgreSQL one (conftest); what they also store and page through, each page's own
# tests cover in both passes.
pytestmark = pytest.mark.once

NAME_LIMIT = 100  # the register form's
LINK = re.compile(r"https?://[^/\s]+(/auth/register/\S+)")  # in the mail that finishes registering
REASON_LIMIT = 300  # a hidden post's reason (a warning and a flag note take 500)
SAMPLE = 4  # every 4th member is also assigned and has their ticket page read (the lists show all)
GROUPS = {"names": ("register", "follow the link", "home", "forum", "thread #", "staff ticket", "agent ticket JSON",
                    "coaching team", "training team"),
          "moderation": ("member page", "moderation queue", "moderation log", "watched words", "word edit")}


def fast_hash(password: str) -> str:
    return generate_password_hash(password, method="pbkdf2:sha256:1000")


def register(world, run: Pages, i: int, name: str) -> tuple[Caller, str] | None:
    """Create an account as a visitor does: the form, then the mailed link. The member signed in,
    and their name as stored (invisible characters are dropped), or None when the name is refused."""
    client = world.app.test_client()
    caller = Caller(client, csrf_from(client.get("/auth/register").get_data(as_text=True)))
    email = f"member{i}{'c' if run.harmless else ''}@example.com"
    asked = run.send(caller, "POST", "/auth/register", f"register refused #{i}", (200, 400),
                     data={"name": name, "email": email, "password": PASSWORD, "confirm": PASSWORD,
                           "csrf_token": caller.token})
    if asked.status_code != 200:
        return None
    link = LINK.search(world.outbox.pop()[2]).group(1)
    caller.token = csrf_from(client.get(link).get_data(as_text=True))
    run.send(caller, "POST", link, "follow the link", (302,), data={"csrf_token": caller.token})
    caller.token = page_token(client)
    with world.app.app_context():
        return caller, db.session.scalar(sa.select(User.name).where(User.email == email))


def name_of(text: str) -> str:
    """The payload first (the nav shows a first name: the payload's first word), then its marker."""
    payload, mark = text.split(" ", 1)[1], text.split(" ", 1)[0]
    return f"{payload[:NAME_LIMIT - len(mark) - 1]} {mark}"


def journey(world, run: Pages) -> None:
    names = [run.text()] if run.harmless else [name_of(t) for t in MARKED]
    agent, mo, robin, boss = (world.callers[r] for r in ("agent", "moderator", "robin", "supervisor"))
    suffix = "c" if run.harmless else ""
    with world.app.app_context():
        staff = [person(f"staff{i}{suffix}@example.com", ["agent"], name, ["billing"]).id
                 for i, name in enumerate(names)]
    members = []
    for i, typed in enumerate(names):
        registered = register(world, run, i, typed)
        if registered is None:
            continue
        member, name = registered
        sample = i % SAMPLE == 0
        if sample:
            run.send(member, "GET", "/", f"home #{i}")
        made = run.send(member, "POST", "/forum/new", "new thread", (303,),
                        data={"category": "orders-delivery", "title": f"Parcel question {i}",
                              "body": "The parcel never came.", "tags": "", "csrf_token": member.token})
        thread = int(re.match(r"/forum/t/(\d+)", made.headers.get("Location", "/forum/t/0")).group(1))
        taken = run.send(agent, "POST", f"/forum/t/{thread}/ticket", "thread to ticket", (303,))
        number = taken.headers.get("Location", "/staff/tickets/none").rsplit("/", 1)[-1]
        if sample:
            run.send(boss, "POST", f"/staff/tickets/{number}/assign", "assign", (303,), data={"assignee": staff[i]})
            run.send(boss, "GET", f"/staff/tickets/{number}", f"staff ticket #{i}", shows=[name, names[i]])
            run.send(boss, "GET", f"/api/agent/tickets/{number}", f"agent ticket JSON #{i}", shows=[name])
        members.append((i, name, thread))
    listed = " ".join(names)
    for page in range(1, len(names) // 20 + 2):  # every name, on the lists that show them
        run.send(world.callers["anonymous"], "GET", f"/forum?page={page}", f"forum #{page}")
        run.send(boss, "GET", f"/staff/tickets?page={page}", f"staff tickets #{page}")
    run.expect(all(m in " ".join(run.html.get(f"forum #{p}", "") for p in range(1, 7)) for m in markers_in(listed)),
               "forum", "not every member's name is listed")
    moderate(world, run, members)


def moderate(world, run: Pages, members: list) -> None:
    mo, robin = world.callers["moderator"], world.callers["robin"]
    reasons = [run.text()] if run.harmless else chunks(REASON_LIMIT)
    suffix = "c" if run.harmless else ""
    with world.app.app_context():
        ids = {email: uid for email, uid in db.session.execute(sa.select(User.email, User.id))}
        posts = {thread: opening_post_id(thread) for _, _, thread in members}
    chosen = list(zip(members, reasons, strict=False))  # (fewer reasons than members)
    for (_, _, thread), reason in chosen:
        run.send(robin, "POST", f"/forum/p/{posts[thread]}/flag", "flag", (303,),
                 data={"reason": "other", "note": reason})
    run.send(mo, "GET", "/moderation", "moderation queue", some=True)
    for (i, name, thread), reason in chosen:
        uid = ids[f"member{i}{suffix}@example.com"]
        run.send(mo, "POST", f"/moderation/users/{uid}/warn", "warn", (303,), data={"reason": reason})
        run.send(mo, "POST", f"/moderation/posts/{posts[thread]}/hide", "hide", (303,), data={"reason": reason})
        run.send(mo, "GET", f"/moderation/users/{uid}", f"member page #{i}", shows=[name, *reason.splitlines()])
        run.send(mo, "GET", f"/forum/t/{thread}", f"thread #{i}", shows=[name])
    run.send(mo, "GET", "/moderation/log", "moderation log", some=True)
    words = []
    for i, text in enumerate([run.text()] if run.harmless else MARKED):
        kept = run.send(mo, "POST", "/moderation/words", f"watched words refused #{i}", (303, 400, 409),
                        data={"pattern": text[:200], "action": "flag"})
        words += [text[:200]] if kept.status_code == 303 else []
    run.send(mo, "GET", "/moderation/words", "watched words", shows=words)
    boss = world.callers["supervisor"]
    run.send(boss, "GET", "/supervisor/agents", "coaching team")
    run.send(boss, "GET", "/training/team", "training team")


@pytest.fixture(scope="module")
def stored(world):
    world.outbox = []
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr("portal.auth.registration.generate_password_hash", fast_hash)
        patch.setattr("portal.auth.registration.send_mail", lambda *mail: world.outbox.append(mail))
        return store_twice(world, journey)


def test_the_checks_fit_our_pages(stored):
    _, control = stored
    assert problems(control, control) == []
    pages = {"home #0", "forum #1", "staff tickets #1", "member page #0", "thread #0", "staff ticket #0",
             "watched words", "moderation queue", "moderation log", "coaching team", "training team"}
    assert pages <= set(control.html)


@pytest.mark.parametrize("group", [*GROUPS, "storing"])
def test_the_corpus_is_inert_wherever_it_is_shown(stored, group):
    found = problems_in(group, GROUPS, *stored)
    assert found == [], "\n".join(found)


def test_most_names_were_accepted(stored):
    """A name may be refused (the form is shown again, and checked), but the corpus must mostly get in."""
    run, _ = stored
    shown = " ".join(html for name, html in run.html.items() if name.startswith("staff tickets #"))
    assert len(markers_in(shown)) >= len(MARKED) * 3 // 4
