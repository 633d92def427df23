"""Microsoft and the internet, as the design notes and docs/flow-semantics.md describe them.

Microsoft (AS 12076) is one namespace: every front end and initiator address is local to it.
On each link's session it accepts public prefixes other than a default route, strips private
ASNs from the path, prefers ExpressRoute to the internet (local preference, so only at equal
prefix length: the kernel's longest match comes first), compares AS-path lengths and balances
over every remaining link (multipath, hashing on ports). It sends each circuit the prefixes
whose service community the circuit's route filter admits, drops packets from a link whose
source is outside the circuit's accepted advertised prefixes, and ends a session that sends more
than 200 prefixes. The internet routes to every breakout's advertisements (every tie) and to
Microsoft; its own hosts (the geoDNS server, third-party servers) are local to it.
"""

from __future__ import annotations

from collections import defaultdict
from ipaddress import IPv4Address, IPv4Network

from erplan.catalogs import MICROSOFT_INTERNET_BLOCK
from erplan.emulate import frr, nft
from erplan.emulate.customer import Layout
from erplan.emulate.flows import resolver_pins
from erplan.emulate.geodns import geodns_table
from erplan.emulate.network import INTERNET, INTERNET_ASN, MICROSOFT, Builder
from erplan.emulate.topology import Route, Session
from erplan.facts import (
    DEFAULT_ROUTE,
    MAX_PREFIXES_PER_SESSION,
    MICROSOFT_ASN,
    SPECIAL_RANGES,
    circuit_communities,
    prepend_asn,
    private_asn,
    source_filter,
)

EXPRESSROUTE_PREFERENCE = 200  # above the internet's default 100


def start(b: Builder) -> None:
    ms = b.node(MICROSOFT, "microsoft", "Microsoft (front ends, initiators)")
    ms.loopbacks.append(b.alloc.loopback())
    inet = b.node(INTERNET, "internet", "the internet (geoDNS, third-party hosts)")
    inet.loopbacks += [b.alloc.loopback(), b.dns_server, b.third_party, b.internet_user]


def microsoft_prefixes(b: Builder) -> dict[IPv4Network, tuple[str, ...]]:
    """Every Microsoft prefix of the catalog with the communities it carries: service
    communities, and the regional community of a Dynamics 365 prefix (none for prefixes of
    sets that are not ExpressRoute-able)."""
    out: dict[IPv4Network, set[str]] = defaultdict(set)
    # Where Microsoft serves its sets that publish names only (not third parties): its own
    # internet-only addresses, advertised over no ExpressRoute session.
    out[MICROSOFT_INTERNET_BLOCK]
    for es in b.catalogs.endpoint_sets:
        for p in es.ips:
            out[p]
            if es.express_route and es.community is not None:
                out[p].add(es.community)
                if es.regional_community is not None:  # Dynamics 365: its region's too
                    out[p].add(es.regional_community)
    return {p: tuple(sorted(cs)) for p, cs in sorted(out.items())}


def _not_public() -> tuple[IPv4Network, ...]:
    """Special-purpose ranges and every prefix that covers one (both overlap a range)."""
    nets: dict[IPv4Network, None] = {}
    for special, _ in SPECIAL_RANGES:
        for length in range(1, special.prefixlen):
            nets[special.supernet(new_prefix=length)] = None
    return tuple(nets)


def build(b: Builder, layout: Layout) -> None:
    design = b.design
    ms = b.drafts[MICROSOFT]
    prefixes = microsoft_prefixes(b)
    for p in _collapse(list(prefixes)):
        ms.routes.append(Route(p, (), "local"))
    ms.agent["echo"] = True
    ms.ruleset["redirect"] = True
    ms_end, in_end = b.link(MICROSOFT, INTERNET)
    neighbors: list[frr.Neighbor] = []
    filters: list[nft.SourceFilter] = []
    specials = tuple(s for s, _ in SPECIAL_RANGES)
    for s in layout.sessions:
        c = design.circuits[s.circuit]
        private = tuple(dict.fromkeys(a for a in (c.peer_asn, prepend_asn(c)) if private_asn(a)))
        admitted = tuple(sorted(circuit_communities(design, b.catalogs, s.circuit)))
        neighbors.append(
            frr.Neighbor(
                s.peer,
                s.peer_asn,
                import_map=(
                    frr.MapEntry("deny", within=specials),
                    frr.MapEntry("deny", prefixes=(DEFAULT_ROUTE, *_not_public())),
                    frr.MapEntry(
                        local_preference=EXPRESSROUTE_PREFERENCE,
                        next_hop=s.next_hop,
                        exclude_asns=private,
                    ),
                ),
                export_map=(frr.MapEntry(communities=admitted),) if admitted else frr.DENY_ALL,
                multihop=True,
                shutdown=not s.up,
                soft_in=True,
            )
        )
        if s.up:
            b.sessions.append(Session(MICROSOFT, s.peer, True))
            b.limited.append((MICROSOFT, MICROSOFT_ASN, s.peer, MAX_PREFIXES_PER_SESSION))
        filters.append(nft.SourceFilter(s.core_data_if, source_filter(design, s.circuit)))
    neighbors.append(
        frr.Neighbor(
            in_end.address,
            INTERNET_ASN,
            export_map=(frr.MapEntry(prefixes=tuple(prefixes)),),
        )
    )
    b.sessions.append(Session(MICROSOFT, in_end.address, True))
    ms.ruleset["source_filters"] = tuple(filters)
    ms.bgp = frr.Bgp(
        MICROSOFT_ASN,
        ms.loopbacks[0],
        neighbors=tuple(neighbors),
        networks=tuple(prefixes.items()),
    )
    _internet(b, layout, ms_end.address)


def _internet(b: Builder, layout: Layout, microsoft: IPv4Address) -> None:
    inet = b.drafts[INTERNET]
    neighbors = [
        frr.Neighbor(addr, b.asn, export_map=frr.DENY_ALL, shutdown=not up)
        for _, addr, up in layout.internet_peers
    ]
    for _, addr, up in layout.internet_peers:
        if up:
            b.sessions.append(Session(INTERNET, addr, True))
    neighbors.append(frr.Neighbor(microsoft, MICROSOFT_ASN))
    b.sessions.append(Session(INTERNET, microsoft, True))
    # Cloud proxies connect to Microsoft from their own addresses, on the internet.
    clouds = tuple((IPv4Network(a), ()) for a in layout.clouds)
    inet.bgp = frr.Bgp(INTERNET_ASN, inet.loopbacks[0], neighbors=tuple(neighbors), networks=clouds)
    entries, notes = geodns_table(b.design, b.catalogs, b.third_party)
    b.notes.extend(notes)
    inet.agent["echo"] = True
    inet.agent["dns"] = {
        "listen": str(b.dns_server),
        "table": [
            {
                "breakout": e.breakout,
                "sources": [str(s) for s in e.sources],
                "front_end": e.front_end,
                "answers": {k: str(v) for k, v in e.answers.items()},
            }
            for e in entries
        ],
    }
    inet.ruleset["redirect"] = True
    inet.ruleset["dns_server"] = b.dns_server
    # A query pinned to one breakout (its mark) that arrives by another gets no answer.
    marks = resolver_pins(b.design)
    pins = []
    for breakout, ifname in layout.internet_ifs.items():
        others = tuple(m for egress, m in marks.items() if egress != breakout)
        if others:
            pins.append(nft.PinFilter(ifname, others))
    inet.ruleset["pin_filters"] = tuple(pins)


def _collapse(nets: list[IPv4Network]) -> list[IPv4Network]:
    from ipaddress import collapse_addresses

    return list(collapse_addresses(nets))
