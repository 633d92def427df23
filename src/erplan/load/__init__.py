"""Design files in, ``Design`` out: the only package that knows YAML.

Two stages, so that tests and the Python API can skip the file:

1. file -> plain mapping + ``SourceMap`` (``yaml_compose``: positions kept beside the data,
   never inside it);
2. mapping -> ``Design`` (pydantic), with every problem turned into a coded ``Finding`` that
   points at the offending key or value: what each string may hold (``text_checks``), types
   and ranges (``type_errors``), references and contradictions (``references``).

Every problem of a file is reported in one run, in file order; a value reported once is not
echoed by a later stage.
"""

from __future__ import annotations

import copy
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from erplan.catalogs import Catalogs
from erplan.diagnostics import Finding, InputError, Location, Severity
from erplan.files import STDIN, ReadRefused, display_name, read_bounded
from erplan.load.codes import CODES, MAX_ALIAS_NODES, MAX_BYTES, MAX_DEPTH
from erplan.load.references import check_references
from erplan.load.source import LoadedDesign, ObjectPath, SourceMap, describe, dotted
from erplan.load.text_checks import check_text
from erplan.load.type_errors import pydantic_findings
from erplan.load.yaml_compose import C_PARSER_MODULE, decode, parse_text, too_large
from erplan.memory import collector_paused
from erplan.model import FORMAT_VERSION, Design

__all__ = [
    "CODES",
    "C_PARSER_MODULE",
    "MAX_ALIAS_NODES",
    "MAX_BYTES",
    "MAX_DEPTH",
    "LoadedDesign",
    "ObjectPath",
    "SourceMap",
    "dotted",
    "load_bytes",
    "load_design",
    "load_mapping",
    "load_text",
    "parse_text",
]


def load_design(path: str | os.PathLike[str], catalogs: Catalogs | None = None) -> LoadedDesign:
    """Read, parse and validate a design file (``-``: standard input).

    Raises InputError with every problem found; a directory, FIFO or device is refused at once.
    """
    name = display_name(path)
    try:
        raw = read_bounded(path, MAX_BYTES)
    except ReadRefused as exc:
        if exc.size is not None:
            raise too_large(exc.size, name) from None
        raise InputError(
            [
                Finding(
                    "ERP001",
                    Severity.ERROR,
                    f"cannot read the design file: it {exc.reason}"
                    if exc.reason.startswith("is ")
                    else f"the design file {exc.reason}",
                    Location(name, 1, 1),
                )
            ]
        ) from None
    loaded = load_bytes(raw, name, catalogs)
    return LoadedDesign(loaded.design, loaded.source, None if str(path) == STDIN else Path(path))


def load_bytes(raw: bytes, filename: str, catalogs: Catalogs | None = None) -> LoadedDesign:
    """Decode, parse and validate the bytes of a design file (``filename`` names it)."""
    if len(raw) > MAX_BYTES:
        raise too_large(len(raw), filename)
    return load_text(decode(raw, filename), filename, catalogs)


def load_text(
    text: str, filename: str = "<text>", catalogs: Catalogs | None = None
) -> LoadedDesign:
    """Parse and validate design text (``filename`` names it in messages)."""
    with collector_paused():
        data, source, findings, reported = parse_text(text, filename)
        return _validate(data, source, findings, reported, catalogs)


def load_mapping(
    data: Mapping[str, Any], filename: str = "<mapping>", catalogs: Catalogs | None = None
) -> LoadedDesign:
    """Validate a design given as plain data (Python API, tests); positions are unknown."""
    return _validate(dict(data), SourceMap(filename), [], set(), catalogs)


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
    text_problems, bad_text, withheld = check_text(data, source)
    problems.extend(text_problems)
    reported = reported | bad_text
    design: Design | None = None
    try:
        design = Design.model_validate(_withhold(data, withheld) if withheld else data)
    except ValidationError as exc:
        problems.extend(pydantic_findings(exc, data, source, reported))
    problems.extend(check_references(data, source, catalogs, reported))
    if problems:
        raise InputError(_dedupe(problems))
    assert design is not None
    return LoadedDesign(design, source)


def _withhold(data: dict[str, Any], paths: set[ObjectPath]) -> dict[str, Any]:
    """A copy of ``data`` with the values at ``paths`` replaced by null (already reported)."""
    out = copy.deepcopy(data)
    for path in paths:
        node: Any = out
        for part in path[:-1]:
            node = node[part]
        node[path[-1]] = None
    return out


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
    shown = v if type(v) is int else describe(v)
    return Finding(
        "ERP008",
        Severity.ERROR,
        f"unsupported format version {shown}; this erplan reads version {FORMAT_VERSION}",
        source.where(("erplan",)),
    )
