"""`erplan lint` (a design against the rule catalog), `erplan rules` and `erplan explain` (every
code any command prints)."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path

import typer

from erplan.cli import common

_RULES_FORMATS = (common.Format.TEXT, common.Format.JSON, common.Format.MARKDOWN)


class Kind(StrEnum):
    ALL = "all"
    INPUT = "input"
    RULE = "rule"
    FLOW = "flow"


@common.app.command("lint")
def lint_command(
    design: str = common.design_argument(),
    fmt: common.Format = common.format_option(),
    output: Path | None = common.output_option(),
    endpoints: Path | None = common.endpoints_option(),
) -> None:
    """Check a design against the rule catalog (exit 1 on any unsilenced error finding)."""
    from erplan.analyses.rules import all_rules, lint
    from erplan.files import display_name
    from erplan.output import dumps, has_errors, render_sarif, render_text, to_json

    common.check_format(fmt, common.FINDINGS_FORMATS, "lint")
    common.check_output_or_exit(output, [design, endpoints])
    loaded, catalogs = common.load_inputs(design, endpoints)
    findings = lint(loaded, catalogs)
    if fmt is common.Format.JSON:
        text = dumps(to_json(findings))
    elif fmt is common.Format.SARIF:
        text = render_sarif(
            findings, base=Path.cwd(), default_file=display_name(design), rules=all_rules()
        )
    else:
        text = render_text(findings)
    common.emit(text, fmt, output, [design, endpoints])
    raise common.Exit(common.EXIT_FINDINGS if has_errors(findings) else common.EXIT_OK)


@common.app.command("rules")
def rules_command(
    fmt: common.Format = common.format_option(_RULES_FORMATS, " (markdown: docs/rules.md)"),
    kind: Kind = typer.Option(
        Kind.ALL, "--kind", help="Only input problems, rules or flow verdicts."
    ),
    output: Path | None = common.output_option("listing"),
) -> None:
    """List every code erplan reports: input problems, rules and flow verdicts."""
    from erplan.codes import all_codes
    from erplan.output import dumps
    from erplan.reference import markdown
    from erplan.reference import text as codes_text

    common.check_format(fmt, _RULES_FORMATS, "rules")
    common.check_output_or_exit(output)
    codes = all_codes(None if kind is Kind.ALL else kind.value)
    if fmt is common.Format.JSON:
        text = dumps([c.to_dict() for c in codes])
    elif fmt is common.Format.MARKDOWN:
        text = markdown(codes)
    else:
        text = codes_text(codes)
    common.emit(text, fmt, output)


@common.app.command("explain")
def explain_command(
    code: str = typer.Argument(..., help="A code (ERP305, ERP803, ERP012) or its name."),
    fmt: common.Format = common.format_option(common.DATA_FORMATS),
) -> None:
    """Explain one code: what it means, why (guide section, Microsoft requirement), the fix."""
    from erplan.codes import find_code, suggest_code
    from erplan.output import dumps
    from erplan.reference import explain

    common.check_format(fmt, common.DATA_FORMATS, "explain")
    info = find_code(code)
    if info is None:
        hint = suggest_code(code)
        common.usage_failure(
            f"unknown code {code!r}"
            + (f"; did you mean {hint}?" if hint else "; `erplan rules` lists them")
        )
    text = dumps(info.to_dict()) if fmt is common.Format.JSON else explain(info)
    common.emit(text, fmt)
