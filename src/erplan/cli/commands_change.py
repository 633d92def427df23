"""`erplan diff OLD NEW` (what a change does) and `erplan stages DESIGN --plan STAGES.yaml` (a
staged rollout, every step verified and compared with the one before)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import typer

from erplan.cli import common
from erplan.cli.tables import emit_tables
from erplan.tables import Table

if TYPE_CHECKING:  # imported by the commands: --help does not pay for the analyses
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
    old: str = typer.Argument(..., help="The design as it is (YAML); - reads standard input."),
    new: str = typer.Argument(
        ..., help="The design as it would be (YAML); - reads standard input."
    ),
    fmt: common.Format = common.format_option(common.TABLE_FORMATS),
    output: Path | None = common.output_option("comparison"),
    endpoints: Path | None = common.endpoints_option(),
) -> None:
    """Flows whose path, translated addresses, latency or verdict change between two
    designs, rules raised or cleared, people affected (exit 1 if the change breaks
    anything that worked)."""
    from erplan.analyses.diff import compare, snapshot
    from erplan.files import STDIN, display_name

    common.check_format(fmt, common.TABLE_FORMATS, "diff")
    if old == new == STDIN:
        common.usage_failure("diff: standard input can be OLD or NEW, not both")
    inputs = [old, new, endpoints]
    common.check_output_or_exit(output, inputs)
    a, catalogs = common.load_inputs(old, endpoints)
    b = common.load_design_or_exit(new, catalogs)
    d = compare(snapshot(a, catalogs), snapshot(b, catalogs))
    title = f"{display_name(old)} -> {display_name(new)}"
    emit_tables(fmt, d.to_dict(), _diff_tables(title, d), output, inputs)
    raise common.Exit(common.EXIT_FINDINGS if d.breaks else common.EXIT_OK)


@common.app.command("stages")
def stages_command(
    design: str = typer.Argument(
        ..., help="The design file (YAML): the rollout's target; - reads standard input."
    ),
    plan: Path = typer.Option(..., "--plan", help="The rollout plan (YAML): its steps."),
    fmt: common.Format = common.format_option(common.TABLE_FORMATS),
    output: Path | None = common.output_option("steps"),
    endpoints: Path | None = common.endpoints_option(),
) -> None:
    """Verify every step of a staged rollout and compare each with the one before
    (exit 1 if a step has an error or breaks what worked at the step before)."""
    from erplan.analyses.stages import run
    from erplan.diagnostics import InputError

    common.check_format(fmt, common.TABLE_FORMATS, "stages")
    inputs: list[Path | str | None] = [design, plan, endpoints]
    common.check_output_or_exit(output, inputs)
    catalogs = common.load_catalogs_or_exit(endpoints)
    try:  # the design's own problems first, then the plan's
        results = run(design, plan, catalogs)
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
    emit_tables(fmt, data, tables, output, inputs)
    raise common.Exit(common.EXIT_OK if all(r.ok for r in results) else common.EXIT_FINDINGS)
