"""Where devices stand and who translates: the edges where the customer network meets
Microsoft or the internet (and the split before a circuit's links), the devices in front of
each, the NAT point that performs an edge's translations, the entry paths and inbound pools of
a service, and every translation of the design with its owner. Facts, like ``facts``: no route
is chosen here and no flow is traced."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from enum import StrEnum
from ipaddress import IPv4Address, IPv4Network

from erplan.facts import LINKS
from erplan.model import ENTRY_EXPRESSROUTE, ENTRY_INTERNET, Design, DeviceKind, LinkName, Service


class EdgeKind(StrEnum):
    CIRCUIT = "circuit"  # a circuit's customer edge, before the split
    LINK = "link"  # one link's edge router, after the split
    BREAKOUT = "breakout"  # an internet breakout's edge router


@dataclass(frozen=True, slots=True)
class Edge:
    """Where the customer network meets Microsoft or the internet, or the split before it."""

    kind: EdgeKind
    name: str  # circuit or breakout name
    link: LinkName | None = None

    @property
    def id(self) -> str:
        """The name outputs and the emulation use: ``circuit:C/primary``, ``breakout:B``."""
        if self.kind is EdgeKind.BREAKOUT:
            return f"breakout:{self.name}"
        if self.kind is EdgeKind.LINK:
            return f"circuit:{self.name}/{self.link}"
        return f"circuit:{self.name}"


def circuit_edge(circuit: str) -> Edge:
    return Edge(EdgeKind.CIRCUIT, circuit)


def link_edge(circuit: str, link: LinkName) -> Edge:
    return Edge(EdgeKind.LINK, circuit, link)


def breakout_edge(breakout: str) -> Edge:
    return Edge(EdgeKind.BREAKOUT, breakout)


def edge_devices(design: Design, edge: Edge) -> tuple[str, ...]:
    """The devices in front of an edge router, in order from the inside (site or customer
    edge) outwards."""
    if edge.kind is EdgeKind.BREAKOUT:
        return tuple(design.breakouts[edge.name].devices)
    c = design.circuits[edge.name]
    if edge.kind is EdgeKind.CIRCUIT:
        return tuple(c.devices)
    assert edge.link is not None
    return tuple(c.links[edge.link].devices) if edge.link in c.links else ()


@dataclass(frozen=True, slots=True)
class NatPoint:
    """Who performs an edge's translations: a device of kind nat in front of it, else the edge
    router itself."""

    edge: Edge
    device: str | None = None

    @property
    def id(self) -> str:
        return f"device:{self.device}" if self.device is not None else self.edge.id


def nat_point(design: Design, edge: Edge) -> NatPoint:
    for name in edge_devices(design, edge):
        dev = design.devices.get(name)
        if dev is not None and dev.kind is DeviceKind.NAT:
            return NatPoint(edge, name)
    return NatPoint(edge)


def static_nat(design: Design, point: NatPoint) -> bool:
    """Whether the point's destination-NAT mappings are stateless one-to-one static NAT."""
    return point.device is not None and design.devices[point.device].static_nat


class TranslationKind(StrEnum):
    SNAT = "snat"  # outbound source NAT into a pool
    INBOUND_SNAT = "inbound-snat"  # source NAT of inbound connections into a pool
    DNAT = "dnat"  # a published address mapped to an internal one


@dataclass(frozen=True, slots=True)
class Translation:
    """One translation rule and the node that performs it (and owns its addresses)."""

    kind: TranslationKind
    prefix: IPv4Network  # the pool, or the published address as /32
    point: NatPoint
    service: str | None = None  # for DNAT and inbound SNAT
    target: IPv4Address | None = None  # DNAT: the internal address


def entry_circuits(design: Design, service: Service) -> list[str]:
    """The circuits an inbound service is meant to be entered by ('expressroute' = all)."""
    out: list[str] = []
    for entry in service.entry:
        names = list(design.circuits) if entry == ENTRY_EXPRESSROUTE else [entry]
        out.extend(n for n in names if n in design.circuits and n not in out)
    return out


def entry_breakouts(design: Design, service: Service) -> list[str]:
    """The breakouts an inbound service is meant to be entered by ('internet' = all)."""
    out: list[str] = []
    for entry in service.entry:
        names = list(design.breakouts) if entry == ENTRY_INTERNET else [entry]
        out.extend(n for n in names if n in design.breakouts and n not in out)
    return out


def entry_index(service: Service, name: str, kind: str) -> int | None:
    """The index in ``service.entry`` that names entry ``name`` (or the generic ``kind``)."""
    for i, entry in enumerate(service.entry):
        if entry == name:
            return i
    for i, entry in enumerate(service.entry):
        if entry == kind:
            return i
    return None


def inbound_pool(design: Design, service: Service, entry: str) -> IPv4Network | None:
    """The inbound source-NAT pool applied to the service's flows entering by ``entry``."""
    if entry in service.inbound_snat:
        return service.inbound_snat[entry]
    if entry in design.circuits:
        pool = design.circuits[entry].inbound_snat_pool
        if pool is not None:
            return pool
        return service.inbound_snat.get(ENTRY_EXPRESSROUTE)
    if entry in design.breakouts:
        return service.inbound_snat.get(ENTRY_INTERNET)
    return None


def service_entry_edges(design: Design, service: Service) -> list[Edge]:
    """The edges where a service's destination-NAT mapping is held: its entry paths."""
    return [circuit_edge(c) for c in entry_circuits(design, service)] + [
        breakout_edge(b) for b in entry_breakouts(design, service)
    ]


def translations(design: Design) -> Iterator[Translation]:
    """Every translation rule of the design with the node that performs it, in design order."""
    for name, c in design.circuits.items():
        if c.snat_pool is not None:
            yield Translation(
                TranslationKind.SNAT, c.snat_pool, nat_point(design, circuit_edge(name))
            )
        for link in LINKS:
            if link in c.links and c.links[link].snat_pool is not None:
                pool = c.links[link].snat_pool
                assert pool is not None
                yield Translation(
                    TranslationKind.SNAT, pool, nat_point(design, link_edge(name, link))
                )
    for name, b in design.breakouts.items():
        for net in b.nat:
            yield Translation(TranslationKind.SNAT, net, nat_point(design, breakout_edge(name)))
    for sname, svc in design.services.items():
        for edge in service_entry_edges(design, svc):
            point = nat_point(design, edge)
            if svc.internal_address is not None:
                yield Translation(
                    TranslationKind.DNAT,
                    IPv4Network(svc.public_address),
                    point,
                    service=sname,
                    target=svc.internal_address,
                )
            pool = inbound_pool(design, svc, edge.name)
            if pool is not None:
                yield Translation(TranslationKind.INBOUND_SNAT, pool, point, service=sname)
