"""The agent's inbox in a real browser (issue 16), at 1280x800 and 390x844: the availability
switch changes what a customer is told at handoff, desktop notifications asked with a button,
transfer by name, the staff list's order and search with local-time dates, and axe-core on the
console, the list and a ticket page.

These need a handoff, so this module runs its own server (as the e2e one, on SQLite) whose
Rasa is the stand-in from the unit tests: it hands off whatever the customer writes.
"""

from __future__ import annotations

import re
import secrets
import shutil
import subprocess
import sys
import tempfile
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import expect

from tests.accessibility import axe_violations
from tests.e2e.conftest import ROOT
from tests.e2e.test_portal_browser import log_in
from tests.portal.test_live_agents import stand_in_rasa
from tests.stack import _flask, _free_port, _gunicorn_extra_args, _server_env, _stop, _wait_healthy

# Its own server on SQLite, whichever database the pass uses: one pass is enough (conftest).
pytestmark = [pytest.mark.e2e, pytest.mark.once]

SIZES = {"desktop": {"width": 1280, "height": 800}, "phone": {"width": 390, "height": 844}}
AGENT = ("agent@example.com", "calm-agent-2026")  # Alex Agent: agent, every team
SUPERVISOR = ("supervisor@example.com", "calm-supervisor-2026")  # Sam Supervisor: supervisor and agent
NOBODY = "nobody can pick this up straight away"


@pytest.fixture(scope="module")
def inbox_server():
    rasa = stand_in_rasa()
    tmp = Path(tempfile.mkdtemp(prefix="calmline-inbox-"))
    proc = None
    try:
        instance = tmp / "instance"
        instance.mkdir()
        env = _server_env(instance)
        # Its own SQLite database: never the shared PostgreSQL schema the main e2e server uses.
        env.update({"DATABASE_URL": f"sqlite:///{instance / 'calmline.db'}", "RASA_URL": rasa.url})
        for command in (("db", "upgrade"), ("seed", "demo")):
            _flask(env, *command)
        port = _free_port()
        base_url = f"http://127.0.0.1:{port}"
        log = tmp / "gunicorn.log"
        with open(log, "wb") as err:
            proc = subprocess.Popen([sys.executable, "-m", "gunicorn", "-w", "2", "-k", "gthread", "--threads", "8",
                                     "-b", f"127.0.0.1:{port}", "--graceful-timeout", "5", *_gunicorn_extra_args(),
                                     "wsgi:app"], cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=err)
        _wait_healthy(base_url, proc, log)
        yield base_url
    finally:
        _stop(proc)
        rasa.close()
        shutil.rmtree(tmp, ignore_errors=True)


@pytest.fixture(params=list(SIZES))
def open_page(request, browser, inbox_server):
    """Factory: a page in its own context (its own person) at the test's size."""
    contexts = []

    def make(**options):
        context = browser.new_context(base_url=inbox_server, locale="en-GB", viewport=SIZES[request.param],
                                      **options)
        context.set_default_timeout(10_000)
        contexts.append(context)
        return context.new_page()

    make.size = request.param
    yield make
    for context in contexts:
        context.close()


def console_as(page, who, status: str | None = None):
    log_in(page, *who)
    page.goto("/agent")
    console = page.locator("[data-agent-console]")
    expect(console.locator("[data-connection]")).to_have_text(re.compile("Live|Polling"))
    if status:
        set_status(console, status)
    return console


def set_status(console, status: str):
    switch = console.get_by_label("Availability")
    switch.select_option(status)
    expect(console.locator("[data-availability-note]")).to_contain_text(
        {"available": "You count as available", "away": "Away:", "offline": "Offline:"}[status])


def hand_off(page, text: str) -> tuple:
    """A visitor writes in the widget; the stand-in Rasa hands off. Returns (widget, ticket number)."""
    page.goto("/")
    page.get_by_role("button", name="Chat with us").click()
    widget = page.locator(".chat-widget")
    widget.locator("textarea").fill(text)
    widget.locator("textarea").press("Enter")
    with_ticket = widget.locator(".msg", has_text=re.compile(r"\bT-\d{6}\b")).first
    expect(with_ticket).to_be_visible()
    return widget, re.search(r"\bT-\d{6}\b", with_ticket.inner_text()).group(0)


def test_the_availability_switch_changes_what_the_customer_is_told(open_page):
    sam = console_as(open_page(), SUPERVISOR, "offline")  # a supervisor who is not on the desk
    alex = console_as(open_page(), AGENT, "away")
    expect(alex.locator("[data-online]")).to_have_text("0 agents")

    widget, _ = hand_off(open_page(), "I was charged twice and nobody answers!!")
    expect(widget.locator(".chat-log")).to_contain_text(NOBODY)

    set_status(alex, "available")
    expect(alex.locator("[data-online]")).to_have_text("1 agent")
    widget, number = hand_off(open_page(), "I was charged twice, please help")
    expect(alex.locator(f"[data-queue] li[data-ticket='{number}']")).to_be_visible()
    assert NOBODY not in widget.locator(".chat-log").inner_text()

    set_status(alex, "offline")  # the switch survives a reload: it is stored, not kept in the page
    alex.page.reload()
    expect(alex.get_by_label("Availability")).to_have_value("offline")
    widget, _ = hand_off(open_page(), "Charged twice again")
    expect(widget.locator(".chat-log")).to_contain_text(NOBODY)
    set_status(alex, "available")
    expect(sam.get_by_label("Availability")).to_have_value("offline")


SPY = """
(() => {
  const Real = window.Notification;
  window.__notified = [];
  window.__asked = 0;
  if (!Real) return;
  window.Notification = class extends Real {
    constructor(title, options) { window.__notified.push({title, body: options && options.body}); super(title, options); }
    static requestPermission(callback) { window.__asked += 1; return Real.requestPermission(callback); }
  };
})();
"""


def test_desktop_notifications_are_asked_with_a_button_and_shown_for_a_new_handoff(open_page):
    page = open_page()
    page.context.add_init_script(SPY)
    console = console_as(page, AGENT, "available")
    button = console.get_by_role("button", name="Turn on desktop notifications")
    expect(button).to_be_visible()
    assert page.evaluate("window.__asked") == 0  # nothing asked on page load
    assert page.evaluate("Notification.permission") != "granted"
    page.context.grant_permissions(["notifications"])
    button.click()
    expect(console.locator("[data-notify-state]")).to_have_text("Desktop notifications are on.")
    expect(button).to_be_hidden()
    assert page.evaluate("window.__asked") == 1

    _, number = hand_off(open_page(), "I was charged twice, it's urgent")
    expect(console.locator("[data-banner]")).to_contain_text(number)  # the banner stays
    page.wait_for_function("n => window.__notified.some(x => x.body.includes(n))", arg=number)
    [shown] = [n for n in page.evaluate("window.__notified") if number in n["body"]]
    assert shown["title"] == "New handoff waiting"

    set_status(console, "offline")  # offline: the banner still shows, the desktop stays quiet
    _, later = hand_off(open_page(), "Charged twice, second try")
    expect(console.locator("[data-banner]")).to_contain_text(later)
    assert not [n for n in page.evaluate("window.__notified") if later in n["body"]]
    set_status(console, "available")


def test_transfer_by_name_shows_who_is_available(open_page):
    sam_page = open_page()
    sam = console_as(sam_page, SUPERVISOR, "available")
    customer = open_page()
    widget, number = hand_off(customer, "I was charged twice for my lamp")
    alex = console_as(open_page(), AGENT, "available")
    alex.get_by_role("button", name=f"Claim {number}").click()
    expect(alex.locator("[data-ticket-state]")).to_have_text("Live chat with Alex.")
    expect(alex.locator("[data-ticket-meta]")).to_contain_text(re.compile(r"SLA due \d{1,2} [A-Z][a-z]{2} \d{4}, \d\d:\d\d$"))
    person = alex.get_by_label("or a person")
    expect(person.locator("option", has_text="Sam Supervisor (available)")).to_have_count(1)
    assert "Alex Agent" not in person.inner_text()  # not yourself
    assert not re.search(r"^\d+$", person.inner_text(), re.M)  # names, not ids
    person.select_option(label="Sam Supervisor (available)")
    alex.get_by_role("button", name="Transfer", exact=True).click()
    expect(alex.locator("[data-ticket-state]")).to_have_text("Live chat with Sam.")
    expect(widget.locator(".chat-log")).to_contain_text("Alex has passed you to Sam")
    expect(sam.locator(f"[data-mine] li[data-ticket='{number}']")).to_be_visible(timeout=35_000)
    set_status(sam, "offline")


def test_the_ticket_list_is_urgent_first_searchable_with_local_dates(open_page):
    token = "zq" + secrets.token_hex(3)
    base = 7100000 + secrets.randbelow(90000) * 10  # this run's own order numbers
    numbers = [hand_off(open_page(), f"Help with {token} item {i}, order BN-{base + i}")[1] for i in range(3)]
    page = open_page(timezone_id="America/New_York")
    log_in(page, *AGENT)
    for number, priority in zip(numbers, ("low", "urgent", "normal"), strict=True):
        page.goto(f"/staff/tickets/{number}")
        page.get_by_label("Priority", exact=True).select_option(priority)
        page.get_by_role("button", name="Change priority").click()
        expect(page.locator(".flash")).to_contain_text(priority)
    page.goto("/staff/tickets")
    search = page.get_by_role("searchbox", name="Search tickets")
    search.fill(token)
    page.get_by_role("button", name="Filter").click()
    rows = page.locator("table.tickets tbody tr")
    expect(rows).to_have_count(3)
    assert [r.get_attribute("data-ticket") for r in rows.all()] == [numbers[1], numbers[2], numbers[0]]

    search.fill(numbers[2])
    page.get_by_role("button", name="Filter").click()
    expect(rows).to_have_count(1)
    search.fill(f"BN-{base}")
    page.get_by_role("button", name="Filter").click()
    expect(rows).to_have_count(1)
    assert rows.first.get_attribute("data-ticket") == numbers[0]
    link = rows.first.locator("td.ticket-number a")
    assert link.evaluate("a => a.getClientRects().length") == 1  # the number does not wrap
    assert link.evaluate("a => getComputedStyle(a).whiteSpace") == "nowrap"

    # Dates: "2 Dec 2026, 17:50" in the viewer's own time (New York here), the server's UTC behind it.
    when = rows.first.locator("time[data-local-time]").first
    iso = when.get_attribute("datetime")
    local = datetime.fromisoformat(iso.replace("Z", "+00:00")).astimezone(ZoneInfo("America/New_York"))
    expect(when).to_have_text(f"{local.day} {local:%b %Y, %H:%M}")
    rows.first.locator("td.ticket-number a").click()
    opened = page.locator(".ticket-meta time[data-local-time]")
    expect(opened).to_have_text(re.compile(r"^\d{1,2} [A-Z][a-z]{2} \d{4}, \d{2}:\d{2}$"))


def test_axe_finds_nothing_serious_on_the_console_the_list_and_a_ticket(open_page):
    _, number = hand_off(open_page(), "I was charged twice, axe check")
    page = open_page()
    console = console_as(page, AGENT, "available")
    console.locator(f"[data-queue] li[data-ticket='{number}']").get_by_role("button", name=f"Open {number}").click()
    expect(console.locator("[data-ticket-title]")).to_contain_text(number)
    assert axe_violations(page) == []
    page.goto("/staff/tickets?q=charged")
    expect(page.locator("table.tickets")).to_be_visible()
    assert axe_violations(page) == []
    page.goto(f"/staff/tickets/{number}")
    assert axe_violations(page) == []


def test_the_customers_ticket_pages_show_dates_in_their_own_time(open_page):
    page = open_page(timezone_id="Asia/Kolkata")  # UTC+05:30: a local time is never the server's
    log_in(page, "customer@example.com", "calm-customer-2026")
    _, number = hand_off(page, "I was charged twice on my card")
    page.goto("/tickets")
    page.keyboard.press("Escape")  # the chat resumes open on the next page; on a phone it covers it
    expect(page.locator(".chat-widget")).to_be_hidden()
    row = page.locator("tr", has_text=number)
    when = row.locator("time[data-local-time]")
    local = datetime.fromisoformat(when.get_attribute("datetime").replace("Z", "+00:00")).astimezone(
        ZoneInfo("Asia/Kolkata"))
    expect(when).to_have_text(f"{local.day} {local:%b %Y, %H:%M}")
    row.get_by_role("link").first.click()
    opened = page.locator(".ticket-meta time[data-local-time]")
    local = datetime.fromisoformat(opened.get_attribute("datetime").replace("Z", "+00:00")).astimezone(
        ZoneInfo("Asia/Kolkata"))
    expect(opened).to_have_text(f"{local.day} {local:%b %Y, %H:%M}")
