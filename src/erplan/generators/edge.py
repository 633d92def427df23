"""What one circuit's customer edge must do, in no dialect: the sessions to both Microsoft edges,
what each advertises and accepts, preferences, prepends, the route scope towards the inside, and
the translations the edge router performs (or leaves to a NAT device in front of it).

Every value comes from ``erplan.facts`` (advertisements per link, pools, communities, NAT
points, translations): nothing here decides anew what the design means. The dialects (FRR,
nftables, IOS-XE, Junos) only render a ``CircuitEdge``; tests compare them through it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from ipaddress import IPv4Address, IPv4Network

from erplan import facts, facts_edges
from erplan.catalogs import Catalogs
from erplan.generators.safe import ident
from erplan.model import Design, DeviceKind, Duty, Inspects, LinkName, Party

ObjectPath = tuple[str | int, ...]


class Feature(StrEnum):
    """What a design may ask of a customer edge; each generator declares those it renders."""

    BGP = "bgp"  # sessions to both Microsoft edges, advertisements, route filter communities
    PER_LINK_ADVERTISEMENTS = "per-link-advertisements"
    PREPEND = "prepend"
    REGION_PREFERENCE = "region-preference"
    CIRCUIT_SNAT = "circuit-snat"  # outbound source NAT before the split
    LINK_SNAT = "link-snat"  # outbound source NAT per link
    DNAT = "dnat"
    INBOUND_SNAT = "inbound-snat"
    NAT_DEVICE = "nat-device"  # a device of kind nat translates instead of the edge router
    STATIC_NAT = "static-nat"  # stateless one-to-one NAT on a device
    ROUTE_SCOPE = "route-scope"  # sites that must not receive the ExpressRoute routes


ALL_FEATURES = frozenset(Feature)


@dataclass(frozen=True, slots=True)
class Use:
    """A feature the design uses, where (for the refusal's FILE:LINE:COL)."""

    feature: Feature
    path: ObjectPath
    what: str


@dataclass(frozen=True, slots=True)
class Session:
    """One link's eBGP session to its Microsoft edge (MSEE, AS 12076)."""

    link: LinkName
    subnet: IPv4Network
    local: IPv4Address  # the customer's address: first usable of the /30
    peer: IPv4Address  # the MSEE's: second usable
    vlan: int
    advertises: tuple[IPv4Network, ...]
    prepends: tuple[tuple[IPv4Network, int], ...]


@dataclass(frozen=True, slots=True)
class Snat:
    """Outbound source NAT into ``pool`` of new connections leaving by ``links``."""

    pool: IPv4Network
    links: tuple[LinkName, ...]
    point: str  # NAT point id: the edge router or device:NAME


@dataclass(frozen=True, slots=True)
class Dnat:
    """A published address mapped to the internal one, for connections entering here."""

    service: str
    public: IPv4Address
    internal: IPv4Address
    ports: tuple[int, ...]
    point: str


@dataclass(frozen=True, slots=True)
class InboundSnat:
    """Source NAT into ``pool`` of connections entering here towards ``dest`` (after DNAT)."""

    service: str
    dest: IPv4Address
    ports: tuple[int, ...]
    pool: IPv4Network
    point: str


@dataclass(frozen=True)
class CircuitEdge:
    circuit: str
    ident: str
    peering_location: str
    site: str
    asn: int
    prepend_asn: int
    sessions: tuple[Session, ...]
    services: tuple[tuple[str, str], ...]  # (service, community) the route filter admits
    local_preference: int
    region_preference: tuple[tuple[str, str, int], ...]  # (region, community, preference)
    snat: tuple[Snat, ...]
    dnat: tuple[Dnat, ...]
    inbound_snat: tuple[InboundSnat, ...]
    devices: tuple[tuple[str, str, str], ...]  # (where, device, kind): bumps not configured here
    # Services entered by this circuit: (service, address after DNAT, ports).
    entries: tuple[tuple[str, IPv4Address, tuple[int, ...]], ...]
    scope: tuple[str, ...]  # sites the ExpressRoute routes are propagated to
    out_of_scope: tuple[str, ...]  # sites with er_routes: false
    uses: tuple[Use, ...] = field(default=())
    # The provider's side (guide 000 §5.1, guide 001): devices it manages on this circuit's
    # paths, and whether it runs the Microsoft peering with its own ASN.
    provider_devices: tuple[str, ...] = ()
    provider_peers: bool = False
    # Every site's prefixes: the routes the inside network carries.
    site_prefixes: tuple[IPv4Network, ...] = ()

    @property
    def communities(self) -> tuple[str, ...]:
        return tuple(sorted({c for _, c in self.services}, key=_community_key))

    @property
    def networks(self) -> tuple[IPv4Network, ...]:
        """Every prefix announced on some session (the routes the router must originate)."""
        out: dict[IPv4Network, None] = {}
        for s in self.sessions:
            out.update(dict.fromkeys(s.advertises))
        return tuple(out)

    @property
    def inside_pools(self) -> tuple[IPv4Network, ...]:
        """The inbound SNAT pools this router translates into: the servers' replies to them
        must be routed back to it, so it announces them to the inside (never to Microsoft)."""
        return tuple(dict.fromkeys(s.pool for s in self.router_inbound_snat()))

    def anchors(self) -> tuple[tuple[IPv4Network, IPv4Address | None], ...]:
        """The route each originated prefix hangs on, at the anchor distance: a discard (None),
        or, for an advertised prefix inside a site's prefix that is no pool of this edge (a
        server's /32 in a DMZ), the covering prefix's own address, resolved through the inside
        route: a discard more specific than that route would swallow the server's traffic."""
        pools = {x.pool for x in self.snat} | {x.pool for x in self.inbound_snat}
        out: list[tuple[IPv4Network, IPv4Address | None]] = []
        for p in self.networks + self.inside_pools:
            covers = [s for s in self.site_prefixes if p != s and p.subnet_of(s)]
            if p in pools or not covers:
                out.append((p, None))
            else:
                out.append((p, max(covers, key=lambda s: s.prefixlen).network_address))
        return tuple(out)

    def router_snat(self) -> tuple[Snat, ...]:
        return tuple(s for s in self.snat if s.point == ROUTER)

    def router_dnat(self) -> tuple[Dnat, ...]:
        return tuple(d for d in self.dnat if d.point == ROUTER)

    def router_inbound_snat(self) -> tuple[InboundSnat, ...]:
        return tuple(s for s in self.inbound_snat if s.point == ROUTER)

    def nat_devices(self) -> tuple[str, ...]:
        points = [x.point for x in self.snat]
        points += [x.point for x in self.dnat] + [x.point for x in self.inbound_snat]
        return tuple(dict.fromkeys(p.removeprefix("device:") for p in points if p != ROUTER))

    def customer_nat_devices(self) -> tuple[str, ...]:
        """The NAT devices the customer configures (the provider's are its own business)."""
        return tuple(d for d in self.nat_devices() if d not in self.provider_devices)


ROUTER = "router"  # the NAT point is the edge router itself


def _community_key(c: str) -> tuple[int, int]:
    asn, _, value = c.partition(":")
    return int(asn), int(value)


class Missing(Exception):
    """The design lacks what a customer-edge configuration needs (path, message)."""

    def __init__(self, path: ObjectPath, message: str) -> None:
        super().__init__(message)
        self.path = path
        self.message = message


def _point_id(point: facts_edges.NatPoint) -> str:
    return ROUTER if point.device is None else f"device:{point.device}"


def circuit_edge(design: Design, catalogs: Catalogs, name: str) -> CircuitEdge:
    """The customer edge of circuit ``name``; ``Missing`` when the design lacks a value the
    configuration cannot do without."""
    c = design.circuits[name]
    base: ObjectPath = ("circuits", name)
    subnets = {LinkName.PRIMARY: c.primary_subnet, LinkName.SECONDARY: c.secondary_subnet}
    for link, subnet in subnets.items():
        if subnet is None:
            raise Missing(base, f"circuit {name!r} has no {link.value}_subnet (the link's /30)")
        if subnet.prefixlen != 30:
            raise Missing(
                (*base, f"{link.value}_subnet"),
                f"circuit {name!r}: {link.value}_subnet {subnet} is not a /30",
            )
    if c.vlan is None:
        raise Missing(base, f"circuit {name!r} has no vlan (the peering's 802.1Q VLAN ID)")
    uses: list[Use] = [Use(Feature.BGP, base, "Microsoft peering")]
    sessions = []
    for link in facts.LINKS:
        subnet = subnets[link]
        assert subnet is not None
        hosts = list(subnet.hosts())
        adv = facts.link_advertisements(design, name, link)
        pre = tuple((p, n) for p, n in c.prepend.items() if n > 0 and p in adv)
        sessions.append(Session(link, subnet, hosts[0], hosts[1], c.vlan, adv, pre))
        if link in c.links and c.links[link].advertises:
            uses.append(
                Use(
                    Feature.PER_LINK_ADVERTISEMENTS,
                    (*base, "links", link.value, "advertises"),
                    f"{link.value} link advertisements",
                )
            )
    if any(n > 0 for n in c.prepend.values()):
        uses.append(Use(Feature.PREPEND, (*base, "prepend"), "AS-path prepending"))
    services = []
    for svc in c.route_filter:
        record = catalogs.service(svc)
        if record is not None and (record.name, record.community) not in services:
            services.append((record.name, record.community))
    regions = []
    for region, pref in c.region_preference.items():
        rc = catalogs.regional_community(region)
        if rc is not None:
            regions.append((rc.region, rc.community, pref))
    if regions:
        uses.append(Use(Feature.REGION_PREFERENCE, (*base, "region_preference"), "cold potato"))
    snat, dnat, inbound = _translations(design, name, uses)
    devices = []
    for edge in (
        facts_edges.circuit_edge(name),
        *(facts_edges.link_edge(name, lk) for lk in facts.LINKS),
    ):
        where = "circuit" if edge.link is None else edge.link.value
        point = facts_edges.nat_point(design, edge)
        for dev in facts_edges.edge_devices(design, edge):
            if dev != point.device:
                devices.append((where, dev, describe(design, dev)))
    entries = tuple(
        (sname, svc.internal_address or svc.public_address, tuple(svc.ports))
        for sname, svc in design.services.items()
        if name in facts_edges.entry_circuits(design, svc)
    )
    scope = tuple(s for s, site in design.sites.items() if site.er_routes)
    out = tuple(s for s, site in design.sites.items() if not site.er_routes)
    for s in out:
        uses.append(Use(Feature.ROUTE_SCOPE, ("sites", s, "er_routes"), f"route scope of {s}"))
    return CircuitEdge(
        circuit=name,
        ident=ident(name),
        peering_location=c.peering_location,
        site=c.site,
        asn=c.peer_asn,
        prepend_asn=facts.prepend_asn(c),
        sessions=tuple(sessions),
        services=tuple(services),
        local_preference=c.local_preference,
        region_preference=tuple(regions),
        snat=snat,
        dnat=dnat,
        inbound_snat=inbound,
        devices=tuple(devices),
        entries=entries,
        scope=scope,
        out_of_scope=out,
        uses=tuple(uses),
        provider_devices=tuple(
            dev
            for e in (
                facts_edges.circuit_edge(name),
                *(facts_edges.link_edge(name, lk) for lk in facts.LINKS),
            )
            for dev in facts_edges.edge_devices(design, e)
            if design.devices[dev].managed_by is Party.PROVIDER
        ),
        provider_peers=facts.duty(c, Duty.ASN) is Party.PROVIDER,
        site_prefixes=tuple(p for site in design.sites.values() for p in site.prefixes),
    )


def describe(design: Design, name: str) -> str:
    """A device's kind, and what the design says of its role when it says more."""
    dev = design.devices[name]
    parts = [dev.kind.value]
    if dev.purpose is not None:
        parts.append("for " + ", ".join(p.value for p in dev.purpose))
    if set(dev.inspects) != set(Inspects):
        parts.append("inspects " + ", ".join(i.value for i in dev.inspects))
    if dev.ssl_inspection:
        parts.append("TLS inspection")
    if dev.managed_by is Party.PROVIDER:
        parts.append("managed by the provider")
    return "; ".join(parts)


def _translations(
    design: Design, circuit: str, uses: list[Use]
) -> tuple[tuple[Snat, ...], tuple[Dnat, ...], tuple[InboundSnat, ...]]:
    snat: list[Snat] = []
    dnat: list[Dnat] = []
    inbound: list[InboundSnat] = []
    for t in facts_edges.translations(design):
        edge = t.point.edge
        if edge.kind is facts_edges.EdgeKind.BREAKOUT or edge.name != circuit:
            continue
        point = _point_id(t.point)
        if t.point.device is not None:
            dev = design.devices[t.point.device]
            uses.append(Use(Feature.NAT_DEVICE, ("devices", t.point.device), "NAT device"))
            if dev.static_nat:
                uses.append(
                    Use(Feature.STATIC_NAT, ("devices", t.point.device, "static_nat"), "static")
                )
        if t.kind is facts_edges.TranslationKind.SNAT:
            links = facts.LINKS if edge.link is None else (edge.link,)
            snat.append(Snat(t.prefix, links, point))
            path: ObjectPath = ("circuits", circuit, "snat_pool")
            feature = Feature.CIRCUIT_SNAT
            if edge.link is not None:
                path = ("circuits", circuit, "links", edge.link.value, "snat_pool")
                feature = Feature.LINK_SNAT
            uses.append(Use(feature, path, "outbound source NAT"))
            continue
        assert t.service is not None
        svc = design.services[t.service]
        ports = tuple(svc.ports)
        if t.kind is facts_edges.TranslationKind.DNAT:
            assert t.target is not None
            dnat.append(Dnat(t.service, svc.public_address, t.target, ports, point))
            uses.append(Use(Feature.DNAT, ("services", t.service, "internal_address"), "DNAT"))
        else:
            dest = svc.internal_address or svc.public_address
            inbound.append(InboundSnat(t.service, dest, ports, t.prefix, point))
            uses.append(Use(Feature.INBOUND_SNAT, ("services", t.service), "inbound source NAT"))
    return tuple(snat), tuple(dnat), tuple(inbound)


def device_kind(design: Design, name: str) -> DeviceKind:
    return design.devices[name].kind
