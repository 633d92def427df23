"""Which controls each traced connection crosses, read from the engine's paths there and back.

Guide 001 ('Applying security controls to Azure ExpressRoute for Microsoft 365 scenarios'):
controls apply per direction — traffic initiated on premises to Microsoft, initiated by
Microsoft to on premises, initiated on premises to the internet — and placement "determines the
ultimate end to end network between the user and Microsoft 365". A control counts for a
connection only where the traced packets reach it: a firewall listed on a circuit that a site's
routes never take, or on the primary link when Microsoft returns half the replies over the
secondary, does not inspect those connections. Topology alone cannot tell.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from erplan.analyses.verdicts import FlowResult, rows
from erplan.catalogs import Catalogs
from erplan.engine import Branch, Direction, Engine, Flow
from erplan.engine import Path as FlowPath
from erplan.engine.trace import device_at, edge_owner
from erplan.facts import purposes
from erplan.model import Design, Inspects, PathPolicy, Purpose

EXPRESSROUTE = "expressroute"
INTERNET = "internet"


def trace_all(design: Design, catalogs: Catalogs) -> tuple[Engine, list[FlowResult]]:
    """The engine and every flow row of ``design``: what the security analyses read, for a
    caller that has not traced the design already."""
    engine = Engine(design, catalogs)
    return engine, rows(engine)


def devices_on(path: FlowPath | None) -> tuple[str, ...]:
    """The devices a path's packets reach, in order (one entry per device name)."""
    if path is None:
        return ()
    names = (device_at(h.node)[0] for h in path.hops if h.node.startswith("device:"))
    return tuple(dict.fromkeys(names))


@dataclass(frozen=True)
class Inspection:
    """One flow row's connections against the controls its path kind requires."""

    result: FlowResult
    kind: str  # expressroute or internet
    edge: str  # the circuit or breakout the connection leaves or enters by
    direction: Inspects
    required: frozenset[Purpose]
    missing_there: frozenset[Purpose]  # not met on the way out (some branch)
    missing_back: frozenset[Purpose]  # not met on the way back (some branch)
    share: float  # connections with something missing
    crossed: tuple[str, ...]  # the devices the connections cross, there or back

    @property
    def flow(self) -> Flow:
        return self.result.flow

    @property
    def missing(self) -> frozenset[Purpose]:
        return self.missing_there | self.missing_back


def direction_of(flow: Flow) -> Inspects | None:
    if flow.direction is Direction.OUTBOUND:
        return Inspects.OUTBOUND_INTERNET if flow.third_party else Inspects.OUTBOUND_MICROSOFT
    if flow.direction is Direction.INBOUND:
        return Inspects.INBOUND_INTERNET if flow.kind == "internet" else Inspects.INBOUND_MICROSOFT
    return None


def edge_of(b: Branch) -> tuple[str, str] | None:
    """(path kind, circuit or breakout name) where the branch leaves or enters."""
    edge = b.forward.edge
    if edge is None:
        return None
    kind, _, name = (edge_owner(edge) or edge).partition(":")
    return (EXPRESSROUTE, name) if kind == "circuit" else (INTERNET, name)


class Controls:
    """The purposes each device applies to each direction, and the proxies flows go through."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.design = engine.design

    def meets(self, device: str, direction: Inspects) -> frozenset[Purpose]:
        dev = self.design.devices.get(device)
        if dev is None or not dev.up or direction not in dev.inspects:
            return frozenset()
        return purposes(dev)

    def proxies(self, flow: Flow) -> tuple[str | None, ...]:
        """The proxies a flow goes through (device names; None for a proxy without a device).
        A proxy terminates the connection: it sees both directions."""
        if flow.proxy is None or flow.endpoint_set is None or flow.origin not in self.design.sites:
            return ()
        es = self.engine.catalogs.endpoint_set(flow.endpoint_set)
        if es is None:
            return ()
        chain = self.engine.origins.proxy_chain(flow.origin, es)
        return tuple(None if h.name.startswith("site:") else h.name for h in chain)

    def met(self, devices: Iterable[str | None], direction: Inspects) -> frozenset[Purpose]:
        out: set[Purpose] = set()
        for d in devices:
            out |= {Purpose.PROXY} if d is None else self.meets(d, direction)
        return frozenset(out)


def policy_for(design: Design, kind: str, direction: Inspects) -> frozenset[Purpose]:
    if design.security is None:
        return frozenset()
    paths: PathPolicy = getattr(design.security, kind)
    outbound = direction in (Inspects.OUTBOUND_MICROSOFT, Inspects.OUTBOUND_INTERNET)
    return frozenset(paths.outbound if outbound else paths.inbound)


def inspections(engine: Engine, results: Iterable[FlowResult]) -> Iterator[Inspection]:
    """Every flow row per path kind and edge it takes, with what its connections cross."""
    controls = Controls(engine)
    for r in results:
        yield from inspect_row(controls, r)


def inspect_row(controls: Controls, r: FlowResult) -> Iterator[Inspection]:
    """One flow row per path kind and edge it takes, with what its connections cross."""
    direction = direction_of(r.flow)
    if direction is None:
        return
    design = controls.design
    proxies = controls.proxies(r.flow)
    by_edge: dict[tuple[str, str], list[Branch]] = {}
    for b in r.trace.branches:
        where = edge_of(b)
        if where is not None:
            by_edge.setdefault(where, []).append(b)
    for (kind, edge), branches in by_edge.items():
        required = policy_for(design, kind, direction)
        there: set[Purpose] = set()
        back: set[Purpose] = set()
        crossed: dict[str, None] = dict.fromkeys(p for p in proxies if p is not None)
        share = 0.0
        for b in branches:
            fwd, ret = devices_on(b.forward), devices_on(b.back)
            crossed.update(dict.fromkeys((*fwd, *ret)))
            lack_there = required - controls.met((*proxies, *fwd), direction)
            # No reply path: the connection failed before one (a flow verdict says so).
            lack_back = (
                required - controls.met((*proxies, *ret), direction)
                if b.back is not None
                else frozenset()
            )
            there |= lack_there
            back |= lack_back
            if lack_there or lack_back:
                share += b.weight
        yield Inspection(
            r,
            kind,
            edge,
            direction,
            required,
            frozenset(there),
            frozenset(back),
            share,
            tuple(crossed),
        )


def security_locations(design: Design) -> list[str]:
    """The sites designated as security/perimeter locations: as the policy names them, else
    the sites where a firewall stands on an internet breakout's path (the existing perimeter)."""
    if design.security is not None and design.security.locations:
        return list(design.security.locations)
    out: dict[str, None] = {}
    for b in design.breakouts.values():
        for name in b.devices:
            dev = design.devices.get(name)
            if dev is not None and Purpose.FIREWALL in purposes(dev):
                out[dev.site] = None
    return list(out)
