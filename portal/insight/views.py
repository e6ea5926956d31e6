"""/supervisor and its CSV exports, for supervisors and admins."""

from __future__ import annotations

from flask import Response, abort, render_template, request

from portal.auth.permissions import permission_required
from portal.clock import utcnow
from portal.conversations.models import CHANNELS
from portal.insight import bp
from portal.insight.filters import CHANNEL_NAMES, FilterError, parse_filters
from portal.insight.sections import SECTIONS, build
from portal.insight.tables import to_csv
from portal.tickets.models import TEAMS


@bp.get("/supervisor")
@permission_required("supervise")
def dashboard():
    choices = {"teams": TEAMS, "channels": {c: CHANNEL_NAMES[c] for c in CHANNELS}}
    try:
        f = parse_filters(request.args, utcnow())
    except FilterError as exc:  # the form again, with what was sent and what to change
        return render_template("insight/dashboard.html", error=str(exc), sent=request.args, sections=[],
                               **choices), 400
    return render_template("insight/dashboard.html", f=f, sent=f.query(), sections=build(f), **choices)


@bp.get("/supervisor/export/<section>.csv")
@permission_required("supervise")
def export(section: str):
    if section not in SECTIONS:
        abort(404)
    f = parse_filters(request.args, utcnow())
    name = f"calmline-{section}-{f.slug()}.csv"
    return Response(to_csv(build(f, [section])[0]), mimetype="text/csv",
                    headers={"Content-Disposition": f'attachment; filename="{name}"', "Cache-Control": "no-store"})
