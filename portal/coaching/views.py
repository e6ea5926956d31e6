"""The coaching pages: an agent's own measure (/coaching), and for supervisors and admins the
team's table (/supervisor/agents) and any agent's page (/supervisor/agents/<id>).

Thin: the period comes from ?from=&to= (YYYY-MM-DD); a bad one is a 400 from measure.BadPeriod,
an unknown agent a 404 from measure.UnknownAgent, both answered by the error handler.
"""

from __future__ import annotations

from flask import render_template, request
from flask_login import current_user

from portal.auth.permissions import SUPERVISORS, SUPPORT_STAFF, role_required
from portal.clock import utcnow
from portal.coaching import bp, measure, replies


def _rules() -> dict:
    """What the pages say about how the figures are made."""
    return {"minimum": measure.MIN_CONVERSATIONS, "reopen_days": measure.REOPEN_DAYS,
            "max_read": replies.MAX_REPLIES_READ}


def _period() -> measure.Period:
    return measure.period_from(request.args.get("from") or None, request.args.get("to") or None, utcnow().date())


@bp.route("/coaching")
@role_required(*SUPPORT_STAFF)
def own():
    period = _period()
    return render_template("coaching/agent.html", m=measure.agent_measure(current_user, period), period=period,
                           own=True, **_rules())


@bp.route("/supervisor/agents")
@role_required(*SUPERVISORS)
def team():
    period = _period()
    return render_template("coaching/team.html", measures=measure.team_measures(period), period=period, **_rules())


@bp.route("/supervisor/agents/<int:agent_id>")
@role_required(*SUPERVISORS)
def agent(agent_id: int):
    user = measure.coached_agent(agent_id)
    period = _period()
    m = measure.agent_measure(user, period)
    m.rank, ranked_count = measure.standing(user, period)
    return render_template("coaching/agent.html", m=m, period=period, own=False, ranked_count=ranked_count,
                           **_rules())
