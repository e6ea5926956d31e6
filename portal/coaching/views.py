"""The coaching pages: an agent's own measure (/coaching), and for supervisors and admins the
team's table (/supervisor/agents) and any agent's page (/supervisor/agents/<id>).

Thin: the period comes from ?from=&to= (YYYY-MM-DD); a bad one is a 400 from measure.BadPeriod,
an unknown agent a 404 from measure.UnknownAgent, both answered by the error handler.
"""

from __future__ import annotations

from flask import has_request_context, render_template, request, url_for
from flask_login import current_user

from portal.auth.permissions import role_required
from portal.clock import utcnow
from portal.coaching import bp, measure, replies

OWN = measure.COACHED_ROLES
SUPERVISORS = ("supervisor", "admin")


def _rules() -> dict:
    """What the pages say about how the figures are made."""
    return {"minimum": measure.MIN_CONVERSATIONS, "reopen_days": measure.REOPEN_DAYS,
            "max_read": replies.MAX_REPLIES_READ}


def _period() -> measure.Period:
    return measure.period_from(request.args.get("from") or None, request.args.get("to") or None, utcnow().date())


@bp.route("/coaching")
@role_required(*OWN)
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


@bp.app_context_processor
def coaching_nav() -> dict:
    """The nav's coaching link: the team's table for supervisors and admins, one's own for agents."""
    if not has_request_context() or not current_user.is_authenticated:
        return {}
    if current_user.has_role(*SUPERVISORS):
        return {"coaching_link": url_for("coaching.team")}
    if current_user.has_role(*OWN):
        return {"coaching_link": url_for("coaching.own")}
    return {}
