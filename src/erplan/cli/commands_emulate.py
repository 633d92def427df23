"""`erplan emulate`: build a design for real (namespaces, FRR, nftables), compare with the model.

The emulation decides nothing from the model: it builds the design, lets BGP, OSPF and the
kernel route, opens every flow's connections and reports what happened. The model's flows
(``erplan.analyses.verdicts.verify``, in the comparison format of docs/flow-semantics.md) are
then compared with it flow by flow (``erplan.analyses.agreement``).
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import typer

from erplan.cli import common

SYSDEPS_HINT = "run `make sysdeps` (or `apt-get install frr nftables conntrack`)"
NO_MODEL = (
    "the model's flows are not in the comparison format yet (key and branches, "
    "docs/flow-semantics.md): emulation only"
)


@common.app.command("emulate")
def emulate_command(
    design: Path | None = typer.Argument(None, help="The design file to build for real."),
    keep: bool = typer.Option(False, "--keep", help="Leave the network running afterwards."),
    connections: int = typer.Option(
        32,
        "--connections",
        min=1,
        max=200,
        help="Connections per flow (every piece of the origin's addresses gets at least two).",
    ),
    seed: int = typer.Option(1, "--seed", help="Seed for the choice of source addresses."),
    cleanup: bool = typer.Option(
        False,
        "--cleanup",
        help="Remove what dead runs left (never a live run, never a --keep run), then exit.",
    ),
    kept: bool = typer.Option(
        False, "--kept", help="With --cleanup: also remove networks left running by --keep."
    ),
    output_format: common.Format = common.format_option(common.DATA_FORMATS),
) -> None:
    """Build DESIGN in network namespaces with FRR and nftables, open real connections for
    every flow, and show what happened beside the model (exit 1 on disagreement)."""
    if os.geteuid() != 0:
        common.usage_failure("emulate needs root (network namespaces, nftables, FRR)")
    from erplan.emulate.host import EmulationError, cleanup_leftovers, missing_tools

    missing = missing_tools()
    if missing:
        common.usage_failure(f"emulate needs {', '.join(missing)}: {SYSDEPS_HINT}")
    if cleanup:
        removed = cleanup_leftovers(include_kept=kept)
        common.stdout().print(
            f"removed {len(removed)} run(s)" + (": " + ", ".join(removed) if removed else "")
        )
        return
    if design is None:
        common.usage_failure("emulate: a design file is required (or --cleanup)")
    common.check_format(output_format, common.DATA_FORMATS, "emulate")

    from erplan.emulate.network import PlanError
    from erplan.emulate.run import emulate

    loaded, catalogs = common.load_inputs(design, None)
    model_flows, model_note = model_of(loaded, catalogs)
    err = common.stderr()

    def say(message: str) -> None:
        if err.is_terminal:
            err.print(f"[dim]{message}[/]")

    try:
        result = emulate(
            loaded.design, catalogs, connections=connections, keep=keep, seed=seed, progress=say
        )
    except (EmulationError, PlanError, ValueError) as exc:
        common.usage_failure(f"emulation failed: {exc}")
    report = result.to_dict()
    agreement = None
    if model_flows is not None:
        from erplan.analyses.agreement import compare

        agreement = compare(model_flows, report["flows"]).to_dict()
    if output_format is common.Format.JSON:
        doc = {"emulation": report, "agreement": agreement, "model_note": model_note}
        common.stdout().print_json(json.dumps(doc))
    else:
        render_text(report, agreement, model_note)
    failed = bool(result.problems) or (agreement is not None and agreement["disagree"] > 0)
    raise common.Exit(common.EXIT_FINDINGS if failed else common.EXIT_OK)


def model_of(loaded: Any, catalogs: Any) -> tuple[list[dict[str, Any]] | None, str | None]:
    """The model's flows in the comparison format, or None and why not."""
    from erplan.analyses.agreement import comparable

    try:
        from erplan.analyses.verdicts import verify
    except ImportError:
        return None, NO_MODEL
    try:
        report = verify(loaded, catalogs)
        flows = report.to_dict().get("flows")
        # A report that groups flows may also list them one by one.
        per_flow = getattr(report, "per_flow", None)
        if not comparable(flows) and callable(per_flow):
            flows = per_flow()
    except Exception as exc:  # the oracle must still run when the model cannot
        return None, f"the model failed ({type(exc).__name__}: {exc}): emulation only"
    if not comparable(flows):
        return None, NO_MODEL
    return flows, None


def _edges(shares: dict[str, float]) -> str:
    return ", ".join(f"{k} {v:.2f}" for k, v in shares.items() if v > 0) or "-"


def render_text(
    report: dict[str, Any], agreement: dict[str, Any] | None, model_note: str | None
) -> None:
    from rich.table import Table  # here: every other command would pay for importing rich

    out = common.stdout()
    flows = {f["key"]: f for f in report["flows"]}
    table = Table(title=f"Emulation of {report['design']}", show_lines=False)
    if agreement is not None:
        for col in ("flow", "model", "emulation", "out / back (emulation)", "agree"):
            table.add_column(col)
        for fa in agreement["flows"]:
            m, e = fa["model"], fa["emulation"]
            emu = flows.get(fa["key"], {})
            table.add_row(
                fa["key"],
                "-" if m is None else f"{m['verdict']} ({m['share_affected']})",
                "-" if e is None else _emulated(emu),
                f"{_edges(emu.get('forward_edges', {}))} / {_edges(emu.get('return_edges', {}))}",
                "[green]yes[/]" if fa["agree"] else "[red]NO[/]",
            )
    else:
        for col in ("flow", "emulation", "out / back"):
            table.add_column(col)
        for f in report["flows"]:
            table.add_row(
                f["key"],
                _emulated(f),
                f"{_edges(f['forward_edges'])} / {_edges(f['return_edges'])}",
            )
    out.print(table)
    if model_note:
        out.print(f"note: {model_note}")
    problems = [f for f in report["flows"] if f["error"]]
    for f in problems:
        out.print(f"[red]not emulated[/] {f['key']}: {f['error']}")
    if agreement is not None:
        for fa in agreement["flows"]:
            if fa["agree"]:
                continue
            out.print(f"[red]disagreement[/] {fa['key']}")
            for c in fa["checks"]:
                if not c["agree"]:
                    out.print(
                        f"  {c['check']}: model {c['model']}, emulation {c['emulation']}"
                        + (f" ({c['detail']})" if c["detail"] else "")
                    )
            for line in fa["evidence"]:
                out.print(f"  evidence: {line}")
        out.print(
            f"{agreement['agree']} flows agree, {agreement['disagree']} disagree "
            f"(exact for shares of 0 and 1, else an exact binomial test at "
            f"alpha={agreement['tolerance']['alpha']}, slack={agreement['tolerance']['slack']}); "
            "latency not judged."
        )
    else:
        for f in report["flows"]:
            if f["verdict"] not in ("ok", "error") and f["evidence"]:
                out.print(f"{f['key']}: " + "; ".join(f["evidence"][:4]))
    t = report["timings_s"]
    out.print(
        f"{len(report['flows'])} flows, {report['connections']} connections; build {t['build']} s, "
        f"converge {t['converge']} s, probe {t['probe']} s, teardown {t['teardown']} s"
    )
    for note in report["notes"]:
        out.print(f"note: {note}")
    if report["kept"]:
        out.print("The network is still running. Reach each router with:")
        for r in report["routers"]:
            out.print(f"  vtysh -N {r['namespace']}    # {r['label']}")
        out.print("Remove it with: erplan emulate --cleanup --kept")


def _emulated(f: dict[str, Any]) -> str:
    if f.get("error"):
        return f"error: {f['error']}"
    return f"{f['verdict']} {f['completed']}/{f['attempted']} (failed {f['share_failed']:.2f})"
