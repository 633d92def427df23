"""The design as a map: every node of the engine's network placed where it stands.

Sites, peering locations and front ends sit at their coordinates (an equirectangular map of the
area they cover). What stands at a site is drawn around it: its hosts inside the router's ring,
its devices beside it, breakouts above it, each circuit's customer edge a little way towards its
peering location, the circuit's two links as two parallel lines to the two Microsoft edges
(MSEEs) at the peering location. The Microsoft network and the internet are badges in the
corners: a path draws the backbone leg from a peering location to the front end it reaches.

Every map node carries the id of the engine node it stands for (``site:us``, ``msee:us-er/primary``,
``device:fw@circuit:us-er``), so a trace's hops light up exactly their own nodes. Peering
locations (``pl:NAME``) and front ends (``fe:NAME``) are the map's own.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass, field

from erplan.catalogs import Catalogs
from erplan.engine.network import Network
from erplan.engine.nodes import Kind, Node, Wire
from erplan.latency import Point
from erplan.model import Design
from erplan.report.layout import (
    WIDTH,
    Placer,
    Projection,
    Room,
    perpendicular,
    place_labels,
    toward,
)

LABELLED_SITES = 60  # above this many sites only hubs carry a drawn label (all have a title)

INTERNET = "internet"
MICROSOFT = "microsoft"


def pl_id(name: str) -> str:
    return f"pl:{name}"


def fe_id(name: str) -> str:
    return f"fe:{name}"


@dataclass(slots=True)
class MapNode:
    """One drawn node. ``id`` is the engine's node id (or ``pl:``/``fe:`` for the map's own)."""

    id: str
    kind: str
    label: str
    title: str
    x: float
    y: float
    up: bool = True
    labelled: bool = True
    home: tuple[float, float] | None = None  # the true position when moved aside
    site: str | None = None  # the site a customer node stands at
    label_at: tuple[float, float, str] = (11.0, -8.0, "start")  # offset and text-anchor


@dataclass(frozen=True, slots=True)
class MapEdge:
    a: str
    b: str
    kind: str  # wan, attach (site to breakout or customer edge), split, access, backbone
    up: bool
    title: str


@dataclass(slots=True)
class Topology:
    title: str
    width: float
    height: float
    nodes: dict[str, MapNode] = field(default_factory=dict)
    edges: list[MapEdge] = field(default_factory=list)
    graticule: list[tuple[str, float, float, float, float]] = field(default_factory=list)

    def point(self, node: str) -> tuple[float, float]:
        n = self.nodes[node]
        return (n.x, n.y)


def _node_title(n: Node, design: Design) -> str:
    if n.kind is Kind.SITE:
        site = design.sites[n.name]
        return f"site {n.name}: {site.users} users"
    if n.kind is Kind.LAN:
        prefixes = ", ".join(str(p) for p in design.sites[n.name].prefixes) or "no prefixes"
        return f"hosts of site {n.name} ({prefixes})"
    if n.kind is Kind.MSEE:
        return f"Microsoft edge of circuit {n.name}, {n.link} link"
    if n.kind is Kind.LINK:
        return f"circuit {n.name}, {n.link} link"
    if n.kind is Kind.BREAKOUT:
        b = design.breakouts[n.name]
        return f"internet breakout {n.name} (NAT {', '.join(str(p) for p in b.nat) or 'none'})"
    if n.kind is Kind.CE:
        c = design.circuits[n.name]
        return f"customer edge of circuit {n.name} ({c.peering_location}, {c.bandwidth_mbps} Mbps)"
    return n.label


def front_ends_of(names: Iterable[str | None], catalogs: Catalogs) -> list[str]:
    """The catalog front ends among ``names`` (the ones flows reach), each once, sorted."""
    found = {fe.name for n in names if n and (fe := catalogs.front_end(n)) is not None}
    return sorted(found)


def build(design: Design, catalogs: Catalogs, front_ends: Iterable[str] = ()) -> Topology:
    """The map of ``design`` with the named front ends (the ones its flows reach)."""
    net = Network(design, catalogs)
    geo = net.geo
    fes = [fe for name in front_ends if (fe := catalogs.front_end(name)) is not None]
    locations: dict[str, Point] = {}
    for name, circuit in design.circuits.items():
        locations.setdefault(circuit.peering_location, geo.peering(name))
    proj = Projection(
        [geo.site(s) for s in design.sites]
        + list(locations.values())
        + [Point(fe.lat, fe.lon) for fe in fes]
    )
    topo = Topology(design.name or "design", WIDTH, round(proj.height, 1))
    topo.graticule = proj.graticule()
    placer = Placer(WIDTH, proj.height)
    many = len(design.sites) > LABELLED_SITES
    room = Room.dense() if many else Room.sparse()
    hubs = {c.site for c in design.circuits.values()} | {b.site for b in design.breakouts.values()}
    nodes = net.nodes

    def add(node: MapNode) -> MapNode:
        topo.nodes[node.id] = node
        return node

    # Sites first, where they are. A few sites near each other are moved apart (a dotted line
    # to where they are) so what stands at each can be told apart; a thousand stay put.
    for name in design.sites:
        hx, hy = proj(geo.site(name))
        x, y = placer.near(hx, hy, room.site, toward=math.pi / 2, force=many)
        home = (hx, hy) if (x, y) != (hx, hy) else None
        n = nodes[f"site:{name}"]
        labelled = not many or name in hubs
        title = _node_title(n, design)
        add(MapNode(n.id, "site", name, title, x, y, n.up, labelled, home=home, site=name))
        lan = nodes[f"lan:{name}"]
        title = _node_title(lan, design)
        add(MapNode(lan.id, "hosts", name, title, x, y, lan.up, False, site=name))
    # Peering locations and front ends, moved aside (below first) when something covers them.
    for name, p in sorted(locations.items()):
        hx, hy = proj(p)
        x, y = placer.near(hx, hy, room.location, toward=math.pi / 2)
        home = (hx, hy) if (x, y) != (hx, hy) else None
        title = f"peering location {name}"
        add(MapNode(pl_id(name), "peering-location", name, title, x, y, home=home))
    for fe in fes:
        hx, hy = proj(Point(fe.lat, fe.lon))
        x, y = placer.near(hx, hy, room.front_end, toward=math.pi / 2)
        home = (hx, hy) if (x, y) != (hx, hy) else None
        title = f"Microsoft 365 front end {fe.name} ({fe.region})"
        add(MapNode(fe_id(fe.name), "front-end", fe.name, title, x, y, home=home))
    add(MapNode(INTERNET, "internet", "internet", "the internet", 60.0, 22.0))
    add(
        MapNode(
            MICROSOFT,
            "microsoft",
            "Microsoft network",
            "the Microsoft network (backbone)",
            WIDTH - 90.0,
            22.0,
        )
    )
    _place_circuits(topo, net, design, placer, room)
    _place_breakouts(topo, net, design, placer, room)
    _place_devices(topo, net, design)
    _add_edges(topo, net, design)
    _add_backbone(topo)
    place_labels(topo.nodes.values(), topo.width, topo.height)
    return topo


def _place_circuits(
    topo: Topology, net: Network, design: Design, placer: Placer, room: Room
) -> None:
    nodes = net.nodes
    labelled = len(design.circuits) <= LABELLED_SITES // 2
    for name, c in design.circuits.items():
        site = topo.point(f"site:{c.site}")
        pl = topo.point(pl_id(c.peering_location))
        far = pl if math.hypot(pl[0] - site[0], pl[1] - site[1]) > 1 else (site[0], site[1] + 1)
        want = toward(site, far, room.ce_distance)
        angle = math.atan2(want[1] - site[1], want[0] - site[0])
        ce = placer.near(*want, room.ce, toward=angle)
        n = nodes[f"ce:{name}"]
        topo.nodes[n.id] = MapNode(
            n.id, "customer-edge", name, _node_title(n, design), *ce, n.up, labelled, site=c.site
        )
        for i, link in enumerate(("primary", "secondary")):
            side = -1 if i == 0 else 1
            off = perpendicular(ce, pl, 5.0 * side)
            lx, ly = toward(ce, pl, 12.0)
            ln = nodes[f"link:{name}/{link}"]
            topo.nodes[ln.id] = MapNode(
                ln.id,
                "link-edge",
                f"{name} {link}",
                _node_title(ln, design),
                round(lx + off[0], 1),
                round(ly + off[1], 1),
                _link_up(net, ln.id),
                False,
                site=c.site,
            )
            mx, my = toward(pl, ce, 11.0)
            mn = nodes[f"msee:{name}/{link}"]
            topo.nodes[mn.id] = MapNode(
                mn.id,
                "msee",
                f"MSEE {name} {link}",
                _node_title(mn, design),
                round(mx + off[0], 1),
                round(my + off[1], 1),
                True,
                False,
            )


def _link_up(net: Network, link: str) -> bool:
    return all(w.up for w in net.wires[link].values())


def _place_breakouts(
    topo: Topology, net: Network, design: Design, placer: Placer, room: Room
) -> None:
    labelled = len(design.breakouts) <= LABELLED_SITES // 2
    for name, b in design.breakouts.items():
        sx, sy = topo.point(f"site:{b.site}")
        # Above and to the left of the site: towards "the internet" badge's corner.
        d = room.breakout_distance / math.sqrt(2)
        x, y = placer.near(sx - d, sy - d, room.breakout, toward=-3 * math.pi / 4)
        n = net.nodes[f"edge:{name}"]
        topo.nodes[n.id] = MapNode(
            n.id, "breakout-edge", name, _node_title(n, design), x, y, n.up, labelled, site=b.site
        )


def _place_devices(topo: Topology, net: Network, design: Design) -> None:
    """Each device position on the wire it stands on, spread between the wire's two ends."""
    for nid, wire in net.device_wire.items():
        n = net.nodes[nid]
        if wire.a not in topo.nodes or wire.b not in topo.nodes:
            continue
        a, b = topo.point(wire.a), topo.point(wire.b)
        k, count = wire.devices.index(nid), len(wire.devices)
        if math.hypot(b[0] - a[0], b[1] - a[1]) < 4:
            # Site devices stand between the router and its hosts (one spot): line them up
            # below the site.
            x, y = a[0] + (k - (count - 1) / 2) * 9.0, a[1] + 14.0
        else:
            t = (k + 1) / (count + 1)
            x, y = a[0] + (b[0] - a[0]) * t, a[1] + (b[1] - a[1]) * t
        dev = design.devices.get(n.name)
        what = dev.kind.value if dev is not None else "device"
        title = f"{what} {n.name}" + ("" if n.stateful else " (stateless)")
        topo.nodes[nid] = MapNode(
            nid, "device", n.name, title, round(x, 1), round(y, 1), n.up, False, site=n.site
        )


def _wire_title(w: Wire, design: Design, net: Network) -> str:
    a, b = net.nodes[w.a], net.nodes[w.b]
    if len(w.legs) > 1:
        each = " and ".join(x.label() for x in w.legs)
        return f"{a.label} to {b.label}, {len(w.legs)} equal-cost links, {each} round trip"
    return f"{a.label} to {b.label}, {w.leg.label()} round trip"


def _add_edges(topo: Topology, net: Network, design: Design) -> None:
    seen: set[tuple[str, str]] = set()
    for a, peers in net.wires.items():
        for b, w in peers.items():
            key = (a, b) if a < b else (b, a)
            if key in seen or a not in topo.nodes or b not in topo.nodes:
                continue
            seen.add(key)
            ka, kb = net.nodes[w.a].kind, net.nodes[w.b].kind
            kinds = {ka, kb}
            if kinds == {Kind.SITE}:
                kind = "wan"
            elif (
                Kind.MICROSOFT in kinds or Kind.INTERNET in kinds or kinds == {Kind.LAN, Kind.SITE}
            ):
                continue  # drawn by the paths that use them; hosts sit inside the router
            elif Kind.MSEE in kinds:
                kind = "access"
            elif Kind.LINK in kinds:
                kind = "split"
            else:
                kind = "attach"
            topo.edges.append(MapEdge(w.a, w.b, kind, w.up, _wire_title(w, design, net)))


def _add_backbone(topo: Topology) -> None:
    """Microsoft's backbone, faint: a shortest tree over the peering locations and front ends
    (the drawn paths show the legs they use)."""
    ms = [n for n in topo.nodes.values() if n.kind in ("peering-location", "front-end")]
    if len(ms) < 2:
        return
    inside = {ms[0].id}
    while len(inside) < len(ms):
        best: tuple[float, str, str] | None = None
        for a in ms:
            if a.id not in inside:
                continue
            for b in ms:
                if b.id in inside:
                    continue
                d = math.hypot(a.x - b.x, a.y - b.y)
                if best is None or (d, a.id, b.id) < best:
                    best = (d, a.id, b.id)
        assert best is not None
        inside.add(best[2])
        topo.edges.append(MapEdge(best[1], best[2], "backbone", True, "Microsoft backbone"))
