"""The findings a report makes of its flow rows: one per origin, verdict code and cause (its
share, users and text), and the notes about route choices the design leaves open."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from erplan.analyses.causes import Culprit
from erplan.analyses.missing_routes import KEYS as MISSING_KEYS
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
from erplan.codes_flow import ROUTE_NOTES
from erplan.diagnostics import Finding, Location, Severity
from erplan.engine import Branch, Direction, Engine, Flow
from erplan.engine.nodes import Kind
from erplan.facts import dynamics_regional, region_preferences
from erplan.latency import Ms

# The codes table (`erplan explain`) names each route note by its constant.
_NOTE_NAMES = {
    CODE_REGION_PREFERENCE: "CODE_REGION_PREFERENCE",
    CODE_TIE: "CODE_TIE",
    CODE_QOS: "CODE_QOS",
    CODE_ROUTE_LEFT: "CODE_ROUTE_LEFT",
}


class FlowFindings:
    """The findings about a report's rows, summed up one row at a time as the rows are judged:
    no row (nor its trace) is held for them."""

    def __init__(self, engine: Engine, loaded: LoadedLike, catalogs: Catalogs) -> None:
        self._groups = _Groups(loaded)
        self._notes = _Notes(loaded, catalogs)
        self._left = _Left(engine, loaded)

    def add(self, r: FlowResult) -> None:
        self._groups.add(r)
        self._notes.add(r)
        self._left.add(r)

    def findings(self) -> list[Finding]:
        """``flow_findings``, then ``route_notes``, then ``routes_left``."""
        return self._groups.findings() + self._notes.findings() + self._left.findings()


def flow_findings(results: Iterable[FlowResult], loaded: LoadedLike) -> list[Finding]:
    groups = _Groups(loaded)
    for r in results:
        groups.add(r)
    return groups.findings()


def _names(flows: Iterable[Flow]) -> Iterator[str]:
    """What a finding lists of outbound flows: the names they connect to, else their sets."""
    return (f.fqdn or str(f.endpoint_set) for f in flows)


@dataclass(slots=True)
class _Group:
    """What a flow finding says of its rows: the first row's words, the rest's counts (and,
    for a missing ExpressRoute route, every row's services: ``more``)."""

    flow: Flow
    verdict: Verdict
    cause: str
    fix: str
    source: str
    latency: Ms | None
    best: Ms | None
    n: int = 0
    share: float = 0.0
    names: set[str] | None = None  # of outbound groups only
    more: dict[str, None] | None = None  # the other rows' words, where they name other services

    def add(self, r: FlowResult) -> None:
        self.n += len(r.flows)
        self.share = max(self.share, r.share)
        if self.names is not None:
            self.names.update(_names(r.flows))
        if r.fix and r.fix != self.fix and r.fix not in self.fix:
            # Rows that entered another way (an inbound service's internet and circuit
            # entries): each way's fix.
            self.fix = f"{self.fix}; {r.fix}"
        if r.cause_key in MISSING_KEYS and r.cause != self.cause:
            # Rows of other route classes (other circuits' filters): their services too.
            if self.more is None:
                self.more = {}
            self.more[r.cause] = None

    @property
    def words(self) -> str:
        """The cause as the finding says it: the first row's, then what the others add."""
        if not self.more:
            return self.cause
        return joined([self.cause, *self.more])


def joined(causes: list[str]) -> str:
    """Causes that begin alike, said once: the common words up to a colon (outside
    parentheses), then each one's rest."""
    head = causes[0]
    cut = depth = 0
    for i, ch in enumerate(head):
        if any(len(c) <= i or c[i] != ch for c in causes[1:]):
            break
        depth += {"(": 1, ")": -1}.get(ch, 0)
        if depth == 0 and head.startswith(": ", i):
            cut = i + 2
    return head[:cut] + "; ".join(c[cut:] for c in causes)


class _Groups:
    """One finding per origin, verdict code, culprit and cause, with its share and users."""

    def __init__(self, loaded: LoadedLike) -> None:
        self.loaded = loaded
        self.groups: dict[tuple[str, str, Culprit, str], _Group] = {}

    def add(self, r: FlowResult) -> None:
        if r.verdict is Verdict.OK:
            return
        key = (CODES[(r.flow.direction, r.verdict)], r.flow.origin, r.culprit, r.cause_key)
        g = self.groups.get(key)
        if g is None:
            f = r.flow
            g = self.groups[key] = _Group(f, r.verdict, r.cause, r.fix, r.source, r.latency, r.best)
            if f.direction is Direction.OUTBOUND:
                g.names = set()
        g.add(r)

    def findings(self) -> list[Finding]:
        out: list[Finding] = []
        loaded = self.loaded
        design = loaded.design
        for (code, origin, culprit, key), g in self.groups.items():
            v, f, n, share = g.verdict, g.flow, g.n, g.share
            if f.direction is Direction.INBOUND:
                who = f"inbound service {origin} ({f.fqdn})"
                users = 0
            elif f.direction is Direction.DNS:
                who = f"DNS of site {origin}"
                users = design.sites[origin].users
            elif f.kind == "server":
                names = sorted(g.names or ())
                who = f"server {origin} ({', '.join(names[:3])})"
                users = 0
            else:
                names = sorted(g.names or ())
                more = f" and {len(names) - 3} more" if len(names) > 3 else ""
                shown = ", ".join(names[:3]) + more
                users = design.sites[origin].users
                who = f"{n} flow{'s' if n != 1 else ''} from site {origin} ({users} users; {shown})"
            extra = ""
            if v is Verdict.SUBOPTIMAL and g.latency is not None and g.best is not None:
                est = " (estimated)" if g.latency.estimated else ""
                extra = f" [{g.latency.ms:.0f} ms{est} against {g.best.ms:.0f} ms at best]"
            part = "" if share >= 0.9999 else f"; {share:.0%} of connections"
            message = f"{v.value}: {who}: {g.words}{part}{extra}"
            # Without a culprit the finding is about its origin, which silences it like any object.
            about = culprit or _origin_object(f)
            loc = loaded.source.where(about)
            out.append(
                Finding(
                    code,
                    v.severity or Severity.INFO,
                    message,
                    loc,
                    fix=g.fix,
                    source=g.source,
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
    notes = _Notes(loaded, catalogs)
    for r in results:
        notes.add(r)
    return notes.findings()


class _Notes:
    """The notes about route choices: a region preference that acts on nothing, real-time
    media over ExpressRoute, outcomes that hang on BGP's last tie-breakers."""

    def __init__(self, loaded: LoadedLike, catalogs: Catalogs) -> None:
        self.loaded = loaded
        self.catalogs = catalogs
        self.media: set[str] = set()
        self.ties: dict[str, list[Any]] = {}  # tie -> [the first row's site, flows]

    def add(self, r: FlowResult) -> None:
        if (
            r.flow.direction is Direction.OUTBOUND
            and any(f.proto == "udp" for f in r.flows)
            and any((b.forward.edge or "").startswith("circuit:") for b in r.trace.branches)
            and r.verdict is not Verdict.DROPPED
        ):
            self.media.add(r.flow.origin)
        if r.tie:
            for t in r.trace.ties:
                self.ties.setdefault(t, [r.flow.start, 0])[1] += len(r.flows)

    def findings(self) -> list[Finding]:
        out: list[Finding] = []
        loaded = self.loaded
        design = loaded.design
        acted_on = dynamics_regional(design, self.catalogs)
        for name, c in design.circuits.items():
            prefs = region_preferences(design, self.catalogs, name)
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
        media = sorted(self.media)
        if media:
            more = f" and {len(media) - 5} more" if len(media) > 5 else ""
            shown = ", ".join(media[:5]) + more
            out.append(
                _note(
                    CODE_QOS,
                    f"real-time media (UDP) of {shown} crosses ExpressRoute: plan QoS marking "
                    "for it, and configure it once ExpressRoute is proven not to block any "
                    "other Microsoft 365 service",
                    None,
                    None,
                )
            )
        for text, (site, n) in self.ties.items():
            out.append(
                _note(
                    CODE_TIE,
                    f"{text}: the outcome of {n} flow{'s' if n != 1 else ''} depends on BGP's "
                    "last tie-breakers, which the design does not state (some tied paths work, "
                    "others do not)",
                    loaded.source.where(("sites", site)),
                    f"sites.{site}",
                )
            )
        return out


def routes_left(engine: Engine, results: Iterable[FlowResult], loaded: LoadedLike) -> list[Finding]:
    """Working outbound flows that a site's table sends towards a circuit but that leave by a
    breakout, because a site router on the way takes no ExpressRoute routes: one note per
    origin and site on the way, with the share of connections that leave so."""
    left = _Left(engine, loaded)
    for r in results:
        left.add(r)
    return left.findings()


@dataclass(slots=True)
class _Leaving:
    """The flows of one origin that leave by the internet past one site: the first row's route
    in words, the rest summed up."""

    route: str
    n: int = 0
    share: float = 0.0
    names: set[str] = field(default_factory=set)
    exits: set[str] = field(default_factory=set)


class _Left:
    """``routes_left``, one row at a time."""

    def __init__(self, engine: Engine, loaded: LoadedLike) -> None:
        self.engine = engine
        self.loaded = loaded
        self.groups: dict[tuple[str, Culprit], _Leaving] = {}

    def add(self, r: FlowResult) -> None:
        if r.flow.direction is not Direction.OUTBOUND:
            return
        found: dict[Culprit, tuple[float, str, set[str]]] = {}
        for b in r.trace.branches:
            left = _left_for_the_internet(self.engine, b)
            if left is not None:
                culprit, route = left
                weight, _, edges = found.get(culprit, (0.0, route, set()))
                found[culprit] = (weight + b.weight, route, edges | {b.forward.edge or ""})
        for culprit, (weight, route, edges) in found.items():
            g = self.groups.get((r.flow.origin, culprit))
            if g is None:
                g = self.groups[(r.flow.origin, culprit)] = _Leaving(route, share=weight)
            g.n += len(r.flows)
            g.share = max(g.share, weight)
            g.names.update(_names(r.flows))
            g.exits |= edges

    def findings(self) -> list[Finding]:
        out: list[Finding] = []
        for (origin, culprit), g in self.groups.items():
            n, share, route = g.n, g.share, g.route
            names = sorted(g.names)
            more = f" and {len(names) - 3} more" if len(names) > 3 else ""
            shown = ", ".join(names[:3]) + more
            exits = ", ".join(sorted(g.exits))
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
            where = self.loaded.source.where(culprit)
            out.append(_note(CODE_ROUTE_LEFT, message, where, dotted(culprit), data))
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
