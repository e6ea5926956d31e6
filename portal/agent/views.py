"""The agent console (/agent) and its JSON API. Agents see their teams; supervisors all."""

from __future__ import annotations

import sqlalchemy as sa
from flask import jsonify, render_template, request
from flask_login import current_user

from portal.agent import assist, bp
from portal.agent import services as svc
from portal.auth.permissions import support_staff_required
from portal.conversations.models import Conversation
from portal.events.feed import latest_event_id
from portal.events.streams import event_response, last_event_id
from portal.extensions import db
from portal.handoff.availability import agents_available, my_availability, touch_presence
from portal.handoff.messages import typing
from portal.tickets.models import Ticket


def _json() -> dict:
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        raise svc.AgentError("Send a JSON object.")
    return data


@bp.route("/agent")
@support_staff_required
def console():
    touch_presence(current_user)
    return render_template("agent/console.html")


@bp.route("/api/agent/presence", methods=["POST"])
@support_staff_required
def presence():
    touch_presence(current_user)
    return jsonify({"ok": True})


@bp.route("/api/agent/queue")
@support_staff_required
def queue():
    touch_presence(current_user)
    return jsonify({
        "queue": [svc.queue_item(t) for t in svc.queue(current_user)],
        "mine": [svc.queue_item(t) for t in svc.my_conversations(current_user)],
        "agents_available": agents_available(None),
        "availability": my_availability(current_user),
        "last_event_id": latest_event_id(),
    })


@bp.route("/api/agent/queue/events")
@support_staff_required
def queue_events():
    return event_response([None], last_event_id(), staff=True)


def ticket_detail(ticket: Ticket) -> dict:
    conv = ticket.conversation
    messages = [m.to_dict(internal=True) for m in conv.messages] if conv else ticket.transcript
    customer_levels = [m.get("frustration", {}).get("level") for m in messages
                       if m.get("sender") == "customer" and m.get("frustration")]
    level = customer_levels[-1] if customer_levels else (ticket.briefing or {}).get("mood_now")
    earlier = []
    if ticket.customer_id:
        earlier = [{"ticket": t.number, "subject": t.subject, "status": t.status,
                    "created_at": t.created_at.isoformat() + "Z"}
                   for t in db.session.scalars(sa.select(Ticket).where(
                       Ticket.customer_id == ticket.customer_id, Ticket.id != ticket.id).order_by(Ticket.id.desc()))]
    articles = (ticket.briefing or {}).get("bot_offered_articles") or []
    return {
        **svc.queue_item(ticket),
        "briefing": ticket.briefing,
        "conversation_id": conv.public_id if conv else None,
        "messages": messages,
        "articles_shown": articles,
        "earlier_tickets": earlier,
        "notes": [{"author": e.actor.first_name if e.actor else "", "text": e.data.get("text", ""),
                   "created_at": e.created_at.isoformat() + "Z"} for e in ticket.events if e.kind == "note"],
        "frustration_now": level,
        "suggestions": assist.suggestions(ticket, current_user, level),
        "canned": assist.canned_for(ticket, current_user),
        "satisfaction": {"rating": ticket.satisfaction_rating, "comment": ticket.satisfaction_comment},
        "mine": ticket.assignee_id == current_user.id,
        "last_event_id": latest_event_id(),
    }


@bp.route("/api/agent/tickets/<number>")
@support_staff_required
def ticket(number: str):
    return jsonify(ticket_detail(svc.ticket_for(current_user, number)))


@bp.route("/api/agent/tickets/<number>/events")
@support_staff_required
def ticket_events(number: str):
    t = svc.ticket_for(current_user, number)
    return event_response([t.conversation_id, None], last_event_id(), staff=True)


def _action(fn, *args):
    result = fn(*args)
    if isinstance(result, Ticket):
        return jsonify(ticket_detail(result))
    return jsonify(result.to_dict() if hasattr(result, "to_dict") else {"ok": True}), 201


@bp.route("/api/agent/tickets/<number>/claim", methods=["POST"])
@support_staff_required
def claim(number: str):
    return _action(svc.claim, number, current_user)


@bp.route("/api/agent/tickets/<number>/messages", methods=["POST"])
@support_staff_required
def reply(number: str):
    data = _json()
    return _action(svc.agent_reply, number, current_user, data.get("text"), data.get("client_id"))


@bp.route("/api/agent/tickets/<number>/notes", methods=["POST"])
@support_staff_required
def note(number: str):
    svc.add_note(number, current_user, _json().get("text"))
    return jsonify({"ok": True}), 201


@bp.route("/api/agent/tickets/<number>/typing", methods=["POST"])
@support_staff_required
def agent_typing(number: str):
    t = svc.ticket_for(current_user, number)
    conv = db.session.get(Conversation, t.conversation_id) if t.conversation_id else None
    if conv is not None and conv.status == "live" and t.assignee_id == current_user.id:
        typing(conv, "agent", current_user.first_name)
    return jsonify({"ok": True})


@bp.route("/api/agent/tickets/<number>/resolve", methods=["POST"])
@support_staff_required
def resolve(number: str):
    return _action(svc.resolve, number, current_user)


@bp.route("/api/agent/tickets/<number>/handback", methods=["POST"])
@support_staff_required
def handback(number: str):
    return _action(svc.hand_back, number, current_user)


@bp.route("/api/agent/tickets/<number>/transfer", methods=["POST"])
@support_staff_required
def transfer(number: str):
    data = _json()
    return _action(svc.transfer, number, current_user, data.get("team"), data.get("agent"))
