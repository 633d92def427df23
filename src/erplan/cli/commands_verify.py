"""`erplan verify` (every flow, its verdict and the findings) and `erplan trace` (one flow)."""

from __future__ import annotations

import io
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from erplan.cli import common
from erplan.names import closest as suggest
from erplan.untrusted import escape_text

if TYPE_CHECKING:  # imported by the commands: --help does not pay for the engine
    from erplan.analyses.verdicts import FlowResult, Report
    from erplan.catalogs import Catalogs, EndpointSet
    from erplan.engine import Branch, Flow, Hop
    from erplan.engine import Path as FlowPath
    from erplan.model import Design
    from erplan.output import Spool

# SARIF carries every finding, the flow verdicts' included, to code scanning.
_VERIFY_FORMATS = common.FINDINGS_FORMATS


@common.app.command("verify")
def verify_command(
    design: str = common.design_argument(),
    fmt: common.Format = common.format_option(_VERIFY_FORMATS, " (json lists every flow)"),
    output: Path | None = common.output_option(),
    endpoints: Path | None = common.endpoints_option(),
    flows: bool = typer.Option(
        False, "--flows", help="Text: a table of every flow (key, verdict, paths, cause)."
    ),
) -> None:
    """Derive every flow, follow every return path, and judge each (exit 1 on any error)."""
    from erplan.analyses.verdicts import verify
    from erplan.memory import collector_paused
    from erplan.output import Spool, SpoolFailed

    common.check_format(fmt, _VERIFY_FORMATS, "verify")
    common.check_output_or_exit(output, [design, endpoints])
    # Paused until the process ends: the report is millions of live objects, and the
    # collector would walk them all again while the output is rendered.
    with collector_paused(), Spool() as spool:
        loaded, catalogs = common.load_inputs(design, endpoints)
        try:
            if fmt is common.Format.JSON:
                # Each row is encoded as it is judged and dropped with its trace; the rows
                # follow the summary and findings, so they wait in the spool (a temporary file,
                # at 10,000 sites), closed on leaving this block, however it is left.
                report = verify(loaded, catalogs, each=lambda r: spool.add(r.to_dict()), keep=_none)
            else:
                # The text shows the rows that are not ok (every row with --flows); SARIF none.
                keep = _all if flows else _problems if fmt is common.Format.TEXT else _none
                report = verify(loaded, catalogs, keep=keep)
            _emit_verify(report, loaded.design, fmt, output, flows, design, endpoints, spool)
        except SpoolFailed as exc:
            # The output could not be made: failed as a write of it would (nothing written to
            # ``output``; standard output may hold the part written before a read failed).
            if output is None:
                raise common.OutputFailed(escape_text(str(exc))) from exc
            common.usage_failure(f"cannot write {output}: {exc}")
    raise common.Exit(common.EXIT_FINDINGS if report.has_errors else common.EXIT_OK)


def _all(r: FlowResult) -> bool:
    return True


def _problems(r: FlowResult) -> bool:
    return r.verdict.value != "ok"


def _none(r: FlowResult) -> bool:
    return False


def _emit_verify(
    report: Report,
    d: Design,
    fmt: common.Format,
    output: Path | None,
    flows: bool,
    design: str,
    endpoints: Path | None,
    spool: Spool,
) -> None:
    from erplan import silencing

    report.findings = silencing.apply(report.findings, d)
    if fmt is common.Format.JSON:
        # Streamed: at 10,000 sites the report is over 80 MB of JSON.
        common.emit_chunks(spool.chunks(report.head(), "flows"), output, [design, endpoints])
    elif fmt is common.Format.SARIF:
        from erplan.files import display_name
        from erplan.output import render_sarif

        sarif = render_sarif(report.findings, base=Path.cwd(), default_file=display_name(design))
        common.emit(sarif, fmt, output, [design, endpoints])
    elif output is None:
        from erplan.cli.verify_text import render_verify  # rich: the text report's only

        render_verify(report, flows=flows)  # coloured on a terminal
    else:
        from erplan.cli.verify_text import render_verify

        buffer = io.StringIO()
        render_verify(report, flows=flows, out=buffer)
        common.emit(buffer.getvalue(), fmt, output, [design, endpoints])


# -- trace ---------------------------------------------------------------------------------------
def _hop_line(h: Hop) -> str:
    from erplan.cli.verify_text import shown_ms, tenths
    from erplan.engine.ranges import addr

    parts = [f"{h.label:<40}", f"{addr(h.src)} -> {addr(h.dst)}"]
    if h.src_before is not None:
        parts.append(f"[source {addr(h.src_before)} -> {addr(h.src)}]")
    if h.dst_before is not None:
        parts.append(f"[destination {addr(h.dst_before)} -> {addr(h.dst)}]")
    if tenths(h.ms):
        parts.append(f"+{shown_ms(tenths(h.ms))}{' (estimated)' if h.estimated else ''}")
    if h.action:
        parts.append(f"({h.action})")
    return "  ".join(parts)


def _path_text(title: str, p: FlowPath) -> list[str]:
    from erplan.cli.verify_text import path_tenths, shown_ms

    head = (
        f"  {title} by {p.edge or '-'}: {p.disposition.value}, {shown_ms(path_tenths(p))} one way"
    )
    out = [head]
    out.extend(f"    {i:>2}. {_hop_line(h)}" for i, h in enumerate(p.hops, 1))
    if p.reason and p.disposition.value != "delivered":
        out.append(f"        {p.reason}")
    return out


def _branch_text(i: int, n: int, b: Branch) -> list[str]:
    from erplan.cli.verify_text import branch_tenths, shown_ms

    head = f"branch {i}/{n}: {b.weight:.1%} of connections, {b.outcome.value}"
    if b.outcome.works:
        head += f", {shown_ms(branch_tenths(b))} round trip"
    lines = [head]
    lines.extend(_path_text("request", b.forward))
    if b.back is not None:
        lines.extend(_path_text("reply", b.back))
    if b.reason and b.outcome.value != "ok":
        lines.append(f"  {b.reason}")
    for t in b.ties:
        lines.append(f"  tie: {t}")
    return lines


def render_trace(r: FlowResult) -> str:
    from erplan.cli.verify_text import row_tenths, shown_ms
    from erplan.engine.ranges import addr

    f = r.flow
    t = r.trace
    lines = [f"flow {f.key} ({f.direction.value})"]
    about = []
    if f.endpoint_set is not None:
        about.append(
            f"endpoint set {f.endpoint_set}"
            + (" (ExpressRoute-able)" if f.express_route else " (internet only)")
        )
    if f.fqdn:
        about.append(f.fqdn)
    if f.proxy:
        about.append(f"through the proxy at {f.proxy}")
    if f.resolver:
        about.append(f"DNS leaves at {f.resolver}")
    if f.answers:
        about.append(
            "geoDNS answers "
            + ", ".join(f"{name} ({addr(a)}, {w:.0%})" for name, a, w in f.answers)
        )
    elif f.front_end:
        about.append(f"front end {f.front_end}")
    if f.destination and not f.answers:
        about.append(f"destination {addr(f.destination)}")
    if about:
        lines.append("; ".join(about))
    for what, share, why in t.before:
        lines.append(f"before: {what} for {share:.1%} of connections: {why}")
    for i, b in enumerate(t.branches, 1):
        lines.extend(_branch_text(i, len(t.branches), b))
    verdict = f"verdict: {r.verdict.value}"
    if r.verdict.value != "ok":
        verdict += f" ({r.share:.1%} of connections)"
    shown = row_tenths(r)
    if r.latency is not None and shown is not None:
        # The slowest working branch above, as shown there.
        verdict += f", {shown_ms(shown)}{' (estimated)' if r.latency.estimated else ''}"
    if r.best is not None:
        verdict += f" (best this origin has: {r.best.ms:.1f} ms)"
    if r.relay is not None:
        verdict += f"; front end to the tenant's data: {r.relay.ms:.0f} ms more"
    lines.append(verdict)
    if r.cause:
        lines.append(f"cause: {r.cause}")
    if r.fix:
        lines.append(f"fix: {r.fix}")
    if r.source:
        lines.append(f"see: {r.source}")
    return "\n".join(lines) + "\n"


def _pick_set(catalogs: Catalogs, fqdn: str, among: set[int] | None = None) -> EndpointSet:
    """The endpoint set a connection to ``fqdn`` uses (an ExpressRoute-able one first), among
    the sets the origin connects to when it does not connect to all."""
    sets = catalogs.sets_for_fqdn(fqdn)
    if among is not None and any(s.id in among for s in sets):
        sets = tuple(s for s in sets if s.id in among)
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
    from_site: str | None = typer.Option(
        None, "--from", help="The site (or server) a connection starts from."
    ),
    to: str | None = typer.Option(None, "--to", help="The FQDN it connects to."),
    inbound: str | None = typer.Option(
        None, "--inbound", help="An inbound service: trace every entry Microsoft may use."
    ),
    dns: str | None = typer.Option(None, "--dns", help="A site: trace its DNS queries."),
    flow_key: str | None = typer.Option(
        None, "--flow", help="A flow by its key, as erplan verify --format json lists it."
    ),
    fmt: common.Format = common.format_option(common.DATA_FORMATS),
    output: Path | None = common.output_option("trace"),
    endpoints: Path | None = common.endpoints_option(),
) -> None:
    """Follow one flow hop by hop: every branch, request and reply, every address rewritten."""
    from erplan.analyses.verdicts import Verdicts
    from erplan.engine import Engine
    from erplan.output import dumps

    common.check_format(fmt, common.DATA_FORMATS, "trace")
    common.check_output_or_exit(output, [design, endpoints])
    chosen = [x for x in (inbound, dns, flow_key) if x is not None]
    if from_site is not None or to is not None:
        chosen.append("outbound")
    if len(chosen) != 1 or (chosen == ["outbound"] and (from_site is None or to is None)):
        common.usage_failure(
            "trace needs --from SITE|SERVER --to FQDN, --inbound SERVICE, --dns SITE or --flow KEY"
        )
    loaded, catalogs = common.load_inputs(design, endpoints)
    d = loaded.design
    engine = Engine(d, catalogs)
    flows: list[Flow]
    if inbound is not None:
        if inbound not in d.services:
            _unknown("service", inbound, sorted(d.services))
        flows = [f for f in engine.origins.inbound() if f.origin == inbound]
    elif dns is not None:
        if dns not in d.sites:
            _unknown("site", dns, sorted(d.sites))
        flows = [engine.origins.dns(dns)]
    elif flow_key is not None:
        flows = [f for f in engine.flows() if f.key == flow_key]
        if not flows:
            _unknown("flow", flow_key, sorted(f.key for f in engine.flows()))
    else:
        assert from_site is not None and to is not None
        server = from_site in d.servers and from_site not in d.sites
        if from_site not in d.sites and not server:
            _unknown("site or server", from_site, sorted([*d.sites, *d.servers]))
        among = None
        if server:
            among = {es.id for es in engine.origins.server_sets(d.servers[from_site])}
        es = _pick_set(engine.catalogs, to, among)  # with the tenant's Dynamics 365 sets
        flow = engine.outbound(from_site, es.id, server=server)
        flows = [flow._replace(fqdn=to.strip().rstrip(".").lower())]
    verdicts = Verdicts(engine)
    results = [verdicts.result((f,), engine.trace(f)) for f in flows]
    if fmt is common.Format.JSON:
        text = dumps({"flows": [r.to_dict(detail=True) for r in results]})
    else:
        text = "\n".join(render_trace(r) for r in results)
    common.emit(text, fmt, output, [design, endpoints])
    errors = any(
        r.verdict.severity is not None and r.verdict.severity.value == "error" for r in results
    )
    raise common.Exit(common.EXIT_FINDINGS if errors else common.EXIT_OK)
