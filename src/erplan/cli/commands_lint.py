"""`erplan lint` (check a design against the rule catalog), `erplan rules`, `erplan explain`."""

from __future__ import annotations

import json
import sys
from enum import StrEnum
from pathlib import Path

import typer

from erplan.analyses.rules import all_rules, did_you_mean, find_rule, lint
from erplan.analyses.rules.reference import explain as explain_text
from erplan.analyses.rules.reference import markdown
from erplan.analyses.rules.reference import text as rules_text
from erplan.catalogs import load_catalogs
from erplan.cli import common
from erplan.diagnostics import InputError
from erplan.load import load_design
from erplan.output import dumps, has_errors, render_text, to_json, to_sarif, write_atomic


class RulesFormat(StrEnum):
    TEXT = "text"
    JSON = "json"
    MARKDOWN = "markdown"


def _emit(text: str, output: Path | None) -> None:
    """Print, or write atomically to ``output`` (an unwritable path is bad input: exit 2)."""
    if output is None:
        sys.stdout.write(text)
        return
    try:
        write_atomic(output, text)
    except OSError as exc:
        common.usage_failure(f"cannot write {output}: {exc.strerror or exc}")


@common.app.command("lint")
def lint_command(
    design: Path = typer.Argument(..., help="The design file (YAML)."),
    fmt: common.Format = typer.Option(
        common.Format.TEXT, "--format", "-f", help="text, json or sarif."
    ),
    output: Path | None = typer.Option(
        None, "--output", "-o", help="Write the report to this file (atomically)."
    ),
    endpoints: Path | None = typer.Option(
        None,
        "--endpoints",
        help="A fresh download of the endpoint web service to use instead of the shipped one.",
    ),
) -> None:
    """Check a design against the rule catalog (exit 1 on any unsilenced error finding)."""
    try:
        catalogs = load_catalogs(endpoints)
        loaded = load_design(design, catalogs)
    except InputError as err:
        common.input_failure(err)
    findings = lint(loaded, catalogs)
    if fmt is common.Format.JSON:
        text = dumps(to_json(findings))
    elif fmt is common.Format.SARIF:
        base = Path.cwd()
        text = dumps(to_sarif(findings, all_rules(), base=base, default_file=str(design)))
    else:
        text = render_text(findings)
    _emit(text, output)
    raise common.Exit(common.EXIT_FINDINGS if has_errors(findings) else common.EXIT_OK)


@common.app.command("rules")
def rules_command(
    fmt: RulesFormat = typer.Option(
        RulesFormat.TEXT, "--format", "-f", help="text, json or markdown (docs/rules.md)."
    ),
    output: Path | None = typer.Option(
        None, "--output", "-o", help="Write the listing to this file (atomically)."
    ),
) -> None:
    """List the rule catalog: code, severity, name and summary of every rule."""
    rules = all_rules()
    if fmt is RulesFormat.JSON:
        text = json.dumps([r.to_dict() for r in rules], indent=2, ensure_ascii=False) + "\n"
    elif fmt is RulesFormat.MARKDOWN:
        text = markdown(rules)
    else:
        text = rules_text(rules)
    _emit(text, output)


@common.app.command("explain")
def explain_command(
    code: str = typer.Argument(..., help="A rule code (ERP305) or name."),
) -> None:
    """Explain one rule: what it checks, why (guide section, Microsoft requirement), the fix."""
    rule = find_rule(code)
    if rule is None:
        hint = did_you_mean(code)
        common.usage_failure(
            f"unknown rule {code!r}"
            + (f"; did you mean {hint}?" if hint else "; `erplan rules` lists them")
        )
    sys.stdout.write(explain_text(rule))
