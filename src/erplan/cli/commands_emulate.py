"""`erplan emulate`: build a design for real (namespaces, FRR, nftables), compare with the model."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import typer
from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table

from erplan.cli import common

SYSDEPS_HINT = "run `make sysdeps` (or `apt-get install frr nftables conntrack`)"


@common.app.command("emulate")
def emulate_command(
    design: Path | None = typer.Argument(None, help="The design file to build for real."),
    keep: bool = typer.Option(False, "--keep", help="Leave the network running afterwards."),
    connections: int = typer.Option(
        32, "--connections", min=1, max=1000, help="TCP connections opened per flow."
    ),
    every_flow: bool = typer.Option(
        False,
        "--every-flow",
        help="Probe each flow separately (default: flows identical in the emulated network "
        "share one probe).",
    ),
    cleanup: bool = typer.Option(
        False, "--cleanup", help="Remove namespaces and daemons left by earlier runs, then exit."
    ),
    output_format: common.Format = common.format_option(common.DATA_FORMATS),
) -> None:
    """Build DESIGN in network namespaces with FRR and nftables, open real TCP connections for
    every flow, and show the outcome beside the model's verdict (exit 1 on disagreement)."""
    from erplan import emulate as emu

    if os.geteuid() != 0:
        common.usage_failure("emulate needs root (network namespaces, nftables, FRR)")
    missing = emu.missing_tools()
    if missing:
        common.usage_failure(f"emulate needs {', '.join(missing)}: {SYSDEPS_HINT}")
    if cleanup:
        removed = emu.cleanup_leftovers()
        common.stdout().print(
            f"removed {len(removed)} namespace(s)" + (": " + ", ".join(removed) if removed else "")
        )
        return
    if design is None:
        common.usage_failure("emulate: a design file is required (or --cleanup)")
    common.check_format(output_format, common.DATA_FORMATS, "emulate")

    from erplan.analyses.verdicts import verify
    from erplan.emulate.flowspec import flow_specs
    from erplan.emulate.run import emulate

    loaded, catalogs = common.load_inputs(design, None)
    t0 = time.monotonic()
    report_model = verify(loaded, catalogs)
    model_s = time.monotonic() - t0
    specs = flow_specs(loaded.design, catalogs, report_model.results)

    err = common.stderr()
    with Progress(
        SpinnerColumn(),
        TextColumn("{task.description}"),
        TimeElapsedColumn(),
        console=err,
        transient=True,
        disable=not err.is_terminal,
    ) as progress:
        task = progress.add_task("translating the design", total=None)

        def say(message: str) -> None:
            progress.update(task, description=message)

        try:
            result = emulate(
                loaded.design,
                specs,
                connections=connections,
                every_flow=every_flow,
                keep=keep,
                progress=say,
                model_s=model_s,
            )
        except emu.EmulationError as exc:
            err.print(f"erplan: emulation failed: {exc}")
            raise common.Exit(common.EXIT_INPUT) from exc

    if output_format is common.Format.JSON:
        common.stdout().print_json(json.dumps(result.to_dict()))
    else:
        _render_text(result)
    raise common.Exit(common.EXIT_FINDINGS if result.disagreements else common.EXIT_OK)


def _render_text(result: object) -> None:
    from erplan.emulate.run import EmulationReport

    assert isinstance(result, EmulationReport)
    out = common.stdout()
    table = Table(title=f"Emulation of {result.name}", show_lines=False)
    for col in ("flow", "model", "model path", "succeeded", "edges seen (out / back)", "agree"):
        table.add_column(col)
    for o in result.outcomes:
        agree = {True: "[green]yes[/]", False: "[red]NO[/]", None: "-"}[o.agrees]
        shared = "" if o.probe == o.spec.id else " *"
        table.add_row(
            o.spec.id.split(":", 1)[1],
            o.spec.expected or "?",
            o.spec.model_path,
            f"{o.ok}/{o.total}{shared}",
            f"{', '.join(o.forward) or '-'} / {', '.join(o.back) or '-'}",
            agree,
        )
    out.print(table)
    t = result.timings
    out.print(
        f"{len(result.outcomes)} flows, {result.probes} probes (* shares the probe of an "
        f"identical flow); {len(result.disagreements)} disagreement(s) with the model."
    )
    out.print(
        f"model {result.model_s:.2f} s; build {t.build_s:.2f} s, converge {t.converge_s:.2f} s, "
        f"test {t.test_s:.2f} s, teardown {t.teardown_s:.2f} s"
    )
    for note in result.notes:
        out.print(f"note: {note}")
    if result.kept:
        out.print("The network is still running. Reach each router with:")
        for label, ns in result.routers:
            out.print(f"  vtysh -N {ns}    # {label}")
        out.print("Remove it with: erplan emulate --cleanup")
