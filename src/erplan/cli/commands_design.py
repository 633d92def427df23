"""`erplan validate` (is this design file usable?) and `erplan schema` (its JSON Schema)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from erplan.cli import common
from erplan.diagnostics import Finding, InputError

if TYPE_CHECKING:
    from erplan.load import LoadedDesign


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
    file: str, loaded: LoadedDesign | None, problems: list[Finding]
) -> dict[str, Any]:
    """The stable JSON answer of `erplan validate --format json` (docs/design-format.md)."""
    return {
        "file": file,
        "valid": loaded is not None,
        "summary": summary(loaded) if loaded is not None else None,
        "problems": [_problem(f) for f in problems],
    }


@common.app.command("validate")
def validate_command(
    design: str = common.design_argument(),
    fmt: common.Format = common.format_option(
        common.FINDINGS_FORMATS, " (json and sarif list the problems on stdout)"
    ),
    output: Path | None = common.output_option("answer"),
    endpoints: Path | None = common.endpoints_option(),
) -> None:
    """Check that a design file is usable: syntax, types, names and references (exit 2 if not)."""
    from erplan.files import display_name
    from erplan.load import load_design
    from erplan.output import dumps, render_sarif

    common.check_format(fmt, common.FINDINGS_FORMATS, "validate")
    common.check_output_or_exit(output, [design, endpoints])
    catalogs = common.load_catalogs_or_exit(endpoints)  # a bad download is bad input, always
    name = display_name(design)
    try:
        loaded = load_design(design, catalogs)
    except InputError as err:
        if fmt is common.Format.TEXT:
            common.input_failure(err)
        text = (
            dumps(validation_json(name, None, err.findings))
            if fmt is common.Format.JSON
            else render_sarif(err.findings, default_file=name)
        )
        common.emit(text, fmt, output, [design, endpoints])
        raise common.Exit(common.EXIT_INPUT) from None
    if fmt is common.Format.JSON:
        text = dumps(validation_json(name, loaded, []))
    elif fmt is common.Format.SARIF:
        text = render_sarif([], default_file=name)
    else:
        n = summary(loaded)
        text = (
            f"{name}: valid ({_plural(n['sites'], 'site')}, "
            f"{_plural(n['circuits'], 'circuit')}, {_plural(n['services'], 'service')})\n"
        )
    common.emit(text, fmt, output, [design, endpoints])
    raise common.Exit(common.EXIT_OK)


@common.app.command("schema")
def schema_command(
    output: Path | None = common.output_option("schema"),
) -> None:
    """Print the JSON Schema of the design-file format (for editors such as VS Code)."""
    from erplan.design_format import schema_text

    common.check_output_or_exit(output)
    common.emit(schema_text(), common.Format.JSON, output)
    raise common.Exit(common.EXIT_OK)
