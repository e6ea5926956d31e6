"""Who may call what: every role against every staff and customer endpoint of the live-agent work.

One row per endpoint; each row is tried by every role, on a ticket of the agent's team and
on one of another team (or, for customer endpoints, on the caller's own ticket and on
someone else's; for the trainer's attempts, on the caller's own attempt and a colleague's). A refused request, whatever its method, must leave the database as it was;
an allowed state-changing one must change something (so the "nothing changed" is real). Rows a call
left unchanged are tried by the next role; after any change, fresh ones.
"""

from __future__ import annotations

from dataclasses import dataclass

import pytest
import sqlalchemy as sa

from portal.auth.models import User
from portal.conversations.models import ChatEvent, Conversation, Message
from portal.extensions import db
from portal.tickets.models import AgentPresence, CannedResponse, Ticket, TicketEvent
from portal.training import services as training
from portal.training.models import Attempt, AttemptTurn, Persona
from tests.portal.ticket_builders import handoff, page_token, person, sign_in, ticket_app

ROLES = ("anonymous", "customer", "agent", "moderator", "editor", "supervisor", "admin")
EMAILS = {"customer": "casey@example.com", "agent": "ann@example.com", "moderator": "mo@example.com",
          "editor": "ed@example.com", "supervisor": "sue@example.com", "admin": "ada@example.com"}
PERSONA_FORM = {
    "name": "Olive Grant", "scenario": "refund_demand", "problem": "Olive's kettle died after a week.",
    "opening": "My kettle died after a week. I want a refund.", "mood": "0.6", "calmed": "0.2", "escalated": "0.95",
    "patience": "2", "max_turns": "5", "calm_acknowledge": "0.12", "calm_offer_options": "0.15",
    "inflame_blame": "0.3", "lines_calm": "Thanks.\nGreat.", "lines_annoyed": "OK.\nGo on.",
    "lines_frustrated": "Why is this so hard?\nIt's a kettle.", "lines_angry": "Refund NOW.\nUseless.",
    "ending_calmed": "Sorted, thanks.", "ending_escalated": "Get me a manager.", "ending_abandoned": "Forget it.",
}


@dataclass(frozen=True)
class Endpoint:
    method: str
    path: str  # {number}, {conversation}, {canned}, {agent} are filled per target
    scope: str  # staff | ticket (a staff ticket endpoint) | manager | anyone | owner (the customer's own)
    # | reader (a file in a chat: its customer, and staff who may see its ticket) | practice (a trainer's attempt: the caller's own, or a colleague's)
    ok: int  # the status when allowed
    body: dict | None = None
    form: bool = False  # an HTML form post (else JSON)
    ticket: str = "owned"  # owned: assigned to the agent, chat live; waiting: unassigned in the queue
    changes: bool = False  # allowed calls change the database

    @property
    def html(self) -> bool:
        return not self.path.startswith("/api/")

    def __str__(self) -> str:
        return f"{self.method} {self.path}"


ENDPOINTS = [
    Endpoint("GET", "/agent", "staff", 200),
    Endpoint("GET", "/api/agent/queue", "staff", 200),
    Endpoint("GET", "/api/agent/queue/events", "staff", 200),
    Endpoint("POST", "/api/agent/presence", "staff", 200, changes=True),
    Endpoint("POST", "/api/agent/availability", "staff", 200, body={"status": "away"}, changes=True),
    Endpoint("GET", "/api/agent/people", "staff", 200),
    Endpoint("GET", "/api/agent/tickets/{number}", "ticket", 200),
    Endpoint("GET", "/api/agent/tickets/{number}/events", "ticket", 200),
    Endpoint("POST", "/api/agent/tickets/{number}/claim", "ticket", 200, ticket="waiting", changes=True),
    Endpoint("POST", "/api/agent/tickets/{number}/messages", "ticket", 201, body={"text": "Sorted."}, changes=True),
    Endpoint("POST", "/api/agent/tickets/{number}/notes", "ticket", 201, body={"text": "Note."}, changes=True),
    Endpoint("POST", "/api/agent/tickets/{number}/typing", "ticket", 200),
    Endpoint("POST", "/api/agent/tickets/{number}/resolve", "ticket", 200, changes=True),
    Endpoint("POST", "/api/agent/tickets/{number}/handback", "ticket", 200, changes=True),
    Endpoint("POST", "/api/agent/tickets/{number}/transfer", "ticket", 200, body={"team": "general"}, changes=True),
    Endpoint("GET", "/staff/tickets", "staff", 200),
    # Attachments: without a file the allowed caller is told to choose one (400); the rest never get that far.
    Endpoint("POST", "/api/agent/tickets/{number}/attachments", "ticket", 400, body={"text": "See attached."}),
    Endpoint("POST", "/staff/tickets/{number}/attachments", "ticket", 400, body={"text": "See attached."}, form=True),
    Endpoint("POST", "/tickets/{number}/attachments", "owner", 400, body={"text": "A photo."}, form=True),
    Endpoint("GET", "/attachments/{attachment}", "reader", 200),
    Endpoint("GET", "/attachments/{attachment}/preview", "reader", 200),
    Endpoint("GET", "/staff/tickets/{number}", "ticket", 200),
    Endpoint("POST", "/staff/tickets/{number}/status", "ticket", 303, body={"status": "pending"}, form=True,
             changes=True),
    Endpoint("POST", "/staff/tickets/{number}/priority", "ticket", 303, body={"priority": "low"}, form=True,
             changes=True),
    Endpoint("POST", "/staff/tickets/{number}/assign", "ticket", 303, body={"assignee": ""}, form=True,
             changes=True),
    Endpoint("POST", "/staff/tickets/{number}/notes", "ticket", 303, body={"note": "Note."}, form=True,
             changes=True),
    Endpoint("POST", "/staff/tickets/{number}/reply", "ticket", 303, body={"reply": "Sorted."}, form=True,
             changes=True),
    Endpoint("GET", "/staff/canned", "manager", 200),
    Endpoint("POST", "/staff/canned", "manager", 303, body={"title": "Hi", "body": "Hi {agent_name}", "team": ""},
             form=True, changes=True),
    Endpoint("GET", "/staff/canned/{canned}/edit", "manager", 200),
    Endpoint("POST", "/staff/canned/{canned}/edit", "manager", 303, body={"title": "New", "body": "New", "team": ""},
             form=True, changes=True),
    Endpoint("POST", "/staff/canned/{canned}/delete", "manager", 303, form=True, changes=True),
    Endpoint("GET", "/coaching", "staff", 200),
    Endpoint("GET", "/supervisor/agents", "manager", 200),
    Endpoint("GET", "/supervisor/agents/{agent}", "manager", 200),
    Endpoint("GET", "/tickets", "anyone", 200),
    # Operations: readiness for anyone; /metrics by network or token, not by role (tests/portal/test_observability.py).
    Endpoint("GET", "/readyz", "anyone", 200),
    Endpoint("GET", "/metrics", "anyone", 200),
    Endpoint("GET", "/tickets/{number}", "owner", 200),
    Endpoint("POST", "/tickets/{number}/reply", "owner", 303, body={"text": "Any news?"}, form=True, changes=True),
    Endpoint("GET", "/api/chat/conversations/{conversation}/events", "owner", 200),
    Endpoint("GET", "/training", "staff", 200),
    Endpoint("POST", "/training/attempts", "staff", 303, body={"persona": "{persona}"}, form=True, changes=True),
    Endpoint("GET", "/training/attempts/{attempt}", "practice", 200),
    Endpoint("POST", "/training/attempts/{attempt}/replies", "practice", 303, body={"reply": "Sorry.", "send": "1"},
             form=True, changes=True),
    Endpoint("GET", "/training/team", "manager", 200),
    Endpoint("GET", "/training/personas/new", "manager", 200),
    Endpoint("POST", "/training/personas/new", "manager", 303, body=PERSONA_FORM, form=True, changes=True),
    Endpoint("GET", "/supervisor", "manager", 200),
    *(Endpoint("GET", f"/supervisor/export/{section}.csv", "manager", 200)
      for section in ("volume", "self-service", "escalation", "speed", "outcome", "mood")),
]


def targets(endpoint: Endpoint) -> tuple[str, ...]:
    return {"ticket": ("team", "other_team"), "owner": ("own", "someone_elses"), "reader": ("own", "someone_elses"),
            "practice": ("own", "colleagues")}.get(endpoint.scope, ("none",))


def expected(endpoint: Endpoint, role: str, target: str) -> int | str:
    if endpoint.scope in ("staff", "ticket", "manager", "practice"):
        if role == "anonymous":
            return "login" if endpoint.html else 401
        if role in ("customer", "moderator", "editor") or (endpoint.scope == "manager" and role == "agent"):
            return 403
        if endpoint.scope == "practice" and target == "colleagues":
            if role == "agent":
                return 404  # no hint that a colleague's attempt exists
            return endpoint.ok if endpoint.method == "GET" else 403  # supervisors review, only the trainee replies
        if role == "agent" and target == "other_team":
            return 404  # no hint that another team's ticket exists
        return endpoint.ok
    if endpoint.scope == "owner":
        return endpoint.ok if (role, target) == ("customer", "own") else 404
    if endpoint.scope == "reader":  # both chats are the agent's team's (billing)
        return endpoint.ok if role in ("agent", "supervisor", "admin") or (role, target) == ("customer", "own") else 404
    return endpoint.ok


@pytest.fixture
def world(make_app, monkeypatch):
    monkeypatch.setattr("portal.tickets.mail.send_mail", lambda *args: True)
    app = ticket_app(make_app)
    with app.app_context():
        ids = {
            "customer": person("casey@example.com", name="Casey Doe").id,
            "robin": person("robin@example.com", name="Robin Roe").id,
            "agent": person("ann@example.com", ["agent"], "Ann Agent", teams=["billing"]).id,
            "tom": person("tom@example.com", ["agent"], "Tom Tech", teams=["technical"]).id,
            "moderator": person("mo@example.com", ["moderator"], "Mo Mod").id,
            "editor": person("ed@example.com", ["editor"], "Ed Editor").id,
            "supervisor": person("sue@example.com", ["supervisor"], "Sue Super").id,
            "admin": person("ada@example.com", ["admin"], "Ada Admin").id,
        }
    clients = {}
    for role in ROLES:
        client = app.test_client()
        if role != "anonymous":
            sign_in(client, EMAILS[role])
        clients[role] = (client, page_token(client))
    return app, ids, clients


def build_target(endpoint: Endpoint, target: str, ids: dict, role: str) -> dict:
    """A fresh ticket (or canned response, or trainer's attempt), so calls never see each other's
    changes: a call that changed nothing leaves its rows to the next."""
    user = lambda key: db.session.get(User, ids[key])  # noqa: E731
    if endpoint.scope == "ticket":
        team_ticket = target == "team"
        category = "billing" if team_ticket else "technical"
        if endpoint.ticket == "waiting":
            ticket = handoff(customer=user("customer"), category=category, conv_status="handoff")
        else:
            ticket = handoff(customer=user("customer"), category=category, conv_status="live",
                             assignee=user("agent" if team_ticket else "tom"))
    elif endpoint.scope in ("owner", "reader"):
        owner = user("customer" if target == "own" else "robin")
        ticket = handoff(customer=owner, category="billing", conv_status="live", assignee=user("agent"))
    else:
        ticket = None
    attachment = photo_in(ticket.conversation) if endpoint.scope == "reader" else ""
    canned = CannedResponse(title="Thanks", body="Thanks, {customer_first_name}.")
    db.session.add(canned)
    db.session.commit()
    training.ensure_built_in()
    persona = db.session.scalar(sa.select(Persona).where(Persona.slug == "billing-error-dana"))
    trainee = user("tom" if target == "colleagues" else role if role != "anonymous" else "agent")
    return {"number": ticket.number if ticket else "", "canned": canned.id,
            "conversation": ticket.conversation.public_id if ticket else "", "agent": ids["agent"],
            "persona": persona.id, "attempt": training.start_attempt(trainee, persona).id, "attachment": attachment}


def photo_in(conversation) -> str:
    """A photo the customer sent in the chat (checked and stored as an upload is)."""
    from portal.attachments.checks import check_file
    from portal.attachments.services import attach_in_chat
    from tests.portal.attachment_files import image_bytes

    photo = check_file("damage.png", image_bytes("PNG"), 10_000_000, 10_000_000)
    return attach_in_chat(conversation, [photo]).payload["attachments"][0]["id"]


def snapshot() -> dict:
    """What these endpoints are meant to change, and who owns, holds and may see each row (not
    every column: timestamps such as a conversation's last activity are left out)."""
    db.session.expire_all()
    return {
        "tickets": sorted((t.number, t.status, t.priority, t.assignee_id, t.team_id, t.resolved_at,
                           t.first_responded_at, t.customer_seen_at) for t in db.session.scalars(sa.select(Ticket))),
        "conversations": sorted((c.id, c.status, c.assignee_id)
                                for c in db.session.scalars(sa.select(Conversation))),
        "canned": sorted((c.id, c.title, c.body) for c in db.session.scalars(sa.select(CannedResponse))),
        "attempts": sorted((a.id, a.outcome, a.mood) for a in db.session.scalars(sa.select(Attempt))),
        "availability": sorted((p.user_id, p.availability) for p in db.session.scalars(sa.select(AgentPresence))),
        "counts": {model.__name__: db.session.scalar(sa.select(sa.func.count()).select_from(model))
                   for model in (TicketEvent, Message, ChatEvent, AgentPresence, Persona, AttemptTurn)},
    }


def call(client, token: str, endpoint: Endpoint, values: dict):
    path = endpoint.path.format(**values)
    if endpoint.method == "GET":
        return client.get(path)
    if endpoint.form:
        body = {key: value.format(**values) if key == "persona" else value for key, value in (endpoint.body or {}).items()}
        return client.post(path, data={**body, "csrf_token": token})
    return client.post(path, json=endpoint.body or {}, headers={"X-CSRFToken": token})


@pytest.mark.parametrize("endpoint", ENDPOINTS, ids=str)
def test_every_role_against_every_endpoint(world, endpoint):
    app, ids, clients = world
    outcomes, wanted = {}, {}
    built: dict[tuple, dict] = {}  # rows a call left as they were, tried again by the next role
    for role in ROLES:
        client, token = clients[role]
        for target in targets(endpoint):
            key = (target, role if endpoint.scope == "practice" else None)  # an attempt is its trainee's
            with app.app_context():
                if key not in built:
                    built[key] = build_target(endpoint, target, ids, role)
                values = built[key]
                before = snapshot()
            response = call(client, token, endpoint, values)
            got = response.status_code
            if got == 302 and "/auth/login" in response.headers.get("Location", ""):
                got = "login"
            want = expected(endpoint, role, target)
            outcomes[role, target], wanted[role, target] = got, want
            with app.app_context():
                after = snapshot()
            if after != before:
                del built[key]  # fresh rows for the next call
            if want != endpoint.ok:
                assert after == before, f"{role} on {target}: a refused call changed the database"
            elif endpoint.changes:
                assert after != before, f"{role} on {target}: the allowed call changed nothing"
    assert outcomes == wanted
