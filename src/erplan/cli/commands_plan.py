"""`erplan meetme` (the meet-me table and the optimizer) and `erplan bandwidth` (circuit load,
headroom, NAT pools)."""

from __future__ import annotations

import sys
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from erplan.catalogs import suggest
from erplan.cli import common
from erplan.cli.commands_verify import _ENDPOINTS_HELP, _load
from erplan.cli.tables import Table, render_table
from erplan.output import dumps

if TYPE_CHECKING:
    from erplan.analyses.meetme import MeetMe
    from erplan.analyses.optimize import Problem, Solution


class TableFormat(StrEnum):
    TEXT = "text"
    JSON = "json"
    CSV = "csv"
    MARKDOWN = "markdown"


def _ms(x: float | None, estimated: bool = False) -> str:
    if x is None:
        return "-"
    return f"{x:.1f}{'~' if estimated else ''}"


@common.app.command("meetme")
def meetme_command(
    design: Path = typer.Argument(..., help="The design file (YAML)."),
    fmt: TableFormat = typer.Option(
        TableFormat.TEXT, "--format", "-f", help="text, json, csv or markdown."
    ),
    optimize: bool = typer.Option(
        False, "--optimize", help="Choose peering locations for a budget of circuits (exact)."
    ),
    circuits: int = typer.Option(
        0, "--circuits", "-k", min=0, help="With --optimize: at most this many circuits."
    ),
    candidates: str | None = typer.Option(
        None,
        "--candidates",
        help="With --optimize: peering locations to consider besides the design's, "
        "comma-separated, or 'all' (every known location).",
    ),
    circuit_cost: float = typer.Option(
        0.0,
        "--circuit-cost",
        min=0.0,
        help="With --optimize: what one circuit costs, in ms of user-weighted latency "
        "(a circuit is bought only if it buys more).",
    ),
    tolerance: float = typer.Option(
        1.0,
        "--tolerance",
        min=0.0,
        help="Within this many ms of the best, the egress the design uses stays recommended.",
    ),
    endpoints: Path | None = typer.Option(None, "--endpoints", help=_ENDPOINTS_HELP),
) -> None:
    """Per site: users, latency over the internet and over each circuit, the recommended egress,
    and the user-weighted latency of that plan (guide 001 meet-me table); --optimize picks the
    peering locations."""
    from erplan.analyses.meetme import meetme
    from erplan.analyses.verdicts import rows
    from erplan.engine import Engine

    if optimize and circuits < 1:
        common.usage_failure("--optimize needs --circuits K (K >= 1)")
    if not optimize and (candidates is not None or circuit_cost or circuits):
        common.usage_failure("--circuits, --candidates and --circuit-cost go with --optimize")
    loaded, catalogs = _load(design, endpoints)
    engine = Engine(loaded.design, catalogs)
    table = meetme(engine, rows(engine), tolerance)
    if not optimize:
        _emit(fmt, table.to_dict(), _meetme_table(table))
        raise common.Exit(common.EXIT_OK)
    from erplan.analyses.optimize import OptimizeError, build, sweep

    names: list[str] | None = None
    if candidates is not None:
        known = [p.name for p in catalogs.peering_locations]
        if candidates.strip().lower() == "all":
            names = known
        else:
            names = []
            for raw in candidates.split(","):
                name = raw.strip()
                loc = catalogs.peering_location(name)
                if loc is None:
                    hint = suggest(name, known)
                    common.usage_failure(
                        f"unknown peering location {name!r}"
                        + (f"; did you mean {hint!r}?" if hint else "")
                    )
                names.append(loc.name)
    try:
        problem = build(engine, table, names)
        plain = sweep(problem, circuits, circuit_cost=circuit_cost)
        ha = sweep(problem, circuits, circuit_cost=circuit_cost, redundant=True)
    except OptimizeError as err:
        common.usage_failure(str(err))
    data = {
        "meetme": table.to_dict(),
        "candidates": [f.location for f in problem.facilities],
        "circuit_cost_ms": circuit_cost,
        "optimum": [s.to_dict(problem) for s in plain],
        "redundant": [s.to_dict(problem) for s in ha],
    }
    _emit(
        fmt,
        data,
        [
            *_meetme_table(table),
            _sweep_table("optimum", plain, problem),
            _sweep_table("redundant (two locations per region)", ha, problem),
        ],
    )
    raise common.Exit(common.EXIT_OK)


def _emit(fmt: TableFormat, data: object, tables: list[Table]) -> None:
    if fmt is TableFormat.JSON:
        sys.stdout.write(dumps(data))
        return
    sys.stdout.write("\n".join(render_table(t, fmt.value) for t in tables))


def _meetme_table(table: MeetMe) -> list[Table]:
    circuits = list(table.circuits)
    head = ["site", "users", "internet ms", *[f"via {c} ms" for c in circuits]]
    head += ["as written", "recommended", "hairpin"]
    body: list[list[str]] = []
    for r in table.sites:
        row = [
            r.site,
            f"{r.users:,}",
            _ms(
                None if r.internet is None else r.internet.ms,
                r.internet is not None and r.internet.estimated,
            ),
        ]
        for c in circuits:
            m = r.via.get(c)
            row.append(_ms(None if m is None else m.ms, m is not None and m.estimated))
        written = ", ".join(e.split(":", 1)[1] for e in r.as_written_egress) or "-"
        row.append(f"{written} ({_ms(None if r.as_written is None else r.as_written.ms)})")
        row.append(f"{r.recommended} ({_ms(r.recommended_ms)})")
        hp = ", ".join(r.hairpins)
        row.append(f"{hp} ({'in use' if r.hairpin_in_use else 'avoided'})" if hp else "")
        body.append(row)
    notes = [
        "user-weighted latency to Microsoft's network: "
        f"plan {_ms(table.plan_ms)} ms, all internet {_ms(table.internet_ms)} ms, "
        f"as written {_ms(table.as_written_ms)} ms ({table.users:,} users)",
        "~ estimated figure; hairpin: the nearest circuit is reached over the WAN and is "
        "slower than the local internet (guide 001: 'use selective Internet breakout egress "
        "points to avoid the hairpin')",
        *table.notes,
    ]
    return [Table("meet-me", head, body, notes)]


def _sweep_table(title: str, sols: list[Solution], problem: Problem) -> Table:
    head = ["K", "peering locations", "users on ER", "user-weighted ms", "gain ms", "seconds"]
    body: list[list[str]] = []
    prev: float | None = None
    for s in sols:
        on_er = sum(u for a, u in zip(s.assignment, problem.users, strict=True) if a is not None)
        locs = ", ".join(problem.facilities[p].location for p in s.open) or "(internet only)"
        gain = "" if prev is None else f"{prev - s.weighted_ms:.2f}"
        body.append(
            [str(s.k), locs, f"{on_er:,}", f"{s.weighted_ms:.2f}", gain, f"{s.seconds:.2f}"]
        )
        prev = s.weighted_ms
    return Table(title, head, body, [])


@common.app.command("bandwidth")
def bandwidth_command(
    design: Path = typer.Argument(..., help="The design file (YAML)."),
    fmt: TableFormat = typer.Option(
        TableFormat.TEXT, "--format", "-f", help="text, json, csv or markdown."
    ),
    failures: str = typer.Option(
        "circuit,location",
        "--failures",
        help="Failure kinds whose moves count for the load after failure "
        "(comma-separated kinds of `erplan failures`, 'all' or 'none').",
    ),
    jobs: int = typer.Option(1, "--jobs", "-j", min=1, help="Local worker processes."),
    endpoints: Path | None = typer.Option(None, "--endpoints", help=_ENDPOINTS_HELP),
) -> None:
    """Per circuit: load from users x workload profile, headroom against the 20-50 % target,
    load after the worst failure that moves people onto it; NAT pools against users per
    address (exit 1 on congestion risk or a pool too small)."""
    from erplan.analyses.bandwidth import GUIDE_HEADROOM, GUIDE_NAT, bandwidth
    from erplan.analyses.failures import KINDS, Baseline
    from erplan.analyses.sweep import cases, run

    wanted = failures.strip().lower()
    kinds: tuple[str, ...] = ()
    if wanted == "all":
        kinds = KINDS
    elif wanted != "none":
        kinds = tuple(k.strip() for k in wanted.split(",") if k.strip())
        bad = [k for k in kinds if k not in KINDS]
        if bad:
            common.usage_failure(
                f"unknown failure kind(s) {', '.join(bad)} (known: {', '.join(KINDS)})"
            )
    loaded, catalogs = _load(design, endpoints)
    base = Baseline.build(loaded.design, catalogs)
    impacts = run(base, cases(loaded.design, 1, kinds), jobs=jobs) if kinds else []
    report = bandwidth(base, impacts)
    low, high = report.headroom_target
    head = [
        "circuit",
        "Mbps",
        "load Mbps",
        "headroom",
        "status",
        "worst failure",
        "load after",
        "headroom after",
        "advice Mbps",
    ]
    body = [
        [
            c.circuit,
            str(c.bandwidth_mbps),
            f"{c.load_mbps:.1f}",
            f"{c.headroom:.0%}",
            c.status,
            c.worst_failure or "-",
            "-" if c.load_after_mbps is None else f"{c.load_after_mbps:.1f}",
            "-" if c.headroom_after is None else f"{c.headroom_after:.0%}",
            "-" if c.advice_mbps is None else str(c.advice_mbps),
        ]
        for c in report.circuits
    ]
    notes = [
        f"target headroom {low:.0%} to {high:.0%} ({GUIDE_HEADROOM}); "
        f"{report.failures} failure(s) studied"
    ]
    pools = [
        [
            p.owner,
            ", ".join(p.pools),
            f"{p.addresses:,}",
            f"{p.users:,}",
            f"{p.needed:,}",
            "ok" if p.ok else "too small",
        ]
        for p in report.pools
    ]
    tables = [
        Table("circuit load and headroom", head, body, notes),
        Table(
            "outbound NAT pools",
            ["egress", "pools", "addresses", "users", "addresses needed", "status"],
            pools,
            [f"{report.users_per_address:,} users per public address ({GUIDE_NAT})"],
        ),
    ]
    _emit(fmt, report.to_dict(), tables)
    raise common.Exit(common.EXIT_FINDINGS if report.problems else common.EXIT_OK)
