"""`erplan meetme` (the meet-me table and the optimizer) and `erplan bandwidth` (circuit load,
headroom, NAT pools)."""

from __future__ import annotations

from pathlib import Path

import typer

from erplan.cli import common
from erplan.cli.tables import emit_tables
from erplan.names import closest as suggest
from erplan.plan_tables import bandwidth_tables, meetme_tables, sweep_table


@common.app.command("meetme")
def meetme_command(
    design: str = common.design_argument(),
    fmt: common.Format = common.format_option(common.TABLE_FORMATS),
    output: Path | None = common.output_option("tables"),
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
    endpoints: Path | None = common.endpoints_option(),
) -> None:
    """Per site: users, latency over the internet and over each circuit, the egress
    to use, and the user-weighted latency of that plan (guide 001's meet-me table);
    --optimize chooses the peering locations."""
    from erplan.analyses.meetme import meetme
    from erplan.analyses.verdicts import rows
    from erplan.engine import Engine

    common.check_format(fmt, common.TABLE_FORMATS, "meetme")
    common.check_output_or_exit(output, [design, endpoints])
    if optimize and circuits < 1:
        common.usage_failure("--optimize needs --circuits K (K >= 1)")
    if not optimize and (candidates is not None or circuit_cost or circuits):
        common.usage_failure("--circuits, --candidates and --circuit-cost go with --optimize")
    loaded, catalogs = common.load_inputs(design, endpoints)
    engine = Engine(loaded.design, catalogs)
    table = meetme(engine, rows(engine), tolerance)
    inputs = [design, endpoints]
    if not optimize:
        emit_tables(fmt, table.to_dict(), meetme_tables(table), output, inputs)
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
        "unserved": list(problem.unserved),
        "circuit_cost_ms": circuit_cost,
        "optimum": [s.to_dict(problem) for s in plain],
        "redundant": [s.to_dict(problem) for s in ha],
    }
    tables = [
        *meetme_tables(table),
        sweep_table("optimum", plain, problem),
        sweep_table("redundant (two locations per region)", ha, problem, circuits),
    ]
    emit_tables(fmt, data, tables, output, inputs)
    raise common.Exit(common.EXIT_OK)


@common.app.command("bandwidth")
def bandwidth_command(
    design: str = common.design_argument(),
    fmt: common.Format = common.format_option(common.TABLE_FORMATS),
    output: Path | None = common.output_option("tables"),
    failures: str | None = typer.Option(
        None,
        "--failures",
        help="Failure kinds whose moves count for the load after failure "
        "(comma-separated kinds of `erplan failures`, 'all' or 'none'; default: circuit and "
        "location).",
    ),
    jobs: int = typer.Option(1, "--jobs", "-j", min=1, help="Local worker processes."),
    endpoints: Path | None = common.endpoints_option(),
) -> None:
    """Per circuit: load from users x workload profile, headroom against the 20-50 %
    target, load after the worst failure that moves people onto it; NAT pools against
    users per address (exit 1 on congestion risk or a pool too small)."""
    from erplan.analyses.bandwidth import FAILURE_KINDS, bandwidth
    from erplan.analyses.failure_atoms import KINDS
    from erplan.analyses.failures import Baseline
    from erplan.analyses.sweep import cases, run

    common.check_format(fmt, common.TABLE_FORMATS, "bandwidth")
    common.check_output_or_exit(output, [design, endpoints])
    wanted = ",".join(FAILURE_KINDS) if failures is None else failures.strip().lower()
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
    loaded, catalogs = common.load_inputs(design, endpoints)
    base = Baseline.build(loaded.design, catalogs)
    impacts = run(base, cases(loaded.design, 1, kinds), jobs=jobs) if kinds else []
    report = bandwidth(base, impacts)
    tables = bandwidth_tables(report)
    emit_tables(fmt, report.to_dict(), tables, output, [design, endpoints])
    raise common.Exit(common.EXIT_FINDINGS if report.problems else common.EXIT_OK)
