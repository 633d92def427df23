"""The findings a report makes of its flow rows: one per origin, verdict code and cause (its
share, users and text), and the notes about route choices the design leaves open."""

from __future__ import annotations

from collections.abc import Iterable

from erplan.analyses.causes import Culprit
from erplan.analyses.verdicts import (
    CODE_QOS,
    CODE_REGION_PREFERENCE,
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
from erplan.engine import Direction, Flow
from erplan.facts import dynamics_regional, region_preferences

# The codes table (`erplan explain`) names each route note by its constant.
_NOTE_NAMES = {
    CODE_REGION_PREFERENCE: "CODE_REGION_PREFERENCE",
    CODE_TIE: "CODE_TIE",
    CODE_QOS: "CODE_QOS",
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


def _note(code: str, message: str, location: Location | None, subject: str | None) -> Finding:
    """A route-choice note with the severity, fix and source of the codes table (which
    ``erplan explain`` prints), found by the name of the code's constant here."""
    _, severity, _, _, fix, source = ROUTE_NOTES[_NOTE_NAMES[code]]
    return Finding(code, severity, message, location, fix=fix, source=source, subject=subject)


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
