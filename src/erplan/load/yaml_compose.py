"""Stage 1 of loading: YAML text -> plain data and the positions of every value.

A small composer over the parser's events (libyaml through ruamel.yaml.clib when present): it
builds only plain dicts, lists and scalars of the YAML 1.2 core schema, so no tag can construct
an arbitrary object, and it records each value's position in the same pass. Bounds: file size,
nesting depth, alias expansion; numbers must be finite and of a usable size.
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Iterator
from typing import Any

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

from erplan.diagnostics import Finding, InputError, Location, Severity
from erplan.files import DecodeRefused, decode_utf8, line_col
from erplan.load.codes import MAX_ALIAS_NODES, MAX_BYTES, MAX_DEPTH
from erplan.load.scalars import MAX_INTEGER, TooLarge, resolve_plain, usable
from erplan.load.source import ObjectPath, Pos, Positions, SourceMap, describe, dotted

# libyaml's parser, ~11x faster than the pure-Python fallback on large designs. ruamel.yaml.clib
# installs it as the top-level module ``_ruamel_yaml``; newer builds name it
# ``ruamel.yaml.clib._ruamel_yaml``. ``C_PARSER_MODULE`` says which one was found (None: the
# slow fallback is in use, and a test fails).
C_PARSER_NAMES = ("_ruamel_yaml", "ruamel.yaml.clib._ruamel_yaml")


def _find_c_parser() -> tuple[Any, str | None]:
    for name in C_PARSER_NAMES:
        try:
            module = importlib.import_module(name)
        except ImportError:
            continue
        parser = getattr(module, "CParser", None)
        if parser is not None:
            return parser, name
    return None, None  # pragma: no cover - depends on the installation


CParser, C_PARSER_MODULE = _find_c_parser()


class _Refused(Exception):
    """Composition cannot go on (too deep, too many alias nodes, a second document)."""

    def __init__(self, finding: Finding) -> None:
        self.finding = finding
        super().__init__(finding.message)


_TAG = "tag:yaml.org,2002:"
_SCALAR_TAGS = frozenset(_TAG + t for t in ("str", "int", "float", "bool", "null"))
_TAG_TYPES: dict[str, type | tuple[type, ...]] = {
    "int": int,
    "float": (int, float),
    "bool": bool,
    "null": type(None),
}


class _Composer:
    """Builds plain data from parser events, recording positions; reports what it refuses."""

    def __init__(self, events: Iterator[Any], file: str) -> None:
        self._next = events.__next__
        self.file = file
        self.positions = Positions()
        pos = self.positions
        # Bound once: a row is added per node (about 150,000 at 10,000 sites).
        self._names, self._sizes = pos.names.append, pos.size.append
        self._lines, self._cols = pos.line.append, pos.col.append
        self._key_lines, self._key_cols = pos.key_line.append, pos.key_col.append
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

    def _node(self, ev: Any, path: ObjectPath, depth: int, key_mark: Any = None) -> tuple[Any, int]:
        """(value, node count after alias expansion); its row of positions is added first
        (``key_mark``: where the key naming it was written)."""
        mark = ev.start_mark
        row = len(self.positions.size)
        last = path[-1] if path else None
        self._names(last if isinstance(last, str) else None)
        self._sizes(1)
        self._lines(mark.line + 1)
        self._cols(mark.column + 1)
        if key_mark is None:
            self._key_lines(0)
            self._key_cols(0)
        else:
            self._key_lines(key_mark.line + 1)
            self._key_cols(key_mark.column + 1)
        cls = type(ev)
        if cls is ScalarEvent and ev.tag is None and ev.anchor is None:  # the common case, fast
            if not ev.implicit[0]:
                return ev.value, 1
            value = resolve_plain(ev.value)
            if value.__class__ is TooLarge or (value.__class__ is float and not usable(value)):
                self._not_finite(ev, path)
                return None, 1
            return value, 1
        if cls is ScalarEvent:
            value = self._scalar(ev, path)
            result: tuple[Any, int] = (value, 1)
        elif cls is MappingStartEvent:
            result = self._mapping(ev, path, depth, row)
            self.positions.close(row)
        elif cls is SequenceStartEvent:
            result = self._sequence(ev, path, depth)
            self.positions.close(row)
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
            return resolve_plain(ev.value) if ev.implicit[0] and tag is None else ev.value
        if tag not in _SCALAR_TAGS:
            self._problem("ERP007", f"unsupported YAML tag {_show_tag(tag)}", ev.start_mark, path)
            return None
        kind = tag[len(_TAG) :]
        if kind == "str":
            return ev.value
        value = resolve_plain(ev.value)
        if isinstance(value, TooLarge) or (isinstance(value, float) and not usable(value)):
            self._not_finite(ev, path)
            return None
        if (isinstance(value, bool) and kind != "bool") or not isinstance(value, _TAG_TYPES[kind]):
            self._problem("ERP012", f"{ev.value!r} is not a valid !!{kind}", ev.start_mark, path)
            return None
        number: Any = value  # narrowed to object by the isinstance above
        return float(number) if kind == "float" else number

    def _not_finite(self, ev: Any, path: ObjectPath) -> None:
        shown = ev.value if len(ev.value) <= 20 else ev.value[:20] + "..."
        self._problem(
            "ERP015",
            f"{dotted(path)}: {shown} is not a usable number: numbers in a design are finite and "
            "at most "
            f"{MAX_INTEGER:,} in size",
            ev.start_mark,
            path,
        )

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

    def _mapping(
        self, ev: Any, path: ObjectPath, depth: int, row: int
    ) -> tuple[dict[str, Any], int]:
        if ev.tag is not None:
            self._check_tag(ev, "map", path)
        depth = self._deeper(depth, ev.start_mark)
        out: dict[str, Any] = {}
        merges: list[tuple[Any, Pos]] = []
        total = 1
        nxt = self._next
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
                first = self._key_position(row, key)
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
            value, size = self._node(vev, kpath, depth, key_mark)
            out[key] = value
            total += size
            if size > 1:
                self._grow(total, vev.start_mark)
            ev = nxt()
        if merges:
            self._merge(out, merges)
        return out, total

    def _key_position(self, row: int, key: str) -> Pos:
        """Where the mapping at ``row`` (still being composed) first wrote ``key``."""
        pos = self.positions
        for name, child in pos.children(row, len(pos.size)):
            if name == key and pos.key_line[child]:
                return pos.key_line[child], pos.key_col[child]
        raise AssertionError(f"no key {key!r} in the mapping")  # pragma: no cover

    def _merge(self, out: dict[str, Any], merges: list[tuple[Any, Pos]]) -> None:
        """``<<: *defaults`` (or a list of them): keys written here win over merged ones. A
        merged key is positioned (key and value) at the merge's value, as a leaf."""
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
                        self.positions.add(k, *pos, *pos)

    def _key(self, ev: Any, path: ObjectPath) -> str | None:
        """Mapping keys are names: kept as written (``2024`` names a site, not a number)."""
        if type(ev) is ScalarEvent:
            if ev.tag is not None and ev.tag != "!" and ev.tag not in _SCALAR_TAGS:
                self._problem(
                    "ERP007", f"unsupported YAML tag {_show_tag(ev.tag)}", ev.start_mark, None
                )
                return None
            # Interned: the same few field names recur at every site, and the positions keep
            # a reference to each key.
            return sys.intern(str(ev.value))
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
    if CParser is not None:
        parser = CParser(text)
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


def decode(raw: bytes, file: str) -> str:
    """Bytes -> text, refusing what is not UTF-8 text before the parser sees it."""
    try:
        return decode_utf8(raw)
    except DecodeRefused as exc:
        what = (
            "NUL byte: this is not a text file (a design file is UTF-8 YAML)"
            if exc.reason == "NUL byte"
            else f"{exc.reason}: a design file is UTF-8 text"
        )
        raise InputError(
            [Finding("ERP003", Severity.ERROR, what, Location(file, exc.line, exc.column))]
        ) from None


def too_large(size: int, file: str) -> InputError:
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
        raise too_large(len(text.encode("utf-8")), filename)
    if "\x00" in text:
        decode(text.encode("utf-8"), filename)  # raises, with the NUL's position
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
        line, col = line_col(text, exc.position)
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
    source = SourceMap(filename, composer.positions)
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
                    "a design file is a mapping (erplan, tenant, sites, ...), "
                    f"not {describe(root)}",
                    source.where(()),
                )
            ]
        )
    return root, source, composer.findings, composer.reported
