"""Rendering findings: terminal text, JSON and SARIF 2.1.0.

Renderers return text or plain data and never touch the disk; ``erplan.files.write_atomic``
(re-exported here) is the only writer. Text renderers pass what they print through
``erplan.untrusted.escape_text``; JSON is written by orjson, which escapes control characters
and writes no NaN or Infinity, so a JSON report is always valid JSON.
"""

from __future__ import annotations

import contextlib
import json
import tempfile
from collections.abc import Iterable, Iterator, Sequence
from ipaddress import IPv4Address, IPv4Network, IPv6Address, IPv6Network
from pathlib import Path, PurePath
from types import TracebackType
from typing import IO, Any, Protocol
from urllib.parse import quote

import orjson

from erplan.diagnostics import Finding, Severity, sort_key
from erplan.files import write_atomic
from erplan.untrusted import escape_text

__all__ = [
    "JSON_FORMAT_VERSION",
    "Spool",
    "SpoolFailed",
    "counts",
    "dumps",
    "dumps_chunks",
    "escape_text",
    "has_errors",
    "render_sarif",
    "render_text",
    "to_json",
    "to_sarif",
    "write_atomic",
]

TOOL_NAME = "erplan"
SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
SARIF_VERSION = "2.1.0"
JSON_FORMAT_VERSION = 1

_SARIF_LEVEL = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "note"}


class RuleDescriptor(Protocol):
    """What SARIF and the rule listings need to know about a rule (``rules.Rule`` has it)."""

    @property
    def code(self) -> str: ...
    @property
    def name(self) -> str: ...
    @property
    def severity(self) -> Severity: ...
    @property
    def summary(self) -> str: ...
    @property
    def explanation(self) -> str: ...
    @property
    def fix(self) -> str: ...
    @property
    def source(self) -> str: ...


def tool_version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("erplan")
    except PackageNotFoundError:  # pragma: no cover - running from a bare source tree
        return "0.0.0"


# --- Counting -------------------------------------------------------------------------------


def counts(findings: Iterable[Finding]) -> dict[str, int]:
    """Unsilenced findings per severity, plus the number silenced."""
    out = {"error": 0, "warning": 0, "info": 0, "silenced": 0}
    for f in findings:
        if f.silenced is not None:
            out["silenced"] += 1
        else:
            out[f.severity.value] += 1
    return out


def has_errors(findings: Iterable[Finding]) -> bool:
    """Whether any unsilenced finding is an error (exit code 1)."""
    return any(f.severity is Severity.ERROR and f.silenced is None for f in findings)


# --- Text ---------------------------------------------------------------------------------


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def render_text(
    findings: Sequence[Finding], *, show_fix: bool = True, show_silenced: bool = True
) -> str:
    """One line per finding, ``FILE:LINE:COL: CODE severity message``, the fix indented below.

    Silenced findings are listed with their reason but not counted. Every value is escaped
    (``escape_text``): nothing in a finding can break a line or reach the terminal raw.
    """
    lines: list[str] = []
    for f in sorted(findings, key=sort_key):
        if f.silenced is not None and not show_silenced:
            continue
        where = f"{f.location}: " if f.location else ""
        state = f" (silenced: {f.silenced})" if f.silenced is not None else ""
        lines.append(escape_text(f"{where}{f.code} {f.severity.value}{state} {f.message}"))
        if show_fix and f.fix and f.silenced is None:
            lines.append(escape_text(f"    fix: {f.fix}"))
        if show_fix and f.source and f.silenced is None:
            lines.append(escape_text(f"    see: {f.source}"))
    c = counts(findings)
    summary = ", ".join(
        [_plural(c["error"], "error"), _plural(c["warning"], "warning"), f"{c['info']} info"]
    )
    if c["silenced"]:
        summary += f" ({c['silenced']} silenced)"
    lines.append(summary)
    return "\n".join(lines) + "\n"


# --- JSON ---------------------------------------------------------------------------------


def to_json(findings: Sequence[Finding]) -> dict[str, Any]:
    """The findings as a stable JSON document (see docs/rules.md, 'JSON output')."""
    return {
        "erplan": JSON_FORMAT_VERSION,
        "tool": {"name": TOOL_NAME, "version": tool_version()},
        "summary": counts(findings),
        "findings": [f.to_dict() for f in sorted(findings, key=sort_key)],
    }


_INDENT_LIMIT = 1_000_000  # bytes of compact JSON: beyond it, no indentation (half the size)
_OPTIONS = orjson.OPT_NON_STR_KEYS


def _plain(value: Any) -> Any:
    """What orjson does not know natively: addresses and paths as text."""
    if isinstance(value, IPv4Address | IPv4Network | IPv6Address | IPv6Network | PurePath):
        return str(value)
    raise TypeError(f"{type(value).__name__} is not JSON serializable")


def dumps(document: Any) -> str:
    """JSON text as every writer emits it: UTF-8, keys in the order given, final newline.

    Indented for people when small; compact when large. NaN and infinities become null.
    """
    try:
        compact = orjson.dumps(document, default=_plain, option=_OPTIONS)
    except orjson.JSONEncodeError:
        # Integers beyond 64 bits (orjson's range) from the Python API: still valid JSON.
        return json.dumps(document, ensure_ascii=False, default=_plain, allow_nan=False) + "\n"
    if len(compact) > _INDENT_LIMIT:
        return compact.decode("utf-8") + "\n"
    return orjson.dumps(
        document, default=_plain, option=_OPTIONS | orjson.OPT_INDENT_2 | orjson.OPT_APPEND_NEWLINE
    ).decode("utf-8")


def dumps_chunks(fields: dict[str, Any], last: str, rows: Iterable[Any]) -> Iterator[bytes]:
    """The UTF-8 bytes of ``dumps({**fields, last: list(rows)})``, in pieces: a large document
    is never held whole (neither its rows as data nor its text), a small one is indented as
    :func:`dumps` does. Rows are made and encoded one at a time."""
    try:
        head = orjson.dumps({**fields, last: []}, default=_plain, option=_OPTIONS)
    except orjson.JSONEncodeError:
        yield dumps({**fields, last: list(rows)}).encode("utf-8")
        return
    # The compact text ends with the empty list and the closing brace: the rows go between.
    head = head[: -len(b"[]}")] + b"["
    kept: list[Any] = []  # while the document may still be small enough to indent
    size = len(head)
    pieces = iter(rows)
    for row in pieces:
        kept.append(row)
        size += len(_compact(row)) + 1
        if size > _INDENT_LIMIT:
            break
    else:
        yield dumps({**fields, last: kept}).encode("utf-8")
        return
    buffer = [head, b",".join(_compact(r) for r in kept)]
    kept.clear()
    held = sum(len(b) for b in buffer)
    for row in pieces:
        data = _compact(row)
        buffer.append(b",")
        buffer.append(data)
        held += len(data) + 1
        if held >= _CHUNK:
            yield b"".join(buffer)
            buffer, held = [], 0
    buffer.append(b"]}\n")
    yield b"".join(buffer)


_CHUNK = 1 << 18  # bytes handed to the writer at a time


class SpoolFailed(Exception):
    """A spool's temporary file could not be made, written or read (a full disk, no usable
    temporary directory): the document cannot be made. The text says why."""


class Spool:
    """Rows encoded as they come, for a document whose other fields are known only after the
    last row (a report's summary and findings precede its rows): :meth:`chunks` gives the bytes
    :func:`dumps_chunks` would. Rows are kept as data while the document may still be small
    enough to indent; past that, as compact text in a temporary file, so a large report's rows
    are held neither as data nor in memory. The file has no name (``tempfile.TemporaryFile``)
    and is closed, its space freed, by :meth:`chunks`, by :meth:`close` or on leaving a
    ``with`` block, whatever ends it (an error, an interrupt)."""

    def __init__(self) -> None:
        self._kept: list[Any] = []
        self._size = 0  # compact bytes of the rows, a comma each
        self._file: IO[bytes] | None = None

    def __enter__(self) -> Spool:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        value: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        """Drop the rows and the temporary file (once closed, the spool takes no more rows)."""
        self._kept.clear()
        if self._file is not None:
            self._file.close()

    def add(self, row: Any) -> None:
        data = _compact(row)
        self._size += len(data) + 1
        try:
            if self._file is not None:
                self._file.write(b",")
                self._file.write(data)
                return
            self._kept.append(row)
            if self._size > _INDENT_LIMIT:  # too large to indent, whatever the other fields
                self._file = tempfile.TemporaryFile()  # noqa: SIM115 - closed by close()
                self._file.write(b",".join(_compact(r) for r in self._kept))
                self._kept.clear()
        except OSError as exc:
            self.close()
            raise SpoolFailed(_why(exc)) from exc

    def chunks(self, fields: dict[str, Any], last: str) -> Iterator[bytes]:
        """``dumps_chunks(fields, last, rows)`` for the rows added, in order; once."""
        if self._file is None:
            yield from dumps_chunks(fields, last, self._kept)
            return
        with self._file as spooled:
            try:
                spooled.seek(0)
                head = orjson.dumps({**fields, last: []}, default=_plain, option=_OPTIONS)
            except orjson.JSONEncodeError:  # as dumps_chunks: the whole document by json
                rows = json.loads(b"[" + _read(spooled) + b"]")
                yield dumps({**fields, last: rows}).encode("utf-8")
                return
            except OSError as exc:
                raise SpoolFailed(_why(exc)) from exc
            yield head[: -len(b"[]}")] + b"["
            while data := _read(spooled, _CHUNK):
                yield data
            yield b"]}\n"


def _read(spooled: IO[bytes], size: int = -1) -> bytes:
    try:
        return spooled.read(size)
    except OSError as exc:
        raise SpoolFailed(_why(exc)) from exc


def _why(exc: OSError) -> str:
    return f"temporary file: {(exc.strerror or str(exc)).lower()}"


def _compact(value: Any) -> bytes:
    """One value as :func:`dumps` writes it inside a large document."""
    try:
        return orjson.dumps(value, default=_plain, option=_OPTIONS)
    except orjson.JSONEncodeError:
        # Integers beyond 64 bits: still valid JSON, still compact.
        text = json.dumps(
            value, ensure_ascii=False, default=_plain, allow_nan=False, separators=(",", ":")
        )
        return text.encode("utf-8")


# --- SARIF 2.1.0 ----------------------------------------------------------------------------


def _artifact_uri(file: str, base: Path | None) -> str:
    """A relative, slash-separated URI for ``file`` (relative to ``base``, default the cwd)."""
    path = Path(file)
    root = (base or Path.cwd()).resolve()
    if path.is_absolute() or path.exists():
        with contextlib.suppress(ValueError):  # outside the base: keep it absolute
            path = path.resolve().relative_to(root)
    posix = PurePath(path).as_posix()
    if path.is_absolute():
        return "file://" + quote(posix)
    return quote(posix)


def _rule_descriptor(rule: RuleDescriptor) -> dict[str, Any]:
    help_text = f"{rule.explanation}\n\nFix: {rule.fix}\n\nSource: {rule.source}"
    return {
        "id": rule.code,
        "name": rule.name,
        "shortDescription": {"text": rule.summary},
        "fullDescription": {"text": rule.explanation},
        "help": {
            "text": help_text,
            "markdown": f"{rule.explanation}\n\n**Fix:** {rule.fix}\n\n**Source:** {rule.source}",
        },
        "defaultConfiguration": {"level": _SARIF_LEVEL[rule.severity]},
        "properties": {"tags": ["expressroute", "microsoft-365"]},
    }


def _ad_hoc_descriptor(finding: Finding) -> dict[str, Any]:
    """A minimal descriptor for a code no catalog knows (a finding built by other code)."""
    return {
        "id": finding.code,
        "shortDescription": {"text": finding.code},
        "defaultConfiguration": {"level": _SARIF_LEVEL[finding.severity]},
    }


def render_sarif(
    findings: Sequence[Finding],
    *,
    base: Path | None = None,
    default_file: str | None = None,
    rules: Sequence[RuleDescriptor] | None = None,
) -> str:
    """A SARIF 2.1.0 log of any findings (input problems, rules, flow verdicts) as text.

    Every code used gets its descriptor from ``erplan.codes``; ``rules`` adds descriptors for
    codes not used (``lint`` lists its whole catalog). See :func:`to_sarif`.
    """
    return dumps(to_sarif(findings, rules, base=base, default_file=default_file))


def to_sarif(
    findings: Sequence[Finding],
    rules: Sequence[RuleDescriptor] | None = None,
    *,
    base: Path | None = None,
    default_file: str | None = None,
) -> dict[str, Any]:
    """A SARIF 2.1.0 log of one run, as GitHub code scanning accepts it.

    Artifact URIs are relative to ``base`` (default: the working directory). A finding without
    a location is placed at line 1 of ``default_file`` when given. Silenced findings carry an
    ``inSource`` suppression with the reason.
    """
    from erplan.codes import find_code

    known = list(rules or ())
    descriptors = [_rule_descriptor(r) for r in known]
    index = {r.code: i for i, r in enumerate(known)}
    results: list[dict[str, Any]] = []
    for f in sorted(findings, key=sort_key):
        if f.code not in index:
            index[f.code] = len(descriptors)
            info = find_code(f.code)
            descriptors.append(_rule_descriptor(info) if info else _ad_hoc_descriptor(f))
        result: dict[str, Any] = {
            "ruleId": f.code,
            "ruleIndex": index[f.code],
            "level": _SARIF_LEVEL[f.severity],
            "message": {"text": f.message + (f" Fix: {f.fix}" if f.fix else "")},
        }
        file = f.location.file if f.location else default_file
        if file is not None:
            line = f.location.line if f.location else 1
            column = f.location.column if f.location else 1
            result["locations"] = [
                {
                    "physicalLocation": {
                        "artifactLocation": {"uri": _artifact_uri(file, base)},
                        "region": {"startLine": max(line, 1), "startColumn": max(column, 1)},
                    }
                }
            ]
        if f.subject:
            result["properties"] = {"subject": f.subject}
        if f.silenced is not None:
            result["suppressions"] = [{"kind": "inSource", "justification": f.silenced}]
        results.append(result)
    return {
        "$schema": SARIF_SCHEMA,
        "version": SARIF_VERSION,
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": TOOL_NAME,
                        "version": tool_version(),
                        "rules": descriptors,
                    }
                },
                "columnKind": "unicodeCodePoints",
                "results": results,
            }
        ],
    }
