"""Bridges: an agent takes a thread to support as a ticket (the thread goes with it); a
moderator promotes an accepted answer to a knowledge-base draft, which an editor reviews
and publishes, after which it is searched like any article."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
import sqlalchemy as sa

from forum.models import ModerationLog, Post, Thread
from forum.services import toggle_accept
from portal.agent import services as agent_svc
from portal.auth.models import User
from portal.extensions import db
from portal.kb.models import Article
from portal.kb.services import sync_articles
from portal.notifications.models import Notification
from portal.search.services import search
from portal.tickets.models import Ticket
from tests.forum.builders import (
    answer,
    count,
    form_token,
    member,
    meta_token,
    reload,
    signed_in,
    start_thread,
)
from tests.portal.ticket_builders import team

QUESTION = "My smart lamp stays offline since I changed my router. I'm getting really fed up with it!"
ANSWER = "Reset the lamp's network in the app, then make sure the router offers a **2.4 GHz** network."


@pytest.fixture
def world(app):
    with app.app_context():
        casey = member("casey@example.com", name="Casey Doe")
        robin = member("robin@example.com", name="Robin Roe")
        ann = member("ann@example.com", ["agent"], "Ann Agent")
        ann.teams = [team("technical")]
        member("mo@example.com", ["moderator"], "Mo Mod")
        member("eden@example.com", ["editor"], "Eden Editor")
        member("sue@example.com", ["supervisor", "agent"], "Sue Super")
        thread = start_thread(casey, "Smart lamp offline after a new router", QUESTION, ["wifi"],
                              category_slug="products-setup")
        helpful = answer(robin, thread, ANSWER)
        hidden = answer(robin, thread, "Buy a better lamp, lol")
        hidden.status = "hidden"
        follow_up = answer(casey, thread, "Tried the reset, it is still offline. What else?")
        db.session.commit()
        return SimpleNamespace(thread=thread.id, casey=casey.id, robin=robin.id, helpful=helpful.id,
                               hidden=hidden.id, follow_up=follow_up.id)


def post_json(client, path, token):
    return client.post(path, headers={"X-CSRFToken": token, "Accept": "application/json"})


# ---- thread -> ticket ------------------------------------------------------------------------

def test_an_agent_takes_a_thread_to_support_with_every_published_post(app, world):
    ann = signed_in(app, "ann@example.com")
    opened = post_json(ann, f"/forum/t/{world.thread}/ticket", meta_token(ann))
    assert opened.status_code == 201, opened.get_data(as_text=True)
    number = opened.get_json()["ticket_number"]

    with app.app_context():
        ticket = db.session.scalar(sa.select(Ticket).where(Ticket.number == number))
        assert ticket.customer_id == world.casey and ticket.reason == "forum_thread"
        assert ticket.subject == "Smart lamp offline after a new router"
        assert ticket.team.slug == "technical"  # products & setup questions go to the technical team
        assert ticket.briefing["source"] == "forum" and ticket.briefing["thread_url"].startswith(f"/forum/t/{world.thread}-")
        texts = [(m["sender"], m["text"]) for m in ticket.transcript]
        assert texts[0] == ("customer", QUESTION)
        assert texts[1][0] == "system" and "Robin Roe replied in the community" in texts[1][1] and "2.4 GHz" in texts[1][1]
        assert ("customer", "Tried the reset, it is still offline. What else?") in texts
        assert not any("better lamp" in t for _, t in texts)  # a hidden post stays behind
        # each of the customer's posts carries the detector's reading, as chat messages do
        assert ticket.transcript[0]["frustration"]["level"] in ("annoyed", "frustrated", "angry")
        assert reload(Thread, world.thread).ticket_id == ticket.id
        assert count(Notification, Notification.user_id == world.casey, Notification.kind == "ticket_from_thread") == 1

    # A second click finds the same ticket: one per thread at a time.
    again = post_json(ann, f"/forum/t/{world.thread}/ticket", meta_token(ann))
    assert again.status_code == 200 and again.get_json() == {"ticket_number": number, "created": False,
                                                            "status": "open"}
    with app.app_context():
        assert count(Ticket) == 1

    # It waits in the agents' queue; once claimed, a reply reaches the customer under My tickets.
    queue = ann.get("/api/agent/queue").get_json()["queue"]
    assert [q["ticket"] for q in queue] == [number]
    with app.app_context():
        agent = db.session.scalar(sa.select(User).where(User.email == "ann@example.com"))
        agent_svc.claim(number, agent)
        agent_svc.agent_reply(number, agent, "Thanks Casey, I'll send a replacement lamp today.")
    casey = signed_in(app, "casey@example.com")
    page = casey.get(f"/tickets/{number}").get_data(as_text=True)
    assert "I&#39;ll send a replacement lamp today" in page and "still offline" in page


def test_the_thread_page_offers_the_bridges_only_to_the_right_people(app, world):
    assert "Open a support ticket" not in signed_in(app, "casey@example.com").get(f"/forum/t/{world.thread}").get_data(
        as_text=True)
    assert "Open a support ticket" in signed_in(app, "ann@example.com").get(f"/forum/t/{world.thread}").get_data(
        as_text=True)
    mo = signed_in(app, "mo@example.com")
    assert "Draft a help article" not in mo.get(f"/forum/t/{world.thread}").get_data(as_text=True)  # nothing accepted
    with app.app_context():
        toggle_accept(db.session.get(User, world.casey), db.session.get(Post, world.helpful))
    assert "Draft a help article" in mo.get(f"/forum/t/{world.thread}").get_data(as_text=True)


@pytest.mark.parametrize("email, status", [(None, 401), ("casey@example.com", 403), ("mo@example.com", 403),
                                           ("eden@example.com", 403)])
def test_only_agents_open_tickets_from_threads(app, world, email, status):
    client = signed_in(app, email) if email else app.test_client()
    response = post_json(client, f"/forum/t/{world.thread}/ticket", meta_token(client))
    assert response.status_code == status
    with app.app_context():
        assert count(Ticket) == 0 and reload(Thread, world.thread).ticket_id is None


def test_ticket_bridge_refuses_unknown_threads_and_forged_tokens(app, world):
    ann = signed_in(app, "ann@example.com")
    assert post_json(ann, "/forum/t/999999/ticket", meta_token(ann)).status_code == 404
    assert post_json(ann, f"/forum/t/{world.thread}/ticket", "forged-token").status_code == 400
    assert ann.post(f"/forum/t/{world.thread}/ticket").status_code == 400  # no token at all
    with app.app_context():
        assert count(Ticket) == 0


# ---- accepted answer -> knowledge-base draft -> published article ----------------------------

def accept_helpful(app, world):
    with app.app_context():
        toggle_accept(db.session.get(User, world.casey), db.session.get(Post, world.helpful))


def test_a_promoted_answer_is_a_draft_until_an_editor_publishes_it(app, world):
    accept_helpful(app, world)
    mo = signed_in(app, "mo@example.com")
    promoted = post_json(mo, f"/forum/t/{world.thread}/promote", meta_token(mo))
    assert promoted.status_code == 201, promoted.get_data(as_text=True)
    draft = promoted.get_json()
    assert draft["published"] is False
    assert post_json(mo, f"/forum/t/{world.thread}/promote", meta_token(mo)).get_json()["article_id"] == draft["article_id"]

    with app.app_context():
        article = db.session.get(Article, draft["article_id"])
        assert "2.4 GHz" in article.body_md and article.source_thread_id == world.thread
        assert article.category.slug == "product-help" and article.tags == ["wifi"]
        assert '<a href="/forum/t/' in article.body_html  # credits the thread
        assert 'rel="nofollow ugc"' in article.body_html  # a member's links stay marked as theirs
        assert count(ModerationLog, ModerationLog.action == "promote_to_kb") == 1
        assert not [h for h in search("smart lamp router").hits if h.type == "article"]  # drafts are not searchable
    assert app.test_client().get(f"/kb/{draft['slug']}").status_code == 404

    # A moderator cannot publish; an editor reviews, edits and publishes.
    assert mo.get("/kb/drafts").status_code == 403
    eden = signed_in(app, "eden@example.com")
    listing = eden.get("/kb/drafts").get_data(as_text=True)
    assert f'data-draft="{draft["article_id"]}"' in listing
    path = f"/kb/drafts/{draft['article_id']}"
    published = eden.post(path, data={
        "csrf_token": form_token(eden, path), "title": "Smart lamp offline after changing your router",
        "summary": "Reset the lamp's network and use a 2.4 GHz network.", "category": "product-help",
        "tags": "wifi, smart-home",
        "body": ANSWER + "\n\nStill offline? See [the maker's guide](https://lamps.example/guide).",
        "publish": "1"})
    assert published.status_code == 303 and published.headers["Location"].endswith(f"/kb/{draft['slug']}")
    page = app.test_client().get(f"/kb/{draft['slug']}")
    assert page.status_code == 200 and "Smart lamp offline after changing your router" in page.get_data(as_text=True)
    with app.app_context():
        article = db.session.get(Article, draft["article_id"])
        assert article.published and article.published_by_id is not None and article.tags == ["wifi", "smart-home"]
        assert '<a href="https://lamps.example/guide" rel="nofollow ugc">' in article.body_html
        hits = search("smart lamp router offline").hits
        assert any(h.type == "article" and h.slug == draft["slug"] for h in hits)
    assert f'data-draft="{draft["article_id"]}"' not in eden.get("/kb/drafts").get_data(as_text=True)


def test_promoting_needs_an_accepted_answer_and_a_moderator(app, world):
    mo = signed_in(app, "mo@example.com")
    refused = post_json(mo, f"/forum/t/{world.thread}/promote", meta_token(mo))
    assert refused.status_code == 400 and "accepted answer" in refused.get_json()["error"]["message"]
    accept_helpful(app, world)
    for email in ("casey@example.com", "ann@example.com", "eden@example.com"):
        client = signed_in(app, email)
        assert post_json(client, f"/forum/t/{world.thread}/promote", meta_token(client)).status_code == 403
    assert post_json(mo, f"/forum/t/{world.thread}/promote", "forged").status_code == 400
    with app.app_context():
        assert count(Article) == 0


def test_bad_draft_edits_change_nothing_and_sync_leaves_drafts_alone(app, world, tmp_path):
    accept_helpful(app, world)
    mo = signed_in(app, "mo@example.com")
    article_id = post_json(mo, f"/forum/t/{world.thread}/promote", meta_token(mo)).get_json()["article_id"]
    eden = signed_in(app, "eden@example.com")
    path = f"/kb/drafts/{article_id}"
    good = {"title": "Fine", "summary": "", "category": "product-help", "tags": "", "body": "Body"}
    for bad in ({"category": "not-a-topic"}, {"title": ""}, {"body": ""}, {"title": "x" * 201},
                {"tags": ",".join(f"t{i}" for i in range(12))}, {"title": "<script>alert(1)</script>", "csrf_token": "forged"}):
        data = {"csrf_token": form_token(eden, path)} | good | bad
        assert eden.post(path, data=data).status_code == 400, bad
    with app.app_context():
        article = db.session.get(Article, article_id)
        assert article.title == "Smart lamp offline after a new router" and not article.published
        (tmp_path / "kb").mkdir()
        sync_articles(tmp_path / "kb")  # an empty folder removes file-based articles, never drafts
        assert db.session.get(Article, article_id) is not None
    assert eden.get("/kb/drafts/999999").status_code == 404
    discarded = eden.post(f"{path}/discard", data={"csrf_token": form_token(eden, path)})
    assert discarded.status_code == 303
    with app.app_context():
        assert count(Article) == 0


EDITORIAL = [(None, False), ("casey@example.com", False), ("ann@example.com", False), ("mo@example.com", False),
             ("eden@example.com", True), ("sue@example.com", True)]


@pytest.mark.parametrize("email, allowed", EDITORIAL)
def test_only_editors_see_save_publish_or_discard_drafts(app, world, email, allowed):
    accept_helpful(app, world)
    mo = signed_in(app, "mo@example.com")
    article_id = post_json(mo, f"/forum/t/{world.thread}/promote", meta_token(mo)).get_json()["article_id"]
    client = signed_in(app, email) if email else app.test_client()
    token = meta_token(client, "/forum")
    path = f"/kb/drafts/{article_id}"
    refused = 401 if email is None else 403
    form = {"csrf_token": token, "title": "Changed", "summary": "", "category": "product-help", "tags": "",
            "body": "Changed", "publish": "1"}
    answers = [client.get("/kb/drafts").status_code, client.get(path).status_code,
               client.post(path, data=form).status_code, client.post(f"{path}/discard", data={"csrf_token": token}).status_code]
    if allowed:
        assert answers == [200, 200, 303, 303]  # published, so the discard is refused with a message
        with app.app_context():
            assert reload(Article, article_id).published
    else:
        assert [a if a != 302 else refused for a in answers] == [refused] * 4, answers
        with app.app_context():
            article = reload(Article, article_id)
            assert article.title == "Smart lamp offline after a new router" and not article.published
