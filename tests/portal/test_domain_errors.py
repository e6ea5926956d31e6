"""One error path: every domain error is a DomainError carrying its HTTP status, and the one
handler in portal.errors answers it (HTML or JSON, the change rolled back) for every package."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from forum.bridges import BridgeError
from forum.deflections import DeflectionError
from forum.moderation import InvalidPattern
from forum.moderation import actions as moderation
from forum.services import ForumError
from forum.text import TagError
from portal import errors
from portal.agent import services as agent
from portal.auth.models import User
from portal.auth.passwords import WeakPassword
from portal.auth.services import AccountError
from portal.chat.services import ChatError, ConversationNotFound
from portal.errors import DomainError, answer_refusals_with, flash_and_return_to
from portal.extensions import db
from portal.handoff.lifecycle import IllegalTransition
from portal.kb.drafts import DraftError
from portal.kb.models import Article, Category
from portal.kb.services import ArticleFileError, KnowledgeBaseError
from portal.search.services import SearchInputError
from portal.support.customer import CustomerTicketError, NoSuchTicket, TicketClosed
from portal.support.staff import TransitionRefused, WorkflowError
from portal.tickets.services import TicketError
from tests.factories import make_article
from tests.forum.builders import answer, start_thread
from tests.forum.moderation_helpers import browser, moderation_app, snapshot
from tests.portal.ticket_builders import make_ticket, page_token, person, sign_in, ticket_state

STATUSES = [
    (WeakPassword, 400), (AccountError, 400), (ArticleFileError, 422), (KnowledgeBaseError, 400), (DraftError, 400),
    (agent.AgentError, 400), (agent.Forbidden, 403), (agent.NotFound, 404), (agent.Conflict, 409),
    (SearchInputError, 400), (ChatError, 400), (ConversationNotFound, 404),
    (TicketError, 400), (WorkflowError, 400), (TransitionRefused, 409),
    (CustomerTicketError, 400), (NoSuchTicket, 404), (TicketClosed, 409), (IllegalTransition, 409),
    (DeflectionError, 400), (ForumError, 400), (BridgeError, 400), (InvalidPattern, 400), (TagError, 400),
    (moderation.ModerationError, 400), (moderation.NotAllowed, 403), (moderation.Conflict, 409),
]


@pytest.mark.parametrize("cls, status", STATUSES, ids=lambda v: getattr(v, "__qualname__", str(v)))
def test_every_domain_error_carries_its_status(cls, status):
    assert issubclass(cls, DomainError)
    assert cls.status == status and cls("No.").status == status


def test_the_two_conflicts_and_the_other_kinds_share_one_base_each():
    assert issubclass(agent.Conflict, errors.Conflict) and issubclass(moderation.Conflict, errors.Conflict)
    assert issubclass(agent.Forbidden, errors.Forbidden) and issubclass(moderation.NotAllowed, errors.Forbidden)
    for not_found in (agent.NotFound, ConversationNotFound, NoSuchTicket):
        assert issubclass(not_found, errors.NotFound)
    for conflict in (TransitionRefused, TicketClosed, IllegalTransition):
        assert issubclass(conflict, errors.Conflict)


def test_a_forum_refusal_may_name_its_own_status_and_wait():
    slow = ForumError("You are posting too fast.", 429, retry_after=30)
    assert (slow.status, slow.retry_after) == (429, 30)
    assert (ForumError("No.").status, ForumError("No.").retry_after) == (400, None)


# ---- the handler ---------------------------------------------------------------------------

@pytest.fixture
def refusing(make_app):
    """An app with routes that refuse, and later code that commits whatever the session holds."""
    app = make_app()

    @app.route("/refuse")
    @app.route("/api/refuse")
    def refuse():
        raise moderation.Conflict("That is already done.")

    @app.route("/refuse/after-a-write")
    def write_then_refuse():
        db.session.add(Category(slug="kept-by-mistake", name="Kept by mistake"))
        db.session.flush()
        raise agent.Forbidden("Claim the conversation first.")

    @app.route("/refuse/slowly")
    def refuse_slowly():
        raise ForumError("You are posting too fast.", 429, retry_after=30)

    @app.route("/refuse/and-go-back")
    def refuse_and_go_back():
        answer_refusals_with(flash_and_return_to("/kb/"))
        raise KnowledgeBaseError("Comments are limited to 1,000 characters.")

    @app.after_request
    def later_commit(response):
        db.session.commit()  # code after the refusal that commits (a view counter, a seen mark)
        return response

    return app


def test_browsers_get_the_error_page_with_the_status_and_message(refusing):
    response = refusing.test_client().get("/refuse")
    assert response.status_code == 409 and response.mimetype == "text/html"
    assert "That is already done." in response.get_data(as_text=True)


@pytest.mark.parametrize("path, kwargs", [
    ("/api/refuse", {}),
    ("/refuse", {"headers": {"Accept": "application/json"}}),
    ("/refuse", {"json": {}}),
], ids=["api-path", "accepts-json", "sends-json"])
def test_json_clients_get_the_json_error(refusing, path, kwargs):
    response = refusing.test_client().get(path, **kwargs)
    assert response.status_code == 409
    assert response.get_json() == {"error": {"status": 409, "message": "That is already done."}}


def test_a_refused_change_is_rolled_back_even_if_later_code_commits(refusing):
    response = refusing.test_client().get("/refuse/after-a-write")
    assert response.status_code == 403 and "Claim the conversation first." in response.get_data(as_text=True)
    with refusing.app_context():
        assert db.session.scalar(sa.select(sa.func.count(Category.id))) == 0


def test_a_refusal_that_says_when_to_retry_sends_retry_after(refusing):
    response = refusing.test_client().get("/refuse/slowly", headers={"Accept": "application/json"})
    assert response.status_code == 429 and response.headers["Retry-After"] == "30"
    assert response.get_json()["error"]["message"] == "You are posting too fast."


def test_a_view_may_answer_its_refusals_with_a_flash_and_a_way_back(refusing):
    client = refusing.test_client()
    response = client.get("/refuse/and-go-back")
    assert response.status_code == 303 and response.headers["Location"] == "/kb/"
    assert "Comments are limited to 1,000 characters." in client.get("/kb/").get_data(as_text=True)


# ---- real routes, one per package ------------------------------------------------------------

@pytest.fixture
def agents(desk):
    with desk.app_context():
        ann = person("ann@example.com", ["agent"], "Ann Agent", teams=["billing"])
        person("bea@example.com", ["agent"], "Bea Agent", teams=["billing"])
        number = make_ticket(desk, conv_status="live", assignee=ann.id)
    return desk, number


def test_agent_console_a_claimed_ticket_is_a_409_and_an_unknown_one_a_404(agents):
    desk, number = agents
    bea = sign_in(desk.test_client(), "bea@example.com")
    with desk.app_context():
        before = ticket_state(number)
    claimed = bea.post(f"/api/agent/tickets/{number}/claim", headers={"X-CSRFToken": page_token(bea, "/agent")})
    assert claimed.status_code == 409 and "already claimed" in claimed.get_json()["error"]["message"]
    assert bea.get("/api/agent/tickets/T-NOPE").get_json() == {"error": {"status": 404, "message": "No such ticket."}}
    with desk.app_context():
        assert ticket_state(number) == before


def test_support_pages_answer_an_unknown_ticket_through_the_handler(agents):
    desk, _ = agents
    staff_page = sign_in(desk.test_client(), "ann@example.com").get("/staff/tickets/T-NOPE")
    assert staff_page.status_code == 404 and "No such ticket." in staff_page.get_data(as_text=True)
    mine = desk.test_client().get("/tickets/T-NOPE", headers={"Accept": "application/json"})
    assert mine.status_code == 404 and mine.get_json()["error"]["message"] == "No such ticket."


def test_chat_api_answers_its_refusals_through_the_handler(desk):
    client = desk.test_client()
    missing = client.get("/api/chat/conversations/no-such-chat")
    assert missing.get_json() == {"error": {"status": 404, "message": "No such conversation."}}
    empty = client.post("/api/chat/messages", json={"text": "  "}, headers={"X-CSRFToken": page_token(client)})
    assert empty.get_json() == {"error": {"status": 400, "message": "Type a message first."}}


def test_kb_a_refused_discard_flashes_and_goes_back_to_the_draft(desk):
    with desk.app_context():
        person("eden@example.com", ["editor"], "Eden Editor")
        article_id = make_article("live-article", "A live article", "Body.").id
    eden = sign_in(desk.test_client(), "eden@example.com")
    path = f"/kb/drafts/{article_id}"
    response = eden.post(f"{path}/discard", headers={"X-CSRFToken": page_token(eden, path)})
    assert response.status_code == 303 and response.headers["Location"] == path
    assert "A published article cannot be discarded here." in eden.get(path).get_data(as_text=True)
    with desk.app_context():
        assert db.session.get(Article, article_id) is not None


def test_forum_moderation_answers_a_refusal_json_or_its_page_and_changes_nothing(make_app):
    app, ids = moderation_app(make_app)
    with app.app_context():
        thread = start_thread(db.session.get(User, ids["casey"]))
        post_id = answer(db.session.get(User, ids["robin"]), thread).id
        before = snapshot()
    mod = browser(app, "mo")
    as_json = mod.post_json(f"/moderation/posts/{post_id}/dismiss")
    assert as_json.get_json() == {"error": {"status": 409, "message": "This post has no open flags to dismiss."}}
    page = mod.post(f"/moderation/posts/{post_id}/dismiss", {"next": "/moderation"})
    body = page.get_data(as_text=True)
    assert page.status_code == 409 and "That was not done" in body and "no open flags" in body
    assert 'href="/moderation"' in body  # the refused page keeps its way back
    with app.app_context():
        assert snapshot() == before
