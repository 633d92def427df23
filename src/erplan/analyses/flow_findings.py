"""The findings a report makes of its flow rows: one per origin, verdict code and cause (its
share, users and text), and the notes about route choices the design leaves open."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from erplan.analyses.causes import Culprit
from erplan.analyses.missing_routes import missing_route
from erplan.analyses.verdicts import (
    CODE_QOS,
    CODE_REGION_PREFERENCE,
    CODE_ROUTE_LEFT,
    CODE_TIE,
    CODES,
    FlowResult,
    LoadedLike,
    Verdict,
    dotted,
)
from erplan.catalogs import Catalogs
from erplan.codes import ROUTE_NOTES
from erplan.diagnostics import Finding, Location, Severity
from erplan.engine import Branch, Direction, Engine, Flow
from erplan.engine.nodes import Kind
from erplan.facts import dynamics_regional, region_preferences

# The codes table (`erplan explain`) names each route note by its constant.
_NOTE_NAMES = {
    CODE_REGION_PREFERENCE: "CODE_REGION_PREFERENCE",
    CODE_TIE: "CODE_TIE",
    CODE_QOS: "CODE_QOS",
    CODE_ROUTE_LEFT: "CODE_ROUTE_LEFT",
}


def flow_findings(results: Iterable[FlowResult], loaded: LoadedLike) -> list[Finding]:
    groups: dict[tuple[str, str, Culprit, str], list[FlowResult]] = {}
    for r in results:
        if r.verdict is Verdict.OK:
            continue
        code = CODES[(r.flow.direction, r.verdict)]
        groups.setdefault((code, r.flow.origin, r.culprit, r.cause_key), []).append(r)
    out: list[Finding] = []
    design = loaded.design
    for (code, origin, culprit, key), members in groups.items():
        first = members[0]
        v = first.verdict
        n = sum(len(r.flows) for r in members)
        share = max(r.share for r in members)
        if first.flow.direction is Direction.INBOUND:
            who = f"inbound service {origin} ({first.flow.fqdn})"
            users = 0
        elif first.flow.direction is Direction.DNS:
            who = f"DNS of site {origin}"
            users = design.sites[origin].users
        elif first.flow.kind == "server":
            names = sorted({f.fqdn or str(f.endpoint_set) for r in members for f in r.flows})
            who = f"server {origin} ({', '.join(names[:3])})"
            users = 0
        else:
            names = sorted({f.fqdn or str(f.endpoint_set) for r in members for f in r.flows})
            shown = ", ".join(names[:3]) + (f" and {len(names) - 3} more" if len(names) > 3 else "")
            users = design.sites[origin].users
            who = f"{n} flow{'s' if n != 1 else ''} from site {origin} ({users} users; {shown})"
        extra = ""
        if v is Verdict.SUBOPTIMAL and first.latency is not None and first.best is not None:
            est = " (estimated)" if first.latency.estimated else ""
            extra = f" [{first.latency.ms:.0f} ms{est} against {first.best.ms:.0f} ms at best]"
        part = "" if share >= 0.9999 else f"; {share:.0%} of connections"
        message = f"{v.value}: {who}: {first.cause}{part}{extra}"
        # Without a culprit the finding is about its origin, which silences it like any object.
        about = culprit or _origin_object(first.flow)
        loc = loaded.source.where(about)
        out.append(
            Finding(
                code,
                v.severity or Severity.INFO,
                message,
                loc,
                fix=first.fix,
                source=first.source,
                subject=dotted(about),
                data={
                    "verdict": v.value,
                    "cause_key": key,
                    "flows": n,
                    "share": round(share, 6),
                    "users": users,
                    "users_affected": round(users * share),
                    "origin": origin,
                },
            )
        )
    return out


def _origin_object(flow: Flow) -> Culprit:
    """The design object a flow starts from: an inbound flow's service, a server, a site."""
    if flow.direction is Direction.INBOUND:
        return ("services", flow.origin)
    return ("servers" if flow.kind == "server" else "sites", flow.origin)


def _note(
    code: str,
    message: str,
    location: Location | None,
    subject: str | None,
    data: dict[str, Any] | None = None,
) -> Finding:
    """A route-choice note with the severity, fix and source of the codes table (which
    ``erplan explain`` prints), found by the name of the code's constant here."""
    _, severity, _, _, fix, source = ROUTE_NOTES[_NOTE_NAMES[code]]
    return Finding(
        code, severity, message, location, fix=fix, source=source, subject=subject, data=data or {}
    )


def route_notes(
    results: Iterable[FlowResult], loaded: LoadedLike, catalogs: Catalogs
) -> list[Finding]:
    out: list[Finding] = []
    design = loaded.design
    acted_on = dynamics_regional(design, catalogs)
    for name, c in design.circuits.items():
        prefs = region_preferences(design, catalogs, name)
        if c.region_preference and not (set(prefs) & acted_on):
            out.append(
                _note(
                    CODE_REGION_PREFERENCE,
                    f"region_preference of circuit {name} has no effect on Microsoft 365 "
                    "prefixes: they carry service communities only, no regional ones; the "
                    "engine treats it as absent for them (no Dynamics 365 prefixes of the "
                    "tenant in these regions reach the circuit either)",
                    loaded.source.where(("circuits", name, "region_preference")),
                    f"circuits.{name}.region_preference",
                )
            )
    media = sorted(
        {
            r.flow.origin
            for r in results
            if r.flow.direction is Direction.OUTBOUND
            and any(f.proto == "udp" for f in r.flows)
            and any((b.forward.edge or "").startswith("circuit:") for b in r.trace.branches)
            and r.verdict is not Verdict.DROPPED
        }
    )
    if media:
        shown = ", ".join(media[:5]) + (f" and {len(media) - 5} more" if len(media) > 5 else "")
        out.append(
            _note(
                CODE_QOS,
                f"real-time media (UDP) of {shown} crosses ExpressRoute: plan QoS marking for "
                "it, and configure it once ExpressRoute is proven not to block any other "
                "Microsoft 365 service",
                None,
                None,
            )
        )
    ties: dict[str, list[FlowResult]] = {}
    for r in results:
        if r.tie:
            for t in r.trace.ties:
                ties.setdefault(t, []).append(r)
    for text, members in ties.items():
        site = members[0].flow.start
        n = sum(len(r.flows) for r in members)
        out.append(
            _note(
                CODE_TIE,
                f"{text}: the outcome of {n} flow{'s' if n != 1 else ''} depends on BGP's last "
                "tie-breakers, which the design does not state (some tied paths work, others "
                "do not)",
                loaded.source.where(("sites", site)),
                f"sites.{site}",
            )
        )
    return out


def routes_left(engine: Engine, results: Iterable[FlowResult], loaded: LoadedLike) -> list[Finding]:
    """Working outbound flows that a site's table sends towards a circuit but that leave by a
    breakout, because a site router on the way takes no ExpressRoute routes: one note per
    origin and site on the way, with the share of connections that leave so."""
    groups: dict[tuple[str, Culprit], list[tuple[FlowResult, float, str, set[str]]]] = {}
    for r in results:
        if r.flow.direction is not Direction.OUTBOUND:
            continue
        found: dict[Culprit, tuple[float, str, set[str]]] = {}
        for b in r.trace.branches:
            left = _left_for_the_internet(engine, b)
            if left is not None:
                culprit, route = left
                weight, _, edges = found.get(culprit, (0.0, route, set()))
                found[culprit] = (weight + b.weight, route, edges | {b.forward.edge or ""})
        for culprit, (weight, route, edges) in found.items():
            groups.setdefault((r.flow.origin, culprit), []).append((r, weight, route, edges))
    out: list[Finding] = []
    for (origin, culprit), members in groups.items():
        n = sum(len(r.flows) for r, _, _, _ in members)
        names = sorted({f.fqdn or str(f.endpoint_set) for r, _, _, _ in members for f in r.flows})
        shown = ", ".join(names[:3]) + (f" and {len(names) - 3} more" if len(names) > 3 else "")
        share = max(w for _, w, _, _ in members)
        route = members[0][2]
        exits = ", ".join(sorted(set().union(*(e for _, _, _, e in members))))
        part = "" if share >= 0.9999 else f" ({share:.0%} of their connections)"
        them = "them" if n != 1 else "it"
        message = (
            f"{n} flow{'s' if n != 1 else ''} of {origin} ({shown}) "
            f"{'leave' if n != 1 else 'leaves'} by the internet"
            f"{part}, by {exits}: {origin}'s routers send {them} by an {route}, but site "
            f"{culprit[1]} on the way takes no ExpressRoute routes (er_routes: false) and "
            f"forwards {them} by its default route"
        )
        data = {"origin": origin, "flows": n, "share": round(share, 6)}
        out.append(
            _note(CODE_ROUTE_LEFT, message, loaded.source.where(culprit), dotted(culprit), data)
        )
    return out


def _left_for_the_internet(engine: Engine, b: Branch) -> tuple[Culprit, str] | None:
    """For a working branch that leaves by a breakout: the propagation of the site on the way
    that lacks the ExpressRoute route an earlier site router forwarded the packet by, and that
    route in words; None when no site router on its way held such a route."""
    if not b.outcome.works or not (b.forward.edge or "").startswith("breakout:"):
        return None
    nodes, tables = engine.net.nodes, engine.tables
    route = ""
    for h in b.forward.hops:
        if nodes[h.node].kind is not Kind.SITE:
            continue
        if not route:
            decision = tables.customer_decision(h.node, h.dst)
            if decision.culprit[:1] == ("circuits",):
                route = decision.route  # from here on the packet is meant for a circuit
            continue
        missing = missing_route(engine, h.node, h.dst)
        if missing is not None:  # a router that takes none: the only reason once one had it
            return missing.culprit, route
    return None
