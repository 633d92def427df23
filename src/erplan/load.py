"""Design files in, ``Design`` out: the only module that knows YAML.

Two stages, so that tests and the Python API can skip the file:

1. file -> plain mapping + ``SourceMap`` (positions kept beside the data, never inside it);
2. mapping -> ``Design`` (pydantic), with every problem turned into a coded ``Finding`` that
   points at the offending key or value.

The YAML side is a small composer over the parser's events (libyaml through ruamel.yaml.clib
when present): it builds only plain dicts, lists and scalars of the YAML 1.2 core schema, so no
tag can construct an arbitrary object, and it records each value's position in the same pass.
Bounds: file size, nesting depth, alias expansion.
"""

from __future__ import annotations

import difflib
import gc
import ipaddress
import math
import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from enum import Enum
from pathlib import Path
from types import UnionType
from typing import Annotated, Any, Union, get_args, get_origin

from pydantic import BaseModel, ValidationError
from ruamel.yaml import YAML
from ruamel.yaml.error import MarkedYAMLError, YAMLError
from ruamel.yaml.events import (
    AliasEvent,
    DocumentEndEvent,
    DocumentStartEvent,
    MappingEndEvent,
    MappingStartEvent,
    ScalarEvent,
    SequenceEndEvent,
    SequenceStartEvent,
    StreamEndEvent,
)
from ruamel.yaml.reader import ReaderError

from erplan.catalogs import Catalogs, suggest
from erplan.diagnostics import Finding, InputError, Location, Severity
from erplan.model import ENTRY_EXPRESSROUTE, ENTRY_INTERNET, FORMAT_VERSION, Design

try:  # libyaml's parser: ~30x faster than the pure-Python one on large designs
    from _ruamel_yaml import CParser as _CParser  # type: ignore[import-not-found,unused-ignore]
except ImportError:  # pragma: no cover - depends on the installation
    _CParser = None

__all__ = [
    "CODES",
    "MAX_ALIAS_NODES",
    "MAX_BYTES",
    "MAX_DEPTH",
    "LoadedDesign",
    "ObjectPath",
    "SourceMap",
    "load_design",
    "load_mapping",
    "load_text",
    "parse_text",
]

MAX_BYTES = 8 * 1024 * 1024  # a 10,000-site design is about 2.5 MB
MAX_DEPTH = 64  # the format nests 4 deep; anything far deeper is junk or an attack
MAX_ALIAS_NODES = 1_000_000  # nodes after alias expansion ("billion laughs" guard)

ObjectPath = tuple[str | int, ...]
_Pos = tuple[int, int]  # 1-based (line, column)


# --------------------------------------------------------------------------- codes

# Input-problem codes: stable, documented in docs/design-format.md (generated from here).
CODES: dict[str, tuple[str, str]] = {
    "ERP001": ("unreadable-file", "The design file cannot be read (missing, a directory, denied)."),
    "ERP002": ("file-too-large", f"The file is larger than {MAX_BYTES // (1024 * 1024)} MB."),
    "ERP003": (
        "not-text",
        "The file is not UTF-8 text (NUL bytes, invalid UTF-8, control characters).",
    ),
    "ERP004": (
        "malformed-yaml",
        "The YAML cannot be parsed; the parser's message and position are given.",
    ),
    "ERP005": (
        "not-a-design",
        "The file is empty, holds several YAML documents, or its top level is not a mapping.",
    ),
    "ERP006": ("duplicate-key", "A key appears twice in one mapping (both positions are given)."),
    "ERP007": (
        "unsafe-yaml",
        "An unsupported tag, a non-scalar key, nesting deeper than "
        f"{MAX_DEPTH} levels, or aliases expanding beyond {MAX_ALIAS_NODES:,} nodes.",
    ),
    "ERP008": (
        "format-version",
        "The `erplan` format version is missing or not one this "
        "erplan reads; nothing else is checked.",
    ),
    "ERP010": ("unknown-key", "A key the format does not define (with the closest known key)."),
    "ERP011": ("missing-key", "A required key is absent."),
    "ERP012": (
        "wrong-type",
        "A value of the wrong type (text for a number, a scalar for a list, ...).",
    ),
    "ERP013": (
        "bad-address",
        "An IPv4 address or prefix that does not parse, or a prefix with host bits set.",
    ),
    "ERP014": (
        "out-of-range",
        "A number outside its allowed range, or a value not among the allowed choices.",
    ),
    "ERP020": ("undefined-site", "A reference to a site that `sites` does not define."),
    "ERP021": ("undefined-breakout", "A reference to a breakout that `breakouts` does not define."),
    "ERP022": (
        "undefined-entry",
        "An entry path or inbound SNAT key that is neither `internet`, "
        "`expressroute`, a circuit nor a breakout.",
    ),
    "ERP023": ("undefined-device", "A reference to a device that `devices` does not define."),
    "ERP024": (
        "unknown-peering-location",
        "A peering location Microsoft does not list (see `erplan catalog`).",
    ),
    "ERP025": (
        "unknown-place",
        "A site location that is neither a known city or peering location nor {lat, lon}.",
    ),
    "ERP026": ("unknown-geography", "A tenant or initiator geography erplan does not know."),
    "ERP027": ("unknown-service", "A route-filter service or service area erplan does not know."),
    "ERP028": (
        "inconsistent",
        "Values that contradict each other: a prepend for a prefix the "
        "circuit does not advertise, a WAN link joining a site to itself, a circuit and a "
        "breakout with the same name, an empty silence reason.",
    ),
    "ERP029": (
        "undefined-workload",
        "A site's workload profile that `workloads` does not define.",
    ),
    "ERP030": (
        "stage-plan",
        "A rollout plan (`erplan stages --plan`) that cannot be applied: a wrong type, a path "
        "that leads nowhere, or a step whose design is not valid.",
    ),
}


# --------------------------------------------------------------------------- positions


@dataclass(frozen=True)
class SourceMap:
    """Positions beside the data: object path -> where its value (and its key) sit in the file.

    A path is a tuple of mapping keys and list indices, e.g. ``("circuits", "us-er",
    "snat_pool")`` or ``("wan", 0, "between", 1)``. Designs built from a mapping have no
    positions: ``where`` then returns None.
    """

    file: str
    values: Mapping[ObjectPath, _Pos] = field(default_factory=dict)
    keys: Mapping[ObjectPath, _Pos] = field(default_factory=dict)

    def where(self, path: Iterable[str | int]) -> Location | None:
        """The position of the value at ``path``, else of its nearest ancestor that has one."""
        p = tuple(path)
        while True:
            pos = self.values.get(p)
            if pos is not None:
                return Location(self.file, pos[0], pos[1])
            if not p:
                return None
            p = p[:-1]

    def key_where(self, path: Iterable[str | int]) -> Location | None:
        """The position of the key naming the last element of ``path`` (for unknown keys and
        for pointing at an object by its name); falls back to ``where``."""
        p = tuple(path)
        pos = self.keys.get(p)
        if pos is not None:
            return Location(self.file, pos[0], pos[1])
        return self.where(p)


@dataclass(frozen=True)
class LoadedDesign:
    design: Design
    source: SourceMap
    path: Path | None = None


# --------------------------------------------------------------------------- stage 1: text


class _Refused(Exception):
    """Composition cannot go on (too deep, too many alias nodes, a second document)."""

    def __init__(self, finding: Finding) -> None:
        self.finding = finding
        super().__init__(finding.message)


_NULLS = frozenset(("", "~", "null", "Null", "NULL"))
_TRUE = frozenset(("true", "True", "TRUE"))
_FALSE = frozenset(("false", "False", "FALSE"))
_INT = re.compile(r"[-+]?[0-9]+")
_INT_OCT = re.compile(r"0o[0-7]+")
_INT_HEX = re.compile(r"0x[0-9a-fA-F]+")
_FLOAT = re.compile(r"[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?")
_INF = re.compile(r"[-+]?\.(?:inf|Inf|INF)")
_NAN = re.compile(r"\.(?:nan|NaN|NAN)")
# Characters that can start a plain scalar of a non-string type (YAML 1.2 core schema).
_TYPED_START = frozenset("0123456789+-.~tTfFnN")

_TAG = "tag:yaml.org,2002:"
_SCALAR_TAGS = frozenset(_TAG + t for t in ("str", "int", "float", "bool", "null"))
_TAG_TYPES: dict[str, type | tuple[type, ...]] = {
    "int": int,
    "float": (int, float),
    "bool": bool,
    "null": type(None),
}


def _resolve_plain(value: str) -> Any:
    """A plain scalar as the YAML 1.2 core schema reads it (``no`` stays text: Norway's code)."""
    if not value:
        return None
    if value[0] not in _TYPED_START:
        return value
    if value in _NULLS:
        return None
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    if _INT.fullmatch(value):
        return int(value)
    if _FLOAT.fullmatch(value):
        return float(value)
    if _INT_OCT.fullmatch(value):
        return int(value[2:], 8)
    if _INT_HEX.fullmatch(value):
        return int(value[2:], 16)
    if _INF.fullmatch(value):
        return -math.inf if value[0] == "-" else math.inf
    if _NAN.fullmatch(value):
        return math.nan
    return value


class _Composer:
    """Builds plain data from parser events, recording positions; reports what it refuses."""

    def __init__(self, events: Iterator[Any], file: str) -> None:
        self._next = events.__next__
        self.file = file
        self.values: dict[ObjectPath, _Pos] = {}
        self.keys: dict[ObjectPath, _Pos] = {}
        self.findings: list[Finding] = []
        self.reported: set[ObjectPath] = set()  # paths whose later errors would only echo these
        self._anchors: dict[str, tuple[Any, int]] = {}

    def _loc(self, mark: Any) -> Location:
        return Location(self.file, mark.line + 1, mark.column + 1)

    def _problem(self, code: str, message: str, mark: Any, path: ObjectPath | None) -> None:
        """Record a problem; ``path`` (when given) is a value replaced by null, whose later
        type errors would only echo this one."""
        self.findings.append(Finding(code, Severity.ERROR, message, self._loc(mark)))
        if path is not None:
            self.reported.add(path)

    def compose(self) -> tuple[Any, bool]:
        """(root data, whether a document was found)."""
        ev = self._next()  # StreamStartEvent
        ev = self._next()
        if isinstance(ev, StreamEndEvent):
            return None, False
        assert isinstance(ev, DocumentStartEvent)
        root, _ = self._node(self._next(), (), 0)
        ev = self._next()
        assert isinstance(ev, DocumentEndEvent)
        ev = self._next()
        if isinstance(ev, DocumentStartEvent):
            raise _Refused(
                Finding(
                    "ERP005",
                    Severity.ERROR,
                    "a design file holds one YAML document; a second one starts here",
                    self._loc(ev.start_mark),
                )
            )
        return root, True

    def _node(self, ev: Any, path: ObjectPath, depth: int) -> tuple[Any, int]:
        """(value, node count after alias expansion)."""
        mark = ev.start_mark
        self.values[path] = (mark.line + 1, mark.column + 1)
        cls = type(ev)
        if cls is ScalarEvent and ev.tag is None and ev.anchor is None:  # the common case, fast
            return (_resolve_plain(ev.value) if ev.implicit[0] else ev.value), 1
        if cls is ScalarEvent:
            value = self._scalar(ev, path)
            result: tuple[Any, int] = (value, 1)
        elif cls is MappingStartEvent:
            result = self._mapping(ev, path, depth)
        elif cls is SequenceStartEvent:
            result = self._sequence(ev, path, depth)
        elif cls is AliasEvent:
            stored = self._anchors.get(ev.anchor)
            if stored is None:
                raise _Refused(
                    Finding(
                        "ERP004", Severity.ERROR, f"undefined alias *{ev.anchor}", self._loc(mark)
                    )
                )
            return stored
        else:  # pragma: no cover - the parser emits nothing else here
            raise AssertionError(f"unexpected YAML event {cls.__name__}")
        anchor = ev.anchor
        if anchor is not None:
            self._anchors[anchor] = result
        return result

    def _scalar(self, ev: Any, path: ObjectPath) -> Any:
        tag = ev.tag
        if tag is None or tag == "!":
            return _resolve_plain(ev.value) if ev.implicit[0] and tag is None else ev.value
        if tag not in _SCALAR_TAGS:
            self._problem("ERP007", f"unsupported YAML tag {_show_tag(tag)}", ev.start_mark, path)
            return None
        kind = tag[len(_TAG) :]
        if kind == "str":
            return ev.value
        value = _resolve_plain(ev.value)
        if (isinstance(value, bool) and kind != "bool") or not isinstance(value, _TAG_TYPES[kind]):
            self._problem("ERP012", f"{ev.value!r} is not a valid !!{kind}", ev.start_mark, path)
            return None
        number: Any = value  # narrowed to object by the isinstance above
        return float(number) if kind == "float" else number

    def _check_tag(self, ev: Any, wanted: str, path: ObjectPath) -> None:
        tag = ev.tag
        if tag is not None and tag != "!" and tag != _TAG + wanted:
            self._problem("ERP007", f"unsupported YAML tag {_show_tag(tag)}", ev.start_mark, path)

    def _grow(self, total: int, mark: Any) -> None:
        if total > MAX_ALIAS_NODES:
            raise _Refused(
                Finding(
                    "ERP007",
                    Severity.ERROR,
                    f"aliases expand this document beyond {MAX_ALIAS_NODES:,} nodes; refusing it",
                    self._loc(mark),
                )
            )

    def _deeper(self, depth: int, mark: Any) -> int:
        if depth >= MAX_DEPTH:
            raise _Refused(
                Finding(
                    "ERP007",
                    Severity.ERROR,
                    f"nesting deeper than {MAX_DEPTH} levels; refusing the file",
                    self._loc(mark),
                )
            )
        return depth + 1

    def _sequence(self, ev: Any, path: ObjectPath, depth: int) -> tuple[list[Any], int]:
        if ev.tag is not None:
            self._check_tag(ev, "seq", path)
        depth = self._deeper(depth, ev.start_mark)
        items: list[Any] = []
        total = 1
        nxt = self._next
        ev = nxt()
        while type(ev) is not SequenceEndEvent:
            value, size = self._node(ev, (*path, len(items)), depth)
            items.append(value)
            total += size
            if size > 1:
                self._grow(total, ev.start_mark)
            ev = nxt()
        return items, total

    def _mapping(self, ev: Any, path: ObjectPath, depth: int) -> tuple[dict[str, Any], int]:
        if ev.tag is not None:
            self._check_tag(ev, "map", path)
        depth = self._deeper(depth, ev.start_mark)
        out: dict[str, Any] = {}
        merges: list[tuple[Any, _Pos]] = []
        total = 1
        nxt = self._next
        keys = self.keys
        ev = nxt()
        while type(ev) is not MappingEndEvent:
            key_mark = ev.start_mark
            key = self._key(ev, path)
            vev = nxt()
            if key is None:  # refused key: skip its value
                self._node(vev, (*path, "?"), depth)
                ev = nxt()
                continue
            if key == "<<" and type(ev) is ScalarEvent and ev.style in ("", None):
                value, size = self._node(vev, (*path, "<<"), depth)
                merges.append((value, (vev.start_mark.line + 1, vev.start_mark.column + 1)))
                total += size
                self._grow(total, vev.start_mark)
                ev = nxt()
                continue
            kpath = (*path, key)
            if key in out:
                first = keys[kpath]
                self._problem(
                    "ERP006",
                    f"duplicate key {key!r}; it is first defined at line {first[0]}, "
                    f"column {first[1]}",
                    key_mark,
                    None,
                )
                self._node(vev, (*path, "?"), depth)  # positions of the ignored copy are noise
                ev = nxt()
                continue
            keys[kpath] = (key_mark.line + 1, key_mark.column + 1)
            value, size = self._node(vev, kpath, depth)
            out[key] = value
            total += size
            if size > 1:
                self._grow(total, vev.start_mark)
            ev = nxt()
        if merges:
            self._merge(out, merges, path)
        return out, total

    def _merge(self, out: dict[str, Any], merges: list[tuple[Any, _Pos]], path: ObjectPath) -> None:
        """``<<: *defaults`` (or a list of them): keys written here win over merged ones."""
        for value, pos in merges:
            sources = value if isinstance(value, list) else [value]
            for src in sources:
                if not isinstance(src, dict):
                    self.findings.append(
                        Finding(
                            "ERP012",
                            Severity.ERROR,
                            "a merge key (<<) takes a mapping or a list of mappings",
                            Location(self.file, *pos),
                        )
                    )
                    continue
                for k, v in src.items():
                    if k not in out:
                        out[k] = v
                        self.keys[(*path, k)] = pos
                        self.values[(*path, k)] = pos

    def _key(self, ev: Any, path: ObjectPath) -> str | None:
        """Mapping keys are names: kept as written (``2024`` names a site, not a number)."""
        if type(ev) is ScalarEvent:
            if ev.tag is not None and ev.tag != "!" and ev.tag not in _SCALAR_TAGS:
                self._problem(
                    "ERP007", f"unsupported YAML tag {_show_tag(ev.tag)}", ev.start_mark, None
                )
                return None
            return str(ev.value)
        if type(ev) is AliasEvent:
            stored = self._anchors.get(ev.anchor)
            if stored is not None and isinstance(stored[0], str | int | float | bool):
                return str(stored[0])
        self._problem(
            "ERP007",
            "a mapping key must be a plain name, not a list or mapping",
            ev.start_mark,
            None,
        )
        # Consume the complex key's events so parsing can go on.
        if type(ev) in (MappingStartEvent, SequenceStartEvent):
            self._node(ev, (*path, "?"), 0)
        return None


def _show_tag(tag: str) -> str:
    return "!!" + tag[len(_TAG) :] if tag.startswith(_TAG) else tag


def _events(text: str) -> Iterator[Any]:
    if _CParser is not None:
        parser = _CParser(text)
        get = parser.get_event
        while True:
            ev = get()
            yield ev
            if type(ev) is StreamEndEvent:
                return
    yield from YAML(typ="safe", pure=True).parse(text)


def _char_at(text: str, line: int, column: int) -> str:
    """The character at a 0-based parser mark (marks count characters, not bytes)."""
    start = 0
    for _ in range(line):
        start = text.find("\n", start) + 1
        if start == 0:
            return ""
    return text[start + column : start + column + 1]


def _line_col(text: str, index: int) -> _Pos:
    line = text.count("\n", 0, index) + 1
    return line, index - (text.rfind("\n", 0, index) + 1) + 1


def _decode(raw: bytes, file: str) -> str:
    """Bytes -> text, refusing what is not UTF-8 text before the parser sees it."""
    nul = raw.find(b"\x00")
    if nul >= 0:
        line = raw.count(b"\n", 0, nul) + 1
        col = nul - (raw.rfind(b"\n", 0, nul) + 1) + 1
        raise InputError(
            [
                Finding(
                    "ERP003",
                    Severity.ERROR,
                    "NUL byte: this is not a text file (a design file is UTF-8 YAML)",
                    Location(file, line, col),
                )
            ]
        )
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        start = exc.start
        line = raw.count(b"\n", 0, start) + 1
        col = start - (raw.rfind(b"\n", 0, start) + 1) + 1
        raise InputError(
            [
                Finding(
                    "ERP003",
                    Severity.ERROR,
                    f"invalid UTF-8 (byte 0x{raw[start]:02x}): a design file is UTF-8 text",
                    Location(file, line, col),
                )
            ]
        ) from None


def _too_large(size: int, file: str) -> InputError:
    return InputError(
        [
            Finding(
                "ERP002",
                Severity.ERROR,
                f"file is {size / (1024 * 1024):.1f} MB; erplan reads design files up to "
                f"{MAX_BYTES // (1024 * 1024)} MB",
                Location(file, 1, 1),
            )
        ]
    )


def parse_text(text: str, filename: str) -> tuple[Any, SourceMap, list[Finding], set[ObjectPath]]:
    """Stage 1: YAML text -> (plain data, positions, problems found, paths already reported).

    Raises InputError when nothing useful can be composed (malformed YAML, empty file...).
    """
    if len(text) > MAX_BYTES:
        raise _too_large(len(text.encode("utf-8")), filename)
    if "\x00" in text:
        _decode(text.encode("utf-8"), filename)  # raises, with the NUL's position
    composer = _Composer(_events(text), filename)
    try:
        root, found = composer.compose()
    except _Refused as exc:
        raise InputError([exc.finding]) from None
    except MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        message = f"malformed YAML: {exc.problem}"
        if mark is not None and _char_at(text, mark.line, mark.column) == "\t":
            message += "; YAML indents with spaces, not tabs"
        cm = exc.context_mark
        if exc.context and cm is not None and (cm.line, cm.column) != (mark.line, mark.column):
            message += f" ({exc.context} at line {cm.line + 1}, column {cm.column + 1})"
        loc = Location(filename, mark.line + 1, mark.column + 1) if mark else None
        raise InputError([Finding("ERP004", Severity.ERROR, message, loc)]) from None
    except ReaderError as exc:
        line, col = _line_col(text, exc.position)
        char = exc.character if isinstance(exc.character, str) else chr(exc.character)
        raise InputError(
            [
                Finding(
                    "ERP003",
                    Severity.ERROR,
                    f"control character U+{ord(char):04X} is not allowed in a design file",
                    Location(filename, line, col),
                )
            ]
        ) from None
    except YAMLError as exc:  # pragma: no cover - other parser failures carry no position
        raise InputError(
            [Finding("ERP004", Severity.ERROR, f"malformed YAML: {exc}", Location(filename, 1, 1))]
        ) from None
    source = SourceMap(filename, composer.values, composer.keys)
    if not found or root is None:
        raise InputError(
            [
                Finding(
                    "ERP005",
                    Severity.ERROR,
                    "empty design file: expected a mapping starting with 'erplan: 1'",
                    Location(filename, 1, 1),
                )
            ]
        )
    if not isinstance(root, dict):
        raise InputError(
            [
                Finding(
                    "ERP005",
                    Severity.ERROR,
                    f"a design file is a mapping (erplan, tenant, sites, ...), not {_kind(root)}",
                    source.where(()),
                )
            ]
        )
    return root, source, composer.findings, composer.reported


# --------------------------------------------------------------------------- public API


def load_design(path: Path, catalogs: Catalogs | None = None) -> LoadedDesign:
    """Read, parse and validate a design file. Raises InputError with every problem found."""
    name = str(path)
    try:
        size = path.stat().st_size
        if size > MAX_BYTES:  # refuse before reading a byte
            raise _too_large(size, name)
        with path.open("rb") as fh:
            raw = fh.read(MAX_BYTES + 1)
    except OSError as exc:
        reason = exc.strerror or type(exc).__name__
        if path.is_dir():
            reason = "is a directory"
        raise InputError(
            [
                Finding(
                    "ERP001",
                    Severity.ERROR,
                    f"cannot read the design file: {reason.lower()}",
                    Location(name, 1, 1),
                )
            ]
        ) from None
    if len(raw) > MAX_BYTES:  # grew while we looked, or a special file
        raise _too_large(len(raw), name)
    loaded = load_text(_decode(raw, name), name, catalogs)
    return LoadedDesign(loaded.design, loaded.source, path)


def load_text(
    text: str, filename: str = "<text>", catalogs: Catalogs | None = None
) -> LoadedDesign:
    """Parse and validate design text (``filename`` names it in messages)."""
    with _gc_paused():
        data, source, findings, reported = parse_text(text, filename)
        return _validate(data, source, findings, reported, catalogs)


@contextmanager
def _gc_paused() -> Iterator[None]:
    """Loading allocates about a million acyclic objects for 10,000 sites; the cyclic
    collector rescanning them made the load time grow faster than the file (25 % at 10,000)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def load_mapping(
    data: Mapping[str, Any], filename: str = "<mapping>", catalogs: Catalogs | None = None
) -> LoadedDesign:
    """Validate a design given as plain data (Python API, tests); positions are unknown."""
    return _validate(dict(data), SourceMap(filename), [], set(), catalogs)


# --------------------------------------------------------------------------- stage 2: model


def _validate(
    data: dict[str, Any],
    source: SourceMap,
    findings: list[Finding],
    reported: set[ObjectPath],
    catalogs: Catalogs | None,
) -> LoadedDesign:
    version = _version_problem(data, source)
    if version is not None:  # another format: its other keys would only produce noise
        raise InputError([version])
    problems = list(findings)
    design: Design | None = None
    try:
        design = Design.model_validate(data)
    except ValidationError as exc:
        problems.extend(_pydantic_findings(exc, data, source, reported))
    problems.extend(_Checker(data, source, catalogs).run())
    if problems:
        raise InputError(_dedupe(problems))
    assert design is not None
    return LoadedDesign(design, source)


def _dedupe(findings: list[Finding]) -> list[Finding]:
    seen: set[tuple[str, str, Location | None]] = set()
    out = []
    for f in findings:
        key = (f.code, f.message, f.location)
        if key not in seen:
            seen.add(key)
            out.append(f)
    return out


def _version_problem(data: dict[str, Any], source: SourceMap) -> Finding | None:
    if "erplan" not in data:
        return Finding(
            "ERP008",
            Severity.ERROR,
            f"missing format version: a design file starts with 'erplan: {FORMAT_VERSION}'",
            source.where(()),
        )
    v = data["erplan"]
    if type(v) is int and v == FORMAT_VERSION:
        return None
    shown = v if type(v) is int else _kind(v)
    return Finding(
        "ERP008",
        Severity.ERROR,
        f"unsupported format version {shown}; this erplan reads version {FORMAT_VERSION}",
        source.where(("erplan",)),
    )


def _kind(value: Any) -> str:
    if value is None:
        return "nothing (null)"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list | tuple):
        return "a list"
    if isinstance(value, str):
        return repr(value)
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def dotted(path: Iterable[str | int]) -> str:
    """``("wan", 0, "between")`` -> ``wan[0].between`` (how messages name an object)."""
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out or "the top level"


def _suggest(name: str, candidates: Iterable[str]) -> str | None:
    cands = list(candidates)
    lowered = {c.lower(): c for c in cands}
    if name.lower() in lowered:
        return lowered[name.lower()]
    match = difflib.get_close_matches(name, cands, n=1, cutoff=0.6)
    if match:
        return match[0]
    # Case-insensitive second pass: "amsterdam" vs "Amsterdam2".
    match = difflib.get_close_matches(name.lower(), list(lowered), n=1, cutoff=0.6)
    return lowered[match[0]] if match else None


def _did_you_mean(name: str, candidates: Iterable[str]) -> str:
    s = _suggest(name, candidates)
    return f"; did you mean {s!r}?" if s is not None else ""


# --- walking the model's types along an error's location


def _strip(tp: Any) -> Any:
    """Annotated[X, ...] -> X; Optional[X] -> X (None is handled by pydantic's message)."""
    while True:
        origin = get_origin(tp)
        if origin is Annotated:
            tp = get_args(tp)[0]
            continue
        if origin in (Union, UnionType):
            members = [a for a in get_args(tp) if a is not type(None)]
            if len(members) == 1:
                tp = members[0]
                continue
        return tp


def _union_tag(tp: Any) -> str:
    tp = _strip(tp)
    return tp.__name__ if isinstance(tp, type) else str(tp)


def _descend(tp: Any, part: str | int) -> tuple[Any, bool]:
    """The type one step down ``part``; the flag says the step was a union tag (not data)."""
    tp = _strip(tp)
    origin = get_origin(tp)
    if origin in (Union, UnionType):
        for member in get_args(tp):
            if _union_tag(member) == part:
                return _strip(member), True
        return None, False
    if isinstance(tp, type) and issubclass(tp, BaseModel):
        f = tp.model_fields.get(str(part))
        return (f.annotation, False) if f is not None else (None, False)
    if origin is dict:
        return get_args(tp)[1], False
    if origin is list:
        return get_args(tp)[0], False
    if origin is tuple:
        args = get_args(tp)
        if isinstance(part, int) and part < len(args):
            return args[part], False
    return None, False


def _walk(loc: tuple[str | int, ...]) -> tuple[ObjectPath, Any, bool, bool]:
    """(data path without union tags, the type at the end, crossed a union, ends on a key)."""
    tp: Any = Design
    path: list[str | int] = []
    crossed = False
    is_key = False
    for part in loc:
        if part == "[key]":
            is_key = True
            continue
        nxt, tag = _descend(tp, part)
        if tag:
            crossed = True
        else:
            path.append(part)
        tp = nxt
    return tuple(path), tp, crossed, is_key


def _get(data: Any, path: ObjectPath) -> Any:
    for part in path:
        if isinstance(data, dict):
            if part not in data:
                return None
        elif not (isinstance(data, list) and isinstance(part, int) and 0 <= part < len(data)):
            return None
        data = data[part]
    return data


def _type_name(tp: Any) -> str:
    tp = _strip(tp)
    names = {int: "an integer", float: "a number", str: "text", bool: "true or false"}
    if tp in names:
        return names[tp]
    if isinstance(tp, type) and issubclass(tp, BaseModel):
        return "a mapping"
    origin = get_origin(tp)
    if origin in (Union, UnionType):
        return " or ".join(_type_name(a) for a in get_args(tp) if a is not type(None))
    return "a mapping" if origin is dict else "a list" if origin in (list, tuple) else str(tp)


def _network_message(value: Any) -> str:
    text = str(value)
    try:
        ipaddress.IPv4Network(text)
    except ValueError as exc:
        try:
            net = ipaddress.IPv4Network(text, strict=False)
        except ValueError:
            reason = str(exc)
            m = re.fullmatch(r"'(\d+)' is not a valid netmask", reason)
            if m and int(m.group(1)) > 32:
                reason = f"prefix length {m.group(1)} is out of range (0-32)"
            elif not re.fullmatch(r"[0-9./]+", text) or not reason:
                reason = "expected an IPv4 prefix such as 192.0.2.0/24"
            else:
                reason = reason[0].lower() + reason[1:]
            return f"{_kind(value)} is not a valid IPv4 prefix: {reason}"
        return f"{text} has host bits set; did you mean {net}?"
    return f"{_kind(value)} is not a valid IPv4 prefix"  # pragma: no cover - parsed fine


def _address_message(value: Any) -> str:
    try:
        ipaddress.IPv4Address(str(value))
    except ValueError as exc:
        reason = str(exc)
        if not re.fullmatch(r"[0-9.]+", str(value)):
            reason = "expected an IPv4 address such as 192.0.2.10"
        else:
            reason = reason[0].lower() + reason[1:]
        return f"{_kind(value)} is not a valid IPv4 address: {reason}"
    return f"{_kind(value)} is not a valid IPv4 address"  # pragma: no cover


def _pydantic_findings(
    exc: ValidationError,
    data: dict[str, Any],
    source: SourceMap,
    reported: set[ObjectPath],
) -> list[Finding]:
    out: list[Finding] = []
    union_done: set[ObjectPath] = set()
    for err in exc.errors(include_url=False):
        loc = tuple(err["loc"])
        path, tp, crossed, is_key = _walk(loc)
        if any(path[: len(r)] == r for r in reported):
            continue  # the composer already reported this value (bad tag, duplicate...)
        etype = err["type"]
        value = err.get("input")
        ctx = err.get("ctx") or {}
        if crossed:
            # A union (a place: a name or {lat, lon}): keep the branch the value's shape chose.
            upath = _union_path(loc)
            raw = _get(data, upath)
            if isinstance(raw, dict) and "LatLon" not in loc:
                continue
            if not isinstance(raw, dict):
                if upath in union_done:
                    continue
                union_done.add(upath)
                out.append(
                    Finding(
                        "ERP012",
                        Severity.ERROR,
                        f"{dotted(upath)}: expected a place name or {{lat, lon}}, got {_kind(raw)}",
                        source.where(upath),
                    )
                )
                continue
        out.append(_finding_for(etype, path, tp, value, ctx, err["msg"], source, is_key))
    return out


def _union_path(loc: tuple[str | int, ...]) -> ObjectPath:
    """The data path up to (not including) the first union tag of ``loc``."""
    tp: Any = Design
    path: list[str | int] = []
    for part in loc:
        nxt, tag = _descend(tp, part)
        if tag:
            break
        path.append(part)
        tp = nxt
    return tuple(path)


def _finding_for(
    etype: str,
    path: ObjectPath,
    tp: Any,
    value: Any,
    ctx: dict[str, Any],
    msg: str,
    source: SourceMap,
    is_key: bool,
) -> Finding:
    where = source.where(path)
    subject = dotted(path)
    code = "ERP012"
    if etype == "extra_forbidden":
        parent_tp = _walk_type(path[:-1])
        fields = (
            list(parent_tp.model_fields)
            if isinstance(parent_tp, type) and issubclass(parent_tp, BaseModel)
            else []
        )
        key = str(path[-1])
        message = f"unknown key {key!r} in {dotted(path[:-1])}{_did_you_mean(key, fields)}"
        return Finding("ERP010", Severity.ERROR, message, source.key_where(path), subject=subject)
    if etype == "missing" and path and isinstance(path[-1], int):  # a short fixed-size list
        parent = path[:-1]
        parent_tp = _walk_type(parent)
        size = len(get_args(parent_tp)) if get_origin(parent_tp) is tuple else path[-1] + 1
        count = len(value) if isinstance(value, list | tuple) else path[-1]
        message = f"{dotted(parent)}: expected exactly {size} items, got {count}"
        return Finding("ERP012", Severity.ERROR, message, source.where(parent), subject=subject)
    if etype == "missing":
        parent = path[:-1]
        message = f"missing required key {path[-1]!r} in {dotted(parent)}"
        loc = source.key_where(parent) if parent else source.where(())
        return Finding("ERP011", Severity.ERROR, message, loc, subject=dotted(parent))
    if etype in ("ip_v4_network", "ip_any_network"):
        code, message = "ERP013", _network_message(value)
    elif etype in ("ip_v4_address", "ip_any_address"):
        code, message = "ERP013", _address_message(value)
    elif etype in ("int_parsing", "int_type", "int_from_float"):
        message = f"expected an integer, got {_kind(value)}"
    elif etype in ("float_parsing", "float_type"):
        message = f"expected a number, got {_kind(value)}"
    elif etype == "finite_number":
        message = f"expected a finite number, got {_kind(value)}"
    elif etype in ("bool_parsing", "bool_type"):
        message = f"expected true or false, got {_kind(value)}"
    elif etype in ("string_type", "string_unicode"):
        message = f"expected text, got {_kind(value)}"
    elif etype in ("list_type", "tuple_type"):
        example = f" such as [{value}]" if isinstance(value, str | int) else ""
        message = f"expected a list{example}, got {_kind(value)}"
    elif etype in ("dict_type", "model_type", "model_attributes_type", "mapping_type"):
        message = f"expected a mapping, got {_kind(value)}"
    elif etype in ("too_short", "too_long"):
        want = ctx.get("min_length", ctx.get("max_length"))
        if get_origin(_strip(tp)) is tuple:
            want = len(get_args(_strip(tp)))
        got = ctx.get("actual_length")
        message = f"expected exactly {want} items, got {got}"
        if etype == "too_short" and get_origin(_strip(tp)) is not tuple:
            message = f"expected at least {ctx.get('min_length')} items, got {got}"
        elif etype == "too_long" and get_origin(_strip(tp)) is not tuple:
            message = f"expected at most {ctx.get('max_length')} items, got {got}"
    elif etype in ("greater_than_equal", "greater_than", "less_than_equal", "less_than"):
        code = "ERP014"
        bound = {
            "greater_than_equal": ("at least", "ge"),
            "greater_than": ("greater than", "gt"),
            "less_than_equal": ("at most", "le"),
            "less_than": ("less than", "lt"),
        }[etype]
        message = f"must be {bound[0]} {_kind(ctx.get(bound[1]))}, got {_kind(value)}"
    elif etype == "enum":
        code = "ERP014"
        choices = [e.value for e in tp] if isinstance(tp, type) and issubclass(tp, Enum) else []
        if not choices:  # a mapping key: the type walked is the value's, pydantic names the keys
            choices = re.findall(r"'([^']*)'", str(ctx.get("expected", "")))
        hint = _did_you_mean(str(value), choices) if isinstance(value, str) else ""
        message = f"expected one of {', '.join(choices)}; got {_kind(value)}{hint}"
    elif etype == "literal_error":
        code = "ERP014"
        message = f"expected {ctx.get('expected')}, got {_kind(value)}"
    else:
        message = msg[0].lower() + msg[1:] if msg else etype
    if is_key:  # a bad mapping key (a prepend prefix...): point at the key itself
        where = source.key_where(path)
        message = f"key {message}"
    return Finding(code, Severity.ERROR, f"{subject}: {message}", where, subject=subject)


def _walk_type(path: ObjectPath) -> Any:
    tp: Any = Design
    for part in path:
        tp, _ = _descend(tp, part)
        if tp is None:
            return None
    return _strip(tp)


# --------------------------------------------------------------------------- cross references


class _Checker:
    """References between objects and to the catalogs, checked on the plain data.

    Working on the mapping (not the model) lets these be reported in the same run as type
    errors elsewhere in the file; values of the wrong type are left to pydantic's findings.
    """

    def __init__(self, data: dict[str, Any], source: SourceMap, catalogs: Catalogs | None) -> None:
        self.data = data
        self.source = source
        self.catalogs = catalogs
        self.findings: list[Finding] = []

        def names(section: str) -> dict[str, None]:  # ordered, for messages; O(1) lookups
            value = data.get(section)
            return dict.fromkeys(value) if isinstance(value, dict) else {}

        self.sites = names("sites")
        self.breakouts = names("breakouts")
        self.circuits = names("circuits")
        self.devices = names("devices")
        self.workloads = names("workloads")
        self.workloads.setdefault("default", None)

    def _add(self, code: str, path: ObjectPath, message: str, key: bool = False) -> None:
        loc = self.source.key_where(path) if key else self.source.where(path)
        self.findings.append(Finding(code, Severity.ERROR, message, loc, subject=dotted(path)))

    def _ref(
        self, code: str, path: ObjectPath, value: Any, kind: str, known: dict[str, None]
    ) -> None:
        if isinstance(value, str) and value not in known:
            first = list(known)[:8]
            listed = f"defined: {', '.join(first)}{', ...' if len(known) > 8 else ''}"
            hint = (_did_you_mean(value, known) or f" ({listed})") if known else f" (no {kind}s)"
            self._add(code, path, f"{dotted(path)}: undefined {kind} {value!r}{hint}")

    def _catalog(
        self, code: str, path: ObjectPath, value: Any, kind: str, lookup: Callable[[str], object]
    ) -> None:
        if not isinstance(value, str) or lookup(value) is not None:
            return
        assert self.catalogs is not None
        close = suggest(value, _catalog_names(self.catalogs, kind))
        hint = f"; did you mean {close!r}?" if close is not None else " (see `erplan catalog`)"
        self._add(code, path, f"{dotted(path)}: unknown {kind} {value!r}{hint}")

    def _items(self, section: str) -> Iterator[tuple[str, dict[str, Any]]]:
        value = self.data.get(section)
        if isinstance(value, dict):
            for name, obj in value.items():
                if isinstance(obj, dict):
                    yield name, obj

    def _list(self, obj: dict[str, Any], key: str) -> Iterator[tuple[int, Any]]:
        value = obj.get(key)
        if isinstance(value, list):
            yield from enumerate(value)

    def _silence(self, path: ObjectPath, obj: dict[str, Any]) -> None:
        silence = obj.get("silence")
        if isinstance(silence, dict):
            for code, reason in silence.items():
                if reason is None or (isinstance(reason, str) and not reason.strip()):
                    self._add(
                        "ERP028",
                        (*path, "silence", code),
                        f"{dotted((*path, 'silence', code))}: silencing {code} needs a reason",
                    )

    def run(self) -> list[Finding]:
        cat = self.catalogs
        tenant = self.data.get("tenant")
        if isinstance(tenant, dict) and cat is not None:
            self._catalog(
                "ERP026",
                ("tenant", "geography"),
                tenant.get("geography"),
                "geography",
                cat.geography,
            )
            for i, svc in self._list(tenant, "services"):
                self._catalog("ERP027", ("tenant", "services", i), svc, "service", cat.service)
        self._check_sites()
        self._check_wan()
        for name, b in self._items("breakouts"):
            p = ("breakouts", name)
            self._ref("ERP020", (*p, "site"), b.get("site"), "site", self.sites)
            for i, d in self._list(b, "devices"):
                self._ref("ERP023", (*p, "devices", i), d, "device", self.devices)
            self._silence(p, b)
        self._check_circuits()
        self._check_services()
        self._check_servers()
        for name, d in self._items("devices"):
            self._ref("ERP020", ("devices", name, "site"), d.get("site"), "site", self.sites)
            egress = d.get("egress")
            if egress != "cloud":
                self._ref("ERP021", ("devices", name, "egress"), egress, "breakout", self.breakouts)
            self._ref(
                "ERP023", ("devices", name, "upstream"), d.get("upstream"), "device", self.devices
            )
            self._kind(("devices", name, "upstream"), d.get("upstream"), "proxy")
            if d.get("upstream") == name:
                self._add(
                    "ERP028",
                    ("devices", name, "upstream"),
                    f"devices.{name}.upstream: a proxy cannot forward to itself",
                )
            if d.get("static_nat") is True and d.get("kind", "firewall") != "nat":
                self._add(
                    "ERP028",
                    ("devices", name, "static_nat"),
                    f"devices.{name}.static_nat: only a device of kind nat translates "
                    f"addresses (this one is {d.get('kind', 'firewall')!r})",
                )
            self._silence(("devices", name), d)
        return self.findings

    def _check_sites(self) -> None:
        cat = self.catalogs
        for name, s in self._items("sites"):
            p = ("sites", name)
            if cat is not None:
                self._catalog("ERP025", (*p, "location"), s.get("location"), "place", cat.place)
            self._ref("ERP021", (*p, "breakout"), s.get("breakout"), "breakout", self.breakouts)
            self._ref("ERP029", (*p, "workload"), s.get("workload"), "workload", self.workloads)
            self._ref(
                "ERP021",
                (*p, "resolver_egress"),
                s.get("resolver_egress"),
                "breakout",
                self.breakouts,
            )
            proxy = s.get("proxy")
            if isinstance(proxy, dict):
                self._ref("ERP020", (*p, "proxy", "site"), proxy.get("site"), "site", self.sites)
                self._ref(
                    "ERP023", (*p, "proxy", "device"), proxy.get("device"), "device", self.devices
                )
                self._kind((*p, "proxy", "device"), proxy.get("device"), "proxy")
            for i, d in self._list(s, "devices"):
                self._ref("ERP023", (*p, "devices", i), d, "device", self.devices)
            self._silence(p, s)

    def _check_wan(self) -> None:
        wan = self.data.get("wan")
        if not isinstance(wan, list):
            return
        for i, link in enumerate(wan):
            if not isinstance(link, dict):
                continue
            p: ObjectPath = ("wan", i, "between")
            between = link.get("between")
            if isinstance(between, list):
                for j, site in enumerate(between[:2]):
                    self._ref("ERP020", (*p, j), site, "site", self.sites)
                if len(between) == 2 and isinstance(between[0], str) and between[0] == between[1]:
                    self._add(
                        "ERP028",
                        p,
                        f"{dotted(p)}: a WAN link joins two different sites, "
                        f"not {between[0]!r} to itself",
                    )
            self._silence(("wan", i), link)

    def _check_circuits(self) -> None:
        cat = self.catalogs
        clash = set(self.circuits) & set(self.breakouts)
        for name, c in self._items("circuits"):
            p = ("circuits", name)
            if name in clash:
                self._add(
                    "ERP028",
                    p,
                    f"{dotted(p)}: a breakout has the same name; entry paths "
                    "name circuits and breakouts, so names must differ",
                    key=True,
                )
            if cat is not None:
                self._catalog(
                    "ERP024",
                    (*p, "peering_location"),
                    c.get("peering_location"),
                    "peering location",
                    cat.peering_location,
                )
                for i, svc in self._list(c, "route_filter"):
                    self._catalog("ERP027", (*p, "route_filter", i), svc, "service", cat.service)
            self._ref("ERP020", (*p, "site"), c.get("site"), "site", self.sites)
            for i, d in self._list(c, "devices"):
                self._ref("ERP023", (*p, "devices", i), d, "device", self.devices)
            advertised = _networks(c.get("advertises"))
            links = c.get("links")
            if isinstance(links, dict):
                for link_name, link in links.items():
                    if not isinstance(link, dict):
                        continue
                    lp = (*p, "links", link_name)
                    for i, d in self._list(link, "devices"):
                        self._ref("ERP023", (*lp, "devices", i), d, "device", self.devices)
                    advertised |= _networks(link.get("advertises"))
                    if link.get("snat_pool") is not None and c.get("snat_pool") is not None:
                        self._add(
                            "ERP028",
                            (*lp, "snat_pool"),
                            f"{dotted(lp)}.snat_pool: the circuit already translates before the "
                            "split (snat_pool); a circuit's pool is either before the split or "
                            "per link, not both",
                        )
                    self._silence(lp, link)
            prepend = c.get("prepend")
            if isinstance(prepend, dict):
                for key in prepend:
                    net = _network(key)
                    if net is not None and net not in advertised:
                        self._add(
                            "ERP028",
                            (*p, "prepend", key),
                            f"{dotted(p)}.prepend: {key} is not among the prefixes this circuit "
                            "or its links advertise",
                            key=True,
                        )
            self._silence(p, c)

    def _kind(self, path: ObjectPath, name: Any, kind: str) -> None:
        """A reference to a device must name one of that kind."""
        devices = self.data.get("devices")
        if not isinstance(name, str) or not isinstance(devices, dict):
            return
        dev = devices.get(name)
        if isinstance(dev, dict) and dev.get("kind", "firewall") != kind:
            self._add(
                "ERP028",
                path,
                f"{dotted(path)}: device {name!r} is a {dev.get('kind', 'firewall')}, not a {kind}",
            )

    def _check_servers(self) -> None:
        cat = self.catalogs
        for name, srv in self._items("servers"):
            p = ("servers", name)
            self._ref("ERP020", (*p, "site"), srv.get("site"), "site", self.sites)
            for i, target in self._list(srv, "connects_to"):
                if cat is None or isinstance(target, bool):
                    continue
                if isinstance(target, int) or (isinstance(target, str) and target.isdigit()):
                    if cat.endpoint_set(int(target)) is None:
                        self._add(
                            "ERP027",
                            (*p, "connects_to", i),
                            f"servers.{name}.connects_to[{i}]: no endpoint set {target}",
                        )
                    continue
                if not isinstance(target, str):
                    continue
                if cat.service(target) is not None or cat.sets_for_service_area(target):
                    continue
                if not cat.sets_for_fqdn(target):
                    self._add(
                        "ERP027",
                        (*p, "connects_to", i),
                        f"servers.{name}.connects_to[{i}]: {target!r} is neither a service "
                        "area, an endpoint set id nor a host name of the endpoint catalog",
                    )
            self._silence(p, srv)

    def _check_services(self) -> None:
        cat = self.catalogs
        entries = dict.fromkeys(
            [ENTRY_INTERNET, ENTRY_EXPRESSROUTE, *self.circuits, *self.breakouts]
        )
        paths = dict.fromkeys([*self.circuits, *self.breakouts])
        for name, svc in self._items("services"):
            p = ("services", name)
            self._ref("ERP020", (*p, "site"), svc.get("site"), "site", self.sites)
            for i, e in self._list(svc, "entry"):
                self._ref("ERP022", (*p, "entry", i), e, "entry path", entries)
            snat = svc.get("inbound_snat")
            if isinstance(snat, dict):
                for key in snat:
                    if key not in paths:
                        kp = (*p, "inbound_snat", key)
                        hint = _did_you_mean(key, paths)
                        self._add(
                            "ERP022",
                            kp,
                            f"{dotted(p)}.inbound_snat: {key!r} is neither "
                            f"a circuit nor a breakout{hint}",
                            key=True,
                        )
            if cat is not None:
                self._catalog(
                    "ERP026",
                    (*p, "initiator_geography"),
                    svc.get("initiator_geography"),
                    "geography",
                    cat.geography,
                )
                self._catalog(
                    "ERP027", (*p, "initiator"), svc.get("initiator"), "service", cat.service
                )
                for i, fe in self._list(svc, "initiator_regions"):
                    if isinstance(fe, str) and cat.front_end(fe) is None:
                        close = suggest(fe, [f.name for f in cat.front_ends])
                        hint = f"; did you mean {close!r}?" if close else " (see `erplan catalog`)"
                        self._add(
                            "ERP026",
                            (*p, "initiator_regions", i),
                            f"services.{name}.initiator_regions[{i}]: unknown front end "
                            f"{fe!r}{hint}",
                        )
            self._silence(p, svc)


def _network(value: Any) -> ipaddress.IPv4Network | None:
    try:
        return ipaddress.IPv4Network(str(value))
    except ValueError:
        return None


def _networks(values: Any) -> set[ipaddress.IPv4Network]:
    if not isinstance(values, list):
        return set()
    return {n for n in (_network(v) for v in values) if n is not None}


def _catalog_names(catalogs: Catalogs, kind: str) -> list[str]:
    """Every name a catalog lookup of that kind accepts, for a "did you mean"."""
    if kind == "peering location":
        return [p.name for p in catalogs.peering_locations]
    if kind == "place":
        return catalogs.place_names()
    if kind == "geography":
        return [n for g in catalogs.geographies for n in (g.name, *g.aliases)]
    return [n for svc in catalogs.services for n in (svc.name, *svc.aliases)]
