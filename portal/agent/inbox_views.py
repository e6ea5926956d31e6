"""The console's inbox routes: the availability switch and the people to transfer to."""

from __future__ import annotations

from flask import jsonify, request
from flask_login import current_user

from portal.agent import bp, inbox
from portal.auth.permissions import support_staff_required
from portal.handoff.availability import AvailabilityError, agents_available, set_availability


@bp.route("/api/agent/availability", methods=["POST"])
@support_staff_required
def availability():
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        raise AvailabilityError("Send a JSON object.")
    status = set_availability(current_user, data.get("status"))
    return jsonify({"availability": status, "agents_available": agents_available(None)})


@bp.route("/api/agent/people")
@support_staff_required
def people():
    return jsonify({"people": inbox.people_to_pass_to(current_user)})
