"""The customer network: site routers and hosts, WAN, and (``edges``) circuits with both links,
breakouts.

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

from erplan.emulate import costs, frr, proxies
from erplan.emulate.edges import (
    MicrosoftSession,
    add_breakout,
    add_circuit,
    breakout_tags,
    default_preference,
    session,
)
from erplan.emulate.flows import ProxySpec, service_host_addresses
from erplan.emulate.network import DEFAULT, ER_COMMUNITIES, Builder, PlanError
from erplan.emulate.paths import (
    Devices,
    finish_devices,
    internal_prefixes,
    owned_by_point,
    site_host_prefixes,
)
from erplan.emulate.topology import Route


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
    clouds: dict[IPv4Address, str] = field(default_factory=dict)  # cloud proxy -> namespace
    sessions: list[MicrosoftSession] = field(default_factory=list)
    internet_peers: list[tuple[str, IPv4Address, bool]] = field(default_factory=list)
    internet_ifs: dict[str, str] = field(default_factory=dict)  # breakout -> internet's side
    # Per site router: prefixes to route down each path, by first hop.
    owned_routes: dict[str, dict[IPv4Network, list[IPv4Address]]] = field(
        default_factory=lambda: defaultdict(lambda: defaultdict(list))
    )


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
        add_circuit(b, layout, devices, by_point, inside, neighbors, i, name)
    for i, name in enumerate(design.breakouts):
        add_breakout(b, layout, devices, by_point, inside, neighbors, i, name)
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
    proxies.place(b, layout)
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


def _site_bgp(
    b: Builder, layout: Layout, site: str, router: str, clients: list[frr.Neighbor]
) -> None:
    design = b.design
    prefer = default_preference(design.site_breakout(site), breakout_tags(b))
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
                addpath_all=True,
            )
        )
        session(b, router, loop, direct=False)
    for route_to, hops in layout.owned_routes[router].items():
        b.drafts[router].routes.append(Route(route_to, tuple(dict.fromkeys(hops))))
    b.drafts[router].bgp = frr.Bgp(
        b.asn,
        layout.loopbacks[site],
        neighbors=(*peers, *clients),
        fib_deny_community_regex=None if design.sites[site].er_routes else ER_COMMUNITIES,
    )
