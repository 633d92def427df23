"""The customer network: site routers and hosts, WAN, circuits with both links, breakouts.

Routing follows docs/flow-semantics.md "Inside the customer network", configured, never
computed: OSPF between site routers with the design's WAN costs; iBGP between every pair of
site routers (next hop self, so the IGP distance to a circuit's site decides), each site router
reflecting its circuits' and breakouts' routes; local preference per circuit set where its
routes are learned; the designated breakout's default route preferred at each site, the others
left to the IGP; route scope as a filter on what a scoped site router installs.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from ipaddress import IPv4Address, IPv4Network

from erplan.emulate import costs, frr, nft
from erplan.emulate.flows import (
    ProxySpec,
    closed_sites,
    host_address,
    pinned_clients,
    proxied_sites,
    proxy_of,
    resolver_site,
    service_host_addresses,
    special_hosts,
)
from erplan.emulate.network import (
    BREAKOUT_TAG,
    ER_COMMUNITIES,
    INTERNET,
    INTERNET_ASN,
    MICROSOFT,
    Builder,
    Draft,
    PlanError,
)
from erplan.emulate.paths import (
    Chain,
    Devices,
    apply_translations,
    finish_devices,
    internal_prefixes,
    owned_by_point,
    owned_positions,
    position_of,
    site_host_prefixes,
)
from erplan.emulate.topology import Route, Session
from erplan.facts import (
    LINKS,
    MICROSOFT_ASN,
    NatPoint,
    Translation,
    breakout_edge,
    circuit_edge,
    link_advertisements,
    link_edge,
    prepend_asn,
    region_preferences,
)
from erplan.model import Design, LinkName

ByPoint = dict[NatPoint, list[Translation]]

DEFAULT = IPv4Network("0.0.0.0/0")
EGRESS_TABLE = 200  # first kernel table of the proxies' policy routes
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


@dataclass
class Layout:
    site_routers: dict[str, str] = field(default_factory=dict)
    hosts: dict[str, str] = field(default_factory=dict)
    loopbacks: dict[str, IPv4Address] = field(default_factory=dict)
    resolvers: dict[str, IPv4Address] = field(default_factory=dict)
    proxies: dict[IPv4Address, ProxySpec] = field(default_factory=dict)
    # A proxy's egress breakout: the address its edge announces while up (the next hop of the
    # policy route every site router has for the proxy's connections) and that route's table.
    egress: dict[str, tuple[IPv4Address, int]] = field(default_factory=dict)
    sessions: list[MicrosoftSession] = field(default_factory=list)
    internet_peers: list[tuple[str, IPv4Address, bool]] = field(default_factory=list)
    internet_ifs: dict[str, str] = field(default_factory=dict)  # breakout -> internet's side
    # Per site router: prefixes to route down each path, by first hop.
    owned_routes: dict[str, dict[IPv4Network, list[IPv4Address]]] = field(
        default_factory=lambda: defaultdict(lambda: defaultdict(list))
    )


def _session(b: Builder, node: str, peer: IPv4Address, direct: bool = True) -> None:
    b.sessions.append(Session(node, peer, direct))


def build(b: Builder) -> Layout:
    design = b.design
    layout = Layout()
    devices = Devices(b)
    by_point = owned_by_point(design)
    inside = internal_prefixes(design, b.infra)
    neighbors: dict[str, list[frr.Neighbor]] = defaultdict(list)
    _sites(b, layout, devices)
    _wan(b, layout)
    for i, name in enumerate(design.circuits):
        _circuit(b, layout, devices, by_point, inside, neighbors, i, name)
    for i, name in enumerate(design.breakouts):
        _breakout(b, layout, devices, by_point, inside, neighbors, i, name)
    finish_devices(devices, by_point)
    for site, router in layout.site_routers.items():
        _site_bgp(b, layout, site, router, neighbors[router])
    return layout


def _sites(b: Builder, layout: Layout, devices: Devices) -> None:
    design = b.design
    for i, (name, site) in enumerate(design.sites.items()):
        router = b.node(f"s{i}", "site", f"site {name} router")
        loop = b.alloc.loopback()
        router.loopbacks.append(loop)
        layout.site_routers[name] = router.name
        layout.loopbacks[name] = loop
        held = site_host_prefixes(design, name)
        if not held:
            continue
        hosts = b.node(f"h{i}", "hosts", f"site {name} hosts")
        hosts.forward = False
        layout.hosts[name] = hosts.name
        chain = devices.chain(hosts.name, router.name, site.devices, None, held, {})
        for net in held:
            hosts.routes.append(Route(net, (), "local"))
            router.routes.append(Route(net, (chain.outer.peer,)))
        hosts.routes.append(Route(DEFAULT, (chain.inner.peer,)))
        # Addresses inside the site's prefixes that live elsewhere (pools, other sites).
        own = {IPv4Network(a) for a in service_host_addresses(design, name)}
        for net in internal_prefixes(design, b.infra):
            if net in own or net in held:
                continue
            if any(net.subnet_of(h) for h in held):
                hosts.routes.append(Route(net, (chain.inner.peer,)))
    proxies: dict[IPv4Address, ProxySpec] = {}
    for name in proxied_sites(design):
        spec = proxy_of(design, name)
        if spec.problem is None and spec.address is not None and spec.site in layout.hosts:
            proxies.setdefault(spec.address, spec)
    asking = [resolver_site(design, name) for name in design.sites]
    for r in [*asking, *(s.resolver_site for s in proxies.values())]:
        if r is not None and r not in layout.resolvers:
            layout.resolvers[r] = host_address(design, r) or layout.loopbacks[r]
    for r, addr in layout.resolvers.items():
        node = layout.hosts.get(r, layout.site_routers[r])
        b.drafts[node].agent["resolver"] = {
            "listen": str(addr),
            "upstream": str(b.dns_server),
            "pins": [[str(p), m] for p, m in pinned_clients(design, r)],
        }
    for addr, spec in proxies.items():
        resolver = layout.resolvers.get(spec.resolver_site) if spec.resolver_site else None
        b.drafts[layout.hosts[spec.site]].agent.setdefault("proxies", []).append(
            {"listen": str(addr), "resolver": str(resolver) if resolver is not None else None}
        )
        layout.proxies[addr] = spec
    egresses = dict.fromkeys(s.egress for s in proxies.values() if s.egress is not None)
    for i, egress in enumerate(egresses):
        layout.egress[egress] = (b.alloc.loopback(), EGRESS_TABLE + i)
    for name, node in layout.hosts.items():
        if any(s.site == name for s in design.services.values()):
            b.drafts[node].agent["echo"] = True
            b.drafts[node].ruleset["redirect"] = True


def _wan(b: Builder, layout: Layout) -> None:
    design = b.design
    try:
        scaling = costs.ospf_costs(design, b.catalogs)
    except costs.CostError as exc:
        raise PlanError(str(exc)) from exc
    if scaling.note() is not None:
        b.notes.append(scaling.note() or "")
    cost_of = {c.index: c.ospf for c in scaling.costs}
    ospf_ifs: dict[str, list[frr.OspfInterface]] = defaultdict(list)
    networks: dict[str, list[IPv4Network]] = defaultdict(list)
    for i, wan in enumerate(design.wan):
        sa, sb = (layout.site_routers[s] for s in wan.between)
        a, z = b.link(sa, sb, up=wan.up)
        if not wan.up:
            continue
        for end in (a, z):
            ospf_ifs[end.node].append(frr.OspfInterface(end.ifname, cost_of[i]))
            networks[end.node].append(IPv4Network(f"{end.address}/30", strict=False))
            b.adjacencies.append((end.node, end.ifname))
    for site, router in layout.site_routers.items():
        loop = layout.loopbacks[site]
        b.drafts[router].ospf = frr.Ospf(
            loop,
            (*ospf_ifs[router], frr.OspfInterface("lo", 1, passive=True)),
            (*networks[router], IPv4Network(loop)),
        )


def _default_preference(design_breakout: str | None, tags: dict[str, str]) -> list[frr.MapEntry]:
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


def _breakout_tags(b: Builder) -> dict[str, str]:
    return {name: f"{BREAKOUT_TAG}:{i + 1}" for i, name in enumerate(b.design.breakouts)}


def _site_bgp(
    b: Builder, layout: Layout, site: str, router: str, clients: list[frr.Neighbor]
) -> None:
    design = b.design
    prefer = _default_preference(design.site_breakout(site), _breakout_tags(b))
    peers: list[frr.Neighbor] = []
    for other, loop in layout.loopbacks.items():
        if other == site:
            continue
        peers.append(
            frr.Neighbor(
                loop,
                b.asn,
                import_map=(*prefer, frr.MapEntry()),
                update_source="lo",
                next_hop_self=True,
            )
        )
        _session(b, router, loop, direct=False)
    for route_to, hops in layout.owned_routes[router].items():
        b.drafts[router].routes.append(Route(route_to, tuple(dict.fromkeys(hops))))
    b.drafts[router].bgp = frr.Bgp(
        b.asn,
        layout.loopbacks[site],
        neighbors=(*peers, *clients),
        fib_deny_community_regex=None if design.sites[site].er_routes else ER_COMMUNITIES,
    )


def _circuit(
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
    _session(b, router, ce_end.address)
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
    _session(b, ce.name, s_end.address)
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
            _session(b, ce.name, ctl_ce.peer)
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


def _breakout(
    b: Builder,
    layout: Layout,
    devices: Devices,
    by_point: ByPoint,
    inside: list[IPv4Network],
    neighbors: dict[str, list[frr.Neighbor]],
    i: int,
    name: str,
) -> None:
    from erplan.facts import internet_routes

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
            nft.ClientFilter((chain.outer.ifname,), tuple(clients), tuple(special_hosts(design))),
        )
    tag = _breakout_tags(b)[name]
    s_end, b_end = b.link(router, node.name)
    prefer = _default_preference(design.site_breakout(bo.site), _breakout_tags(b))
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
    _session(b, router, b_end.address)
    _session(b, node.name, s_end.address)
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
        _session(b, node.name, out_end.peer)
