"""Facts the rules share: special-purpose ranges, ASN classes, entry paths, catalog look-ups.

Address questions are set operations on ``ipaddress`` networks (overlap, containment), never
loops over addresses.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from ipaddress import IPv4Address, IPv4Network

from erplan.catalogs import Catalogs
from erplan.model import ENTRY_EXPRESSROUTE, ENTRY_INTERNET, Design, Service

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


def special_range(net: IPv4Network) -> str | None:
    """What makes ``net`` non-public, or None when it is a public (globally routable) prefix."""
    for special, what in SPECIAL_RANGES:
        if net.overlaps(special):
            return f"{what}, {special}"
    if not net.is_global:
        return "not globally routable"
    return None


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
    """A private ASN (RFC 6996) that is not otherwise reserved."""
    if reserved_asn(asn) is not None:
        return False
    return 64512 <= asn <= 65534 or 4200000000 <= asn <= 4294967294


# --- Entry paths of inbound services ------------------------------------------------------------


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


def covered(address: IPv4Address | IPv4Network, prefixes: Iterable[IPv4Network]) -> bool:
    """Whether some prefix of ``prefixes`` contains ``address`` entirely."""
    net = IPv4Network(address) if isinstance(address, IPv4Address) else address
    return any(net.subnet_of(p) for p in prefixes)


def internet_advertisements(design: Design) -> Iterator[tuple[str, int, IPv4Network]]:
    for name, breakout in design.breakouts.items():
        for i, prefix in enumerate(breakout.advertises):
            yield name, i, prefix


def effective_prepend(design: Design, circuit: str, prefix: IPv4Network) -> int:
    """AS-path prepends Microsoft sees for ``prefix`` on ``circuit`` (private ASNs are stripped)."""
    c = design.circuits[circuit]
    asn = c.prepend_asn if c.prepend_asn is not None else c.peer_asn
    if private_asn(asn):
        return 0
    return c.prepend.get(prefix, 0)


# --- Catalog look-ups -----------------------------------------------------------------------


def peering_region(catalogs: Catalogs, location: str) -> str | None:
    """The geopolitical region of a peering location (None when the catalog does not know it)."""
    record = catalogs.peering_location(location)
    return record.region if record is not None else None


def filter_communities(catalogs: Catalogs, services: Iterable[str]) -> set[str]:
    """The communities a route filter admitting ``services`` lets through."""
    out: set[str] = set()
    for service in services:
        record = catalogs.service(service)
        if record is not None:
            out.add(record.community)
    return out


def area_communities(catalogs: Catalogs, area: str) -> set[str]:
    """The communities carried by the ExpressRoute-able endpoint sets of a service area."""
    return {
        es.community
        for es in catalogs.sets_for_service_area(area)
        if es.express_route and es.community is not None
    }
