"""Text that came from outside (a design file, a download, the command line) on its way to a
terminal or a report.

Two defences, one definition of "unsafe":

- the loader refuses, at the value's position, what a field may not hold
  (:func:`text_problem`): a name is printable text on one line; an FQDN is DNS labels; free
  text is any printable text;
- every text renderer passes what it prints through :func:`escape_text`, so whatever free text
  remains (or reaches a renderer by another road: a file name, an argument, a download) shows
  as ``\\x1b`` or ``\\u202e`` instead of clearing the screen, setting the window title,
  forging a report line or reordering one with a bidi override. JSON and SARIF escape by
  themselves.
"""

from __future__ import annotations

import re
import unicodedata
from enum import StrEnum

__all__ = [
    "MAX_LENGTH",
    "NAME_PUNCTUATION",
    "TextKind",
    "describe_char",
    "escape_text",
    "text_problem",
]

# Control characters (C0, DEL, C1), line and paragraph separators, bidi embeddings,
# overrides and isolates, invisible format characters (zero width space, word joiner, BOM,
# soft hyphen, tags...) and lone surrogates. Zero-width (non-)joiners stay: scripts need them.
_OTHER_UNSAFE = (
    "\x7f-\x9f\u00ad\u0600-\u0605\u061c\u06dd\u070f\u180e\u200b\u200e\u200f"
    "\u2028-\u202e\u2060-\u206f\ufeff\ufff9-\ufffb\U000e0000-\U000e007f\ud800-\udfff"
)
_UNSAFE = re.compile(f"[\x00-\x1f{_OTHER_UNSAFE}]")
_UNSAFE_KEEP_NEWLINE = re.compile(f"[\x00-\x09\x0b-\x1f{_OTHER_UNSAFE}]")
_UNSAFE_IN_PARAGRAPHS = re.compile(f"[\x00-\x08\x0b-\x1f{_OTHER_UNSAFE}]")  # tab and LF stay
_SHORT_ESCAPES = {0x09: "\\t", 0x0A: "\\n", 0x0D: "\\r"}

_CONTROL_NAMES = {
    0x00: "NUL",
    0x07: "BELL",
    0x08: "BACKSPACE",
    0x09: "TAB",
    0x0A: "LINE FEED",
    0x0B: "VERTICAL TAB",
    0x0C: "FORM FEED",
    0x0D: "CARRIAGE RETURN",
    0x1B: "ESCAPE",
    0x7F: "DELETE",
    0x85: "NEXT LINE",
    0x9B: "CONTROL SEQUENCE INTRODUCER",
}


def _escape_one(m: re.Match[str]) -> str:
    code = ord(m.group())
    short = _SHORT_ESCAPES.get(code)
    if short is not None:
        return short
    if code <= 0xFF:
        return f"\\x{code:02x}"
    if code <= 0xFFFF:
        return f"\\u{code:04x}"
    return f"\\U{code:08x}"


def escape_text(text: str, *, keep_newlines: bool = False) -> str:
    """``text`` with every unsafe character written as a Python-style escape (``\\x1b``).

    Every text renderer calls this on what it prints; ``keep_newlines`` is for a block that
    the renderer itself split into lines (its fields were escaped already or are its own).
    """
    pattern = _UNSAFE_KEEP_NEWLINE if keep_newlines else _UNSAFE
    if pattern.search(text) is None:  # the common case: nothing to do, no copy
        return text
    return pattern.sub(_escape_one, text)


def describe_char(ch: str) -> str:
    """``U+001B (ESCAPE)``: how messages name a refused character."""
    code = ord(ch)
    name = _CONTROL_NAMES.get(code) or unicodedata.name(ch, "")
    if not name:
        name = "a control character" if unicodedata.category(ch) == "Cc" else "unnamed"
    return f"U+{code:04X} ({name})"


class TextKind(StrEnum):
    """What a string field of the design may hold."""

    NAME = "name"  # the name of an object, a reference to one, a catalog name, a code
    FQDN = "fqdn"  # a DNS name
    LINE = "line"  # free text on one line (a title, a silence reason)
    PARAGRAPHS = "paragraphs"  # free text over several lines (a description)


NAME_PUNCTUATION = frozenset(" -_.:/+@#&()'")
MAX_LENGTH = {
    TextKind.NAME: 128,
    TextKind.FQDN: 253,
    TextKind.LINE: 1000,
    TextKind.PARAGRAPHS: 20_000,
}
_NAME_CHARS = "letters, digits, spaces and - _ . : / + @ # & ( ) '"
_LABEL = 63


def _name_char(ch: str) -> bool:
    return ch.isalnum() or ch in NAME_PUNCTUATION or unicodedata.category(ch)[0] == "M"


def text_problem(value: str, kind: TextKind) -> str | None:
    """Why ``value`` may not be a ``kind``, or None when it may."""
    limit = MAX_LENGTH[kind]
    if len(value) > limit:
        return f"is {len(value):,} characters long; at most {limit:,} are allowed here"
    unsafe = (_UNSAFE_IN_PARAGRAPHS if kind is TextKind.PARAGRAPHS else _UNSAFE).search(value)
    if unsafe is not None:
        return f"holds {describe_char(unsafe.group())}, which is not allowed in text"
    if kind is TextKind.NAME:
        return _name_problem(value)
    if kind is TextKind.FQDN:
        return _fqdn_problem(value)
    return None


def _name_problem(value: str) -> str | None:
    if not value.strip():
        return "is empty; a name needs at least one letter or digit"
    if value != value.strip():
        return "starts or ends with a space"
    # Any other printable character may stand in a name (a site may be called
    # "<script>alert(1)</script>"): every output escapes names for where they go.
    return None


def _fqdn_problem(value: str) -> str | None:
    name = value[:-1] if value.endswith(".") else value
    if not name:
        return "is empty; expected a DNS name such as mail.contoso.com"
    for label in name.split("."):
        if not label:
            return "has an empty label (two dots in a row, or a leading dot)"
        if len(label) > _LABEL:
            return f"has a label of {len(label)} characters; DNS allows at most {_LABEL}"
        if label[0] == "-" or label[-1] == "-":
            return f"has a label starting or ending with '-' ({label!r})"
        for ch in label:
            if not (ch.isalnum() or ch in "-_"):
                return (
                    f"holds {describe_char(ch)}; a DNS name holds letters, digits, '-' and '_' "
                    "in dot-separated labels"
                )
    return None
