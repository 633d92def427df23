"""Per site, what its clients' connections to each endpoint set really do, and the decision for
every host name that follows: DIRECT only where the flow engine traces the site's own
connections out by ExpressRoute, working; everything else to the site's proxy.

Guide 000 §2.2 (Figure 3): ExpressRoute-able names bypass the proxy, the rest go through it.
What "ExpressRoute-able" means at a site is the engine's answer for that site (route filter,
route scope, circuits and links up, DNS, perimeter), not the catalog's ``expressRoute`` flag.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from ipaddress import IPv4Address
from typing import Protocol

from erplan.analyses.missing_routes import Missing, refused
from erplan.catalogs import Catalogs, EndpointSet
from erplan.diagnostics import Finding, Location
from erplan.engine import Engine, Flow, FlowTrace
from erplan.engine.routes import Act, Internal
from erplan.engine.trace import edge_owner
from erplan.generators.modes import Mode
from erplan.generators.names import (
    HostPattern,
)
from erplan.model import Design, ProxyMode

EPS = 1e-9

CODE_DIRECT_WITHOUT_ROUTE = "ERP901"
CODE_NO_PROXY = "ERP902"
CODE_PROXY_UNNAMED = "ERP903"
CODE_NAME_REFUSED = "ERP904"
CODE_NO_TENANT = "ERP905"
SOURCE = "guide 000 §2.2 (Figure 3); guide 001 'Design Client Connectivity Configuration'"


class SourceLike(Protocol):
    def where(self, path: Iterable[str | int]) -> Location | None: ...


class LoadedLike(Protocol):
    @property
    def design(self) -> Design: ...

    @property
    def source(self) -> SourceLike: ...


@dataclass(frozen=True, slots=True)
class Route:
    """Where a site's connections to one endpoint set go, as the engine traces them."""

    set_id: int
    proxied: bool
    works: float  # share of connections that work
    expressroute: float  # share that works and leaves the customer network by a circuit
    paths: tuple[str, ...]  # "circuit:X" / "breakout:Y" the working connections leave by
    devices: tuple[str, ...]  # the devices those connections cross on the way out
    reason: str  # why some connections do not leave by ExpressRoute ("" when all do)
    # Where no ExpressRoute route made the perimeter refuse them: the reason's cause key
    # (erplan.analyses.missing_routes) and the design object to change; "" and () otherwise.
    missing: str = ""
    culprit: tuple[str | int, ...] = ()

    @property
    def by_expressroute(self) -> bool:
        return self.expressroute >= 1.0 - EPS


@dataclass(frozen=True, slots=True)
class Name:
    """One host pattern of a site's PAC and its decision."""

    pattern: HostPattern
    direct: bool
    sets: tuple[int, ...]  # the endpoint sets that decide it (none for the design's names)
    origin: str  # "catalog", "tenant" or "design"
    note: str  # why, in a few words (written as a comment)
    keep: bool = True  # False: a PROXY entry the default already gives


@dataclass(frozen=True)
class SitePlan:
    site: str
    proxy: str  # the PAC's proxy answer, "PROXY host:port"
    names: tuple[Name, ...]  # most specific first; a PAC tests them in this order
    sets: tuple[EndpointSet, ...]  # the tenant's endpoint sets
    direct_sets: frozenset[int]  # sets whose own category and route send them DIRECT
    circuits: tuple[str, ...]  # the circuits DIRECT connections leave by

    @property
    def direct(self) -> tuple[Name, ...]:
        return tuple(n for n in self.names if n.direct)


def catalog_version(catalogs: Catalogs) -> str:
    """Where the endpoint sets come from and a digest of their content."""
    digest = hashlib.sha256()
    for es in catalogs.endpoint_sets:
        digest.update(json.dumps(es.to_dict(), sort_keys=True).encode())
    n = len(catalogs.endpoint_sets)
    return f"{catalogs.endpoints_source}; {n} endpoint sets; sha256 {digest.hexdigest()[:16]}"


def route_of(
    engine: Engine,
    flow: Flow,
    trace: FlowTrace,
    proxied: bool,
    devices_at: Mapping[str, str],
) -> Route:
    """The route of ``flow`` to an endpoint set, by the trace ``engine`` made for its class;
    ``devices_at`` names the device standing at each device node of the engine's network."""
    set_id = flow.endpoint_set or 0
    works = er = 0.0
    paths: dict[str, None] = {}
    devices: dict[str, None] = {}
    reason = ""
    missing: Missing | None = None
    for b in sorted(trace.branches, key=lambda b: -b.weight):
        edge = b.forward.edge or ""
        if b.outcome.works:
            works += b.weight
            if edge.startswith("circuit:"):
                er += b.weight
            if edge:
                paths.setdefault(edge_owner(edge) or edge, None)
            for h in b.forward.hops:
                name = devices_at.get(h.node)
                if name is not None:
                    devices.setdefault(name, None)
        if not reason and not (b.outcome.works and edge.startswith("circuit:")):
            reason = f"leave by {edge}" if b.outcome.works else f"{b.outcome.value}: {b.reason}"
            # Refused at the perimeter for want of an ExpressRoute route: why there is none
            # (route scope, a circuit down, the route filter), as verify names it.
            # The flow's own destination: its class's trace may have been made for another set.
            missing = None if b.outcome.works else refused(engine, b.forward, flow.destination)
            if missing is not None:
                reason = f"{reason}: {missing.why}"
    key, culprit = (missing.key, missing.culprit) if missing is not None else ("", ())
    return Route(set_id, proxied, works, er, tuple(paths), tuple(devices), reason, key, culprit)


class Planner:
    """Asks the engine once per class of flows; a second engine, with the PAC sites' clients
    sending everything to their proxy, answers where a proxied connection goes."""

    def __init__(self, design: Design, catalogs: Catalogs) -> None:
        self.design = design
        self.catalogs = catalogs
        self.engine = Engine(design, catalogs)
        self._proxied: Engine | None = None
        self._traces: dict[tuple[int, tuple[object, ...]], FlowTrace] = {}

    def sets(self) -> list[EndpointSet]:
        return self.engine.origins.endpoint_sets()

    def proxied_by_design(self, site: str, es: EndpointSet) -> bool:
        return bool(self.engine.origins.proxy_chain(site, es))

    def route(self, site: str, es: EndpointSet, *, proxied: bool) -> Route:
        """Where the site's connections to ``es`` go, direct or through its proxy."""
        engine = self.engine
        if proxied != self.proxied_by_design(site, es):
            if not proxied:
                raise ValueError("a direct route is traced only where the design sends it")
            engine = self._all_proxied()
        flow = engine.outbound(site, es.id)
        key = (id(engine), engine.class_key(flow))
        trace = self._traces.get(key)
        if trace is None:
            trace = engine.trace(flow)
            self._traces[key] = trace
        return route_of(engine, flow, trace, proxied, self._devices_at(engine))

    def _devices_at(self, engine: Engine) -> dict[str, str]:
        from erplan.engine.nodes import Kind

        return {n.id: n.name for n in engine.net.nodes.values() if n.kind is Kind.DEVICE}

    def _all_proxied(self) -> Engine:
        if self._proxied is None:
            sites = {
                name: s.model_copy(
                    update={"proxy": s.proxy.model_copy(update={"mode": ProxyMode.ALL})}
                )
                if s.proxy.mode is ProxyMode.PAC
                else s
                for name, s in self.design.sites.items()
            }
            self._proxied = Engine(self.design.model_copy(update={"sites": sites}), self.catalogs)
        return self._proxied

    def internal(self, site: str, address: IPv4Address) -> bool:
        """Whether the site's router keeps ``address`` inside the customer network."""
        tables = self.engine.tables
        a = int(address)
        return isinstance(tables.routes.route_class(a), Internal) and (
            tables.customer_decision(f"site:{site}", a).act is not Act.NO_ROUTE
        )


@dataclass
class Plan:
    design: Design
    file: str
    mode: Mode
    catalog: str  # the endpoint catalog's version line
    sites: list[SitePlan]
    skipped: list[tuple[str, str]]  # (site, why no PAC)
    findings: list[Finding]
    planner: Planner  # the engine the decisions came from (the lists ask it again)


def governing(host: str, patterns: Iterable[HostPattern]) -> list[HostPattern]:
    """The most specific of the patterns that match ``host`` (every one tied)."""
    hits = [p for p in patterns if p.matches(host)]
    if not hits:
        return []
    top = max(p.specificity for p in hits)
    return [p for p in hits if p.specificity == top]


def order(names: Iterable[Name]) -> list[Name]:
    """Most specific first; PROXY before DIRECT at equal specificity (first match wins).

    Exact names come first, those to the proxy before the others: two exact names never match
    the same host, so among them the order only helps the reader."""

    def key(n: Name) -> tuple[bool, int, bool, str]:
        p = n.pattern
        return (p.wildcard, -p.literal if p.wildcard else 0, n.direct, p.text)

    return sorted(names, key=key)


def prune(ordered: list[Name]) -> list[Name]:
    """Mark the catalog's PROXY entries that no later DIRECT entry could catch: the final
    ``return`` gives them the proxy already."""
    out: list[Name] = []
    for i, n in enumerate(ordered):
        needed = n.direct or n.origin != "catalog"
        if not needed:
            needed = any(m.direct and n.pattern.may_overlap(m.pattern) for m in ordered[i + 1 :])
        out.append(n if needed else Name(n.pattern, n.direct, n.sets, n.origin, n.note, False))
    return out
