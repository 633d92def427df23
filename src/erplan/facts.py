"""Facts that follow from the design alone, defined once for every stage that needs them.

The rules, the flow engine and the emulation all read these: what Microsoft accepts on a
session and how long the AS path it sees is, which communities a route filter admits, where
each device stands, which node translates into which pool. They are facts, not decisions: no
route is chosen here and no flow is traced.

Address questions are set operations on ``ipaddress`` networks (overlap, containment), never
loops over addresses.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from enum import StrEnum
from ipaddress import IPv4Address, IPv4Network

from erplan.catalogs import Catalogs, EndpointSet
from erplan.model import (
    ENTRY_EXPRESSROUTE,
    ENTRY_INTERNET,
    Circuit,
    Connectivity,
    Design,
    Device,
    DeviceKind,
    Duty,
    LinkName,
    Party,
    Purpose,
    Service,
)

LINKS: tuple[LinkName, LinkName] = (LinkName.PRIMARY, LinkName.SECONDARY)
MICROSOFT_ASN = 12076
# Prefixes Microsoft accepts per BGP session of the Microsoft peering; over it the session drops
# (FACTS.md §1.4, R-ROUTE).
MAX_PREFIXES_PER_SESSION = 200

# IANA IPv4 special-purpose ranges (RFC 6890 and successors) that must never be advertised to
# Microsoft or used as a Microsoft-peering address; ``ipaddress`` properties back this list up.
SPECIAL_RANGES: tuple[tuple[IPv4Network, str], ...] = tuple(
    (IPv4Network(net), what)
    for net, what in (
        ("0.0.0.0/8", "'this network' (RFC 791)"),
        ("10.0.0.0/8", "private (RFC 1918)"),
        ("100.64.0.0/10", "shared address space / CGNAT (RFC 6598)"),
        ("127.0.0.0/8", "loopback (RFC 1122)"),
        ("169.254.0.0/16", "link-local (RFC 3927)"),
        ("172.16.0.0/12", "private (RFC 1918)"),
        ("192.0.0.0/24", "IETF protocol assignments (RFC 6890)"),
        ("192.0.2.0/24", "documentation TEST-NET-1 (RFC 5737)"),
        ("192.88.99.0/24", "deprecated 6to4 relay anycast (RFC 7526)"),
        ("192.168.0.0/16", "private (RFC 1918)"),
        ("198.18.0.0/15", "benchmarking (RFC 2544)"),
        ("198.51.100.0/24", "documentation TEST-NET-2 (RFC 5737)"),
        ("203.0.113.0/24", "documentation TEST-NET-3 (RFC 5737)"),
        ("224.0.0.0/4", "multicast (RFC 5771)"),
        ("240.0.0.0/4", "reserved for future use (RFC 1112)"),
    )
)

DEFAULT_ROUTE = IPv4Network("0.0.0.0/0")


def special_range(net: IPv4Network | IPv4Address) -> str | None:
    """What makes ``net`` non-public, or None when it is public (globally routable)."""
    if isinstance(net, IPv4Address):
        net = IPv4Network(net)
    for special, what in SPECIAL_RANGES:
        if net.overlaps(special):
            return f"{what}, {special}"
    if not net.is_global:
        return "not globally routable"
    return None


def is_public(net: IPv4Network | IPv4Address) -> bool:
    return special_range(net) is None


# --- ASNs (FACTS.md §1.3) -----------------------------------------------------------------

MICROSOFT_ASNS = {
    8074: "an ASN of Microsoft's (Azure)",
    8075: "an ASN of Microsoft's (Azure)",
    12076: "Microsoft's own ASN on the peering (the MSEE side)",
}
RESERVED_ASN_RANGES: tuple[tuple[int, int, str], ...] = (
    (0, 0, "reserved (RFC 7607)"),
    (23456, 23456, "AS_TRANS (RFC 6793)"),
    (64496, 64511, "documentation (RFC 5398), not allowed in the AS path"),
    (65515, 65520, "reserved by Microsoft for internal use"),
    (65535, 65551, "reserved by IANA (RFC 7300, RFC 5398)"),
    (4294967295, 4294967295, "reserved (RFC 7300)"),
)


def reserved_asn(asn: int) -> str | None:
    """Why ``asn`` cannot be used on the Microsoft peering, or None."""
    if asn in MICROSOFT_ASNS:
        return MICROSOFT_ASNS[asn]
    for low, high, what in RESERVED_ASN_RANGES:
        if low <= asn <= high:
            return what
    return None


def private_asn(asn: int) -> bool:
    """A private ASN (RFC 6996) that is not otherwise reserved: Microsoft strips it."""
    if reserved_asn(asn) is not None:
        return False
    return 64512 <= asn <= 65534 or 4200000000 <= asn <= 4294967294


def prepend_asn(circuit: Circuit) -> int:
    return circuit.prepend_asn if circuit.prepend_asn is not None else circuit.peer_asn


def effective_prepend(design: Design, circuit: str, prefix: IPv4Network) -> int:
    """AS-path prepends Microsoft sees for ``prefix`` on ``circuit`` (private ASNs are stripped)."""
    c = design.circuits[circuit]
    if private_asn(prepend_asn(c)):
        return 0
    return c.prepend.get(prefix, 0)


def as_path_length(design: Design, circuit: str, prefix: IPv4Network) -> int:
    """The AS-path length Microsoft sees for ``prefix`` learned on ``circuit``: the peer ASN
    (unless private: stripped) plus the effective prepends."""
    c = design.circuits[circuit]
    own = 0 if private_asn(c.peer_asn) else 1
    return own + effective_prepend(design, circuit, prefix)


# --- What Microsoft learns on each session -------------------------------------------------


def accepted(prefix: IPv4Network) -> bool:
    """Whether Microsoft accepts ``prefix`` on the Microsoft peering: public, not a default."""
    return prefix.prefixlen > 0 and is_public(prefix)


def link_advertisements(design: Design, circuit: str, link: LinkName) -> tuple[IPv4Network, ...]:
    """Everything the customer sends on one link's session: the circuit's prefixes and the
    link's own, in design order, each once."""
    c = design.circuits[circuit]
    extra = c.links[link].advertises if link in c.links else []
    return tuple(dict.fromkeys([*c.advertises, *extra]))


Path = tuple[str | int, ...]


def advertisements(design: Design, circuit: str) -> Iterator[tuple[Path, IPv4Network]]:
    """Every prefix the circuit advertises, with where it stands in the design: the circuit's
    own (on both links) and each link's."""
    c = design.circuits[circuit]
    for i, prefix in enumerate(c.advertises):
        yield ("circuits", circuit, "advertises", i), prefix
    for link in LINKS:
        if link in c.links:
            for i, prefix in enumerate(c.links[link].advertises):
                yield ("circuits", circuit, "links", link.value, "advertises", i), prefix


def pools(design: Design, circuit: str) -> Iterator[tuple[Path, IPv4Network, LinkName | None]]:
    """The circuit's outbound SNAT pools: before the split (link None) or per link."""
    c = design.circuits[circuit]
    if c.snat_pool is not None:
        yield ("circuits", circuit, "snat_pool"), c.snat_pool, None
    for link in LINKS:
        if link in c.links and c.links[link].snat_pool is not None:
            pool = c.links[link].snat_pool
            assert pool is not None
            yield ("circuits", circuit, "links", link.value, "snat_pool"), pool, link


def session_up(design: Design, circuit: str, link: LinkName) -> bool:
    """The link's BGP session is up: circuit and link up, and no more prefixes sent than
    Microsoft accepts per session (over the limit, Microsoft drops the session)."""
    c = design.circuits[circuit]
    if not c.up or (link in c.links and not c.links[link].up):
        return False
    return len(link_advertisements(design, circuit, link)) <= MAX_PREFIXES_PER_SESSION


def learned_prefixes(design: Design, circuit: str, link: LinkName) -> tuple[IPv4Network, ...]:
    """What Microsoft installs from one link's session (none when the session is down)."""
    if not session_up(design, circuit, link):
        return ()
    return tuple(p for p in link_advertisements(design, circuit, link) if accepted(p))


def source_filter(design: Design, circuit: str) -> tuple[IPv4Network, ...]:
    """Microsoft's inbound filter on the circuit: the accepted advertised public prefixes of
    the peering (both links); a source outside them is dropped on entry (FACTS.md §1.4)."""
    out: dict[IPv4Network, None] = {}
    for link in LINKS:
        out.update(dict.fromkeys(p for p in link_advertisements(design, circuit, link)))
    return tuple(p for p in out if accepted(p))


# --- Route filters and communities ------------------------------------------------------------


def filter_communities(catalogs: Catalogs, services: Iterable[str]) -> set[str]:
    """The communities a route filter admitting ``services`` lets through."""
    out: set[str] = set()
    for service in services:
        record = catalogs.service(service)
        if record is not None:
            out.add(record.community)
    return out


def circuit_communities(design: Design, catalogs: Catalogs, circuit: str) -> frozenset[str]:
    return frozenset(filter_communities(catalogs, design.circuits[circuit].route_filter))


def region_preferences(design: Design, catalogs: Catalogs, circuit: str) -> dict[str, int]:
    """A circuit's local preference per regional community (regions the catalog does not know
    are refused at load)."""
    out: dict[str, int] = {}
    for region, pref in design.circuits[circuit].region_preference.items():
        rc = catalogs.regional_community(region)
        if rc is not None:
            out[rc.community] = pref
    return out


def dynamics_regional(design: Design, catalogs: Catalogs) -> set[str]:
    """The regional communities of the tenant's Dynamics 365 prefixes that some circuit's route
    filter admits: the only routes a per-region preference can act on."""
    admitted: set[str] = set()
    for c in design.circuits.values():
        admitted |= filter_communities(catalogs, c.route_filter)
    return {
        es.regional_community
        for es in dynamics_sets(design, catalogs)
        if es.express_route
        and es.regional_community is not None
        and es.community is not None
        and es.community in admitted
    }


def tenant_catalogs(design: Design, catalogs: Catalogs) -> Catalogs:
    """The catalogs with the tenant's Dynamics 365 sets (their prefixes come from the design)."""
    return catalogs.for_tenant({r: env.prefixes for r, env in design.tenant.dynamics.items()})


def dynamics_sets(design: Design, catalogs: Catalogs) -> tuple[EndpointSet, ...]:
    """The tenant's Dynamics 365 sets, in the design's order (unknown regions left out)."""
    out = []
    for region, env in design.tenant.dynamics.items():
        es = catalogs.dynamics_set(region, env.prefixes)
        if es is not None:
            out.append(es)
    return tuple(out)


def area_communities(catalogs: Catalogs, area: str) -> set[str]:
    """The communities carried by the ExpressRoute-able endpoint sets of a service area."""
    return {
        es.community
        for es in catalogs.sets_for_service_area(area)
        if es.express_route and es.community is not None
    }


def peering_region(catalogs: Catalogs, location: str) -> str | None:
    """The geopolitical region of a peering location (None when the catalog does not know it)."""
    record = catalogs.peering_location(location)
    return record.region if record is not None else None


# --- Where devices stand, and who translates -------------------------------------------------


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


def covered(address: IPv4Address | IPv4Network, prefixes: Iterable[IPv4Network]) -> bool:
    """Whether some prefix of ``prefixes`` contains ``address`` entirely."""
    net = IPv4Network(address) if isinstance(address, IPv4Address) else address
    return any(net.subnet_of(p) for p in prefixes)


def internet_routes(design: Design, breakout: str) -> tuple[IPv4Network, ...]:
    """What the internet routes to a breakout: its advertisements, and its NAT addresses that
    they do not cover (addresses of its ISP's, reachable through it)."""
    b = design.breakouts[breakout]
    if not b.up:
        return ()
    extra = [n for n in b.nat if not covered(n, b.advertises)]
    # No ISP learns a default route from a customer.
    return tuple(dict.fromkeys([*(p for p in b.advertises if p.prefixlen), *extra]))


def internet_advertisements(design: Design) -> Iterator[tuple[str, int, IPv4Network]]:
    for name, breakout in design.breakouts.items():
        for i, prefix in enumerate(breakout.advertises):
            yield name, i, prefix


# -- security (guide 000 §5.1; guide 001 'Applying security controls') ---------------------------

_KIND_PURPOSE: dict[DeviceKind, frozenset[Purpose]] = {
    DeviceKind.FIREWALL: frozenset({Purpose.FIREWALL}),
    DeviceKind.PROXY: frozenset({Purpose.PROXY}),
    DeviceKind.IDS: frozenset({Purpose.IDS}),
}


def duty(circuit: Circuit, what: Duty) -> Party | None:
    """Who meets an addressing duty of a circuit: as stated, else as its connectivity model
    says (an any-to-any IPVPN provider on the customer's behalf, otherwise the customer);
    None when neither is stated."""
    stated = {
        Duty.NAT: circuit.addressing.nat,
        Duty.PUBLIC_ADDRESSES: circuit.addressing.public_addresses,
        Duty.ASN: circuit.addressing.asn,
    }[what]
    if stated is not None:
        return stated
    if circuit.connectivity is None:
        return None
    return Party.PROVIDER if circuit.connectivity is Connectivity.IPVPN else Party.CUSTOMER


def purposes(device: Device) -> frozenset[Purpose]:
    """What a device does to the traffic it sees: as stated, else its kind's."""
    if device.purpose is not None:
        return frozenset(device.purpose)
    return _KIND_PURPOSE.get(device.kind, frozenset())
