"""Facts that follow from the design alone, defined once for every stage that needs them.

The rules, the flow engine and the emulation all read these: what Microsoft accepts on a
session and how long the AS path it sees is, which communities a route filter admits, what
the internet routes to a breakout (where each device stands and which node translates into
which pool: ``facts_edges``). They are facts, not decisions: no route is chosen here and no
flow is traced.

Address questions are set operations on ``ipaddress`` networks (overlap, containment), never
loops over addresses.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from ipaddress import IPv4Address, IPv4Network

from erplan.catalogs import Catalogs, EndpointSet
from erplan.model import (
    Circuit,
    Connectivity,
    Design,
    Device,
    DeviceKind,
    Duty,
    LinkName,
    Party,
    Purpose,
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


# --- What the internet routes to a breakout ------------------------------------------------


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
