"""`erplan verify` (every flow, its verdict and the findings) and `erplan trace` (one flow)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import typer

from erplan.cli import common
from erplan.names import closest as suggest

if TYPE_CHECKING:  # imported by the commands: --help does not pay for the engine
    from erplan.analyses.verdicts import FlowResult, Report
    from erplan.catalogs import Catalogs, EndpointSet
    from erplan.flows import Flow, Hop
    from erplan.flows import Path as FlowPath

# SARIF of verify's findings comes with the engine's renderer (erplan.output.render_sarif).
_VERIFY_FORMATS = common.DATA_FORMATS


def render_summary(report: Report) -> str:
    from erplan.analyses.verdicts import VERDICT_ORDER

    s = report.summary
    by = s["by_verdict"]
    users = s["users_by_verdict"]
    width = max(len(v.value) for v in VERDICT_ORDER)
    lines = [f"{'verdict':<{width}}  {'flows':>7}  {'users':>9}"]
    for v in VERDICT_ORDER:
        lines.append(f"{v.value:<{width}}  {by[v.value]:>7}  {users[v.value]:>9}")
    lines.append(
        f"{s['flows']} flows ({s['inbound_services']} inbound services); "
        f"{s['users_affected']} of {s['users']} users affected"
    )
    return "\n".join(lines) + "\n"


@common.app.command("verify")
def verify_command(
    design: str = common.design_argument(),
    fmt: common.Format = common.format_option(_VERIFY_FORMATS, " (json lists every flow)"),
    output: Path | None = common.output_option(),
    endpoints: Path | None = common.endpoints_option(),
) -> None:
    """Derive every flow, follow every return path, and judge each (exit 1 on any error)."""
    from erplan import silencing
    from erplan.analyses.verdicts import verify
    from erplan.output import dumps, render_text

    common.check_format(fmt, _VERIFY_FORMATS, "verify")
    common.check_output_or_exit(output, [design, endpoints])
    loaded, catalogs = common.load_inputs(design, endpoints)
    report = verify(loaded, catalogs)
    # One silencing for every code (names and aliases too), until the engine applies it.
    report.findings = silencing.apply(report.findings, loaded.design)
    if fmt is common.Format.JSON:
        text = dumps(report.to_dict())
    else:
        text = render_summary(report) + render_text(report.findings)
    common.emit(text, fmt, output, [design, endpoints])
    raise common.Exit(common.EXIT_FINDINGS if report.has_errors else common.EXIT_OK)


# -- trace ---------------------------------------------------------------------------------------
def _hop_line(h: Hop) -> str:
    parts = [f"{h.node:<38}", f"{h.action:<10}", f"{h.src} -> {h.dst}"]
    if h.src_before is not None:
        parts.append(f"[source {h.src_before} -> {h.src}]")
    if h.dst_before is not None:
        parts.append(f"[destination {h.dst_before} -> {h.dst}]")
    if h.latency.ms:
        parts.append(f"+{h.latency.label()}")
    if h.note:
        parts.append(f"({h.note})")
    return "  ".join(parts)


def _path_text(title: str, p: FlowPath) -> list[str]:
    head = f"{title} via {p.via or '-'}: {p.disposition.value}"
    if p.disposition.value == "delivered" and not p.symmetric:
        head += " (asymmetric)"
    head += f", {p.latency.label()}"
    out = [head]
    out.extend(f"  {i:>2}. {_hop_line(h)}" for i, h in enumerate(p.hops, 1))
    if p.reason:
        out.append(f"      {p.reason}")
    return out


def render_trace(r: FlowResult) -> str:
    f = r.flow
    t = f.trace
    lines = [f"flow {f.key} ({f.direction.value})"]
    if f.endpoint_set is not None:
        lines.append(
            f"endpoint set {f.endpoint_set}"
            + (" (ExpressRoute-able)" if f.express_route else " (internet only)")
            + (f"; proxied from {f.start_site}" if f.proxied else "")
            + (f"; resolved at {f.resolver}" if f.resolver else "")
            + (f"; front end {t.front_end}" if t.front_end else "")
        )
    if t.route is not None:
        rt = t.route
        lines.append(
            f"route at {f.start_site}: {rt.via.value}"
            + (f" {rt.circuit}" if rt.circuit else "")
            + (f" {rt.breakout}" if rt.breakout else "")
            + (f" ({rt.why})" if rt.why else "")
            + (f"; tie between {', '.join(rt.tie_break)}" if rt.tie_break else "")
        )
    lines.extend(_path_text("forward", t.forward))
    for i, p in enumerate(t.returns, 1):
        lines.extend(_path_text(f"return {i}/{len(t.returns)}", p))
    verdict = f"verdict: {r.verdict.value}, {r.latency.label()}"
    if r.best is not None:
        verdict += f" (best this origin has: {r.best.label()})"
    lines.append(verdict)
    if r.cause:
        lines.append(f"cause: {r.cause}")
    if r.fix:
        lines.append(f"fix: {r.fix}")
    if r.source:
        lines.append(f"see: {r.source}")
    return "\n".join(lines) + "\n"


def _pick_set(catalogs: Catalogs, fqdn: str) -> EndpointSet:
    sets = catalogs.sets_for_fqdn(fqdn)
    if not sets:
        urls = sorted({u for s in catalogs.endpoint_sets for u in s.urls if "*" not in u})
        hint = suggest(fqdn, urls)
        common.usage_failure(
            f"no endpoint set serves {fqdn!r}" + (f"; did you mean {hint!r}?" if hint else "")
        )
    er = [s for s in sets if s.express_route]
    return (er or list(sets))[0]


def _unknown(kind: str, name: str, known: list[str]) -> None:
    hint = suggest(name, known)
    common.usage_failure(
        f"unknown {kind} {name!r}"
        + (f"; did you mean {hint!r}?" if hint else f" (known: {', '.join(known) or 'none'})")
    )


@common.app.command("trace")
def trace_command(
    design: str = common.design_argument(),
    from_site: str | None = typer.Option(None, "--from", help="The site a user starts from."),
    to: str | None = typer.Option(None, "--to", help="The FQDN the user connects to."),
    inbound: str | None = typer.Option(
        None, "--inbound", help="An inbound service: trace every entry Microsoft may use."
    ),
    fmt: common.Format = common.format_option(common.DATA_FORMATS),
    output: Path | None = common.output_option("trace"),
    endpoints: Path | None = common.endpoints_option(),
) -> None:
    """Follow one flow hop by hop: forward, every return path, every address rewritten."""
    from erplan.analyses.verdicts import Judge
    from erplan.flows import FlowEngine
    from erplan.output import dumps

    common.check_format(fmt, common.DATA_FORMATS, "trace")
    common.check_output_or_exit(output, [design, endpoints])
    if inbound is None and (from_site is None or to is None):
        common.usage_failure("trace needs --from SITE --to FQDN, or --inbound SERVICE")
    if inbound is not None and (from_site is not None or to is not None):
        common.usage_failure("use either --from/--to or --inbound, not both")
    loaded, catalogs = common.load_inputs(design, endpoints)
    d = loaded.design
    engine = FlowEngine(d, catalogs)
    judge = Judge(engine)
    flows: list[Flow]
    if inbound is not None:
        if inbound not in d.services:
            _unknown("service", inbound, sorted(d.services))
        flows = engine.inbound(inbound)
    else:
        assert from_site is not None and to is not None
        if from_site not in d.sites:
            _unknown("site", from_site, sorted(d.sites))
        es = _pick_set(catalogs, to)
        flows = [engine.outbound(from_site, es, to.strip().rstrip(".").lower())]
    results = [judge.judge(f) for f in flows]
    if fmt is common.Format.JSON:
        text = dumps({"flows": [r.to_dict(with_trace=True) for r in results]})
    else:
        text = "\n".join(render_trace(r) for r in results)
    common.emit(text, fmt, output, [design, endpoints])
    errors = any(
        r.verdict.severity is not None and r.verdict.severity.value == "error" for r in results
    )
    raise common.Exit(common.EXIT_FINDINGS if errors else common.EXIT_OK)
