"""Post text: Markdown through the portal's sanitiser, quotes, slugs and tags."""

from __future__ import annotations

import re
import unicodedata

from markupsafe import Markup

from portal.errors import DomainError
from portal.markdown import render_markdown

# Links in what members write get no search-engine credit and are marked user content.
POST_LINK_REL = "nofollow ugc"
MAX_TAGS = 5
MAX_TAG_LENGTH = 30
TAG_RE = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")


class TagError(DomainError):
    status = 400


def render_post(markdown_text: str) -> Markup:
    return render_markdown(markdown_text, link_rel=POST_LINK_REL)


def quote_markdown(body: str, author_name: str, post_url: str) -> str:
    """The quoted post as a Markdown blockquote that says who wrote it and links back."""
    name = re.sub(r"[\[\]*_`\\<>]", "", author_name).strip() or "A member"
    lines = body.strip().splitlines() or [""]
    quoted = "\n".join(f"> {line}".rstrip() for line in lines)
    return f"> **{name}** [wrote]({post_url}):\n>\n{quoted}\n\n"


def slugify(text: str, max_length: int = 80) -> str:
    ascii_text = unicodedata.normalize("NFKD", re.sub(r"['’]", "", text)).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")
    return slug[:max_length].rstrip("-") or "thread"


def parse_tags(raw: str | list[str] | None) -> list[str]:
    """Tags as typed ("Refund, late delivery") -> ["refund", "late-delivery"], or TagError saying what is wrong."""
    if raw is None:
        return []
    if isinstance(raw, str):
        parts = raw.split(",")
    elif isinstance(raw, list) and all(isinstance(p, str) for p in raw):
        parts = raw
    else:
        raise TagError("Tags must be text, separated by commas.")
    tags: list[str] = []
    for part in parts:
        tag = "-".join(part.strip().lower().split())
        if not tag:
            continue
        if len(tag) > MAX_TAG_LENGTH:
            raise TagError(f"Tags are limited to {MAX_TAG_LENGTH} characters: “{tag[:40]}” is too long.")
        if not TAG_RE.match(tag):
            raise TagError(f"“{tag[:40]}” is not a valid tag: use lowercase letters, digits and hyphens.")
        if tag not in tags:
            tags.append(tag)
    if len(tags) > MAX_TAGS:
        raise TagError(f"Add at most {MAX_TAGS} tags.")
    return tags
