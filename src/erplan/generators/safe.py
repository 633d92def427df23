"""Design names and catalog text are untrusted: how each one reaches a generated file.

Router configurations, nftables rulesets, HCL and shell lines never carry a design name as
syntax: a name becomes an *identifier* (letters, digits, ``-`` and ``_`` only, with a short
hash of the original so that two names never collide) and may appear in a *comment* only after
every character outside a small printable set is replaced. Markdown, CSV and XLSX cells carry
the name as text, escaped for their reader. Control characters (a newline above all) are refused
at the start of ``erplan generate`` with the name's position (``names_refused``).
"""

from __future__ import annotations

import hashlib
import re
import shlex
from collections.abc import Iterator

from erplan.model import Design

_IDENT_OK = re.compile(r"[^A-Za-z0-9_-]+")
_COMMENT_OK = re.compile(r"[^A-Za-z0-9 .,:/()+_@=-]")
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")
# A spreadsheet reads a cell starting with one of these as a formula (CSV/XLSX injection).
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "|", "%")


def has_control(text: str) -> bool:
    return _CONTROL.search(text) is not None


def ident(name: str, *, limit: int = 24, upper: bool = False) -> str:
    """A configuration identifier for ``name``: the name itself when it is already plain,
    else its plain letters and a hash of the whole name (distinct names, distinct idents)."""
    plain = _IDENT_OK.sub("-", name).strip("-_") or "x"
    if plain == name and len(name) <= limit and name[0].isalpha():
        out = name
    else:
        digest = hashlib.sha256(name.encode("utf-8")).hexdigest()[:6]
        head = plain[: max(1, limit - 7)].strip("-_") or "x"
        out = f"{head}-{digest}"
        if not out[0].isalpha():
            out = f"n{out}"[:limit]
    return out.upper() if upper else out


def comment(text: str) -> str:
    """Text safe inside a one-line comment of any dialect (no quotes, braces, ``;``, ``!``
    or ``#``, no line breaks): anything else becomes ``_``."""
    return _COMMENT_OK.sub("_", text)


def shell(word: str) -> str:
    """One shell word (az command lines run in POSIX shells)."""
    return shlex.quote(word)


def hcl_string(text: str) -> str:
    """A double-quoted HCL string: escapes, and no ``${`` / ``%{`` template sequences."""
    out = text.replace("\\", "\\\\").replace('"', '\\"')
    out = out.replace("${", "$${").replace("%{", "%%{")
    out = "".join(c if c.isprintable() else f"\\u{ord(c):04x}" for c in out)
    return f'"{out}"'


def markdown_cell(text: str) -> str:
    """Text inside a Markdown table cell: pipes, markup and HTML escaped, one line."""
    out = text.replace("\\", "\\\\")
    for ch in "|*_`[]<>#~&":
        out = out.replace(ch, "\\" + ch)
    return _CONTROL.sub(" ", out)


def spreadsheet_cell(text: str) -> str:
    """A CSV or XLSX cell that a spreadsheet never evaluates: a leading formula character is
    quoted with an apostrophe (the OWASP CSV-injection advice)."""
    out = _CONTROL.sub(" ", text) if "\n" not in text else text.replace("\r", "")
    if out.startswith(_FORMULA_START):
        return "'" + out
    return out


def design_names(design: Design) -> Iterator[tuple[tuple[str | int, ...], str]]:
    """Every name the design gives (map keys), with its path for a position."""
    sections = ("sites", "breakouts", "circuits", "services", "devices", "servers")
    for section in sections:
        for name in getattr(design, section):
            yield (section, name), name
    if design.tenant.name is not None:
        yield ("tenant", "name"), design.tenant.name
    for name, svc in design.services.items():
        yield ("services", name, "fqdn"), svc.fqdn


def names_refused(design: Design) -> Iterator[tuple[tuple[str | int, ...], str]]:
    """Names no generated file may carry: with control characters (a line break would start a
    new configuration line in every dialect)."""
    for path, name in design_names(design):
        if has_control(name) or not name.strip():
            yield path, name


def shell_join(words: list[str]) -> str:
    return " ".join(shell(w) for w in words)
