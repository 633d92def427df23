"""`erplan failures`: every single failure (or pair, or the ones named), who is affected, what
breaks, who fails over; ranked, single points of failure marked."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from erplan.cli import common
from erplan.cli.tables import emit_tables
from erplan.names import closest as suggest
from erplan.plan_tables import failure_tables

if TYPE_CHECKING:  # the analyses load when the command runs: the command line starts fast
    from erplan.analyses.failure_atoms import Atom
    from erplan.model import Design

# The failure kinds (erplan.analyses.failure_atoms.KINDS; a test checks they agree).
KIND_HELP = "circuit, link, location, breakout, resolver, wan, device"


def _pick(design: Design, wanted: list[str]) -> tuple[Atom, ...]:
    from erplan.analyses.failure_atoms import atoms

    every = atoms(design)
    chosen: list[Atom] = []
    for w in wanted:
        got = [a for a in every if a.key == w] or [
            a for a in every if a.name.lower() == w.lower() or a.name.split("#")[0] == w
        ]
        if not got:
            hint = suggest(w, [a.key for a in every] + [a.name for a in every])
            common.usage_failure(
                f"no failure {w!r} in the design" + (f"; did you mean {hint!r}?" if hint else "")
            )
        # A name shared by a location and its circuit: the widest failure is meant.
        got.sort(
            key=lambda a: (
                ("location", "circuit", "breakout").index(a.kind)
                if a.kind in ("location", "circuit", "breakout")
                else 9
            )
        )
        chosen.append(got[0])
    return tuple(chosen)


@contextmanager
def _progress(total: int, enabled: bool) -> Iterator[Callable[[int], None] | None]:
    if not enabled or total < 2 or not sys.stderr.isatty():
        yield None
        return
    from rich.progress import Progress

    with Progress(console=common.stderr(), transient=True) as bar:
        task = bar.add_task("failures", total=total)
        yield lambda n: bar.advance(task, n)


@common.app.command("failures")
def failures_command(
    design: str = common.design_argument(),
    fmt: common.Format = common.format_option(
        common.TABLE_FORMATS, " (csv: the ranking alone; json: every detail)"
    ),
    output: Path | None = common.output_option("tables"),
    failure: list[str] = typer.Option(
        [],
        "--failure",
        help="Study this failure only, e.g. Amsterdam, circuit:us-er, wan:a|b#0 "
        "(repeat: together).",
    ),
    depth: int = typer.Option(1, "--depth", min=1, max=2, help="1: single failures; 2: pairs."),
    kinds: str | None = typer.Option(
        None, "--kinds", help=f"Only these kinds, comma-separated ({KIND_HELP})."
    ),
    jobs: int = typer.Option(1, "--jobs", "-j", min=1, help="Local worker processes."),
    scheduler: str | None = typer.Option(
        None, "--scheduler", help="A Dask scheduler address (needs erplan[dask])."
    ),
    top: int = typer.Option(10, "--top", min=0, help="Failures shown in detail (text)."),
    endpoints: Path | None = common.endpoints_option(),
) -> None:
    """Every single failure of the design: users who lose ExpressRoute, flows that
    break, who fails over and at what latency; ranked by users affected (exit 1 on a
    single point of failure)."""
    from erplan.analyses.failure_atoms import KINDS
    from erplan.analyses.failures import Baseline
    from erplan.analyses.impact import GUIDE_SPOF
    from erplan.analyses.sweep import cases, rank, run

    common.check_format(fmt, common.TABLE_FORMATS, "failures")
    common.check_output_or_exit(output, [design, endpoints])
    chosen_kinds: tuple[str, ...] = KINDS
    if kinds is not None:
        chosen_kinds = tuple(k.strip() for k in kinds.split(",") if k.strip())
        bad = [k for k in chosen_kinds if k not in KINDS]
        if bad:
            common.usage_failure(
                f"unknown failure kind(s) {', '.join(bad)} (known: {', '.join(KINDS)})"
            )
    if failure and (depth != 1 or kinds is not None):
        common.usage_failure("--failure names the failure: without --depth or --kinds")
    loaded, catalogs = common.load_inputs(design, endpoints)
    d = loaded.design
    todo = [_pick(d, failure)] if failure else cases(d, depth, chosen_kinds)
    base = Baseline.build(d, catalogs)
    with _progress(len(todo), fmt is common.Format.TEXT) as tick:
        try:
            results = rank(
                run(base, todo, jobs=jobs, scheduler=scheduler, endpoints=endpoints, progress=tick)
            )
        except (OSError, RuntimeError) as err:
            common.usage_failure(f"cannot run on {scheduler or 'local processes'}: {err}")
    spofs = [r for r in results if r.spof]
    data = {
        "failures": len(results),
        "depth": depth,
        "single_points_of_failure": [r.key for r in spofs],
        "guide": GUIDE_SPOF,
        "results": [
            r.to_dict(detail=bool(failure) or i < max(top, 0) or fmt is common.Format.JSON)
            for i, r in enumerate(results)
        ],
    }
    tables = failure_tables(results, top if not failure else len(results))
    # CSV is for spreadsheets: the ranking alone (the details are in the JSON).
    shown = tables[:1] if fmt is common.Format.CSV else tables
    emit_tables(fmt, data, shown, output, [design, endpoints])
    raise common.Exit(common.EXIT_FINDINGS if spofs else common.EXIT_OK)
