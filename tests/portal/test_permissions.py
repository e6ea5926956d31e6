"""Who may do what: the role groups, every named permission for every role, the decorators,
and the pages that ask ``can(...)``."""

from pathlib import Path
from types import SimpleNamespace

import pytest
from flask import render_template_string
from flask_login import AnonymousUserMixin

from portal.auth import permissions
from portal.auth.permissions import can, permission_required, register, role_required
from tests.conftest import csrf_from
from tests.factories import PASSWORD, make_user
from tests.portal.ticket_builders import person, team


@pytest.fixture
def guarded(make_app):
    app = make_app()

    @app.route("/staff-only")
    @role_required("agent", "supervisor")
    def staff_only():
        return "ok"

    return app


@pytest.mark.parametrize("roles, status", [
    (None, 401), (["customer"], 403), (["moderator"], 403), (["agent"], 200), (["supervisor"], 200),
    (["customer", "agent"], 200),
])
def test_role_required(guarded, roles, status):
    client = guarded.test_client()
    if roles:
        with guarded.app_context():
            make_user("u@example.com", roles=roles)
        from tests.conftest import csrf_from

        token = csrf_from(client.get("/auth/login").get_data(as_text=True))
        client.post("/auth/login", data={"email": "u@example.com", "password": PASSWORD, "csrf_token": token})
    response = client.get("/staff-only", headers={"Accept": "application/json"})
    assert response.status_code == status


# ---- one module owns every rule: role groups, named permissions, the template helper ----------

ROLES = ("anonymous", "customer", "agent", "moderator", "editor", "supervisor", "admin")
EVERY_STAFF_ROLE = {"agent", "moderator", "editor", "supervisor", "admin"}
# Who holds each permission that needs no object: the behaviour every view and page had before.
WHO_MAY = {
    "work_tickets": {"agent", "supervisor", "admin"},
    "see_all_tickets": {"supervisor", "admin"},
    "take_tickets": {"agent", "supervisor"},
    "manage_canned_responses": {"supervisor", "admin"},
    "moderate": {"moderator", "supervisor", "admin"},
    "edit_articles": {"editor", "supervisor", "admin"},
    "see_vote_counts": EVERY_STAFF_ROLE,
    "wear_staff_badge": EVERY_STAFF_ROLE,
}


@pytest.fixture
def people(make_app):
    """One user per role (the agent works the billing team), and the app they live in."""
    app = make_app()
    with app.app_context():
        users = {role: person(f"{role}@example.com", roles=(role,), teams=("billing",) if role == "agent" else ())
                 for role in ROLES[1:]}
        users["anonymous"] = AnonymousUserMixin()
        yield app, users


def test_each_role_group_is_defined_once_with_the_roles_it_always_had():
    assert set(permissions.STAFF) == EVERY_STAFF_ROLE
    assert set(permissions.SUPPORT_STAFF) == {"agent", "supervisor", "admin"}
    assert set(permissions.SUPERVISORS) == {"supervisor", "admin"}
    assert set(permissions.TICKET_ASSIGNEES) == {"agent", "supervisor"}
    assert set(permissions.MODERATORS) == {"moderator", "supervisor", "admin"}
    assert set(permissions.EDITORS) == {"editor", "supervisor", "admin"}


def test_no_role_logic_outside_the_permissions_module():
    root = Path(__file__).resolve().parents[2]
    owners = {root / "portal/auth/permissions.py", root / "portal/auth/models.py"}  # asks, and defines has_role
    sources = [p for pattern in ("portal/**/*.py", "forum/**/*.py", "portal/**/*.html", "forum/**/*.html")
               for p in root.glob(pattern) if p not in owners]
    assert [str(p.relative_to(root)) for p in sources if "has_role(" in p.read_text() or "is_staff" in p.read_text()] == []


@pytest.mark.parametrize("permission", sorted(WHO_MAY))
def test_who_holds_each_permission(people, permission):
    app, users = people
    allowed = {role for role in ROLES if can(permission, user=users[role])}
    assert allowed == WHO_MAY[permission]


def test_a_deactivated_account_keeps_its_badge_but_not_its_powers(people):
    app, users = people
    users["supervisor"].active = False
    assert can("wear_staff_badge", user=users["supervisor"]) and can("see_all_tickets", user=users["supervisor"])
    assert not can("moderate", user=users["supervisor"]) and not can("work_tickets", user=users["supervisor"])


def test_a_ticket_is_seen_by_its_team_its_assignee_and_supervisors(people):
    app, users = people
    billing, general = team("billing").id, team("general").id
    own_team = SimpleNamespace(team_id=billing, assignee_id=None)
    other_team = SimpleNamespace(team_id=general, assignee_id=None)
    assigned_away = SimpleNamespace(team_id=general, assignee_id=users["agent"].id)
    for ticket, expected in ((own_team, {"agent", "supervisor", "admin"}),
                             (other_team, {"supervisor", "admin"}),
                             (assigned_away, {"agent", "supervisor", "admin"})):
        assert {role for role in ROLES if can("see_ticket", ticket, user=users[role])} == expected


def test_the_forum_registers_its_reading_rules(people):
    app, users = people
    author = users["customer"]
    published = SimpleNamespace(status="published", author_id=author.id)
    pending = SimpleNamespace(status="pending", author_id=author.id)
    hidden = SimpleNamespace(status="hidden", author_id=author.id)
    moderators = {"moderator", "supervisor", "admin"}

    def who(permission, obj):
        return {role for role in ROLES if can(permission, obj, user=users[role])}

    assert who("see_thread", published) == who("see_post", published) == set(ROLES)
    assert who("see_thread", pending) == who("see_post", pending) == moderators | {"customer"}
    assert who("see_thread", hidden) == who("see_post", hidden) == moderators
    assert who("see_post_history", published) == moderators | {"customer"}


def test_an_unknown_permission_is_a_mistake_and_a_name_has_one_meaning(people):
    with pytest.raises(LookupError):
        can("fly")
    predicate = permissions.PERMISSIONS["moderate"]
    register("moderate", predicate)  # the same rule again (a second app) is harmless
    with pytest.raises(ValueError):
        register("moderate", lambda user, obj=None: True)


def test_without_a_request_nobody_is_signed_in(people):
    assert not any(can(permission) for permission in WHO_MAY)


def _sign_in(client, email: str) -> None:
    token = csrf_from(client.get("/auth/login").get_data(as_text=True))
    client.post("/auth/login", data={"email": email, "password": PASSWORD, "csrf_token": token})


@pytest.mark.parametrize("role, status", [("anonymous", 401), ("customer", 403), ("moderator", 403),
                                          ("editor", 200), ("supervisor", 200), ("admin", 200)])
def test_permission_required_guards_a_view(make_app, role, status):
    app = make_app()

    @app.route("/editors-only")
    @permission_required("edit_articles")
    def editors_only():
        return "ok"

    client = app.test_client()
    if role != "anonymous":
        with app.app_context():
            person(f"{role}@example.com", roles=(role,))
        _sign_in(client, f"{role}@example.com")
    assert client.get("/editors-only", headers={"Accept": "application/json"}).status_code == status


NAV_LINKS = {"Tickets": "/staff/tickets", "Moderation": "/moderation", "Drafts": "/kb/drafts"}


@pytest.mark.parametrize("role", ROLES)
def test_the_nav_asks_can_for_each_link(people, role):
    app, users = people
    client = app.test_client()
    if role != "anonymous":
        _sign_in(client, f"{role}@example.com")
    nav = client.get("/").get_data(as_text=True).split('<nav class="account"')[1].split("</nav>")[0]
    shown = {label for label, href in NAV_LINKS.items() if f'href="{href}">{label}</a>' in nav}
    expected = {label for label, permission in
                (("Tickets", "work_tickets"), ("Moderation", "moderate"), ("Drafts", "edit_articles"))
                if role in WHO_MAY[permission]}
    assert shown == expected


def test_a_macro_imported_without_context_can_ask_too(people):
    app, users = people
    page = '{% from "forum/_macros.html" import author_name %}{{ author_name(u) }}'
    with app.test_request_context():
        badges = {role for role in ROLES[1:]
                  if "Staff" in render_template_string(page, u=users[role])}
    assert badges == EVERY_STAFF_ROLE
