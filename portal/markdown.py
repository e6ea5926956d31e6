"""Markdown to safe HTML: markdown-it-py renders, nh3 (ammonia) sanitises."""

from __future__ import annotations

import html

import nh3
from markdown_it import MarkdownIt
from markupsafe import Markup

_ALLOWED_TAGS = {
    "a", "abbr", "b", "blockquote", "br", "code", "del", "em", "h2", "h3", "h4", "h5", "h6", "hr",
    "i", "kbd", "li", "ol", "p", "pre", "s", "strong", "sub", "sup", "table", "tbody", "td", "th",
    "thead", "tr", "ul",
}
_ALLOWED_ATTRIBUTES = {"a": {"href", "title"}, "abbr": {"title"}, "td": {"align"}, "th": {"align"}}


def _renderer() -> MarkdownIt:
    # Raw HTML in the source is escaped, not passed through; sanitising is the second fence.
    return MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False}).enable(
        ["table", "strikethrough"]
    )


_md = _renderer()


def render_markdown(text: str, link_rel: str | None = None) -> Markup:
    html = _md.render(text)
    clean = nh3.clean(
        html,
        tags=_ALLOWED_TAGS,
        attributes=_ALLOWED_ATTRIBUTES,
        url_schemes={"http", "https", "mailto"},
        link_rel=link_rel,
    )
    return Markup(clean)


def plain_text(markdown_text: str) -> str:
    """Text for the search index: rendered, then stripped of every tag."""
    return " ".join(html.unescape(nh3.clean(_md.render(markdown_text), tags=set())).split())
