"""`erplan validate` (is this design file usable?) and `erplan schema` (its JSON Schema)."""

from __future__ import annotations

import sys
from enum import StrEnum
from pathlib import Path
from typing import Any

import typer

from erplan.catalogs import load_catalogs
from erplan.cli import common
from erplan.design_format import schema_text
from erplan.diagnostics import Finding, InputError
from erplan.load import LoadedDesign, load_design
from erplan.output import dumps


class ValidateFormat(StrEnum):
    TEXT = "text"
    JSON = "json"


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def summary(loaded: LoadedDesign) -> dict[str, int]:
    d = loaded.design
    return {
        "sites": len(d.sites),
        "circuits": len(d.circuits),
        "services": len(d.services),
        "breakouts": len(d.breakouts),
        "devices": len(d.devices),
        "wan_links": len(d.wan),
    }


def _problem(f: Finding) -> dict[str, Any]:
    loc = f.location
    return {
        "code": f.code,
        "message": f.message,
        "file": loc.file if loc else None,
        "line": loc.line if loc else None,
        "column": loc.column if loc else None,
    }


def validation_json(
    file: Path, loaded: LoadedDesign | None, problems: list[Finding]
) -> dict[str, Any]:
    """The stable JSON answer of `erplan validate --format json` (docs/design-format.md)."""
    return {
        "file": str(file),
        "valid": loaded is not None,
        "summary": summary(loaded) if loaded is not None else None,
        "problems": [_problem(f) for f in problems],
    }


@common.app.command("validate")
def validate_command(
    design: Path = typer.Argument(..., help="The design file (YAML)."),
    fmt: ValidateFormat = typer.Option(ValidateFormat.TEXT, "--format", "-f", help="text or json."),
    endpoints: Path | None = typer.Option(
        None,
        "--endpoints",
        help="A fresh download of the endpoint web service to use instead of the shipped one.",
    ),
) -> None:
    """Check that a design file is usable: syntax, types, names and references (exit 2 if not)."""
    try:
        catalogs = load_catalogs(endpoints)
    except InputError as err:  # a bad endpoints file is bad input too, whatever the format
        common.input_failure(err)
    try:
        loaded = load_design(design, catalogs)
    except InputError as err:
        if fmt is ValidateFormat.JSON:
            sys.stdout.write(dumps(validation_json(design, None, err.findings)))
            raise common.Exit(common.EXIT_INPUT) from None
        common.input_failure(err)
    if fmt is ValidateFormat.JSON:
        sys.stdout.write(dumps(validation_json(design, loaded, [])))
    else:
        n = summary(loaded)
        sys.stdout.write(
            f"{design}: valid ({_plural(n['sites'], 'site')}, "
            f"{_plural(n['circuits'], 'circuit')}, {_plural(n['services'], 'service')})\n"
        )
    raise common.Exit(common.EXIT_OK)


@common.app.command("schema")
def schema_command() -> None:
    """Print the JSON Schema of the design-file format (for editors such as VS Code)."""
    sys.stdout.write(schema_text())
    raise common.Exit(common.EXIT_OK)
