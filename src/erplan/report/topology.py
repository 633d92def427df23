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
from erplan.engine.network import Kind, Network, Node, Wire
from erplan.latency import Point
from erplan.model import Design

WIDTH = 1200.0
MAX_HEIGHT = 720.0
MIN_HEIGHT = 420.0
MARGIN = 70.0  # room for labels at the edges
TOP = 40.0  # the corner badges
MIN_SPAN_LON = 24.0  # a one-city design still shows a region around it
MIN_SPAN_LAT = 12.0
FLATTEST = 0.45  # the least height / width the area shown may have
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


class _Projection:
    """Equirectangular at the area's middle latitude, fitted to the canvas."""

    def __init__(self, points: Iterable[Point]) -> None:
        pts = list(points) or [Point(0.0, 0.0)]
        lat_lo, lat_hi = min(p.lat for p in pts), max(p.lat for p in pts)
        lon_lo, lon_hi = min(p.lon for p in pts), max(p.lon for p in pts)
        lat_pad = max((lat_hi - lat_lo) * 0.08, (MIN_SPAN_LAT - (lat_hi - lat_lo)) / 2, 0.0)
        lon_pad = max((lon_hi - lon_lo) * 0.08, (MIN_SPAN_LON - (lon_hi - lon_lo)) / 2, 0.0)
        # Room above and below: what stands at a site is drawn around it, and a flat strip
        # (two cities on one parallel) leaves none.
        cos_mid = max(math.cos(math.radians((lat_lo + lat_hi) / 2)), 0.2)
        want_lat = (lon_hi - lon_lo + 2 * lon_pad) * cos_mid * FLATTEST
        lat_pad = max(lat_pad, (want_lat - (lat_hi - lat_lo)) / 2)
        self.lat_lo, self.lat_hi = max(lat_lo - lat_pad, -85.0), min(lat_hi + lat_pad, 85.0)
        self.lon_lo, self.lon_hi = max(lon_lo - lon_pad, -180.0), min(lon_hi + lon_pad, 180.0)
        mid = math.radians((self.lat_lo + self.lat_hi) / 2)
        self.aspect = max(math.cos(mid), 0.2)
        span_x = (self.lon_hi - self.lon_lo) * self.aspect
        span_y = self.lat_hi - self.lat_lo
        inner_w = WIDTH - 2 * MARGIN
        self.scale = inner_w / span_x
        height = span_y * self.scale + 2 * MARGIN + TOP
        if height > MAX_HEIGHT:
            self.scale = (MAX_HEIGHT - 2 * MARGIN - TOP) / span_y
        self.height = min(max(span_y * self.scale + 2 * MARGIN + TOP, MIN_HEIGHT), MAX_HEIGHT)
        self.x0 = (WIDTH - span_x * self.scale) / 2
        self.y0 = TOP + (self.height - TOP - span_y * self.scale) / 2

    def __call__(self, p: Point) -> tuple[float, float]:
        x = self.x0 + (p.lon - self.lon_lo) * self.aspect * self.scale
        y = self.y0 + (self.lat_hi - p.lat) * self.scale
        return (round(x, 1), round(y, 1))

    def graticule(self) -> list[tuple[str, float, float, float, float]]:
        span = max(self.lon_hi - self.lon_lo, self.lat_hi - self.lat_lo)
        step = next(s for s in (5, 10, 15, 30, 45, 90) if span / s <= 8)
        lines: list[tuple[str, float, float, float, float]] = []
        lon = math.ceil(self.lon_lo / step) * step
        while lon <= self.lon_hi:
            x1, y1 = self(Point(self.lat_hi, lon))
            _, y2 = self(Point(self.lat_lo, lon))
            lines.append(
                (f"{abs(lon)}°{'E' if lon > 0 else 'W' if lon < 0 else ''}", x1, y1, x1, y2)
            )
            lon += step
        lat = math.ceil(self.lat_lo / step) * step
        while lat <= self.lat_hi:
            x1, y1 = self(Point(lat, self.lon_lo))
            x2, _ = self(Point(lat, self.lon_hi))
            lines.append(
                (f"{abs(lat)}°{'N' if lat > 0 else 'S' if lat < 0 else ''}", x1, y1, x2, y1)
            )
            lat += step
        return lines


@dataclass(frozen=True, slots=True)
class _Room:
    """Clearances (px) around each glyph and its label: generous for a guide's few sites,
    tight for a thousand."""

    site: float
    location: float
    front_end: float
    ce: float
    ce_distance: float
    breakout: float
    breakout_distance: float

    @staticmethod
    def sparse() -> _Room:
        return _Room(30.0, 44.0, 32.0, 12.0, 50.0, 12.0, 44.0)

    @staticmethod
    def dense() -> _Room:
        return _Room(5.0, 12.0, 10.0, 5.0, 14.0, 5.0, 12.0)


class _Placer:
    """Puts glyphs where they belong, or as near as possible without covering another."""

    def __init__(self, width: float, height: float) -> None:
        self.width, self.height = width, height
        self.cell = 24.0
        self.grid: dict[tuple[int, int], list[tuple[float, float, float]]] = {}

    def _cells(self, x: float, y: float) -> tuple[int, int]:
        return (int(x // self.cell), int(y // self.cell))

    def free(self, x: float, y: float, r: float) -> bool:
        cx, cy = self._cells(x, y)
        span = int(r // self.cell) + 2
        for i in range(cx - span, cx + span + 1):
            for j in range(cy - span, cy + span + 1):
                for ox, oy, orad in self.grid.get((i, j), ()):
                    if math.hypot(ox - x, oy - y) < r + orad:
                        return False
        return True

    def take(self, x: float, y: float, r: float) -> None:
        self.grid.setdefault(self._cells(x, y), []).append((x, y, r))

    def near(
        self, x: float, y: float, r: float, toward: float = math.pi / 2, force: bool = False
    ) -> tuple[float, float]:
        """(x, y) when free, else the first free spot on rings around it (starting at the angle
        ``toward``, screen coordinates); ``force`` keeps (x, y) whatever it covers."""
        if force or self.free(x, y, r):
            self.take(x, y, r)
            return (x, y)
        for ring in range(1, 30):
            dist = ring * r * 0.6
            steps = 8 + 4 * ring
            for k in range(steps):
                turn = (k + 1) // 2 * (1 if k % 2 else -1)
                a = toward + turn * 2 * math.pi / steps
                px, py = x + dist * math.cos(a), y + dist * math.sin(a)
                if (
                    8 <= px <= self.width - 8
                    and TOP <= py <= self.height - 8
                    and self.free(px, py, r)
                ):
                    self.take(px, py, r)
                    return (round(px, 1), round(py, 1))
        self.take(x, y, r)
        return (x, y)


def _toward(a: tuple[float, float], b: tuple[float, float], dist: float) -> tuple[float, float]:
    dx, dy = b[0] - a[0], b[1] - a[1]
    length = math.hypot(dx, dy)
    if length < 1e-6:
        return (a[0] + dist, a[1])
    return (round(a[0] + dx / length * dist, 1), round(a[1] + dy / length * dist, 1))


def _perpendicular(
    a: tuple[float, float], b: tuple[float, float], off: float
) -> tuple[float, float]:
    dx, dy = b[0] - a[0], b[1] - a[1]
    length = math.hypot(dx, dy) or 1.0
    return (-dy / length * off, dx / length * off)


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
    proj = _Projection(
        [geo.site(s) for s in design.sites]
        + list(locations.values())
        + [Point(fe.lat, fe.lon) for fe in fes]
    )
    topo = Topology(design.name or "design", WIDTH, round(proj.height, 1))
    topo.graticule = proj.graticule()
    placer = _Placer(WIDTH, proj.height)
    many = len(design.sites) > LABELLED_SITES
    room = _Room.dense() if many else _Room.sparse()
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
    _place_labels(topo)
    return topo


CHAR_PX = 6.6  # width of a character of the map's 11 px labels, about
# Where a label may go around its glyph: (dx, dy, anchor), first choice first.
_LABEL_SPOTS: tuple[tuple[float, float, str], ...] = (
    (12.0, -8.0, "start"),
    (12.0, 15.0, "start"),
    (-12.0, -8.0, "end"),
    (-12.0, 15.0, "end"),
    (0.0, -14.0, "middle"),
    (0.0, 24.0, "middle"),
)
_BELOW_FIRST = ("peering-location", "front-end")


def _label_box(n: MapNode, spot: tuple[float, float, str]) -> tuple[float, float, float, float]:
    dx, dy, anchor = spot
    width = len(n.label) * CHAR_PX
    x = n.x + dx - {"start": 0.0, "middle": width / 2, "end": width}[anchor]
    return (x, n.y + dy - 10.0, x + width, n.y + dy + 2.0)


def _place_labels(topo: Topology) -> None:
    """Each drawn label beside its glyph where it covers the fewest other labels and glyphs."""
    glyphs = [(n.x, n.y) for n in topo.nodes.values() if n.kind not in ("internet", "microsoft")]
    taken: list[tuple[float, float, float, float]] = []
    order = ("site", "peering-location", "front-end", "breakout-edge", "customer-edge")
    for kind in order:
        for n in topo.nodes.values():
            if n.kind != kind or not n.labelled:
                continue
            spots = _LABEL_SPOTS
            if kind in _BELOW_FIRST:
                spots = ((0.0, 24.0, "middle"), (0.0, -16.0, "middle"), *_LABEL_SPOTS[:4])
            best: tuple[int, int] | None = None
            for i, spot in enumerate(spots):
                box = _label_box(n, spot)
                hits = sum(_overlap(box, t) for t in taken) * 3 + sum(
                    1
                    for gx, gy in glyphs
                    if box[0] - 4 <= gx <= box[2] + 4 and box[1] - 4 <= gy <= box[3] + 4
                )
                if box[0] < 0 or box[2] > topo.width or box[1] < 0 or box[3] > topo.height:
                    hits += 100
                if best is None or hits < best[0]:
                    best = (hits, i)
                if hits == 0:
                    break
            assert best is not None
            n.label_at = spots[best[1]]
            taken.append(_label_box(n, n.label_at))


def _overlap(a: tuple[float, float, float, float], b: tuple[float, float, float, float]) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


def _place_circuits(
    topo: Topology, net: Network, design: Design, placer: _Placer, room: _Room
) -> None:
    nodes = net.nodes
    labelled = len(design.circuits) <= LABELLED_SITES // 2
    for name, c in design.circuits.items():
        site = topo.point(f"site:{c.site}")
        pl = topo.point(pl_id(c.peering_location))
        far = pl if math.hypot(pl[0] - site[0], pl[1] - site[1]) > 1 else (site[0], site[1] + 1)
        want = _toward(site, far, room.ce_distance)
        angle = math.atan2(want[1] - site[1], want[0] - site[0])
        ce = placer.near(*want, room.ce, toward=angle)
        n = nodes[f"ce:{name}"]
        topo.nodes[n.id] = MapNode(
            n.id, "customer-edge", name, _node_title(n, design), *ce, n.up, labelled, site=c.site
        )
        for i, link in enumerate(("primary", "secondary")):
            side = -1 if i == 0 else 1
            off = _perpendicular(ce, pl, 5.0 * side)
            lx, ly = _toward(ce, pl, 12.0)
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
            mx, my = _toward(pl, ce, 11.0)
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
    topo: Topology, net: Network, design: Design, placer: _Placer, room: _Room
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
