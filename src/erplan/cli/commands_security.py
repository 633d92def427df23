"""`erplan security`: the placement options of guide 001's table for each circuit's model,
with the latency each adds and the users it affects, and the security findings."""

from __future__ import annotations

from pathlib import Path

from erplan.cli import common

_FORMATS = (common.Format.TEXT, common.Format.JSON, common.Format.MARKDOWN)


@common.app.command("security")
def security_command(
    design: str = common.design_argument(),
    fmt: common.Format = common.format_option(_FORMATS),
    output: Path | None = common.output_option(),
    endpoints: Path | None = common.endpoints_option(),
) -> None:
    """Compare the security placement options of each circuit's model: latency added and users
    affected, side by side (exit 1 on a security error finding)."""
    from erplan import security_text
    from erplan.analyses.placement import Measured, Placement
    from erplan.analyses.rules.registry import Context, Traces, all_rules, run
    from erplan.analyses.rules.security import judged_rows
    from erplan.output import dumps, has_errors

    common.check_format(fmt, _FORMATS, "security")
    common.check_output_or_exit(output, [design, endpoints])
    loaded, catalogs = common.load_inputs(design, endpoints)
    # The rows are read as they are judged, by placement and by the path rules: none is kept.
    measured = Measured(loaded.design)
    engine, paths = judged_rows(loaded.design, catalogs, measured.add)
    costs = Placement(engine, measured).all()
    unstated = [n for n, c in loaded.design.circuits.items() if c.connectivity is None]
    # The security rules alone: the others have nothing to say about placement.
    security_rules = [r for r in all_rules() if r.code.startswith("ERP73")]
    context = Context(loaded.design, loaded.source, catalogs, Traces(paths=paths))
    findings = run(context, security_rules)
    if fmt is common.Format.JSON:
        text = dumps(security_text.document(costs, findings, unstated))
    elif fmt is common.Format.MARKDOWN:
        text = security_text.markdown(costs, findings, unstated)
    else:
        text = security_text.text(costs, findings, unstated)
    common.emit(text, fmt, output, [design, endpoints])
    raise common.Exit(common.EXIT_FINDINGS if has_errors(findings) else common.EXIT_OK)
