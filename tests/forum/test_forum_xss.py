"""Stored XSS is impossible: what members type is shown as text, or as sanitised Markdown,
on every page it reaches.

Each payload of the corpus (tests/security/xss_corpus.py) goes in through the real forms,
as a member would type it: a thread's title, its opening post, tags (refused, and the form
shown again), a reply, an edit (with the old version kept in the history), a quote of the
post, and a search. Then every page that shows it is parsed (tests/security/html_safety.py)
and must hold nothing that runs, loads or navigates: no script but the page's own, no on*
attribute, no javascript:/vbscript:/data: URL, no frame, object, style, base or refresh,
nothing in a post the sanitiser does not allow, and every link in a post marked
rel="nofollow ugc". The text must also arrive whole (``{{7*7}}`` shown as typed, never 49),
so a page that lost the payload cannot pass.

One app for the module (the payloads only add threads); each payload is its own test.
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote as urlquote

import pytest

from forum.reading import opening_post_id
from forum.text import POST_LINK_REL
from portal import create_app
from portal.extensions import db
from portal.plaintext import visible_text
from tests.conftest import clean_tables, test_config
from tests.forum.builders import SERVICE_TOKEN, category, member, meta_token, signed_in
from tests.security.html_safety import (
    compare_with_control,
    dangerous_url,
    inspect_page,
    normalise,
)
from tests.security.xss_corpus import HARMLESS, MAX_PAYLOAD, PAYLOAD_IDS, PAYLOADS

# Escaping is the templates' work, the same on either database, so these payload suites run in one
# pass, the PostgreSQL one (conftest); what they also store and page through, each page's own
# tests cover in both passes.
pytestmark = pytest.mark.once

ROOT = Path(__file__).resolve().parents[2]


def test_the_payload_list_is_broad_and_fits_a_title():
    assert len(PAYLOADS) >= 50 and len(set(PAYLOAD_IDS)) == len(PAYLOADS)
    too_long = [pid for pid, p in PAYLOADS if len(p) > MAX_PAYLOAD]
    assert not too_long, f"these would be refused as titles: {too_long}"


# ---------------------------------------------------------------------- the world
@dataclass
class Trail:
    """What one payload went through, and every page and JSON answer that shows it."""

    marker: str
    title: str  # the thread's title after the edit
    first_title: str
    opening_body: str  # after the edit
    first_body: str
    quote: str = ""
    pages: dict[str, str] = field(default_factory=dict)
    json: dict[str, dict] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)

    def expect(self, ok: bool, page: str, what: str) -> None:
        if not ok:
            self.problems.append(f"{page}: {what}")


@dataclass
class World:
    app: object
    clients: dict  # casey (author), robin (replies, quotes), mo (moderator), visitor
    tokens: dict
    markers: itertools.count
    control: Trail | None = None  # the same journey with harmless text
    controls: dict = field(default_factory=dict)  # page name -> Page rendered with harmless text

    def marker(self) -> str:
        # Letters and digits only: a valid tag, one search word the stemmer leaves alone.
        return f"canary{next(self.markers):03d}x"


@pytest.fixture(scope="module")
def world(database_url, tmp_path_factory):
    app = create_app(test_config(database_url, tmp_path_factory.mktemp("xss"), BOT_SERVICE_TOKEN=SERVICE_TOKEN,
                                 FORUM_SUGGEST_RATE_LIMIT="100000 per minute", FORUM_POST_RATE_LIMIT_POSTS=0))
    try:
        with app.app_context():
            category()
            member("casey@example.com", name="Casey Doe")
            member("robin@example.com", name="Robin Roe")
            member("mo@example.com", ["moderator"], name="Mo Moderator")
        clients = {name: signed_in(app, f"{name}@example.com") for name in ("casey", "robin", "mo")}
        clients["visitor"] = app.test_client()
        tokens = {name: meta_token(client) for name, client in clients.items()}
        world = World(app, clients, tokens, itertools.count(1))
        world.control = exercise(world, HARMLESS)
        world.controls = {name: inspect_page(html) for name, html in world.control.pages.items()}
        yield world
    finally:
        clean_tables(app)
        with app.app_context():
            db.engine.dispose()
        app.extensions["search"].close()


# ---------------------------------------------------------------------- one payload, every page
def _post(world: World, who: str, path: str, data: dict, wanted: tuple[int, ...], trail: Trail, name: str):
    response = world.clients[who].post(path, data={**data, "csrf_token": world.tokens[who]})
    trail.expect(response.status_code in wanted, name, f"POST {path} answered {response.status_code}, "
                                                       f"wanted {wanted}")
    if response.status_code != 303:
        trail.pages[name] = response.get_data(as_text=True)
    return response


def _get(world: World, who: str, path: str, trail: Trail, name: str, wanted=(200,)) -> str:
    response = world.clients[who].get(path)
    trail.expect(response.status_code in wanted, name, f"GET {path} answered {response.status_code}")
    if response.is_json:
        trail.json[name] = response.get_json()
        trail.expect(response.headers.get("X-Content-Type-Options") == "nosniff", name, "no nosniff header")
        return ""
    html = response.get_data(as_text=True)
    trail.pages[name] = html
    return html


def exercise(world: World, payload: str) -> Trail:
    """Type ``payload`` everywhere a member can, then read every page that shows it."""
    mark = world.marker()
    first_title, title = f"{mark} {payload}", f"{mark} v2 {payload}"
    first_body = f"{mark} opening post.\n\n{payload}\n\nMore in [the guide](https://example.com/guide)."
    opening_body = f"{mark} opening post, edited.\n\n{payload}\n\nSee <https://example.com/edited>."
    # Titles are stored as they read: whitespace collapsed, invisible and control characters dropped.
    trail = Trail(mark, visible_text(title), visible_text(first_title), opening_body, first_body)
    thread_form = {"category": "orders-delivery", "title": first_title, "body": first_body}

    # Tags are validated: refused (the form comes back with what was typed), or else safe.
    refused = _post(world, "casey", "/forum/new", {**thread_form, "tags": payload}, (303, 400), trail,
                    "new thread form with the payload as tags")
    if refused.status_code == 303:
        page = _get(world, "visitor", refused.headers["Location"], trail, "thread with the payload's tags")
        for tag in sorted(set(re.findall(r'href="(/forum/tags/[^"]+)"', page))):
            _get(world, "visitor", tag, trail, f"tag page {tag}")

    created = _post(world, "casey", "/forum/new", {**thread_form, "tags": mark}, (303,), trail, "new thread")
    thread_path = created.headers.get("Location", "/forum/t/0")
    thread_id = int(re.match(r"/forum/t/(\d+)", thread_path).group(1))
    opening_id = _first_post_id(world, thread_id)

    replied = _post(world, "robin", f"/forum/t/{thread_id}/reply", {"body": f"{mark} reply.\n\n{payload}"}, (303,),
                    trail, "reply")
    reply_id = int(replied.headers.get("Location", "#p0").rsplit("#p", 1)[1])
    _post(world, "casey", f"/forum/p/{reply_id}/accept", {}, (303,), trail, "accept the reply")

    edit = {"title": title, "body": opening_body}
    _post(world, "casey", f"/forum/p/{opening_id}/edit", {**edit, "tags": payload}, (303, 400), trail,
          "edit form with the payload as tags")
    _post(world, "casey", f"/forum/p/{opening_id}/edit", {**edit, "tags": mark}, (303,), trail, "edit")

    form = _get(world, "robin", f"/forum/t/{thread_id}/reply?quote={opening_id}", trail, "quote form")
    textareas = inspect_page(form).text_of("textarea[body]")
    trail.quote = textareas[0].lstrip("\r\n") if textareas else ""
    _post(world, "robin", f"/forum/t/{thread_id}/reply",
          {"body": f"{trail.quote}{mark} quoting.", "reply_to": str(opening_id)}, (303,), trail, "quoted reply")

    for who in ("visitor", "casey", "mo"):
        _get(world, who, f"/forum/t/{thread_id}", trail, f"thread page ({who})")
    _get(world, "visitor", "/forum", trail, "/forum")
    _get(world, "visitor", "/forum/c/orders-delivery", trail, "category list")
    _get(world, "visitor", f"/forum/tags/{mark}", trail, "tag page")
    _get(world, "casey", f"/forum/p/{opening_id}/history", trail, "history (author)")
    _get(world, "casey", f"/forum/p/{opening_id}/edit", trail, "edit form")
    _get(world, "robin", f"/forum/p/{opening_id}/flag", trail, "flag form")
    _get(world, "casey", "/notifications", trail, "notifications (follower)")
    _get(world, "robin", "/notifications", trail, "notifications (answer accepted)")
    _get(world, "visitor", f"/search?q={mark}", trail, "search results")
    _get(world, "visitor", f"/search?q={urlquote(payload)}", trail, "search for the payload", (200, 400))
    _get(world, "visitor", f"/api/search?q={mark}", trail, "/api/search")
    _get(world, "visitor", f"/api/search?q={mark}&type=thread", trail, "/api/search?type=thread")
    _get(world, "visitor", f"/api/search?q={urlquote(payload)}", trail, "/api/search for the payload", (200, 400))
    _get(world, "visitor", f"/api/search/suggest?q={mark}", trail, "/api/search/suggest")
    _get(world, "visitor", f"/api/forum/suggest?q={mark}", trail, "/api/forum/suggest")
    world.clients["visitor"].environ_base["HTTP_AUTHORIZATION"] = f"Bearer {SERVICE_TOKEN}"
    try:
        _get(world, "visitor", f"/api/bot/community?q={mark}", trail, "/api/bot/community")
    finally:
        del world.clients["visitor"].environ_base["HTTP_AUTHORIZATION"]
    return trail


def _first_post_id(world: World, thread_id: int) -> int:
    with world.app.app_context():
        return opening_post_id(thread_id) or 0


# ---------------------------------------------------------------------- what each page must show
def check_pages(world: World, trail: Trail, payload: str) -> None:
    for name, html in trail.pages.items():
        page = inspect_page(html)
        for problem in page.problems:
            trail.problems.append(f"{name}: {problem}")
        control = world.controls.get(name)
        if control is not None:
            trail.problems.extend(f"{name}: {p}" for p in compare_with_control(page, control))
        check_text(trail, name, page, payload)
    for name, data in trail.json.items():
        check_json(trail, name, data)


def check_text(trail: Trail, name: str, page, payload: str) -> None:
    """The payload arrived, whole and as text: proof the page was not passed by losing it."""
    title = trail.title
    if name.startswith("thread page"):
        heading = normalise(" ".join(page.text_of("h1")))
        trail.expect(heading.endswith(title), name, f"the heading {heading[-160:]!r} is not the title as typed")
        posts = page.text_of("post")
        trail.expect(len(posts) == 3, name, f"{len(posts)} posts shown, wanted 3")
        trail.expect(all(trail.marker in p for p in posts), name, "a post lost its text")
        if "7*7" in payload:  # (the marker may hold a 49 of its own)
            shown = [heading, *posts]
            trail.expect(not any("49" in text.replace(trail.marker, "") for text in shown), name, "7*7 became 49")
    elif name.startswith("history"):
        versions = page.text_of("revision")
        trail.expect(versions == [trail.opening_body, trail.first_body], name,
                     f"the versions shown are not the texts as typed: {versions!r:.300}")
        trail.expect(f"Title was: “{trail.first_title}”" in normalise(" ".join(page.text_of("main"))), name,
                     "the old title is not shown as typed")
    elif name == "edit form":
        title_inputs = [e.attrs.get("value") for e in page.find("input", name="title")]
        trail.expect(title_inputs == [title], name, f"the title field holds {title_inputs!r:.200}")
        bodies = [t.lstrip("\r\n") for t in page.text_of("textarea[body]")]
        trail.expect(bodies == [trail.opening_body], name, f"the post field holds {bodies!r:.200}")
    elif name == "quote form":
        trail.expect(payload.strip().splitlines()[0].strip() in trail.quote, name, "the quote lost the payload")
    elif name in ("/forum", "category list", "tag page"):
        titles = [normalise(t) for t in page.text_of("thread-title")]
        trail.expect(title in titles, name, "the thread is not listed under its title as typed")
    elif name == "notifications (follower)":
        notes = [normalise(t) for t in page.text_of("notification")]
        trail.expect(any(f"Robin Roe replied to “{trail.first_title}”" in n for n in notes), name,
                     f"no notification shows the title as typed: {notes[:2]!r:.300}")
    elif name == "notifications (answer accepted)":
        notes = [normalise(t) for t in page.text_of("notification")]
        trail.expect(any(f"Your reply to “{trail.first_title}” was marked" in n for n in notes), name,
                     "no notification shows the title as typed")
    elif name.startswith("search results"):
        results = [normalise(t) for t in page.text_of("result")]
        trail.expect(any(title in r for r in results), name, "the thread is not found under its title")
        trail.expect(any(trail.marker in normalise(s) for s in page.text_of("snippet")), name, "no snippet")


def check_json(trail: Trail, name: str, data: dict) -> None:
    """JSON carries text, not HTML: titles exactly as typed (scripts insert them with textContent),
    URLs on this site, and only the snippet as (sanitised) HTML."""
    rows = data.get("results") or data.get("suggestions") or []
    if name in ("/api/search", "/api/search?type=thread", "/api/forum/suggest", "/api/bot/community",
                "/api/search/suggest"):
        trail.expect(any(r.get("title") == trail.title for r in rows), name,
                     f"the thread's title is not given as typed: {[r.get('title') for r in rows]!r:.300}")
    for row in rows:
        url = row.get("url", "")
        trail.expect(url.startswith("/") and not url.startswith("//") and not dangerous_url(url), name,
                     f"url {url!r} is not a path on this site")
        if "snippet" in row:
            snippet = inspect_page(f'<p class="snippet">{row["snippet"]}</p>')
            trail.problems.extend(f"{name} snippet: {p}" for p in snippet.problems)
        for key, value in row.items():
            if key not in ("title", "snippet") and isinstance(value, str):
                trail.expect("<" not in value and ">" not in value, name, f"{key} holds markup: {value[:80]!r}")


@pytest.mark.parametrize("payload", [p for _, p in PAYLOADS], ids=PAYLOAD_IDS)
def test_a_payload_is_inert_on_every_page(world, payload):
    trail = exercise(world, payload)
    check_pages(world, trail, payload)
    assert not trail.problems, f"payload {payload!r}:\n  " + "\n  ".join(dict.fromkeys(trail.problems))


# ---------------------------------------------------------------------- the rules themselves
def test_our_own_pages_pass_the_checks(world):
    """With harmless text every page is clean and shows it whole: the checks fit our markup."""
    check_pages(world, world.control, HARMLESS)
    assert world.control.problems == [], "\n".join(world.control.problems)
    assert set(world.control.pages) == {
        "new thread form with the payload as tags", "edit form with the payload as tags", "quote form",
        "thread page (visitor)", "thread page (casey)", "thread page (mo)", "/forum", "category list", "tag page",
        "history (author)", "edit form", "flag form", "notifications (follower)", "notifications (answer accepted)",
        "search results", "search for the payload"}
    assert set(world.control.json) == {"/api/search", "/api/search?type=thread", "/api/search for the payload",
                                       "/api/search/suggest", "/api/forum/suggest", "/api/bot/community"}


def test_links_in_posts_are_nofollow_ugc(world):
    assert set(POST_LINK_REL.split()) >= {"nofollow", "ugc"}
    trail = exercise(world, "[inline](https://example.com/a) <https://example.com/b> [ref][r] [mail](mailto:a@b.example)"
                            " [here](/kb/refunds)\n\n[r]: https://example.com/c")
    page = inspect_page(trail.pages["thread page (visitor)"])
    links = [e for e in page.elements if e.tag == "a" and e.region == "post-body"]
    hrefs = {e.attrs["href"] for e in links}
    assert {"https://example.com/a", "https://example.com/b", "https://example.com/c", "mailto:a@b.example",
            "/kb/refunds", "https://example.com/guide"} <= hrefs
    assert all({"nofollow", "ugc"} <= set(e.attrs.get("rel", "").split()) for e in links), \
        [(e.attrs["href"], e.attrs.get("rel")) for e in links]
    assert not page.problems


def test_the_checker_catches_what_it_looks_for(world):
    """Each rule flags the thing it exists for, so a passing payload means something."""
    control = world.controls["thread page (visitor)"]
    cases = {
        '<script>alert(1)</script>': "inline script",
        '<script src="https://evil.example/x.js"></script>': "scripts",
        '<div class="post-body"><p onclick="x()">hi</p></div>': "event handler",
        '<a href=" java\tscript:alert(1)">x</a>': "href=",
        '<a href="&#x6A;avascript:alert(1)">x</a>': "href=",
        '<form action="data:text/html,x"></form>': "action=",
        '<div class="post-body"><a href="https://x.example">x</a></div>': "nofollow",
        '<div class="post-body"><img src="x"></div>': "<img>",
        '<div class="post-body"><span>x</span></div>': "not one of the sanitiser's tags",
        '<iframe srcdoc="&lt;script&gt;"></iframe>': "srcdoc",
        '<p style="color:red">x</p>': "style attribute",
        '<meta http-equiv="refresh" content="0;url=/x">': "meta http-equiv",
        '<base href="https://evil.example/">': "<base>",
        '<svg><set attributeName="x"/></svg>': "<svg>",
        '<div class="post-body"><form action="/x"></form></div>': "form control",
        '<textarea></textarea><script>x</script>': "inline script",
        '<p class="snippet"><b>x</b></p>': "search snippet",
        '<pre class="revision-text"><b>x</b></pre>': "only text",
        '<!--[if IE]><script>x</script><![endif]-->': "comment",
    }
    for html, expected in cases.items():
        page = inspect_page(f"<html><body>{html}</body></html>")
        found = page.problems + compare_with_control(page, control)
        assert any(expected in p for p in found), f"{html!r} was not flagged for {expected!r}: {found}"
    assert dangerous_url(" \x01JAVA\nSCRIPT:alert(1)") and dangerous_url("data:text/html,x")
    assert not dangerous_url("https://example.com/javascript:") and not dangerous_url("/kb/data:x")


def test_site_scripts_insert_api_text_as_text():
    """The JSON APIs return titles as typed; only textContent may put them in a page."""
    scripts = [*(ROOT / "portal" / "static" / "js").glob("*.js"), *(ROOT / "forum" / "static").glob("*.js")]
    assert scripts
    sinks = re.compile(r"\.(innerHTML|outerHTML)\s*[+]?=|insertAdjacentHTML|document\.write|\beval\(|new Function\(")
    found = [f"{s.relative_to(ROOT)}: {m.group(0)}" for s in scripts for m in sinks.finditer(s.read_text())]
    assert found == []
