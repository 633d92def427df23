"""Endpoint sets in the format of Microsoft's IP Address and URL web service.

A download given with ``--endpoints`` is untrusted: its size is bounded, binary content is
refused, and every problem is reported at the file, line and column of the offending value.
The happy path uses only the C JSON parser; positions are computed only when something is
wrong, by re-walking the text with ``json``'s own decoder (no second, slower parser).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from ipaddress import IPv4Network, IPv6Network, ip_network
from pathlib import Path
from typing import Any

from erplan.catalogs.records import CATEGORIES, EndpointSet
from erplan.diagnostics import Finding, InputError, Location, Severity

MAX_ENDPOINTS_BYTES = 16 * 1024 * 1024  # the real worldwide feed is well under 1 MB
MAX_PROBLEMS = 50  # enough to fix a file; more only buries the first one
MAX_PORTS_PER_SET = 65535

SOURCE = "Microsoft 365 IP Address and URL web service format"

# Stable codes for problems in an endpoint catalog (input problems: the ERP0xx family).
CODE_UNREADABLE = "ERP090"
CODE_JSON = "ERP091"
CODE_SET = "ERP092"
CODE_CIDR = "ERP093"
CODE_PORTS = "ERP094"
CODE_DUPLICATE = "ERP095"

PathKey = tuple[int | str, ...]


@dataclass(frozen=True, slots=True)
class _Problem:
    path: PathKey  # where in the document: (set index, field, list index)
    code: str
    message: str


def read_endpoints(path: Path) -> tuple[EndpointSet, ...]:
    """Load an untrusted endpoint catalog; raise InputError naming FILE:LINE:COL on bad input."""
    name = str(path)
    try:
        size = path.stat().st_size
        if not path.is_file():
            raise _fail(name, CODE_UNREADABLE, "is not a regular file")
        if size > MAX_ENDPOINTS_BYTES:
            raise _fail(
                name,
                CODE_UNREADABLE,
                f"is {size} bytes; endpoint catalogs larger than "
                f"{MAX_ENDPOINTS_BYTES // (1024 * 1024)} MB are refused",
            )
        with path.open("rb") as fh:
            raw = fh.read(MAX_ENDPOINTS_BYTES + 1)
    except OSError as exc:
        raise _fail(name, CODE_UNREADABLE, f"cannot be read: {exc.strerror or exc}") from None
    if len(raw) > MAX_ENDPOINTS_BYTES:  # grew while we looked
        raise _fail(name, CODE_UNREADABLE, "is larger than the endpoint-catalog limit")
    return parse_endpoints_bytes(raw, name)


def parse_endpoints_bytes(raw: bytes, name: str) -> tuple[EndpointSet, ...]:
    """Decode, parse and validate the bytes of an endpoint catalog called ``name``."""
    nul = raw.find(b"\x00")
    if nul >= 0:
        line, col = _byte_position(raw, nul)
        raise _fail(name, CODE_UNREADABLE, "is binary, not a JSON endpoint catalog", line, col)
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line, col = _byte_position(raw, exc.start)
        raise _fail(
            name, CODE_UNREADABLE, "is not UTF-8 text (binary or wrong encoding)", line, col
        ) from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise _fail(
            name, CODE_JSON, f"is not valid JSON: {exc.msg}", exc.lineno, exc.colno
        ) from None
    except (RecursionError, ValueError) as exc:  # absurd nesting, huge integers
        raise _fail(name, CODE_JSON, f"is not valid JSON: {exc}") from None
    return parse_endpoints_text(data, text, name)


def parse_endpoints_text(data: Any, text: str, name: str) -> tuple[EndpointSet, ...]:
    """Validate parsed web-service JSON; ``text`` is used only to locate problems."""
    sets, problems = build_sets(data)
    if problems:
        locator = _Locator(text)
        raise InputError(
            [
                Finding(
                    code=p.code,
                    severity=Severity.ERROR,
                    message=p.message,
                    location=Location(name, *locator.position(p.path)),
                    source=SOURCE,
                )
                for p in problems
            ]
        )
    return sets


def build_sets(data: Any) -> tuple[tuple[EndpointSet, ...], list[_Problem]]:
    """Endpoint sets from parsed JSON, plus every problem found (at most MAX_PROBLEMS)."""
    problems: list[_Problem] = []
    if not isinstance(data, list):
        problems.append(
            _Problem((), CODE_SET, "expected a JSON array of endpoint sets (web-service format)")
        )
        return (), problems
    sets: list[EndpointSet] = []
    seen: dict[int, int] = {}
    for index, raw in enumerate(data):
        if len(problems) >= MAX_PROBLEMS:
            break
        built = _build_set(raw, index, problems)
        if built is None:
            continue
        if built.id in seen:
            problems.append(
                _Problem(
                    (index, "id"),
                    CODE_DUPLICATE,
                    f"endpoint set id {built.id} appears twice (first at entry {seen[built.id]})",
                )
            )
            continue
        seen[built.id] = index
        sets.append(built)
    return tuple(sets), problems[:MAX_PROBLEMS]


_REQUIRED: dict[str, type] = {
    "id": int,
    "serviceArea": str,
    "category": str,
    "expressRoute": bool,
    "required": bool,
}


def _build_set(raw: Any, index: int, problems: list[_Problem]) -> EndpointSet | None:
    where = f"endpoint set at entry {index}"
    if not isinstance(raw, dict):
        problems.append(_Problem((index,), CODE_SET, f"{where} is not a JSON object"))
        return None
    if isinstance(raw.get("id"), int) and not isinstance(raw.get("id"), bool):
        where = f"endpoint set {raw['id']}"
    before = len(problems)
    for key, kind in _REQUIRED.items():
        if key not in raw:
            problems.append(
                _Problem((index,), CODE_SET, f"{where} lacks the required field '{key}'")
            )
        elif not _is(raw[key], kind):
            problems.append(
                _Problem((index, key), CODE_SET, f"{where}: '{key}' must be {_kind_name(kind)}")
            )
    if "category" in raw and isinstance(raw["category"], str) and raw["category"] not in CATEGORIES:
        problems.append(
            _Problem(
                (index, "category"),
                CODE_SET,
                f"{where}: category '{raw['category']}' is not one of {', '.join(CATEGORIES)}",
            )
        )
    for key in ("serviceAreaDisplayName", "notes"):
        if key in raw and not isinstance(raw[key], str):
            problems.append(_Problem((index, key), CODE_SET, f"{where}: '{key}' must be a string"))
    urls = _strings(raw, "urls", index, where, problems)
    ip_texts = _strings(raw, "ips", index, where, problems)
    v4: list[IPv4Network] = []
    v6: list[IPv6Network] = []
    for j, text in enumerate(ip_texts):
        if text is None:
            continue
        try:
            net = ip_network(text.strip(), strict=True)
        except ValueError as exc:
            problems.append(
                _Problem((index, "ips", j), CODE_CIDR, f"{where}: '{text}' is not a prefix: {exc}")
            )
            continue
        if isinstance(net, IPv4Network):
            v4.append(net)
        else:
            v6.append(net)
    tcp = _ports(raw, "tcpPorts", index, where, problems)
    udp = _ports(raw, "udpPorts", index, where, problems)
    if len(problems) > before:
        return None
    return EndpointSet(
        id=raw["id"],
        service_area=raw["serviceArea"],
        display_name=str(raw.get("serviceAreaDisplayName", raw["serviceArea"])),
        urls=tuple(u for u in urls if u is not None),
        ips=tuple(v4),
        tcp_ports=tcp,
        udp_ports=udp,
        express_route=raw["expressRoute"],
        category=raw["category"],
        required=raw["required"],
        notes=str(raw.get("notes", "")),
        ipv6=tuple(v6),
    )


def _is(value: Any, kind: type) -> bool:
    if kind is int:  # JSON true is not an id
        return isinstance(value, int) and not isinstance(value, bool) and value >= 0
    return isinstance(value, kind)


def _kind_name(kind: type) -> str:
    return {int: "a non-negative integer", str: "a string", bool: "true or false"}[kind]


def _strings(
    raw: dict[str, Any], key: str, index: int, where: str, problems: list[_Problem]
) -> list[str | None]:
    value = raw.get(key, [])
    if not isinstance(value, list):
        problems.append(_Problem((index, key), CODE_SET, f"{where}: '{key}' must be a list"))
        return []
    out: list[str | None] = []
    for j, item in enumerate(value):
        if isinstance(item, str):
            out.append(item)
        else:
            problems.append(
                _Problem((index, key, j), CODE_SET, f"{where}: '{key}' entries must be strings")
            )
            out.append(None)
    return out


_PORT_ITEM = re.compile(r"^\s*(\d{1,5})\s*(?:-\s*(\d{1,5})\s*)?$")


def _ports(
    raw: dict[str, Any], key: str, index: int, where: str, problems: list[_Problem]
) -> tuple[int, ...]:
    value = raw.get(key, "")
    if isinstance(value, int) and not isinstance(value, bool):
        value = str(value)
    if not isinstance(value, str):
        problems.append(
            _Problem((index, key), CODE_PORTS, f"{where}: '{key}' must be a string like \"80,443\"")
        )
        return ()
    ports: set[int] = set()
    for item in value.split(","):
        if not item.strip():
            continue
        m = _PORT_ITEM.match(item)
        lo = int(m.group(1)) if m else 0
        hi = int(m.group(2)) if m and m.group(2) else lo
        if m is None or not 1 <= lo <= hi <= 65535:
            problems.append(
                _Problem(
                    (index, key),
                    CODE_PORTS,
                    f"{where}: '{item.strip()}' in {key} is not a port or port range (1-65535)",
                )
            )
            return ()
        ports.update(range(lo, hi + 1))
    return tuple(sorted(ports))


def _fail(name: str, code: str, message: str, line: int = 1, column: int = 1) -> InputError:
    return InputError(
        [
            Finding(
                code=code,
                severity=Severity.ERROR,
                message=f"endpoint catalog {message}",
                location=Location(name, line, column),
                source=SOURCE,
            )
        ]
    )


def _byte_position(raw: bytes, offset: int) -> tuple[int, int]:
    line_start = raw.rfind(b"\n", 0, offset) + 1
    return raw.count(b"\n", 0, offset) + 1, offset - line_start + 1


_WS = re.compile(r"[ \t\n\r]*")


class _Locator:
    """Character offsets of values in a JSON text known to be valid, by path.

    Values that are not on the path are skipped with ``raw_decode`` (the C decoder), so the
    cost stays near one pass of the parser. Offsets of the top-level entries are computed once.
    """

    def __init__(self, text: str) -> None:
        self.text = text
        self._decoder = json.JSONDecoder()
        self._entries: list[int] | None = None

    def position(self, path: PathKey) -> tuple[int, int]:
        try:
            offset = self._offset(path)
        except (ValueError, IndexError, KeyError):  # pragma: no cover - the text is valid JSON
            offset = self._ws(0)
        return self._line_col(offset)

    def _ws(self, i: int) -> int:
        m = _WS.match(self.text, i)
        return m.end() if m else i

    def _top_entries(self) -> list[int]:
        if self._entries is None:
            start = self._ws(0)
            self._entries = self._children(start) if self.text[start : start + 1] == "[" else []
        return self._entries

    def _children(self, start: int) -> list[int]:
        """Offsets of the items of the array that opens at ``start``."""
        out: list[int] = []
        i = self._ws(start + 1)
        if self.text[i] == "]":
            return out
        while True:
            out.append(i)
            _, end = self._decoder.raw_decode(self.text, i)
            i = self._ws(end)
            if self.text[i] == "]":
                return out
            i = self._ws(i + 1)  # past the comma

    def _member(self, start: int, key: str) -> int:
        """Offset of the value of ``key`` in the object that opens at ``start``."""
        i = self._ws(start + 1)
        found = -1
        while self.text[i] != "}":
            name, end = self._decoder.raw_decode(self.text, i)
            i = self._ws(self._ws(end) + 1)  # past the colon
            if name == key:
                found = i  # json keeps the last duplicate; so do we
            _, end = self._decoder.raw_decode(self.text, i)
            i = self._ws(end)
            if self.text[i] == ",":
                i = self._ws(i + 1)
        if found < 0:
            raise KeyError(key)
        return found

    def _offset(self, path: PathKey) -> int:
        offset = self._ws(0)
        if not path:
            return offset
        first, *rest = path
        assert isinstance(first, int)
        offset = self._top_entries()[first]
        for step in rest:
            if isinstance(step, int):
                offset = self._children(offset)[step]
            else:
                offset = self._member(offset, step)
        return offset

    def _line_col(self, offset: int) -> tuple[int, int]:
        line_start = self.text.rfind("\n", 0, offset) + 1
        return self.text.count("\n", 0, offset) + 1, offset - line_start + 1
