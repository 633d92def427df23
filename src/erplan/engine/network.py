"""The design as a network: routers, the devices between them, who translates what, the IGP.

Shape (docs/flow-semantics.md "The network"): per site a router with its hosts (``lan``) behind
the site's devices; per circuit the devices before the split, the customer edge (CE), and per
link the link's devices, the link edge and the MSEE; per breakout its devices and its edge; the
Microsoft network and the internet. Routers are joined by :class:`Wire`s; a wire may carry
devices, which are bumps in the wire (one session table per device name, wherever it stands).

The customer routers of one site form a tree under the site router (a *stub*); sites are joined
by WAN links, on which the IGP runs. Distances are integers (micro-units of cost) so that ties
are exact.
"""

from __future__ import annotations

import copy
import dataclasses
from collections.abc import Iterable, Iterator
from ipaddress import IPv4Network

from erplan.catalogs import MICROSOFT_INTERNET_BLOCK, Catalogs
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
from erplan.latency import ZERO, Geo, Ms
from erplan.model import Design, Device, LinkName

COST_SCALE = 1_000_000  # IGP costs in micro-units: exact sums, exact ties


def device_address(design: Design, dev: Device) -> int | None:
    """Where a device that opens connections (a proxy) stands: its own address, else the
    first usable address of its site's first prefix (None: neither)."""
    if dev.address is not None:
        return int(dev.address)
    prefixes = design.sites[dev.site].prefixes
    return first_host(prefixes[0]) if prefixes else None


class Network:
    """Nodes, wires, translations and the IGP of one design in one state."""

    def __init__(self, design: Design, catalogs: Catalogs, geo: Geo | None = None) -> None:
        self.design = design
        self.catalogs = catalogs
        self.geo = geo or Geo(design, catalogs)
        self.nodes: dict[str, Node] = {}
        self.wires: dict[str, dict[str, Wire]] = {}  # router -> neighbour router -> wire
        self._dev_positions: dict[str, list[str]] = {}
        self.device_wire: dict[str, Wire] = {}  # device position -> the wire it stands on
        self._hosts: dict[str, int] = {}  # sites without prefixes -> their resolver's address
        self.owned: list[tuple[IPv4Network, str]] = []  # internal prefix -> anchor node
        self.boundaries: Boundaries
        self._site_links: dict[str, list[tuple[str, float, bool]]] | None = None
        self._add_core()
        for name in design.sites:
            self._add_site(name)
        for name in design.circuits:
            self._add_circuit(name)
        for name in design.breakouts:
            self._add_breakout(name)
        self._add_translations()
        self._add_wan()
        # Hosts that stand apart from the users around them (a resolver or proxy on a site's
        # first address, proxies, servers): no user stands for them.
        self.apart: set[int] = set()
        for site in self.design.sites.values():
            if site.prefixes:
                self.apart.add(first_host(site.prefixes[0]))
        for dev in self.design.devices.values():
            if dev.address is not None:
                self.apart.add(int(dev.address))
        for srv in self.design.servers.values():
            self.apart.add(int(srv.address))
        self.boundaries = Boundaries(self._all_prefixes())
        self._split_pools()

    # -- building ------------------------------------------------------------------------------
    def _node(self, node: Node) -> Node:
        self.nodes[node.id] = node
        if node.kind is not Kind.DEVICE:
            self.wires.setdefault(node.id, {})
        return node

    def _wire(
        self, a: str, b: str, devices: tuple[str, ...], leg: Ms = ZERO, cost: int = 0
    ) -> None:
        up = all(self.nodes[d].up for d in devices)
        w = Wire(a, b, devices, up, leg, cost)
        self.wires[a][b] = w
        self.wires[b][a] = w
        for d in devices:
            self.device_wire[d] = w

    def _add_core(self) -> None:
        self._node(Node("microsoft", Kind.MICROSOFT, "Microsoft network"))
        self._node(Node("internet", Kind.INTERNET, "internet"))
        self._wire("internet", "microsoft", ())

    def _positions(
        self, names: tuple[str, ...], where: str, site: str, path: str | None = None
    ) -> tuple[str, ...]:
        """One node per device standing on this wire (sessions shared per device name);
        ``path``: the circuit or breakout whose path the wire is on (names may hold '/')."""
        out = []
        for name in names:
            dev = self.design.devices.get(name)
            nid = device_node(name, where)
            kind = dev.kind.value if dev is not None else "device"
            self._node(
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
                )
            )
            self._dev_positions.setdefault(name, []).append(nid)
            out.append(nid)
        return tuple(out)

    def _add_site(self, name: str) -> None:
        site = self.design.sites[name]
        sid, lid = f"site:{name}", f"lan:{name}"
        self._node(
            Node(sid, Kind.SITE, f"site {name}", site=name, name=name, culprit=("sites", name))
        )
        self._node(
            Node(
                lid,
                Kind.LAN,
                f"hosts of {name}",
                site=name,
                name=name,
                parent=sid,
                culprit=("sites", name),
            )
        )
        # Site devices are listed from the hosts outwards; wires list them from the router.
        devices = self._positions(tuple(site.devices), f"site:{name}", name)[::-1]
        self._wire(sid, lid, devices)
        for prefix in site.prefixes:
            self.owned.append((prefix, lid))
        if not site.prefixes:
            # A site without prefixes still has a host where its resolver runs: an address
            # of "this network" (0.0.0.0/8) that no real packet carries, one per site.
            host = IPv4Network((len(self._hosts) + 1, 32))
            self._hosts[name] = int(host.network_address)
            self.owned.append((host, lid))

    def _add_circuit(self, name: str) -> None:
        c = self.design.circuits[name]
        ce = f"ce:{name}"
        edge = circuit_edge(name)
        self._node(
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
            )
        )
        devices = self._positions(
            edge_devices(self.design, edge), f"circuit:{name}", c.site, f"circuit:{name}"
        )
        self._wire(f"site:{c.site}", ce, devices)
        for link in LINKS:
            le = link_edge(name, link)
            lid, mid = f"link:{name}/{link}", f"msee:{name}/{link}"
            link_up = c.up and (link not in c.links or c.links[link].up)
            culprit = (
                ("circuits", name, "links", link.value) if link in c.links else ("circuits", name)
            )
            self._node(
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
                )
            )
            self._node(
                Node(
                    mid,
                    Kind.MSEE,
                    f"MSEE {name} {link} ({c.peering_location})",
                    name=name,
                    link=link,
                    edge=le,
                    culprit=("circuits", name),
                )
            )
            ldevs = self._positions(
                edge_devices(self.design, le), f"circuit:{name}/{link}", c.site, f"circuit:{name}"
            )
            self._wire(ce, lid, ldevs)
            access = self.geo.circuit_access(name)
            self._wire(lid, mid, (), access)
            w = self.wires[lid][mid]
            if not link_up:
                self.wires[lid][mid] = self.wires[mid][lid] = Wire(w.a, w.b, (), False, w.leg)
            self._wire(mid, "microsoft", ())  # the backbone leg depends on the far end

    def _add_breakout(self, name: str) -> None:
        b = self.design.breakouts[name]
        eid = f"edge:{name}"
        edge = breakout_edge(name)
        self._node(
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
            )
        )
        devices = self._positions(
            edge_devices(self.design, edge), f"breakout:{name}", b.site, f"breakout:{name}"
        )
        self._wire(f"site:{b.site}", eid, devices)
        leg, _ = self.geo.breakout_internet(name)
        self._wire(eid, "internet", (), leg)
        if not b.up:
            w = self.wires[eid]["internet"]
            self.wires[eid]["internet"] = self.wires["internet"][eid] = Wire(
                w.a, w.b, (), False, w.leg
            )

    def _edge_router(self, edge: Edge) -> str:
        if edge.kind is EdgeKind.BREAKOUT:
            return f"edge:{edge.name}"
        if edge.kind is EdgeKind.LINK:
            return f"link:{edge.name}/{edge.link}"
        return f"ce:{edge.name}"

    def nat_node(self, point: NatPoint) -> str:
        """The node that performs a NAT point's translations."""
        router = self._edge_router(point.edge)
        if point.device is None:
            return router
        parent = self.nodes[router].parent
        assert parent is not None
        for nid in self.wires[parent][router].devices:
            if self.nodes[nid].name == point.device:
                return nid
        raise KeyError(point.device)

    def _rules(self, point: NatPoint) -> NatRules:
        nid = self.nat_node(point)
        node = self.nodes[nid]
        if node.nat is None:
            static = point.device is not None and self.design.devices[point.device].static_nat
            node.nat = NatRules(point, self._edge_router(point.edge), static=static)
            node.stateful = not static  # dynamic NAT keeps sessions; static NAT none
            if node.kind is not Kind.DEVICE:
                node.session = nid
        return node.nat

    def _add_translations(self) -> None:
        pools: dict[str, list[IPv4Network]] = {}
        inbound: dict[tuple[str, str], IPv4Network] = {}
        for t in translations(self.design):
            rules = self._rules(t.point)
            anchor = self.nat_node(t.point)
            if t.kind is TranslationKind.SNAT:
                pools.setdefault(anchor, []).append(t.prefix)
            elif t.kind is TranslationKind.DNAT:
                assert t.service is not None and t.target is not None
                rules.dnat[int(t.prefix.network_address)] = (t.service, int(t.target))
                rules.static_back[int(t.target)] = int(t.prefix.network_address)
            else:
                assert t.service is not None
                inbound[(anchor, t.service)] = t.prefix
            self.owned.append((t.prefix, anchor))
        self._pending = (pools, inbound)  # split once the boundaries are known

    def _add_wan(self) -> None:
        for link in self.design.wan:
            a, b = link.between
            if a not in self.design.sites or b not in self.design.sites:
                continue
            leg = self.geo.wan_link(a, b, link.latency_ms)
            cost = link.cost if link.cost is not None else leg.ms
            sa, sb = f"site:{a}", f"site:{b}"
            # An IGP link costs at least something (OSPF: 1): a zero-cost neighbour is never
            # as close as the router itself.
            icost = max(round(cost * COST_SCALE), 1)
            old = self.wires[sa].get(sb)
            if not link.up:
                if old is None:
                    self._wire(sa, sb, (), leg, icost)
                    w = self.wires[sa][sb]
                    self.wires[sa][sb] = self.wires[sb][sa] = Wire(w.a, w.b, (), False, leg, icost)
                continue
            if old is not None and old.up and old.cost <= icost:
                continue  # parallel links: the cheaper one carries the traffic
            self._wire(sa, sb, (), leg, icost)
        for svc in self.design.services.values():
            if svc.internal_address is None:
                self.owned.append((IPv4Network(svc.public_address), f"lan:{svc.site}"))

    def _all_prefixes(self) -> Iterator[IPv4Network]:
        yield from self.customer_prefixes()
        yield MICROSOFT_INTERNET_BLOCK
        for es in self.catalogs.endpoint_sets:
            yield from es.ips

    def customer_prefixes(self) -> Iterator[IPv4Network]:
        """Every prefix of the customer's address space the design names (an advertised
        default route is no address space: nobody learns it)."""
        d = self.design
        for prefix, _ in self.owned:
            yield prefix
        for c in d.circuits.values():
            yield from (p for p in c.advertises if p.prefixlen)
            for link in c.links.values():
                yield from (p for p in link.advertises if p.prefixlen)
        for b in d.breakouts.values():
            yield from (p for p in b.advertises if p.prefixlen)
            yield from b.nat
        for svc in d.services.values():
            yield IPv4Network(svc.dns_record)
            yield IPv4Network(svc.public_address)

    def _split_pools(self) -> None:
        """Split the pools at the boundaries (once every prefix is known)."""
        pools, inbound = self._pending
        for anchor, nets in pools.items():
            rules = self.nodes[anchor].nat
            assert rules is not None
            parts = self.boundaries.split(net_range(n) for n in nets)
            rules.snat = tuple(parts)
            rules.snat_size = sum(p.size for p in parts)
        for (anchor, service), net in inbound.items():
            rules = self.nodes[anchor].nat
            assert rules is not None
            parts = self.boundaries.split([net_range(net)])
            rules.inbound[service] = (tuple(parts), net.num_addresses)

    def with_down(
        self,
        design: Design,
        links: list[tuple[str, LinkName]],
        breakouts: list[str],
        devices: list[str],
        listed: Iterable[tuple[str, LinkName]] = (),
    ) -> Network:
        """This network for ``design``: this one's design with those circuit links, breakouts
        and devices down, nothing else changed. Being up reaches the network only there: a
        link's wire to its MSEE, a breakout's node and its wire to the internet, a device's
        positions and the wires they stand on (as ``__init__`` builds them). ``listed``: links
        the design now lists with nothing of their own, which their node names as culprit."""
        net = copy.copy(self)
        net.design = design
        net.nodes = dict(self.nodes)
        for circuit, link in listed:
            lid = f"link:{circuit}/{link}"
            culprit = ("circuits", circuit, "links", link.value)
            net.nodes[lid] = dataclasses.replace(net.nodes[lid], culprit=culprit)
        net.wires = dict(self.wires)
        net.device_wire = dict(self.device_wire)
        copied: set[str] = set()

        def down(a: str, b: str) -> None:
            w = net.wires[a][b]
            if not w.up:
                return
            gone = Wire(w.a, w.b, w.devices, False, w.leg, w.cost)
            for x, y in ((a, b), (b, a)):
                if x not in copied:
                    net.wires[x] = dict(net.wires[x])
                    copied.add(x)
                net.wires[x][y] = gone
            for d in w.devices:
                net.device_wire[d] = gone

        for circuit, link in links:
            down(f"link:{circuit}/{link}", f"msee:{circuit}/{link}")
        for name in breakouts:
            eid = f"edge:{name}"
            net.nodes[eid] = dataclasses.replace(net.nodes[eid], up=False)
            down(eid, "internet")
        for name in devices:
            for pos in self._dev_positions.get(name, []):
                net.nodes[pos] = dataclasses.replace(net.nodes[pos], up=False)
                w = self.device_wire.get(pos)
                if w is not None:
                    down(w.a, w.b)
        return net

    def wires_changed(self, routers: Iterable[str] | None = None) -> None:
        """Forget what was derived from ``wires`` (a copy whose wires were replaced): of the
        WAN neighbours, only those of ``routers`` when given (the others' lists are kept, the
        same objects)."""
        if routers is None or self._site_links is None:
            self._site_links = None
            return
        links = dict(self._site_links)
        for r in routers:
            links[r] = self._neighbours(r)
        self._site_links = links

    def site_links(self) -> dict[str, list[tuple[str, float, bool]]]:
        """Per site router, its WAN neighbours that are up, with the leg's round trip and
        whether it is estimated (for searches over every site)."""
        if self._site_links is None:
            self._site_links = {r: self._neighbours(r) for r in self.wires if r.startswith("site:")}
        return self._site_links

    def _neighbours(self, r: str) -> list[tuple[str, float, bool]]:
        return [
            (v, w.leg.ms, w.leg.estimated)
            for v, w in self.wires[r].items()
            if w.up and v.startswith("site:")
        ]

    def site_host(self, site: str) -> int:
        """The address of the host of a site that has no prefixes (its resolver)."""
        return self._hosts[site]

    def device_positions(self, name: str) -> list[str]:
        return self._dev_positions.get(name, [])
