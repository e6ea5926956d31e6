"""Reading a rendered page the way a browser's tokenizer would, to say what in it could run.

Used by the XSS tests: ``inspect_page(html)`` parses with Python's ``html.parser`` (no
html5lib or lxml in the virtualenv) and returns a ``Page`` of facts (scripts, elements,
attributes, links, the text of the places member text is shown) and ``problems``: anything
that could execute, load or navigate somewhere. ``compare_with_control`` adds what differs
from the same page rendered with harmless text (a script or element our templates never emit).

Attribute values come out of the parser unescaped once, as a browser reads them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from html.parser import HTMLParser

# Schemes that run code or smuggle a document in a link, a form or a frame.
BAD_SCHEMES = ("javascript:", "vbscript:", "data:")
URL_ATTRIBUTES = frozenset({
    "href", "src", "action", "formaction", "xlink:href", "data", "poster", "background", "cite", "codebase",
    "srcset", "ping", "manifest", "longdesc", "lowsrc", "dynsrc", "icon", "classid", "archive", "usemap",
    "profile", "itemtype", "to", "from", "values", "by",
})
# Elements that load, frame, restyle or re-base a page: none of our templates emits them.
NEVER_ELEMENTS = frozenset({
    "iframe", "frame", "frameset", "object", "embed", "applet", "param", "base", "style", "svg", "math", "img",
    "image", "video", "audio", "source", "track", "picture", "template", "xmp", "plaintext", "listing",
    "noembed", "noframes", "isindex", "marquee", "portal", "animate", "set", "use", "foreignobject",
})
VOID_ELEMENTS = frozenset({"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "param",
                           "source", "track", "wbr", "keygen", "isindex"})
# What the Markdown sanitiser may emit (portal/markdown.py), as a specification: more is a bug.
POST_TAGS = frozenset({
    "a", "abbr", "b", "blockquote", "br", "code", "del", "em", "h2", "h3", "h4", "h5", "h6", "hr", "i", "kbd",
    "li", "ol", "p", "pre", "s", "strong", "sub", "sup", "table", "tbody", "td", "th", "thead", "tr", "ul",
})
POST_ATTRIBUTES = {"a": {"href", "title", "rel"}, "abbr": {"title"}, "td": {"align"}, "th": {"align"}}
# Where a page shows what a member wrote as HTML (class -> what may be inside).
RICH_REGIONS = ("post-body", "mod-excerpt")  # sanitised Markdown
SNIPPET_REGIONS = ("snippet",)  # escaped text with <mark>
TEXT_ONLY = ("title", "textarea", "option")  # text, never elements
TEXT_REGIONS = ("revision-text",)  # a <pre> of Markdown source
CONTROL_CHARS = re.compile(r"[\x00-\x20\x7f]+")


# The one image our templates emit: an attachment's preview, served by the authorised route
# (portal/attachments), outside any member-text region, with nothing but these attributes.
ATTACHMENT_PREVIEW = re.compile(r"^/attachments/[0-9a-f]{32}/preview$")
PREVIEW_ATTRIBUTES = frozenset({"src", "alt", "loading", "class"})


def _attachment_preview(tag: str, attrs: dict[str, str], region: str | None) -> bool:
    return (tag == "img" and region is None and bool(ATTACHMENT_PREVIEW.match(attrs.get("src", "")))
            and set(attrs) <= PREVIEW_ATTRIBUTES)


def dangerous_url(value: str) -> bool:
    """A URL that would run code or load a smuggled document, however it is spelled.

    Stricter than a browser: every whitespace or control character is dropped, anywhere.
    """
    cleaned = CONTROL_CHARS.sub("", value).lower()
    return cleaned.startswith(BAD_SCHEMES)


@dataclass
class Element:
    tag: str
    attrs: dict[str, str]
    region: str | None  # the member-text region it sits in (post-body, snippet, ...), if any


@dataclass
class Page:
    elements: list[Element] = field(default_factory=list)
    scripts: list[tuple[str, str]] = field(default_factory=list)  # (src, inline text)
    comments: list[str] = field(default_factory=list)
    texts: dict[str, list[str]] = field(default_factory=dict)  # marked place -> text of each occurrence
    problems: list[str] = field(default_factory=list)

    def find(self, tag: str, **attrs) -> list[Element]:
        return [e for e in self.elements if e.tag == tag and all(e.attrs.get(k) == v for k, v in attrs.items())]

    def text_of(self, place: str) -> list[str]:
        return self.texts.get(place, [])


class _Reader(HTMLParser):
    """Tracks which member-text region each element is in, and collects the text of marked places."""

    # Places whose text the tests compare with what was typed: (tag, class or id) -> name.
    PLACES = {("h1", None): "h1", ("title", None): "title", ("pre", "revision-text"): "revision",
              ("div", "post-body"): "post", ("p", "snippet"): "snippet", ("textarea", None): "textarea",
              ("a", "thread-title"): "thread-title", ("li", "notification"): "notification",
              ("li", "result"): "result", ("main", None): "main", ("body", None): "body"}

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.page = Page()
        self.stack: list[tuple[str, str | None, list[str]]] = []  # (tag, region, places open here)
        self.script: list[str] | None = None

    # ------------------------------------------------------------------ elements
    def handle_starttag(self, tag, attrs):
        self._start(tag, attrs, void=tag in VOID_ELEMENTS)

    def handle_startendtag(self, tag, attrs):
        self._start(tag, attrs, void=True)

    def _start(self, tag: str, raw_attrs, void: bool) -> None:
        attrs: dict[str, str] = {}
        for name, value in raw_attrs:
            attrs.setdefault(name.lower(), value or "")
        region = self.stack[-1][1] if self.stack else None
        classes = attrs.get("class", "").split()
        self._check(tag, attrs, region)
        self.page.elements.append(Element(tag, attrs, region))
        if tag == "script":
            self.page.scripts.append((attrs.get("src", ""), ""))
            self.script = []
        new_region = region
        for name in RICH_REGIONS + SNIPPET_REGIONS + TEXT_REGIONS:
            if name in classes and region is None:
                new_region = name
        if tag in TEXT_ONLY and region is None:
            new_region = tag
        places = [name for (t, c), name in self.PLACES.items() if t == tag and (c is None or c in classes)]
        if tag == "textarea":
            places.append(f"textarea[{attrs.get('name', '')}]")
        if not void:
            self.stack.append((tag, new_region, places))
            for place in places:
                self.page.texts.setdefault(place, []).append("")

    def handle_endtag(self, tag):
        if tag == "script" and self.script is not None:
            src, _ = self.page.scripts[-1]
            self.page.scripts[-1] = (src, "".join(self.script))
            self.script = None
        for i in range(len(self.stack) - 1, -1, -1):
            if self.stack[i][0] == tag:
                del self.stack[i:]
                return

    def handle_data(self, data):
        if self.script is not None:
            self.script.append(data)
        open_places = {p for _, _, places in self.stack for p in places}
        for place in open_places:
            self.page.texts[place][-1] += data

    def handle_comment(self, data):
        self.page.comments.append(data)

    def unknown_decl(self, data):
        self.page.problems.append(f"markup declaration <![{data[:60]}]>")

    def handle_pi(self, data):
        self.page.problems.append(f"processing instruction <?{data[:60]}>")

    # ------------------------------------------------------------------ the rules
    def _check(self, tag: str, attrs: dict[str, str], region: str | None) -> None:
        problems = self.page.problems
        where = f" inside {region}" if region else ""
        for name, value in attrs.items():
            if name.startswith("on"):
                problems.append(f"event handler attribute {name}={value[:60]!r} on <{tag}>{where}")
            if name in URL_ATTRIBUTES and dangerous_url(value):
                problems.append(f"{name}={value[:80]!r} on <{tag}>{where}")
            if name == "srcdoc":
                problems.append(f"srcdoc on <{tag}>{where}")
            if name == "style":
                problems.append(f"style attribute {value[:60]!r} on <{tag}>{where}")
        if tag in NEVER_ELEMENTS and not _attachment_preview(tag, attrs, region):
            problems.append(f"<{tag}> element{where}")
        if tag == "meta" and (attrs.get("http-equiv") or "url=" in attrs.get("content", "").lower()):
            problems.append(f"<meta http-equiv={attrs.get('http-equiv')!r} content={attrs.get('content', '')[:60]!r}>")
        if tag in ("form", "input", "button", "textarea", "select") and region:
            problems.append(f"<{tag}> (a form control){where}")
        if tag == "form" and not _local_path(attrs.get("action", "")):
            problems.append(f"<form action={attrs.get('action')!r}> posts off the site")
        if region in TEXT_ONLY or region in TEXT_REGIONS:
            problems.append(f"<{tag}> element inside <{region}>, which should hold only text")
        elif region in SNIPPET_REGIONS and (tag != "mark" or attrs):
            problems.append(f"<{tag} {attrs}> in a search snippet (only a bare <mark> belongs there)")
        elif region in RICH_REGIONS:
            if tag not in POST_TAGS:
                problems.append(f"<{tag}> in a post: not one of the sanitiser's tags")
            extra = set(attrs) - POST_ATTRIBUTES.get(tag, set())
            if extra:
                problems.append(f"attributes {sorted(extra)} on <{tag}> in a post")
            if tag == "a":
                rel = set(attrs.get("rel", "").split())
                if not {"nofollow", "ugc"} <= rel:
                    problems.append(f"link to {attrs.get('href', '')[:60]!r} in a post without rel=\"nofollow ugc\"")


def _local_path(url: str) -> bool:
    return url == "" or (url.startswith("/") and not url.startswith("//") and not dangerous_url(url))


def inspect_page(html: str) -> Page:
    reader = _Reader()
    reader.feed(html)
    reader.close()
    page = reader.page
    for src, inline in page.scripts:
        if not src or inline.strip():
            page.problems.append(f"inline script {inline[:80]!r}")
    for comment in page.comments:
        page.problems.append(f"HTML comment <!--{comment[:60]}--> (the templates emit none)")
    return page


def compare_with_control(page: Page, control: Page) -> list[str]:
    """What the page has that the same page with harmless text has not: other scripts, new kinds of element,
    other stylesheets or meta tags."""
    problems = []
    if [s for s, _ in page.scripts] != [s for s, _ in control.scripts]:
        problems.append(f"scripts {[s for s, _ in page.scripts]} differ from the page's own "
                        f"{[s for s, _ in control.scripts]}")
    # <mark> (search highlights) and <time> (dates, shown as a list grows) are the page's own.
    known = {e.tag for e in control.elements} | POST_TAGS | {"mark", "time"}
    for tag in sorted({e.tag for e in page.elements} - known):
        problems.append(f"<{tag}> appears, which this page never has")
    for tag, key in (("link", "href"), ("meta", "name")):
        mine = sorted(e.attrs.get(key, "") for e in page.elements if e.tag == tag)
        theirs = sorted(e.attrs.get(key, "") for e in control.elements if e.tag == tag)
        if mine != theirs:
            problems.append(f"<{tag}> {key}s {mine} differ from the page's own {theirs}")
    return problems


def normalise(text: str) -> str:
    return " ".join(text.split())
