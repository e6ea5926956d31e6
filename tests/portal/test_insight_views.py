"""/supervisor and its CSV exports: who may see them, what the filters do, and that the CSV of
every section holds exactly the cells of its tables on the page (the charts draw those cells)."""

from __future__ import annotations

import csv
import io
from html import unescape
from html.parser import HTMLParser

import pytest

from portal.insight.sections import SECTIONS
from tests.portal.insight_builders import RANGE, history
from tests.portal.ticket_builders import person, sign_in

ROLES = {"customer": ["customer"], "agent": ["agent"], "moderator": ["moderator"], "editor": ["editor"],
         "supervisor": ["supervisor"], "admin": ["admin"]}
PATHS = ["/supervisor", *(f"/supervisor/export/{s}.csv" for s in SECTIONS)]


class Tables(HTMLParser):
    """The page's tables: [(key, caption, header, rows)] with each cell's text."""

    def __init__(self, html: str):
        super().__init__()
        self.tables: list[dict] = []
        self.cell: list[str] | None = None
        self.caption = False
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "table" and "data-table" in attrs:
            self.tables.append({"key": attrs["data-table"], "section": attrs.get("data-section"), "caption": "",
                                "rows": [], "chart": attrs.get("data-chart"), "series": []})
        elif not self.tables:
            return
        elif tag == "caption":
            self.caption = True
        elif tag == "tr":
            self.tables[-1]["rows"].append([])
        elif tag in ("td", "th"):
            self.cell = []
            if "data-series" in attrs:
                self.tables[-1]["series"].append(len(self.tables[-1]["rows"][-1]))

    def handle_endtag(self, tag):
        if tag == "caption":
            self.caption = False
        elif tag in ("td", "th") and self.cell is not None:
            self.tables[-1]["rows"][-1].append("".join(self.cell).strip())
            self.cell = None

    def handle_data(self, data):
        if self.caption:
            self.tables[-1]["caption"] += data.strip()
        elif self.cell is not None:
            self.cell.append(data)


@pytest.fixture
def world(make_app):
    app = make_app()
    with app.app_context():
        history()
        for role, roles in ROLES.items():
            if role != "customer":
                person(f"{role}@example.com", roles, role.title())
    clients = {"anonymous": app.test_client()}
    for role in ROLES:
        clients[role] = sign_in(app.test_client(), "casey@example.com" if role == "customer" else f"{role}@example.com")
    return app, clients


@pytest.mark.parametrize("path", PATHS)
def test_only_supervisors_and_admins(world, path):
    app, clients = world
    got = {role: clients[role].get(path).status_code for role in clients}
    assert got == {"anonymous": 302, "customer": 403, "agent": 403, "moderator": 403, "editor": 403,
                   "supervisor": 200, "admin": 200}
    assert "/auth/login" in clients["anonymous"].get(path).headers["Location"]
    answer = clients["anonymous"].get(path, headers={"Accept": "application/json"})
    assert answer.status_code == 401


def test_the_nav_links_the_dashboard_for_supervisors_and_admins_only(world):
    app, clients = world
    for role, client in clients.items():
        linked = 'href="/supervisor"' in client.get("/").get_data(as_text=True)
        assert linked == (role in ("supervisor", "admin")), role


@pytest.mark.parametrize("section", list(SECTIONS))
def test_each_csv_holds_exactly_the_tables_of_its_section(world, section):
    app, clients = world
    query = {**RANGE, "team": "", "channel": ""}
    page = Tables(clients["supervisor"].get("/supervisor", query_string=query).get_data(as_text=True))
    exported = clients["admin"].get(f"/supervisor/export/{section}.csv", query_string=query)
    assert exported.mimetype == "text/csv"
    assert exported.headers["Content-Disposition"] == (
        f'attachment; filename="calmline-{section}-2026-03-01_to_2026-03-07_all-teams_all-channels.csv"')
    blocks = exported.get_data(as_text=True).split("\r\n\r\n")
    shown = [t for t in page.tables if t["section"] == section]
    assert len(blocks) == len(shown) >= 1
    for block, table in zip(blocks, shown, strict=True):
        rows = list(csv.reader(io.StringIO(block)))
        assert rows[0] == [table["caption"]]
        assert rows[1:] == table["rows"]
    drawn = [t for t in shown if t["chart"]]
    assert drawn and all(t["series"] for t in drawn)  # every chart names the columns it draws


def test_filters_change_the_page_and_the_export_alike(world):
    app, clients = world
    client = clients["supervisor"]
    totals = {}
    for team in ("", "billing", "technical"):
        query = {**RANGE, "team": team}
        page = Tables(client.get("/supervisor", query_string=query).get_data(as_text=True))
        volume = next(t for t in page.tables if t["key"] == "volume-by-day")
        totals[team] = volume["rows"][-1]
        exported = list(csv.reader(io.StringIO(client.get("/supervisor/export/volume.csv", query_string=query)
                                               .get_data(as_text=True))))
        assert exported[-1] == totals[team]
    assert totals == {"": ["Total", "8", "3", "5", "2"], "billing": ["Total", "2", "2", "2", "1"],
                      "technical": ["Total", "2", "1", "2", "1"]}
    html = client.get("/supervisor", query_string={**RANGE, "channel": "message"}).get_data(as_text=True)
    assert '<option value="message" selected>' in html  # the form keeps what was chosen
    message = Tables(html)
    assert next(t for t in message.tables if t["key"] == "volume-by-day")["rows"][-1] == ["Total", "1", "0", "1", "0"]


def test_the_default_range_is_the_last_30_days(world):
    app, clients = world
    html = clients["supervisor"].get("/supervisor").get_data(as_text=True)
    volume = next(t for t in Tables(html).tables if t["key"] == "volume-by-day")
    assert len(volume["rows"]) == 1 + 30 + 1  # header, 30 days, total
    assert 'name="from" value="' in html


@pytest.mark.parametrize("query, message", [
    ({"from": "2026-13-01"}, "'from' must be a date"),
    ({"to": "yesterday"}, "'to' must be a date"),
    ({"from": "20260301"}, "'from' must be a date"),
    ({"from": "2026-03-07", "to": "2026-03-01"}, "on or before"),
    ({"from": "2020-01-01", "to": "2026-03-01"}, "at most 366 days"),
    ({"from": "0001-01-01", "to": "0001-01-02"}, "between 2000-01-01"),
    ({"to": "9999-12-31"}, "between 2000-01-01"),
    ({"from": "9" * 400}, "'from' must be a date"),
    ({"team": "sales"}, "'team' must be one of"),
    ({"team": "billing'; drop table tickets;--"}, "'team' must be one of"),
    ({"channel": "email"}, "'channel' must be one of"),
])
def test_bad_filters_are_refused_with_a_400_that_says_why(world, query, message):
    app, clients = world
    client = clients["supervisor"]
    page = client.get("/supervisor", query_string=query)
    assert page.status_code == 400 and message in unescape(page.get_data(as_text=True))
    assert 'name="from"' in page.get_data(as_text=True)  # the form is there to fix it
    exported = client.get("/supervisor/export/volume.csv", query_string=query)
    assert exported.status_code == 400 and message in unescape(exported.get_data(as_text=True))
    assert client.get("/supervisor", query_string=RANGE).status_code == 200  # nothing broke


def test_an_unknown_section_is_404(world):
    app, clients = world
    assert clients["admin"].get("/supervisor/export/salaries.csv").status_code == 404
    assert clients["customer"].get("/supervisor/export/salaries.csv").status_code == 403
