"""Routed stretches: between stateful boxes a packet is only routed, so where it goes depends on
its addresses alone. Each stretch is computed once and shared by every flow that crosses it (the
way back from a front end to a NAT pool is the same for every site behind that pool).
"""

from __future__ import annotations

from typing import NamedTuple

from erplan.engine.igp import Igp
from erplan.engine.network import Kind, Network, Node
from erplan.engine.ranges import PrefixTable, addr
from erplan.engine.sessions import Context, Culprit, Mode, join
from erplan.engine.tables import Act, Tables
from erplan.engine.trace import Disposition, Hop
from erplan.facts import source_filter

# How a segment ends.
LEAF, DEVICE, ROUTER = 0, 1, 2


class Seg(NamedTuple):
    """One way a routed stretch ends, relative to where it started."""

    frac: float
    note: str  # the routing decision at the start router ("" when it starts on a wire)
    hops: tuple[Hop, ...]
    edges: tuple[str, ...]
    ties: tuple[str, ...]
    end: int
    node: str  # the leaf's node, the stateful router, or the stateful device
    prev: str
    disposition: Disposition | None = None
    reason: str = ""
    culprit: Culprit = ()
    cause: str = ""
    wire: tuple[str, str, tuple[str, ...], int] | None = None  # DEVICE: a, b, devices, i


# Which neighbour of an edge router is outside it.
OUTER = {Kind.CE: "link:", Kind.LINK: "msee:", Kind.BREAKOUT: "internet"}


class Segments:
    def __init__(self, net: Network, igp: Igp, tables: Tables) -> None:
        self.net = net
        self.igp = igp
        self.tables = tables
        self.nodes = net.nodes
        self.geo = net.geo
        self._filters: dict[str, PrefixTable[bool]] = {}
        for name in net.design.circuits:
            t: PrefixTable[bool] = PrefixTable()
            for p in source_filter(net.design, name):
                t.add(p, True)
            self._filters[name] = t
        self._segs: dict[tuple[object, ...], tuple[Seg, ...]] = {}
        self._busy: set[tuple[object, ...]] = set()

    # -- routed stretches ----------------------------------------------------------------
    def router(self, r: str, src: int, dst: int, mode: Mode, ctx: Context) -> tuple[Seg, ...]:
        """Route at ``r`` and on, until a leaf or a stateful box."""
        key = ("r", r, src, dst, mode, ctx)
        got = self._segs.get(key)
        if got is not None:
            return got
        if key in self._busy:
            node = self.nodes[r]
            return (
                Seg(
                    1.0,
                    "",
                    (),
                    (),
                    (),
                    LEAF,
                    r,
                    r,
                    Disposition.BLACKHOLE,
                    f"routing loop: the packet comes back to {node.label}",
                    node.culprit,
                    "loop",
                ),
            )
        self._busy.add(key)
        try:
            got = self._route(r, src, dst, mode, ctx)
        finally:
            self._busy.discard(key)
        self._segs[key] = got
        return got

    def _route(self, r: str, src: int, dst: int, mode: Mode, ctx: Context) -> tuple[Seg, ...]:
        node = self.nodes[r]
        kind = node.kind
        if kind is Kind.MICROSOFT:
            d = self.tables.microsoft_decision(dst)
        elif kind is Kind.INTERNET:
            d = self.tables.internet_decision(dst)
        else:
            d = self.tables.customer_decision(r, dst)
        if d.act is Act.DELIVER:
            if kind in (Kind.MICROSOFT, Kind.INTERNET, Kind.LAN):
                return (
                    Seg(
                        1.0,
                        d.route if kind is not Kind.LAN else "",
                        (),
                        (),
                        (),
                        LEAF,
                        r,
                        r,
                        Disposition.DELIVERED,
                        "delivered",
                        (),
                        "delivered",
                    ),
                )
            if mode is Mode.REPLY:
                return (
                    Seg(
                        1.0,
                        "",
                        (),
                        (),
                        (),
                        LEAF,
                        r,
                        r,
                        Disposition.DROPPED,
                        f"{node.label} holds no session for this connection",
                        node.culprit,
                        "no-session",
                    ),
                )
            return (
                Seg(
                    1.0,
                    "",
                    (),
                    (),
                    (),
                    LEAF,
                    r,
                    r,
                    Disposition.BLACKHOLE,
                    f"{addr(dst)} is a translated address of {node.label}, not a host",
                    node.culprit,
                    "translated-address",
                ),
            )
        if d.act is Act.NO_ROUTE:
            where = "" if kind in (Kind.MICROSOFT, Kind.INTERNET) else f"{node.label}: "
            return (
                Seg(
                    1.0,
                    "",
                    (),
                    (),
                    (),
                    LEAF,
                    r,
                    r,
                    Disposition.BLACKHOLE,
                    f"{where}{d.route}",
                    d.culprit or node.culprit,
                    "no-route",
                ),
            )
        out: list[Seg] = []
        share = 1.0 / len(d.nexts)
        tie = (d.tie,) if d.tie else ()
        for n in d.nexts:
            if mode is Mode.NEW and kind is Kind.SITE and n.startswith("edge:"):
                site = self.tables.no_direct_internet(src, dst)
                if site is not None:
                    out.append(
                        Seg(
                            share,
                            d.route,
                            (),
                            (),
                            tie,
                            LEAF,
                            r,
                            r,
                            Disposition.DROPPED,
                            f"the perimeter lets no client of site {site} reach the internet "
                            "directly (proxy.direct_internet: false)",
                            ("sites", site, "proxy", "direct_internet"),
                            "no-direct-internet",
                        )
                    )
                    continue
            for s in self.wire(r, n, self.net.wires[r][n].devices_from(r), 0, src, dst, mode, ctx):
                out.append(s._replace(frac=s.frac * share, note=d.route, ties=tie + s.ties))
        return tuple(out)

    def wire(
        self,
        a: str,
        b: str,
        devices: tuple[str, ...],
        i: int,
        src: int,
        dst: int,
        mode: Mode,
        ctx: Context,
    ) -> tuple[Seg, ...]:
        """Cross the wire from ``a`` to ``b`` from device ``i`` on, then route at ``b``."""
        key = ("w", a, b, devices, i, src, dst, mode, ctx)
        got = self._segs.get(key)
        if got is None:
            got = self._cross(a, b, devices, i, src, dst, mode, ctx)
            self._segs[key] = got
        return got

    def _cross(
        self,
        a: str,
        b: str,
        devices: tuple[str, ...],
        i: int,
        src: int,
        dst: int,
        mode: Mode,
        ctx: Context,
    ) -> tuple[Seg, ...]:
        hops: list[Hop] = []
        for j in range(i, len(devices)):
            nid = devices[j]
            node = self.nodes[nid]
            hops.append(Hop(nid, node.label, "", src, dst))
            if not node.up:
                return (
                    Seg(
                        1.0,
                        "",
                        tuple(hops),
                        (),
                        (),
                        LEAF,
                        nid,
                        a,
                        Disposition.BLACKHOLE,
                        f"{node.label} is down",
                        node.culprit,
                        "down",
                    ),
                )
            if node.stateful or node.nat is not None:
                return (Seg(1.0, "", tuple(hops), (), (), DEVICE, nid, a, wire=(a, b, devices, j)),)
        wire = self.net.wires[a][b]
        if not wire.up:
            reason, culprit = self._why_down(a, b)
            return (
                Seg(
                    1.0,
                    "",
                    tuple(hops),
                    (),
                    (),
                    LEAF,
                    a,
                    a,
                    Disposition.BLACKHOLE,
                    reason,
                    culprit,
                    "down",
                ),
            )
        bnode = self.nodes[b]
        ms, est = self._leg(a, b, mode, ctx)
        hops.append(Hop(b, bnode.label, "", src, dst, ms=ms, estimated=est))
        edge = self._edge(a, b)
        edges = (edge,) if edge is not None else ()
        here = tuple(hops)
        if bnode.kind is Kind.MSEE:
            return self._msee(bnode, a, src, dst, mode, ctx, here, edges)
        if bnode.stateful and bnode.nat is not None:
            return (Seg(1.0, "", here, edges, (), ROUTER, b, a),)
        return prefixed(self.router(b, src, dst, mode, ctx), here, edges, a)

    def _msee(
        self,
        node: Node,
        prev: str,
        src: int,
        dst: int,
        mode: Mode,
        ctx: Context,
        here: tuple[Hop, ...],
        edges: tuple[str, ...],
    ) -> tuple[Seg, ...]:
        circuit = node.name
        if prev.startswith("link:"):
            if not self._filters[circuit].covers(src):
                return (
                    Seg(
                        1.0,
                        "",
                        here,
                        edges,
                        (),
                        LEAF,
                        node.id,
                        prev,
                        Disposition.DROPPED,
                        f"Microsoft drops the source {addr(src)}: it is not among the public "
                        f"prefixes advertised on circuit {circuit} (Microsoft's inbound "
                        "filter)",
                        ("circuits", circuit, "advertises"),
                        "source-filter",
                    ),
                )
            nxt = "microsoft"
        else:
            nxt = f"link:{circuit}/{node.link}"
        return prefixed(self.wire(node.id, nxt, (), 0, src, dst, mode, ctx), here, edges, prev)

    # -- legs -------------------------------------------------------------------------------------
    def _why_down(self, a: str, b: str) -> tuple[str, Culprit]:
        na, nb = self.nodes[a], self.nodes[b]
        for n in (na, nb):
            if n.kind is Kind.BREAKOUT and not n.up:
                return f"breakout {n.name} is down", n.culprit
        for n in (na, nb):
            if n.kind in (Kind.LINK, Kind.MSEE):
                return f"the {n.link} link of circuit {n.name} is down", ("circuits", n.name)
        if na.kind is Kind.SITE and nb.kind is Kind.SITE:
            return f"the WAN link {na.name} - {nb.name} is down", ("wan",)
        return f"the way from {na.label} to {nb.label} is down", na.culprit

    def _edge(self, a: str, b: str) -> str | None:
        na, nb = self.nodes[a], self.nodes[b]
        for x, y in ((na, nb), (nb, na)):
            if x.kind is Kind.LINK and y.kind is Kind.MSEE:
                return f"circuit:{x.name}/{x.link}"
            if x.kind is Kind.BREAKOUT and y.kind is Kind.INTERNET:
                return f"breakout:{x.name}"
        return None

    def _leg(self, a: str, b: str, mode: Mode, ctx: Context) -> tuple[float, bool]:
        """One-way latency of the leg from ``a`` to ``b`` (half its round trip)."""
        na, nb = self.nodes[a], self.nodes[b]
        geo = self.geo
        kinds = {na.kind, nb.kind}
        if kinds == {Kind.MSEE, Kind.MICROSOFT}:
            msee = na if na.kind is Kind.MSEE else nb
            if ctx.ms_point is None:
                return 0.0, False
            bb = geo.backbone(geo.peering(msee.name), ctx.ms_point)
            return bb.ms / 2, bb.estimated
        if kinds == {Kind.BREAKOUT, Kind.INTERNET}:
            edge = na if na.kind is Kind.BREAKOUT else nb
            if ctx.given is not None and ctx.given[0] == edge.name:
                leg = ctx.given[1]
            else:
                leg, _ = geo.breakout_internet(edge.name)
            if ctx.microsoft_end and ctx.ms_point is not None:
                _, fe = geo.breakout_internet(edge.name)
                leg = leg + geo.backbone(geo.fe_point(fe), ctx.ms_point)
            return leg.ms / 2, leg.estimated
        if kinds == {Kind.INTERNET, Kind.MICROSOFT}:
            return 0.0, False
        leg = self.net.wires[a][b].leg
        return leg.ms / 2, leg.estimated


def prefixed(
    segs: tuple[Seg, ...], hops: tuple[Hop, ...], edges: tuple[str, ...], prev: str
) -> tuple[Seg, ...]:
    """Segments that start at the last hop of ``hops``, seen from before it: that hop takes the
    routing note, and the path so far comes first."""
    out = []
    last = hops[-1]
    for s in segs:
        noted = last._replace(action=join(last.action, s.note)) if s.note else last
        out.append(s._replace(note="", hops=(*hops[:-1], noted, *s.hops), edges=edges + s.edges))
    return tuple(out)
