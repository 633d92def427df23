"""Prefixes per Azure region from an Azure service-tag download (``ServiceTags_Public_*.json``):
where a design's Dynamics 365 prefixes (``tenant.dynamics``) can come from, since Microsoft's
endpoint web service publishes none.

The file is untrusted: its size is bounded, FIFOs and devices are refused, binary or non-UTF-8
content is refused, its structure is validated, and every problem is reported at its file,
line and column (``ERP043`` unreadable or not JSON, ``ERP044`` not the service-tag format).
"""

from __future__ import annotations

import os
from ipaddress import IPv4Network, collapse_addresses, ip_network

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError

from erplan.catalogs.json_positions import (
    JsonLocator,
    JsonRefused,
    parse_untrusted,
    validation_problems,
)
from erplan.diagnostics import Finding, InputError, Location, Severity
from erplan.files import ReadRefused, display_name, read_bounded
from erplan.names import normalize

__all__ = [
    "CODES",
    "CODE_FORMAT",
    "CODE_UNREADABLE",
    "MAX_SERVICE_TAGS_BYTES",
    "ServiceTags",
    "read_service_tags",
]

# The public download is a few MB; a file many times larger is not one.
MAX_SERVICE_TAGS_BYTES = 64 * 1024 * 1024
MAX_PROBLEMS = 50
CODE_UNREADABLE = "ERP043"
CODE_FORMAT = "ERP044"
SOURCE = "Azure service tags download (ServiceTags_Public_*.json)"

# code -> (name, summary), for `erplan rules` and `erplan explain`.
CODES: dict[str, tuple[str, str]] = {
    CODE_UNREADABLE: (
        "service-tags-unreadable",
        "An Azure service-tag download (`erplan endpoints dynamics`) cannot be read: missing, "
        "not a regular file, too large, binary, not UTF-8 or not JSON.",
    ),
    CODE_FORMAT: (
        "service-tags-bad-format",
        "An Azure service-tag download is not in the service-tag format (`values`, each with "
        "`name` and `properties.addressPrefixes`), or lists something that is not a prefix.",
    ),
}


class _Properties(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)

    region: str = ""
    systemService: str = ""
    addressPrefixes: list[str] = Field(default_factory=list)


class _Value(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)

    name: str
    properties: _Properties


class _File(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)

    changeNumber: int | None = None
    cloud: str | None = None
    values: list[_Value]


_FILE = TypeAdapter(_File)


class ServiceTags:
    """The tags of a download, looked up by tag name and Azure region."""

    def __init__(self, data: _File, name: str) -> None:
        self.name = name
        self.change_number = data.changeNumber
        self.cloud = data.cloud
        self._values = {normalize(v.name): v for v in data.values}

    def prefixes(self, tag: str, region: str) -> tuple[IPv4Network, ...] | None:
        """The IPv4 prefixes of ``<tag>.<region>`` (Azure writes regions without spaces:
        ``AzureCloud.westeurope``), collapsed; None when the download has no such tag."""
        value = self._values.get(normalize(f"{tag}.{region}"))
        if value is None:
            return None
        nets = []
        for text in value.properties.addressPrefixes:
            try:
                net = ip_network(text.strip(), strict=False)
            except ValueError:
                continue  # checked when read
            if isinstance(net, IPv4Network):
                nets.append(net)
        return tuple(collapse_addresses(nets))


def read_service_tags(path: str | os.PathLike[str]) -> ServiceTags:
    """Read an untrusted service-tag download; InputError naming FILE:LINE:COL on bad input."""
    name = display_name(path)
    try:
        raw = read_bounded(path, MAX_SERVICE_TAGS_BYTES)
    except ReadRefused as exc:
        if exc.size is not None:
            limit = MAX_SERVICE_TAGS_BYTES // (1024 * 1024)
            raise _fail(name, f"is {exc.size} bytes; larger than {limit} MB is refused") from None
        raise _fail(name, exc.reason) from None
    try:
        data, text = parse_untrusted(raw)
    except JsonRefused as exc:
        raise _fail(name, exc.text, exc.line, exc.column) from None
    try:
        parsed = _FILE.validate_python(data)
    except ValidationError as exc:
        raise _located(text, name, exc) from None
    problems = [
        (("values", i, "properties", "addressPrefixes", k), p)
        for i, v in enumerate(parsed.values)
        for k, p in enumerate(v.properties.addressPrefixes)
        if not _is_prefix(p)
    ]
    if problems:
        locator = JsonLocator(text)
        raise InputError(
            [
                _finding(
                    name, f"service tags: {p!r} is not an address prefix", *locator.position(at)
                )
                for at, p in problems[:MAX_PROBLEMS]
            ]
        )
    return ServiceTags(parsed, name)


def _is_prefix(text: str) -> bool:
    try:
        ip_network(text.strip(), strict=False)
    except ValueError:
        return False
    return True


def _located(text: str, name: str, exc: ValidationError) -> InputError:
    locator = JsonLocator(text)
    return InputError(
        [
            _finding(name, f"not the service-tag format: {problem}", *locator.position(path))
            for path, problem in validation_problems(exc, MAX_PROBLEMS)
        ]
    )


def _finding(name: str, message: str, line: int, column: int, code: str = CODE_FORMAT) -> Finding:
    return Finding(code, Severity.ERROR, message, Location(name, line, column), source=SOURCE)


def _fail(name: str, message: str, line: int = 1, column: int = 1) -> InputError:
    return InputError(
        [_finding(name, f"service-tag file {message}", line, column, CODE_UNREADABLE)]
    )
