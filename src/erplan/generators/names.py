"""Host patterns from untrusted input (an endpoint catalog, a design): validated, ordered by
specificity, matched, and written into JavaScript so that no name can change a PAC's logic.

A pattern is a DNS name whose labels may hold ``*``. As in the endpoint catalog, a label that is
only ``*`` stands for one or more whole labels, and a ``*`` inside a label (``*cdn``) for any
characters of that one label. Anything else (quotes, backslashes, spaces, control characters,
non-ASCII, ``?``, ``[``, an empty label, a pattern that could cover a whole top-level domain) is
refused with the reason.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

MAX_NAME = 253
MAX_LABEL = 63
_CHARS = re.compile(r"[a-z0-9*.-]+")
_LITERAL_LABEL = re.compile(r"[a-z0-9](?:[a-z0-9-]*[a-z0-9])?")
_TENANT = re.compile(r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?")
_SAFE_JS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 .*:_-,;")


@lru_cache(maxsize=4096)
def _compiled(source: str) -> re.Pattern[str]:
    return re.compile(source)


class NameRefused(ValueError):
    """The text cannot be a host pattern; the message says why."""


@dataclass(frozen=True, slots=True)
class HostPattern:
    """A validated host pattern (lower case, no trailing dot)."""

    text: str

    @property
    def wildcard(self) -> bool:
        return "*" in self.text

    @property
    def literal(self) -> int:
        """How many characters are not wildcards: more is more specific."""
        return len(self.text) - self.text.count("*")

    @property
    def specificity(self) -> tuple[int, int]:
        """An exact name before any wildcard; then the more literal characters, the earlier."""
        return (0 if self.wildcard else 1, self.literal)

    @property
    def partial(self) -> bool:
        """Some label mixes ``*`` with other characters (``*cdn.onenote.net``)."""
        return any("*" in label and label != "*" for label in self.text.split("."))

    @property
    def head(self) -> str:
        """The literal text before the first ``*`` (the whole name when exact)."""
        return self.text.split("*", 1)[0]

    @property
    def tail(self) -> str:
        """The literal text after the last ``*`` (the whole name when exact)."""
        return self.text.rsplit("*", 1)[-1]

    def regex(self) -> str:
        """A regular expression (the same in Python and JavaScript) that matches exactly the
        host names the pattern covers, anchored at both ends."""
        parts = []
        for label in self.text.split("."):
            if label == "*":
                parts.append(r"[^.]+(?:\.[^.]+)*")
            else:
                parts.append("[^.]*".join(re.escape(piece) for piece in label.split("*")))
        return "^" + r"\.".join(parts) + "$"

    def matches(self, host: str) -> bool:
        return _compiled(self.regex()).fullmatch(host.lower().rstrip(".")) is not None

    def may_overlap(self, other: HostPattern) -> bool:
        """Whether some host name may match both (never False when one does)."""
        if not self.wildcard and not other.wildcard:
            return self.text == other.text
        if not self.wildcard:
            return other.matches(self.text)
        if not other.wildcard:
            return self.matches(other.text)
        heads = self.head.startswith(other.head) or other.head.startswith(self.head)
        tails = self.tail.endswith(other.tail) or other.tail.endswith(self.tail)
        return heads and tails


def parse_pattern(raw: object) -> HostPattern:
    """Validate a host pattern; raise NameRefused saying why it cannot be one."""
    if not isinstance(raw, str):
        raise NameRefused("is not text")
    text = raw.lower()
    if text.endswith(".") and not text.endswith(".."):
        text = text[:-1]
    if not text:
        raise NameRefused("is empty")
    if _CHARS.fullmatch(text) is None:
        bad = next(c for c in text if _CHARS.fullmatch(c) is None)
        raise NameRefused(f"holds {bad!r}, which no host name may hold")
    if len(text) > MAX_NAME:
        raise NameRefused(f"is longer than {MAX_NAME} characters")
    labels = text.split(".")
    if len(labels) < 2:
        raise NameRefused("has a single label")
    for label in labels:
        if not label:
            raise NameRefused("has an empty label")
        if len(label) > MAX_LABEL:
            raise NameRefused(f"has a label longer than {MAX_LABEL} characters")
        if "**" in label:
            raise NameRefused("has '**' in a label")
        if "*" not in label and _LITERAL_LABEL.fullmatch(label) is None:
            raise NameRefused(f"has the label {label!r} (a hyphen at its start or end)")
    top = labels[-1]
    if "*" in top or top.isdigit():
        raise NameRefused("does not end with a top-level domain")
    wild = [i for i, label in enumerate(labels) if "*" in label]
    if wild and len(labels) - 1 - wild[-1] < 2:
        raise NameRefused("is a wildcard that covers a whole top-level domain")
    return HostPattern(text)


def tenant_label(raw: object) -> str:
    """A tenant name as the first label of its Microsoft 365 names (``contoso``)."""
    if not isinstance(raw, str) or _TENANT.fullmatch(raw.lower()) is None:
        raise NameRefused("is not a single DNS label (letters, digits, inner hyphens)")
    return raw.lower()


# Catalog patterns whose names are the tenant's own, and those names (guide 001 "Design Client
# Connectivity Configuration": PAC entries; Microsoft's web service writes them with TenantName).
TENANT_TEMPLATES: tuple[tuple[str, tuple[str, ...]], ...] = (
    (
        "*.sharepoint.com",
        ("{t}.sharepoint.com", "{t}-my.sharepoint.com", "{t}-admin.sharepoint.com"),
    ),
    (
        "autodiscover.*.onmicrosoft.com",
        ("autodiscover.{t}.onmicrosoft.com", "autodiscover.{t}.mail.onmicrosoft.com"),
    ),
)


def tenant_names(tenant: str, patterns: set[str]) -> list[str]:
    """The tenant's own names under the catalog patterns present in ``patterns``."""
    out: list[str] = []
    for source, names in TENANT_TEMPLATES:
        if source in patterns:
            out.extend(n.format(t=tenant) for n in names)
    return out


def js_string(text: str) -> str:
    """A JavaScript string literal of ``text``: every character that is not plainly safe is
    written as an escape, so quotes, backslashes, line terminators (U+2028 too) and ``*/``
    cannot end the string or the line."""
    out = []
    for ch in text:
        if ch in _SAFE_JS:
            out.append(ch)
            continue
        for unit in _utf16(ch):
            out.append(f"\\u{unit:04x}")
    return '"' + "".join(out) + '"'


def _utf16(ch: str) -> tuple[int, ...]:
    code = ord(ch)
    if code < 0x10000:
        return (code,)
    code -= 0x10000
    return (0xD800 + (code >> 10), 0xDC00 + (code & 0x3FF))


def comment(text: str) -> str:
    """Text safe inside a ``//`` comment: printable ASCII only, no line ends, no ``*/``."""
    clean = "".join(c if " " <= c <= "~" else "?" for c in text)
    return clean.replace("*/", "*?")
