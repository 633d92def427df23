"""`erplan diff OLD NEW` (what a change does) and `erplan stages DESIGN --plan STAGES.yaml` (a
staged rollout, every step verified and compared with the one before)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from erplan.catalogs import load_catalogs
from erplan.cli import common
from erplan.cli.commands_plan import TableFormat, _emit
from erplan.cli.commands_verify import _ENDPOINTS_HELP, _load
from erplan.cli.tables import Table
from erplan.diagnostics import InputError

if TYPE_CHECKING:
    from erplan.analyses.diff import Diff


def _diff_tables(title: str, d: Diff) -> list[Table]:
    head = ["flow", "origin", "changed", "before", "after", "breaks"]
    body = []
    for c in d.flows:
        b = (
            "-"
            if c.before is None
            else _state(c.before.verdict, c.before.edges, c.before.translated)
        )
        a = "-" if c.after is None else _state(c.after.verdict, c.after.edges, c.after.translated)
        body.append([c.key, c.origin, ", ".join(c.what), b, a, "yes" if c.breaks else ""])
    notes = [
        f"{len(d.flows)} flow(s) changed, {sum(1 for c in d.flows if c.breaks)} broken; "
        f"{d.users_affected:,} people at the sites affected, {d.users_broken:,} with flows that "
        "now fail"
    ]
    notes += [f"rule raised: {f.code} {f.severity.value} {f.message}" for f in d.raised]
    notes += [f"rule cleared: {f.code} {f.message}" for f in d.cleared]
    return [Table(title, head, body, notes)]


def _state(verdict: str, edges: tuple[tuple[str, float], ...], translated: tuple[str, ...]) -> str:
    via = "+".join(e for e, _ in edges) or "-"
    src = ",".join(translated[:2]) + ("..." if len(translated) > 2 else "")
    return f"{verdict} via {via} as {src or '-'}"


@common.app.command("diff")
def diff_command(
    old: Path = typer.Argument(..., help="The design as it is (YAML)."),
    new: Path = typer.Argument(..., help="The design as it would be (YAML)."),
    fmt: TableFormat = typer.Option(
        TableFormat.TEXT, "--format", "-f", help="text, json, csv or markdown."
    ),
    endpoints: Path | None = typer.Option(None, "--endpoints", help=_ENDPOINTS_HELP),
) -> None:
    """Flows whose path, translated addresses, latency or verdict change between two designs,
    rules raised or cleared, people affected (exit 1 if the change breaks anything that
    worked)."""
    from erplan.analyses.diff import compare, snapshot

    a, catalogs = _load(old, endpoints)
    b, _ = _load(new, endpoints)
    d = compare(snapshot(a, catalogs), snapshot(b, catalogs))
    _emit(fmt, d.to_dict(), _diff_tables(f"{old} -> {new}", d))
    raise common.Exit(common.EXIT_FINDINGS if d.breaks else common.EXIT_OK)


@common.app.command("stages")
def stages_command(
    design: Path = typer.Argument(..., help="The design file (YAML): the rollout's target."),
    plan: Path = typer.Option(..., "--plan", help="The rollout plan (YAML): its steps."),
    fmt: TableFormat = typer.Option(
        TableFormat.TEXT, "--format", "-f", help="text, json, csv or markdown."
    ),
    endpoints: Path | None = typer.Option(None, "--endpoints", help=_ENDPOINTS_HELP),
) -> None:
    """Verify every step of a staged rollout and compare each with the one before (exit 1 if a
    step has an error or breaks what worked at the step before)."""
    from erplan.analyses.stages import run

    _load(design, endpoints)  # the design itself must be valid: its own problems first
    try:
        results = run(design, plan, load_catalogs(endpoints))
    except InputError as err:
        common.input_failure(err)
    head = ["step", "name", "flows", "errors", "flows changed", "broken", "people affected", "ok"]
    body = []
    for i, r in enumerate(results, 1):
        s = r.snap.report.summary
        d = r.diff
        body.append(
            [
                str(i),
                r.name,
                str(s["flows"]),
                str(r.errors),
                "-" if d is None else str(len(d.flows)),
                "-" if d is None else str(sum(1 for c in d.flows if c.breaks)),
                "-" if d is None else f"{d.users_affected:,}",
                "yes" if r.ok else "NO",
            ]
        )
    tables = [
        Table(
            "rollout steps",
            head,
            body,
            [
                "each step is verified and compared with the step before (guide 001 'Build your "
                "deployment procedures')"
            ],
        )
    ]
    for i, r in enumerate(results, 1):
        if r.diff is not None and r.diff.flows:
            tables += _diff_tables(f"step {i} ({r.name}): what changes", r.diff)
    data = {"stages": [r.to_dict() for r in results]}
    _emit(fmt, data, tables)
    if fmt is not TableFormat.JSON:
        sys.stdout.flush()
    raise common.Exit(common.EXIT_OK if all(r.ok for r in results) else common.EXIT_FINDINGS)
