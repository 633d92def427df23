"""`erplan failures`: every single failure (or pair, or the ones named), who is affected, what
breaks, who fails over; ranked, single points of failure marked."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from erplan.catalogs import suggest
from erplan.cli import common
from erplan.cli.commands_plan import TableFormat, _emit
from erplan.cli.commands_verify import _ENDPOINTS_HELP, _load
from erplan.cli.tables import Table
from erplan.model import Design

if TYPE_CHECKING:  # the analyses load when the command runs: the command line starts fast
    from erplan.analyses.failures import Atom
    from erplan.analyses.impact import Impact

# The failure kinds (erplan.analyses.failures.KINDS; a test checks they agree).
KIND_HELP = "circuit, link, location, breakout, resolver, wan, device"


def _pick(design: Design, wanted: list[str]) -> tuple[Atom, ...]:
    from erplan.analyses.failures import atoms

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
    design: Path = typer.Argument(..., help="The design file (YAML)."),
    fmt: TableFormat = typer.Option(
        TableFormat.TEXT, "--format", "-f", help="text, json, csv or markdown."
    ),
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
    endpoints: Path | None = typer.Option(None, "--endpoints", help=_ENDPOINTS_HELP),
) -> None:
    """Every single failure of the design: users who lose ExpressRoute, flows that break, who
    fails over and at what latency; ranked by users affected (exit 1 on a single point of
    failure)."""
    from erplan.analyses.failures import KINDS, Baseline
    from erplan.analyses.impact import GUIDE_SPOF
    from erplan.analyses.sweep import cases, rank, run

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
    loaded, catalogs = _load(design, endpoints)
    d = loaded.design
    todo = [_pick(d, failure)] if failure else cases(d, depth, chosen_kinds)
    base = Baseline.build(d, catalogs)
    with _progress(len(todo), fmt is TableFormat.TEXT) as tick:
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
            r.to_dict(detail=bool(failure) or i < max(top, 0) or fmt is TableFormat.JSON)
            for i, r in enumerate(results)
        ],
    }
    tables = _tables(results, top if not failure else len(results))
    # CSV is for spreadsheets: the ranking alone (the details are in the JSON).
    _emit(fmt, data, tables[:1] if fmt is TableFormat.CSV else tables)
    raise common.Exit(common.EXIT_FINDINGS if spofs else common.EXIT_OK)


def _tables(results: list[Impact], top: int) -> list[Table]:
    from erplan.analyses.impact import GUIDE_MANUAL, GUIDE_SPOF

    head = [
        "failure",
        "users affected",
        "lose ER",
        "to internet (manual)",
        "broken",
        "failed over",
        "flows broken",
        "SPOF",
    ]
    body = [
        [
            r.key,
            f"{r.users_affected:,}",
            f"{r.users_lose_er:,}",
            f"{r.users_to_internet:,}",
            f"{r.users_broken:,}",
            f"{r.users_moved:,}",
            str(
                sum(
                    c.flows
                    for c in r.changes
                    if c.worse and c.after in ("dropped", "blackhole", "unreachable")
                )
            ),
            "yes" if r.spof else "",
        ]
        for r in results
    ]
    n = sum(1 for r in results if r.spof)
    notes = [f"{len(results)} failure(s), {n} single point(s) of failure ({GUIDE_SPOF})"]
    out = [Table("failures, most users affected first", head, body, notes)]
    for r in results[:top]:
        if not (r.sites or r.changes):
            continue
        rows = [
            [
                s.site,
                f"{s.users:,}",
                f"{s.lose_er:,}",
                f"{s.to_internet:,}",
                f"{s.broken:,}",
                f"{s.moved:,}",
                f"{', '.join(s.before) or '-'} -> {', '.join(s.after) or '-'}",
                _ms(s.ms_before, s.ms_after),
            ]
            for s in r.sites
        ]
        notes = [
            f"{c.before} -> {c.after}: {c.flows} flow(s) of {c.origin} ({c.direction})"
            + (f", {c.share:.0%} of connections" if c.after != "ok" else "")
            + (f"; cause {c.cause}" if c.cause else "")
            for c in r.changes[:8]
        ]
        if len(r.changes) > 8:
            notes.append(f"... and {len(r.changes) - 8} more kinds of change")
        if r.manual_steps:
            notes.append(f"manual failover to the internet ({GUIDE_MANUAL}):")
            notes.extend(f"  {i}. {s}" for i, s in enumerate(r.manual_steps, 1))
        out.append(
            Table(
                f"{r.key}: {r.label}",
                [
                    "site",
                    "users",
                    "lose ER",
                    "to internet",
                    "broken",
                    "failed over",
                    "circuits",
                    "ms to Microsoft",
                ],
                rows,
                notes,
            )
        )
    return out


def _ms(a: float | None, b: float | None) -> str:
    return f"{_one_ms(a)} -> {_one_ms(b)}"


def _one_ms(x: float | None) -> str:
    return "-" if x is None else f"{x:.1f}"
