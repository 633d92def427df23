"""The customer network's edges: each circuit's customer edge and its two links, each with
its own BGP session to Microsoft, and each breakout's edge to the internet; the translations
made at each, and what a site router takes from them (the designated breakout's default route
first).

Built by ``customer.build`` once the site routers stand (docs/flow-semantics.md "Inside the
customer network"): configured from the design, never computed.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from ipaddress import IPv4Address, IPv4Network
from typing import TYPE_CHECKING

from erplan.emulate import frr, nft
from erplan.emulate.flows import closed_sites, special_hosts
from erplan.emulate.network import (
    BREAKOUT_TAG,
    DEFAULT,
    ER_COMMUNITIES,
    INTERNET,
    INTERNET_ASN,
    MICROSOFT,
    Builder,
    Draft,
)
from erplan.emulate.paths import (
    Chain,
    Devices,
    apply_translations,
    owned_positions,
    position_of,
)
from erplan.emulate.topology import Route, Session
from erplan.facts import (
    LINKS,
    MICROSOFT_ASN,
    internet_routes,
    link_advertisements,
    prepend_asn,
    region_preferences,
)
from erplan.facts_edges import NatPoint, Translation, breakout_edge, circuit_edge, link_edge
from erplan.model import Design, LinkName

if TYPE_CHECKING:
    from erplan.emulate.customer import Layout

ByPoint = dict[NatPoint, list[Translation]]

DESIGNATED_PREFERENCE = 200
OTHER_PREFERENCE = 100


@dataclass(frozen=True)
class MicrosoftSession:
    """One link's BGP session, as Microsoft sees it."""

    circuit: str
    link: LinkName
    peer: IPv4Address  # the customer edge's end of the control link
    peer_asn: int
    core_data_if: str  # Microsoft's interface on the link
    next_hop: IPv4Address  # the link edge's address on the link
    up: bool


def session(b: Builder, node: str, peer: IPv4Address, direct: bool = True) -> None:
    b.sessions.append(Session(node, peer, direct))


def default_preference(design_breakout: str | None, tags: dict[str, str]) -> list[frr.MapEntry]:
    """Import policy of a site router for default routes: its designated breakout first."""
    entries: list[frr.MapEntry] = []
    if design_breakout is not None and design_breakout in tags:
        entries.append(
            frr.MapEntry(
                prefixes=(DEFAULT,),
                communities=(tags[design_breakout],),
                local_preference=DESIGNATED_PREFERENCE,
            )
        )
    entries.append(frr.MapEntry(prefixes=(DEFAULT,), local_preference=OTHER_PREFERENCE))
    return entries


def breakout_tags(b: Builder) -> dict[str, str]:
    return {name: f"{BREAKOUT_TAG}:{i + 1}" for i, name in enumerate(b.design.breakouts)}


def add_circuit(
    b: Builder,
    layout: Layout,
    devices: Devices,
    by_point: ByPoint,
    inside: list[IPv4Network],
    neighbors: dict[str, list[frr.Neighbor]],
    i: int,
    name: str,
) -> None:
    design = b.design
    c = design.circuits[name]
    router = layout.site_routers[c.site]
    ce = b.node(f"c{i}", "customer-edge", f"circuit {name} customer edge")
    ce.loopbacks.append(b.alloc.loopback())
    edge = circuit_edge(name)
    owned = owned_positions(design, edge, by_point)
    # What the links translate lies beyond the customer edge, for the circuit's devices too.
    beyond = owned.copy()
    beyond[len(c.devices) + 1] = [
        p
        for link in LINKS
        for ps in owned_positions(design, link_edge(name, link), by_point).values()
        for p in ps
    ]
    chain = devices.chain(router, ce.name, c.devices, edge, inside, beyond)
    _owned_routes(layout, router, chain, beyond)
    b.drafts[router].routes += devices.through(chain)
    ce.routes.append(Route(DEFAULT, (chain.outer.peer,)))
    s_end, ce_end = b.link(router, ce.name)
    neighbors[router].append(
        frr.Neighbor(
            ce_end.address,
            b.asn,
            import_map=(frr.MapEntry(next_hop=chain.outer.address),),
            export_map=(frr.MapEntry(community_regex=ER_COMMUNITIES),),
            rr_client=True,
        )
    )
    session(b, router, ce_end.address)
    # The customer edge is a customer router like any other: it also holds the other
    # circuits' ExpressRoute routes (iBGP, through its site router, inwards), so a packet it
    # forwards towards Microsoft (a reply it has just translated back) leaves by the circuit
    # local preference prefers, which need not be its own.
    ce_neighbors = [
        frr.Neighbor(
            s_end.address,
            b.asn,
            import_map=(frr.MapEntry(community_regex=ER_COMMUNITIES, next_hop=chain.outer.peer),),
            export_map=(frr.MapEntry(community_regex=ER_COMMUNITIES),),
        )
    ]
    session(b, ce.name, s_end.address)
    link_ifs: list[str] = []
    advertised: dict[IPv4Network, None] = {}
    for link in LINKS:
        lc = c.links.get(link)
        up = c.up and (lc is None or lc.up)
        ln = b.node(f"l{i}{link.value[0]}", "link-edge", f"circuit {name} {link.value} link edge")
        ln.loopbacks.append(b.alloc.loopback())
        ledge = link_edge(name, link)
        b.edges[ln.name] = ledge.id
        lowned = owned_positions(design, ledge, by_point)
        lchain = devices.chain(ce.name, ln.name, lc.devices if lc else [], ledge, inside, lowned)
        link_ifs.append(lchain.inner.ifname)
        hops: dict[IPv4Network, list[IPv4Address]] = defaultdict(list)
        for prefixes in lowned.values():
            for p in prefixes:
                hops[p].append(lchain.inner.peer)
        for p, hs in hops.items():
            ce.routes.append(Route(p, tuple(hs)))
        ce.routes += devices.through(lchain)
        subnet = c.primary_subnet if link is LinkName.PRIMARY else c.secondary_subnet
        l_end, ms_end = b.link(ln.name, MICROSOFT, subnet=subnet, up=up)
        if up:
            ln.routes.append(Route(DEFAULT, (l_end.peer,)))
        for p in inside:
            ln.routes.append(Route(p, (lchain.outer.peer,)))
        ln.ruleset["edge_outside"] = (l_end.ifname,)
        _edge_nat(devices, ln, NatPoint(ledge), by_point, lchain, (l_end.ifname,))
        ctl_ce, _ = b.link(ce.name, MICROSOFT)
        adverts = link_advertisements(design, name, link)
        advertised.update(dict.fromkeys(adverts))
        ce_neighbors.append(
            frr.Neighbor(
                ctl_ce.peer,
                MICROSOFT_ASN,
                import_map=(
                    _preferences(b, name, lchain.inner.peer) if devices.up(lchain) else frr.DENY_ALL
                ),
                export_map=_advertise(design, name, adverts),
                local_as=c.peer_asn,
                multihop=True,
                shutdown=not up,
            )
        )
        if up:
            session(b, ce.name, ctl_ce.peer)
        layout.sessions.append(
            MicrosoftSession(
                name, link, ctl_ce.address, c.peer_asn, ms_end.ifname, l_end.address, up
            )
        )
    # The customer edge routes the customer network's own prefixes inwards, as every edge
    # does: longest prefix first, an internal prefix is never sent back to Microsoft because
    # Microsoft advertises the same one (what the links translate excepted: it lies beyond).
    outward = {r.prefix for r in ce.routes}
    ce.routes += [Route(p, (chain.outer.peer,)) for p in inside if p not in outward]
    _edge_nat(devices, ce, NatPoint(edge), by_point, chain, tuple(link_ifs))
    ce.bgp = frr.Bgp(
        b.asn,
        ce.loopbacks[0],
        neighbors=tuple(ce_neighbors),
        networks=tuple((p, ()) for p in advertised),
    )


def _preferences(b: Builder, circuit: str, next_hop: IPv4Address) -> tuple[frr.MapEntry, ...]:
    """What a customer edge sets on Microsoft's routes: the local preference of each regional
    community it prefers (guide 000 §7.3.1, cold potato), first match wins, then its own."""
    c = b.design.circuits[circuit]
    entries = [
        frr.MapEntry(communities=(community,), local_preference=pref, next_hop=next_hop)
        for community, pref in sorted(region_preferences(b.design, b.catalogs, circuit).items())
    ]
    entries.append(frr.MapEntry(local_preference=c.local_preference, next_hop=next_hop))
    return tuple(entries)


def _advertise(
    design: Design, circuit: str, adverts: tuple[IPv4Network, ...]
) -> tuple[frr.MapEntry, ...]:
    """What a link's session sends Microsoft: its prefixes, each with its prepends."""
    c = design.circuits[circuit]
    asn = prepend_asn(c)
    entries = [frr.MapEntry(prefixes=(p,), prepend=(asn,) * c.prepend.get(p, 0)) for p in adverts]
    return tuple(entries) if entries else frr.DENY_ALL


def _owned_routes(
    layout: Layout, router: str, chain: Chain, owned: dict[int, list[IPv4Network]]
) -> None:
    for prefixes in owned.values():
        for p in prefixes:
            layout.owned_routes[router][p].append(chain.inner.peer)


def _edge_nat(
    devices: Devices,
    draft: Draft,
    point: NatPoint,
    by_point: ByPoint,
    chain: Chain,
    outside: tuple[str, ...],
) -> None:
    """Translations made on this path: at the edge router itself, or at a device of it."""
    ts = by_point.get(point, [])
    if ts:
        apply_translations(devices, draft, point, ts, (chain.outer.ifname,), outside)
        draft.ruleset["stateful_inside"] = (chain.outer.ifname,)
    for p, pts in by_point.items():
        if p.edge == point.edge and p.device is not None:
            pos = position_of(chain, p.device)
            dev = devices.node(p.device)
            apply_translations(devices, dev, p, pts, (pos.inside.ifname,), (pos.outside.ifname,))


def add_breakout(
    b: Builder,
    layout: Layout,
    devices: Devices,
    by_point: ByPoint,
    inside: list[IPv4Network],
    neighbors: dict[str, list[frr.Neighbor]],
    i: int,
    name: str,
) -> None:
    design = b.design
    bo = design.breakouts[name]
    router = layout.site_routers[bo.site]
    node = b.node(f"b{i}", "breakout-edge", f"breakout {name} edge")
    node.loopbacks.append(b.alloc.loopback())
    edge = breakout_edge(name)
    b.edges[node.name] = edge.id
    owned = owned_positions(design, edge, by_point)
    chain = devices.chain(router, node.name, bo.devices, edge, inside, owned)
    _owned_routes(layout, router, chain, owned)
    b.drafts[router].routes += devices.through(chain)
    out_end, inet_end = b.link(node.name, INTERNET, up=bo.up)
    layout.internet_ifs[name] = inet_end.ifname
    if bo.up:
        node.routes.append(Route(DEFAULT, (out_end.peer,)))
    for p in inside:
        node.routes.append(Route(p, (chain.outer.peer,)))
    node.ruleset["edge_outside"] = (out_end.ifname,)
    _edge_nat(devices, node, NatPoint(edge), by_point, chain, (out_end.ifname,))
    clients = [p for s in closed_sites(design) for p in design.sites[s].prefixes]
    if clients:
        node.add(
            "client_filters",
            nft.ClientFilter(
                (chain.outer.ifname,),
                tuple(clients),
                tuple(special_hosts(design)),
                tuple(IPv4Network(a) for a in layout.clouds),
            ),
        )
    tag = breakout_tags(b)[name]
    s_end, b_end = b.link(router, node.name)
    prefer = default_preference(design.site_breakout(bo.site), breakout_tags(b))
    anchor = (layout.egress[name][0],) if name in layout.egress and bo.up else ()
    announced = tuple(IPv4Network(a) for a in anchor)
    neighbors[router].append(
        frr.Neighbor(
            b_end.address,
            b.asn,
            import_map=tuple(
                frr.MapEntry(
                    prefixes=e.prefixes,
                    communities=e.communities,
                    local_preference=e.local_preference,
                    next_hop=chain.outer.address,
                )
                for e in prefer
            )
            + tuple(frr.MapEntry(prefixes=(p,), next_hop=chain.outer.address) for p in announced),
            export_map=frr.DENY_ALL,
            rr_client=True,
        )
    )
    session(b, router, b_end.address)
    session(b, node.name, s_end.address)
    routes = internet_routes(design, name)
    layout.internet_peers.append((name, out_end.address, bo.up))
    node.bgp = frr.Bgp(
        b.asn,
        node.loopbacks[0],
        neighbors=(
            frr.Neighbor(
                s_end.address,
                b.asn,
                import_map=frr.DENY_ALL,
                export_map=(frr.MapEntry(prefixes=(DEFAULT, *announced)),),
            ),
            frr.Neighbor(
                out_end.peer,
                INTERNET_ASN,
                import_map=frr.DENY_ALL,
                export_map=(frr.MapEntry(prefixes=routes),) if routes else frr.DENY_ALL,
                shutdown=not bo.up,
            ),
        ),
        networks=(((DEFAULT, (tag,)),) if bo.up else ())
        + tuple((p, ()) for p in (*routes, *announced)),
    )
    if bo.up:
        session(b, node.name, out_end.peer)
