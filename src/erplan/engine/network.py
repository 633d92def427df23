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

from erplan.catalogs import Catalogs
from erplan.engine.build import build, edge_router
from erplan.engine.nodes import Node, Wire
from erplan.engine.ranges import Boundaries, first_host
from erplan.facts_edges import NatPoint
from erplan.latency import Geo
from erplan.model import Design, Device, LinkName


def device_address(design: Design, dev: Device) -> int | None:
    """Where a device that opens connections (a proxy) stands: its own address, else the
    first usable address of its site's first prefix (None: neither)."""
    if dev.address is not None:
        return int(dev.address)
    prefixes = design.sites[dev.site].prefixes
    return first_host(prefixes[0]) if prefixes else None


class Network:
    """Nodes, wires, translations and the IGP of one design in one state (built by
    ``engine.build``); what they answer, and the same network with elements down."""

    def __init__(self, design: Design, catalogs: Catalogs, geo: Geo | None = None) -> None:
        self.design = design
        self.catalogs = catalogs
        self.geo = geo or Geo(design, catalogs)
        self.nodes: dict[str, Node] = {}
        self.wires: dict[str, dict[str, Wire]] = {}  # router -> neighbour router -> wire
        self.positions: dict[str, list[str]] = {}  # device name -> its positions
        self.device_wire: dict[str, Wire] = {}  # device position -> the wire it stands on
        self.hosts: dict[str, int] = {}  # sites without prefixes -> their resolver's address
        self.owned: list[tuple[IPv4Network, str]] = []  # internal prefix -> anchor node
        # Hosts that stand apart from the users around them (``build``).
        self.apart: set[int] = set()
        self.boundaries: Boundaries
        self._site_links: dict[str, list[tuple[str, float, bool]]] | None = None
        # The WAN link (its index in the design) whose wire joins two site routers.
        self.wan_links: dict[frozenset[str], int] = {}
        build(self)

    def nat_node(self, point: NatPoint) -> str:
        """The node that performs a NAT point's translations."""
        router = edge_router(point.edge)
        if point.device is None:
            return router
        parent = self.nodes[router].parent
        assert parent is not None
        for nid in self.wires[parent][router].devices:
            if self.nodes[nid].name == point.device:
                return nid
        raise KeyError(point.device)

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
            for pos in self.positions.get(name, []):
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
        return self.hosts[site]

    def device_positions(self, name: str) -> list[str]:
        return self.positions.get(name, [])
