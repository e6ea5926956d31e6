"""One-line text people read as a label (names, titles, subjects): what it shows is what it is.

Format characters (Unicode category Cf: right-to-left and other direction overrides,
zero-width spaces and joiners, soft hyphens) change how a line is drawn without being
seen, so "invoice\u202eexe.pdf" reads as "invoicefdp.exe"; control characters (Cc) have no
place in a label either. Both are dropped. A word whose letters come from two scripts
("cu\u0455tomer" with a Cyrillic letter) looks like another word: ``mixes_scripts`` finds it,
in the spirit of Unicode's "highly restrictive" profile (UTS #39), where the scripts a
language writes together (Japanese kanji with kana, Korean hangul with hanja) count as one.
"""

from __future__ import annotations

import unicodedata

INVISIBLE_CATEGORIES = ("Cf", "Cc")
# Scripts written together in one word by one language count as one script.
SCRIPT_FAMILIES = {"HIRAGANA": "CJK", "KATAKANA": "CJK", "HANGUL": "CJK", "BOPOMOFO": "CJK", "IDEOGRAPHIC": "CJK"}


def visible_text(text: str) -> str:
    """``text`` without format and control characters, its whitespace collapsed to single spaces."""
    kept = "".join(" " if ch.isspace() else ch for ch in text if unicodedata.category(ch) not in INVISIBLE_CATEGORIES
                   or ch.isspace())
    return " ".join(kept.split())


def script_of(ch: str) -> str | None:
    """The script of a letter, from the first word of its Unicode name (LATIN, CYRILLIC, GREEK,
    ...); None for anything that is not a letter (digits, marks, punctuation belong to every script)."""
    if not unicodedata.category(ch).startswith("L"):
        return None
    script = unicodedata.name(ch, "UNKNOWN").split()[0]
    return SCRIPT_FAMILIES.get(script, script)


def mixes_scripts(text: str) -> bool:
    """Whether one word of ``text`` (words split at spaces, dots, @ and hyphens) has letters of two scripts."""
    normal = unicodedata.normalize("NFKC", text)
    for separator in ".@-_+":
        normal = normal.replace(separator, " ")
    return any(len({s for s in map(script_of, word) if s}) > 1 for word in normal.split())
