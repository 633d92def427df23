"""Building the network from the design: its nodes, the wires between them, the devices
standing on them and what each NAT point translates (docs/flow-semantics.md "The network").

Functions over the :class:`~erplan.engine.network.Network` being built; ``build`` runs them in
order. What the finished network answers, and the same network with elements down, are
``engine.network``'s.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from ipaddress import IPv4Network
from typing import TYPE_CHECKING

from erplan.catalogs import MICROSOFT_INTERNET_BLOCK
from erplan.engine.nodes import Kind, NatRules, Node, Wire
from erplan.engine.ranges import Boundaries, first_host, net_range
from erplan.engine.trace import device_node
from erplan.facts import LINKS
from erplan.facts_edges import (
    Edge,
    EdgeKind,
    NatPoint,
    TranslationKind,
    breakout_edge,
    circuit_edge,
    edge_devices,
    link_edge,
    translations,
)
from erplan.latency import ZERO, Ms

if TYPE_CHECKING:
    from erplan.engine.network import Network

COST_SCALE = 1_000_000  # IGP costs in micro-units: exact sums, exact ties

# Per NAT node its SNAT pools, per (NAT node, service) its inbound SNAT pool.
_Pending = tuple[dict[str, list[IPv4Network]], dict[tuple[str, str], IPv4Network]]


def build(net: Network) -> None:
    """Fill ``net`` (its design, catalogs and geography set, everything else empty)."""
    design = net.design
    _add_core(net)
    for name in design.sites:
        _add_site(net, name)
    for name in design.circuits:
        _add_circuit(net, name)
    for name in design.breakouts:
        _add_breakout(net, name)
    pending = _add_translations(net)
    _add_wan(net)
    # Hosts that stand apart from the users around them (a resolver or proxy on a site's
    # first address, proxies, servers): no user stands for them.
    for site in design.sites.values():
        if site.prefixes:
            net.apart.add(first_host(site.prefixes[0]))
    for dev in design.devices.values():
        if dev.address is not None:
            net.apart.add(int(dev.address))
    for srv in design.servers.values():
        net.apart.add(int(srv.address))
    net.boundaries = Boundaries(_all_prefixes(net))
    _split_pools(net, pending)


def edge_router(edge: Edge) -> str:
    """The router an edge's node is."""
    if edge.kind is EdgeKind.BREAKOUT:
        return f"edge:{edge.name}"
    if edge.kind is EdgeKind.LINK:
        return f"link:{edge.name}/{edge.link}"
    return f"ce:{edge.name}"


def _node(net: Network, node: Node) -> Node:
    net.nodes[node.id] = node
    if node.kind is not Kind.DEVICE:
        net.wires.setdefault(node.id, {})
    return node


def _wire(
    net: Network, a: str, b: str, devices: tuple[str, ...], leg: Ms = ZERO, cost: int = 0
) -> None:
    up = all(net.nodes[d].up for d in devices)
    w = Wire(a, b, devices, up, leg, cost)
    net.wires[a][b] = w
    net.wires[b][a] = w
    for d in devices:
        net.device_wire[d] = w


def _add_core(net: Network) -> None:
    _node(net, Node("microsoft", Kind.MICROSOFT, "Microsoft network"))
    _node(net, Node("internet", Kind.INTERNET, "internet"))
    _wire(net, "internet", "microsoft", ())


def _positions(
    net: Network, names: tuple[str, ...], where: str, site: str, path: str | None = None
) -> tuple[str, ...]:
    """One node per device standing on this wire (sessions shared per device name);
    ``path``: the circuit or breakout whose path the wire is on (names may hold '/')."""
    out = []
    for name in names:
        dev = net.design.devices.get(name)
        nid = device_node(name, where)
        kind = dev.kind.value if dev is not None else "device"
        _node(
            net,
            Node(
                nid,
                Kind.DEVICE,
                f"{kind} {name}",
                site=site,
                name=name,
                up=dev.up if dev is not None else True,
                # Static NAT is stateless one-to-one: it keeps no sessions, whatever
                # `stateful` says.
                stateful=dev.stateful and not dev.static_nat if dev is not None else False,
                session=f"device:{name}",
                culprit=("devices", name),
                path=path,
            ),
        )
        net.positions.setdefault(name, []).append(nid)
        out.append(nid)
    return tuple(out)


def _add_site(net: Network, name: str) -> None:
    site = net.design.sites[name]
    sid, lid = f"site:{name}", f"lan:{name}"
    _node(net, Node(sid, Kind.SITE, f"site {name}", site=name, name=name, culprit=("sites", name)))
    _node(
        net,
        Node(
            lid,
            Kind.LAN,
            f"hosts of {name}",
            site=name,
            name=name,
            parent=sid,
            culprit=("sites", name),
        ),
    )
    # Site devices are listed from the hosts outwards; wires list them from the router.
    devices = _positions(net, tuple(site.devices), f"site:{name}", name)[::-1]
    _wire(net, sid, lid, devices)
    for prefix in site.prefixes:
        net.owned.append((prefix, lid))
    if not site.prefixes:
        # A site without prefixes still has a host where its resolver runs: an address
        # of "this network" (0.0.0.0/8) that no real packet carries, one per site.
        host = IPv4Network((len(net.hosts) + 1, 32))
        net.hosts[name] = int(host.network_address)
        net.owned.append((host, lid))


def _add_circuit(net: Network, name: str) -> None:
    c = net.design.circuits[name]
    ce = f"ce:{name}"
    edge = circuit_edge(name)
    _node(
        net,
        Node(
            ce,
            Kind.CE,
            f"customer edge {name}",
            site=c.site,
            name=name,
            parent=f"site:{c.site}",
            edge=edge,
            culprit=("circuits", name),
            path=f"circuit:{name}",
        ),
    )
    devices = _positions(
        net, edge_devices(net.design, edge), f"circuit:{name}", c.site, f"circuit:{name}"
    )
    _wire(net, f"site:{c.site}", ce, devices)
    for link in LINKS:
        le = link_edge(name, link)
        lid, mid = f"link:{name}/{link}", f"msee:{name}/{link}"
        link_up = c.up and (link not in c.links or c.links[link].up)
        culprit = ("circuits", name, "links", link.value) if link in c.links else ("circuits", name)
        _node(
            net,
            Node(
                lid,
                Kind.LINK,
                f"{name} {link} link",
                site=c.site,
                name=name,
                link=link,
                parent=ce,
                edge=le,
                culprit=culprit,
                path=f"circuit:{name}",
            ),
        )
        _node(
            net,
            Node(
                mid,
                Kind.MSEE,
                f"MSEE {name} {link} ({c.peering_location})",
                name=name,
                link=link,
                edge=le,
                culprit=("circuits", name),
            ),
        )
        ldevs = _positions(
            net, edge_devices(net.design, le), f"circuit:{name}/{link}", c.site, f"circuit:{name}"
        )
        _wire(net, ce, lid, ldevs)
        access = net.geo.circuit_access(name)
        _wire(net, lid, mid, (), access)
        w = net.wires[lid][mid]
        if not link_up:
            net.wires[lid][mid] = net.wires[mid][lid] = Wire(w.a, w.b, (), False, w.leg)
        _wire(net, mid, "microsoft", ())  # the backbone leg depends on the far end


def _add_breakout(net: Network, name: str) -> None:
    b = net.design.breakouts[name]
    eid = f"edge:{name}"
    edge = breakout_edge(name)
    _node(
        net,
        Node(
            eid,
            Kind.BREAKOUT,
            f"breakout {name}",
            site=b.site,
            name=name,
            parent=f"site:{b.site}",
            up=b.up,
            edge=edge,
            culprit=("breakouts", name),
            path=f"breakout:{name}",
        ),
    )
    devices = _positions(
        net, edge_devices(net.design, edge), f"breakout:{name}", b.site, f"breakout:{name}"
    )
    _wire(net, f"site:{b.site}", eid, devices)
    leg, _ = net.geo.breakout_internet(name)
    _wire(net, eid, "internet", (), leg)
    if not b.up:
        w = net.wires[eid]["internet"]
        net.wires[eid]["internet"] = net.wires["internet"][eid] = Wire(w.a, w.b, (), False, w.leg)


def _rules(net: Network, point: NatPoint) -> NatRules:
    nid = net.nat_node(point)
    node = net.nodes[nid]
    if node.nat is None:
        static = point.device is not None and net.design.devices[point.device].static_nat
        node.nat = NatRules(point, edge_router(point.edge), static=static)
        node.stateful = not static  # dynamic NAT keeps sessions; static NAT none
        if node.kind is not Kind.DEVICE:
            node.session = nid
    return node.nat


def _add_translations(net: Network) -> _Pending:
    pools: dict[str, list[IPv4Network]] = {}
    inbound: dict[tuple[str, str], IPv4Network] = {}
    for t in translations(net.design):
        rules = _rules(net, t.point)
        anchor = net.nat_node(t.point)
        if t.kind is TranslationKind.SNAT:
            pools.setdefault(anchor, []).append(t.prefix)
        elif t.kind is TranslationKind.DNAT:
            assert t.service is not None and t.target is not None
            rules.dnat[int(t.prefix.network_address)] = (t.service, int(t.target))
            rules.static_back[int(t.target)] = int(t.prefix.network_address)
        else:
            assert t.service is not None
            inbound[(anchor, t.service)] = t.prefix
        net.owned.append((t.prefix, anchor))
    return pools, inbound  # split once the boundaries are known


def _add_wan(net: Network) -> None:
    # Per pair of site routers (as first listed): the cost, round trip and index of each
    # link up, and the first link listed.
    pairs: dict[frozenset[str], tuple[str, str, Ms, int, int, list[tuple[int, Ms, int]]]] = {}
    for i, link in enumerate(net.design.wan):
        a, b = link.between
        if a not in net.design.sites or b not in net.design.sites:
            continue
        leg = net.geo.wan_link(a, b, link.latency_ms)
        cost = link.cost if link.cost is not None else leg.ms
        sa, sb = f"site:{a}", f"site:{b}"
        # An IGP link costs at least something (OSPF: 1): a zero-cost neighbour is never
        # as close as the router itself.
        icost = max(round(cost * COST_SCALE), 1)
        got = pairs.setdefault(frozenset((sa, sb)), (sa, sb, leg, icost, i, []))
        if link.up:
            got[5].append((icost, leg, i))
    for sa, sb, leg, icost, first, up in pairs.values():
        pair = frozenset((sa, sb))
        if not up:
            net.wires[sa][sb] = net.wires[sb][sa] = Wire(sa, sb, (), False, leg, icost)
            net.wan_links[pair] = first
            continue
        # Parallel links: the cheapest carry the traffic, each an equal share (OSPF ECMP),
        # whatever order the design lists them in.
        cheapest = min(c for c, _, _ in up)
        tied = sorted(
            ((x, i) for c, x, i in up if c == cheapest),
            key=lambda t: (t[0].ms, t[0].estimated, t[1]),
        )
        legs = [x for x, _ in tied]
        _wire(net, sa, sb, (), legs[0], cheapest)
        # The link a cost finding names: the fastest of the cheapest.
        net.wan_links[pair] = tied[0][1]
        if len(legs) > 1:
            w = net.wires[sa][sb]
            net.wires[sa][sb] = net.wires[sb][sa] = dataclasses.replace(w, legs=tuple(legs))
    for svc in net.design.services.values():
        if svc.internal_address is None:
            net.owned.append((IPv4Network(svc.public_address), f"lan:{svc.site}"))


def _all_prefixes(net: Network) -> Iterator[IPv4Network]:
    yield from net.customer_prefixes()
    yield MICROSOFT_INTERNET_BLOCK
    for es in net.catalogs.endpoint_sets:
        yield from es.ips


def _split_pools(net: Network, pending: _Pending) -> None:
    """Split the pools at the boundaries (once every prefix is known)."""
    pools, inbound = pending
    for anchor, nets in pools.items():
        rules = net.nodes[anchor].nat
        assert rules is not None
        parts = net.boundaries.split(net_range(n) for n in nets)
        rules.snat = tuple(parts)
        rules.snat_size = sum(p.size for p in parts)
    for (anchor, service), pool in inbound.items():
        rules = net.nodes[anchor].nat
        assert rules is not None
        parts = net.boundaries.split([net_range(pool)])
        rules.inbound[service] = (tuple(parts), pool.num_addresses)
