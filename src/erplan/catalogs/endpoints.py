"""Endpoint sets in the format of Microsoft's IP Address and URL web service.

A download given with ``--endpoints`` (or received by ``erplan endpoints fetch``) is untrusted:
its size is bounded, binary content is refused, the JSON is validated against the web-service
format by pydantic, and every problem is reported at the file, line and column of the
offending value. Two shapes are read: the array the web service returns, and the file
``erplan endpoints fetch`` writes (the same array with the instance, the version and the change
records since the previous download).
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from ipaddress import IPv4Network, IPv6Network, ip_network
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError
from pydantic.functional_validators import PlainValidator
from pydantic_core import PydanticCustomError

from erplan.catalogs.json_positions import (
    JsonLocator,
    JsonPath,
    JsonRefused,
    parse_untrusted,
    validation_problems,
)
from erplan.catalogs.records import CATEGORIES, EndpointSet
from erplan.diagnostics import Finding, InputError, Location, Severity
from erplan.files import ReadRefused, display_name, read_bounded

__all__ = [
    "CODES",
    "MAX_ENDPOINTS_BYTES",
    "ChangeRecord",
    "EndpointsFile",
    "parse_endpoints_bytes",
    "parse_json",
    "read_endpoints",
    "read_endpoints_file",
    "validate_json",
]

MAX_ENDPOINTS_BYTES = 16 * 1024 * 1024  # the real worldwide feed is well under 1 MB
MAX_PROBLEMS = 50  # enough to fix a file; more only buries the first one
FILE_FORMAT = "erplan-endpoints/1"  # the "format" of a file `erplan endpoints fetch` writes

SOURCE = "Microsoft 365 IP Address and URL web service format"

# Stable codes for problems in an endpoint catalog (input problems: the ERP0xx family).
CODE_UNREADABLE = "ERP090"
CODE_JSON = "ERP091"
CODE_SET = "ERP092"
CODE_CIDR = "ERP093"
CODE_PORTS = "ERP094"
CODE_DUPLICATE = "ERP095"
CODE_RECORD = "ERP096"

# code -> (name, summary), for `erplan rules` and `erplan explain`.
CODES: dict[str, tuple[str, str]] = {
    CODE_UNREADABLE: (
        "endpoints-unreadable",
        "An endpoint catalog (`--endpoints`, a download) cannot be read: missing, not a regular "
        f"file, larger than {MAX_ENDPOINTS_BYTES // (1024 * 1024)} MB, binary or not UTF-8.",
    ),
    CODE_JSON: ("endpoints-not-json", "An endpoint catalog is not valid JSON."),
    CODE_SET: (
        "endpoints-bad-set",
        "An endpoint set lacks a field of the web-service format or has one of the wrong type "
        "(id, serviceArea, category, expressRoute, required, urls, ips, notes).",
    ),
    CODE_CIDR: ("endpoints-bad-prefix", "An endpoint set lists an address prefix that is invalid."),
    CODE_PORTS: (
        "endpoints-bad-ports",
        'An endpoint set lists ports that are not "80,443"-style ports or ranges (1-65535).',
    ),
    CODE_DUPLICATE: ("endpoints-duplicate-set", "Two endpoint sets have the same id."),
    CODE_RECORD: (
        "endpoints-bad-record",
        "Another answer of the web service (version, change records), or the header of a file "
        "`erplan endpoints fetch` wrote, is not in the documented format.",
    ),
}


# -- the web-service format, as pydantic types ------------------------------------------------
def _prefix(value: Any) -> IPv4Network | IPv6Network:
    if not isinstance(value, str):
        raise PydanticCustomError("string_type", "ips entries must be strings")
    try:
        return ip_network(value.strip(), strict=True)
    except ValueError as exc:
        raise PydanticCustomError(
            "cidr", "{text!r} is not a prefix: {why}", {"text": value, "why": str(exc)}
        ) from None


_PORT_ITEM = re.compile(r"^\s*(\d{1,5})\s*(?:-\s*(\d{1,5})\s*)?$")


def _ports(value: Any) -> tuple[int, ...]:
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise PydanticCustomError("ports", 'ports must be a string like "80,443"')
    ports: set[int] = set()
    for item in str(value).split(","):
        if not item.strip():
            continue
        m = _PORT_ITEM.match(item)
        lo = int(m.group(1)) if m else 0
        hi = int(m.group(2)) if m and m.group(2) else lo
        if m is None or not 1 <= lo <= hi <= 65535:
            raise PydanticCustomError(
                "ports",
                "{item!r} is not a port or port range (1-65535)",
                {"item": item.strip()},
            )
        ports.update(range(lo, hi + 1))
    return tuple(sorted(ports))


Prefix = Annotated[IPv4Network | IPv6Network, PlainValidator(_prefix)]
Ports = Annotated[tuple[int, ...], PlainValidator(_ports)]


class _Set(BaseModel):
    """One endpoint set as the web service writes it (fields it may add later are ignored)."""

    model_config = ConfigDict(strict=True, extra="ignore", frozen=True)

    id: int = Field(ge=0)
    serviceArea: str
    serviceAreaDisplayName: str | None = None
    urls: list[str] = []
    ips: list[Prefix] = []
    tcpPorts: Ports = ()
    udpPorts: Ports = ()
    expressRoute: bool
    category: Literal["Optimize", "Allow", "Default"]
    required: bool
    notes: str = ""


class _Addition(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)

    effectiveDate: str | None = None
    ips: list[str] = []
    urls: list[str] = []


class ChangeRecord(BaseModel):
    """One record of the web service's ``/changes`` method (the fields erplan reads)."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    id: int
    endpointSetId: int
    disposition: str
    impact: str | None = None
    version: str
    add: _Addition | None = None
    remove: _Addition | None = None


class _Envelope(BaseModel):
    """The header of a file ``erplan endpoints fetch`` writes."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    format: Literal["erplan-endpoints/1"]
    instance: str
    version: str = Field(pattern=r"^\d{10}$")
    previous_version: str | None = None
    tenant: str | None = None
    service_areas: list[str] | None = None
    fetched: str | None = None
    changes: list[ChangeRecord] = []
    endpoints: list[Any]


SETS = TypeAdapter(list[_Set])
CHANGES = TypeAdapter(list[ChangeRecord])
_ENVELOPE = TypeAdapter(_Envelope)


@dataclass(frozen=True)
class EndpointsFile:
    """What an endpoint file holds: the sets and, for a download by erplan, its provenance."""

    sets: tuple[EndpointSet, ...]
    instance: str | None = None
    version: str | None = None
    previous_version: str | None = None
    tenant: str | None = None
    service_areas: tuple[str, ...] | None = None
    changes: tuple[ChangeRecord, ...] = ()


# -- reading ------------------------------------------------------------------------------------
def read_endpoints(path: str | os.PathLike[str]) -> tuple[EndpointSet, ...]:
    """Load an untrusted endpoint catalog; raise InputError naming FILE:LINE:COL on bad input."""
    return read_endpoints_file(path).sets


def read_endpoints_file(path: str | os.PathLike[str]) -> EndpointsFile:
    """An endpoint catalog with its provenance (for a file ``endpoints fetch`` wrote)."""
    name = display_name(path)
    try:
        raw = read_bounded(path, MAX_ENDPOINTS_BYTES)
    except ReadRefused as exc:
        if exc.size is not None:
            raise _fail(
                name,
                CODE_UNREADABLE,
                f"is {exc.size} bytes; endpoint catalogs larger than "
                f"{MAX_ENDPOINTS_BYTES // (1024 * 1024)} MB are refused",
            ) from None
        raise _fail(name, CODE_UNREADABLE, exc.reason) from None
    return parse_endpoints_bytes(raw, name)


def parse_json(raw: bytes, name: str) -> tuple[Any, str]:
    """(parsed JSON, its text) from untrusted bytes; InputError at the offending position."""
    if len(raw) > MAX_ENDPOINTS_BYTES:
        raise _fail(name, CODE_UNREADABLE, "is larger than the endpoint-catalog limit")
    try:
        return parse_untrusted(raw)
    except JsonRefused as exc:
        code = CODE_UNREADABLE if exc.undecodable else CODE_JSON
        raise _fail(name, code, exc.text, exc.line, exc.column) from None


def parse_endpoints_bytes(raw: bytes, name: str) -> EndpointsFile:
    """Decode, parse and validate the bytes of an endpoint catalog called ``name``."""
    data, text = parse_json(raw, name)
    return parse_endpoints_text(data, text, name)


def parse_endpoints_text(data: Any, text: str, name: str) -> EndpointsFile:
    """Validate parsed JSON of either shape; ``text`` is used only to locate problems."""
    if isinstance(data, dict) and "endpoints" in data:
        header = validate_json(_ENVELOPE, data, text, name, CODE_RECORD, "the file header")
        sets = _sets(header.endpoints, text, name, ("endpoints",))
        return EndpointsFile(
            sets,
            header.instance,
            header.version,
            header.previous_version,
            header.tenant,
            tuple(header.service_areas) if header.service_areas is not None else None,
            tuple(header.changes),
        )
    if not isinstance(data, list):
        raise _located(
            text,
            name,
            [
                (
                    (),
                    CODE_SET,
                    "expected a JSON array of endpoint sets (web-service format), or a file "
                    "written by `erplan endpoints fetch`",
                )
            ],
        )
    return EndpointsFile(_sets(data, text, name, ()))


def _sets(data: list[Any], text: str, name: str, at: JsonPath) -> tuple[EndpointSet, ...]:
    try:
        raw_sets = SETS.validate_python(data)
    except ValidationError as exc:
        raise _located(text, name, _set_problems(exc, data, at)) from None
    out: list[EndpointSet] = []
    seen: dict[int, int] = {}
    problems: list[tuple[JsonPath, str, str]] = []
    for index, s in enumerate(raw_sets):
        if s.id in seen:
            problems.append(
                (
                    (*at, index, "id"),
                    CODE_DUPLICATE,
                    f"endpoint set id {s.id} appears twice (first at entry {seen[s.id]})",
                )
            )
            continue
        seen[s.id] = index
        out.append(
            EndpointSet(
                id=s.id,
                service_area=s.serviceArea,
                display_name=s.serviceAreaDisplayName or s.serviceArea,
                urls=tuple(s.urls),
                ips=tuple(n for n in s.ips if isinstance(n, IPv4Network)),
                tcp_ports=s.tcpPorts,
                udp_ports=s.udpPorts,
                express_route=s.expressRoute,
                category=s.category,
                required=s.required,
                notes=s.notes,
                ipv6=tuple(n for n in s.ips if isinstance(n, IPv6Network)),
            )
        )
    if problems:
        raise _located(text, name, problems)
    return tuple(out)


_KINDS = {
    "bool_type": "true or false",
    "int_type": "a non-negative integer",
    "greater_than_equal": "a non-negative integer",
    "string_type": "a string",
    "list_type": "a list",
}


def _set_problems(
    exc: ValidationError, data: list[Any], at: JsonPath
) -> list[tuple[JsonPath, str, str]]:
    out: list[tuple[JsonPath, str, str]] = []
    for err in exc.errors(include_url=False)[:MAX_PROBLEMS]:
        loc = tuple(err["loc"])
        index = loc[0] if loc and isinstance(loc[0], int) else None
        raw = data[index] if index is not None else None
        where = f"endpoint set at entry {index}"
        if isinstance(raw, dict) and type(raw.get("id")) is int:
            where = f"endpoint set {raw['id']}"
        field = str(loc[1]) if len(loc) > 1 else ""
        etype = err["type"]
        path: JsonPath = (*at, *loc)
        if etype == "cidr":
            out.append((path, CODE_CIDR, f"{where}: {err['msg']}"))
        elif etype == "ports":
            out.append((path, CODE_PORTS, f"{where}: {err['msg']} in {field}"))
        elif etype == "missing":
            out.append(((*at, *loc[:-1]), CODE_SET, f"{where} lacks the required field '{field}'"))
        elif etype in ("model_type", "model_attributes_type", "dict_type"):
            out.append((path, CODE_SET, f"{where} is not a JSON object"))
        elif etype == "literal_error":
            shown = err.get("input")
            out.append(
                (
                    path,
                    CODE_SET,
                    f"{where}: {field} {shown!r} is not one of {', '.join(CATEGORIES)}",
                )
            )
        elif len(loc) > 2 or (etype == "string_type" and field == "ips"):  # an item of a list
            out.append((path, CODE_SET, f"{where}: '{field}' entries must be strings"))
        else:
            kind = _KINDS.get(etype, "of the web service's type")
            out.append((path, CODE_SET, f"{where}: '{field}' must be {kind}"))
    return out


def validate_json(
    adapter: TypeAdapter[Any], data: Any, text: str, name: str, code: str, what: str
) -> Any:
    """``data`` validated by ``adapter``, or InputError locating each problem in ``text``."""
    try:
        return adapter.validate_python(data)
    except ValidationError as exc:
        problems = [
            (path, code, f"{what}: {problem}")
            for path, problem in validation_problems(exc, MAX_PROBLEMS)
        ]
        raise _located(text, name, problems) from None


def _located(text: str, name: str, problems: list[tuple[JsonPath, str, str]]) -> InputError:
    locator = JsonLocator(text)
    return InputError(
        [
            Finding(
                code=code,
                severity=Severity.ERROR,
                message=message,
                location=Location(name, *locator.position(path)),
                source=SOURCE,
            )
            for path, code, message in problems[:MAX_PROBLEMS]
        ]
    )


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
