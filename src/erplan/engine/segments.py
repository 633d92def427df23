"""Routed stretches: between stateful boxes a packet is only routed, so where it goes depends on
the *classes* of its addresses alone — what every table decides for its destination, which
filters its source passes. Each stretch is computed once per class and shared by every flow that
crosses it (the way back from any front end to a NAT pool is the same for every site behind that
pool). Its hops are templates without addresses; the walk fills them in when it shows a path.
"""

from __future__ import annotations

from typing import NamedTuple

from erplan.engine.igp import Igp
from erplan.engine.network import Network
from erplan.engine.nodes import Kind, Node
from erplan.engine.routes import Act, DstClass
from erplan.engine.sessions import Context, Culprit, Mode, join
from erplan.engine.tables import Tables
from erplan.engine.trace import Disposition, Hop
from erplan.latency import Ms

# How a segment ends.
LEAF, DEVICE, ROUTER = 0, 1, 2
# Placeholders for the packet's addresses in reasons a segment gives (shared by many packets).
SRC, DST = "\x01src\x01", "\x01dst\x01"


class Seg(NamedTuple):
    """One way a routed stretch ends, relative to where it started."""

    frac: float
    note: str  # the routing decision at the start router ("" when it starts on a wire)
    hops: tuple[Hop, ...]  # templates: addresses are the walk's
    edges: tuple[str, ...]
    ties: tuple[str, ...]
    end: int
    node: str  # the leaf's node, the stateful router, or the stateful device
    prev: str
    disposition: Disposition | None = None
    reason: str = ""  # may hold SRC and DST
    culprit: Culprit = ()
    cause: str = ""
    wire: tuple[str, str, tuple[str, ...], int] | None = None  # DEVICE: a, b, devices, i


# Which neighbour of an edge router is outside it.
OUTER = {Kind.CE: "link:", Kind.LINK: "msee:", Kind.BREAKOUT: "internet"}


def _leaf(
    node: str,
    prev: str,
    disposition: Disposition,
    reason: str,
    culprit: Culprit,
    cause: str,
    *,
    note: str = "",
    frac: float = 1.0,
    ties: tuple[str, ...] = (),
) -> Seg:
    return Seg(frac, note, (), (), ties, LEAF, node, prev, disposition, reason, culprit, cause)


class Scope:
    """The stretches of one kind of packet (first or reply) under one latency context.

    The memo keeps two generations: when the newer one fills up it becomes the older, and the
    stretches not asked for since are dropped (at 10,000 sites the stretches were a third of
    the memory ``verify`` holds, most of them one site's own). That is exact while a stretch
    is a function of its key alone; a routing loop makes it depend on where the walk entered
    (the loop is reported where the packet comes back), so after the first loop nothing is
    dropped any more.

    Most stretches cross no leg whose latency depends on the context (only the legs into
    Microsoft's network and the internet do): those are kept once per kind of packet, in
    ``free``, and shared by every context."""

    __slots__ = ("busy", "ctx", "free", "looped", "memo", "mode", "older")

    LIMIT = 1024  # stretches in the newer generation (at 10,000 sites: 717 -> 571 MB)

    def __init__(self, mode: Mode, ctx: Context | None, free: Scope | None = None) -> None:
        self.mode = mode
        self.ctx = ctx
        self.free = free
        self.memo: dict[tuple[object, ...], tuple[Seg, ...]] = {}
        self.older: dict[tuple[object, ...], tuple[Seg, ...]] = {}
        self.busy: set[tuple[object, ...]] = set()
        self.looped = False

    def revive(self, key: tuple[object, ...]) -> tuple[Seg, ...] | None:
        """A stretch of the older generation, asked for again: it lives on."""
        got = self.older.get(key)
        if got is not None:
            self.memo[key] = got
        return got

    def put(self, key: tuple[object, ...], segs: tuple[Seg, ...]) -> None:
        self.memo[key] = segs
        if len(self.memo) >= self.LIMIT and not self.looped:
            self.older = self.memo
            self.memo = {}


class Segments:
    def __init__(self, net: Network, igp: Igp, tables: Tables) -> None:
        self.net = net
        self.igp = igp
        self.tables = tables
        self.nodes = net.nodes
        self.geo = net.geo
        self._scopes: dict[tuple[Mode, Context], Scope] = {}
        self._edges: dict[tuple[str, str], str | None] = {}
        self._free = {mode: Scope(mode, None) for mode in Mode}
        # Counts what made a stretch depend on its context: a leg's latency read from it, a
        # stretch of the context's own memo reused, a loop met. Unchanged over a computation:
        # the stretch is the same in every context.
        self._bound = 0

    def scope(self, mode: Mode, ctx: Context) -> Scope:
        got = self._scopes.get((mode, ctx))
        if got is None:
            got = self._scopes[(mode, ctx)] = Scope(mode, ctx, self._free[mode])
        return got

    @property
    def computed(self) -> int:
        """How many stretches were computed (each shared by every packet of its class)."""
        scopes = [*self._scopes.values(), *self._free.values()]
        return sum(len(s.memo) + len(s.older) for s in scopes)

    def _known(self, key: tuple[object, ...], sp: Scope) -> tuple[Seg, ...] | None:
        """A stretch already made: one every context shares, else the context's own. Whether a
        stretch depends on its context is a function of its key (what it reaches: a leg that
        reads the context, a loop), so a key is only ever kept in one of the two."""
        free = sp.free
        assert free is not None
        got = free.memo.get(key)
        if got is None and free.older:
            got = free.revive(key)
        if got is None:
            got = sp.memo.get(key)
            if got is None and sp.older:
                got = sp.revive(key)
            if got is not None:
                self._bound += 1
        return got

    def _keep(self, key: tuple[object, ...], segs: tuple[Seg, ...], sp: Scope, bound: int) -> None:
        """Keep a stretch made since the count was ``bound``: in every context if it read
        nothing of its own."""
        if self._bound == bound:
            assert sp.free is not None
            sp.free.put(key, segs)
        else:
            sp.put(key, segs)

    # -- routed stretches ----------------------------------------------------------------------
    def router(self, r: str, src: int, dst: int, sp: Scope) -> tuple[Seg, ...]:
        """Route at ``r`` and on, until a leaf or a stateful box."""
        t = self.tables
        return self._router(r, t.dst_class(dst), t.src_class(src), sp)

    def wire(
        self,
        a: str,
        b: str,
        devices: tuple[str, ...],
        i: int,
        src: int,
        dst: int,
        sp: Scope,
    ) -> tuple[Seg, ...]:
        """Cross the wire from ``a`` to ``b`` from device ``i`` on, then route at ``b``."""
        t = self.tables
        return self._wire(a, b, devices, i, t.dst_class(dst), t.src_class(src), sp)

    def _router(self, r: str, dc: int, sc: int, sp: Scope) -> tuple[Seg, ...]:
        key = (r, dc, sc)
        got = self._known(key, sp)
        if got is not None:
            return got
        if key in sp.busy:
            sp.looped = True
            self._bound += 1
            node = self.nodes[r]
            reason = f"routing loop: the packet comes back to {node.label}"
            return (_leaf(r, r, Disposition.BLACKHOLE, reason, node.culprit, "loop"),)
        bound = self._bound
        sp.busy.add(key)
        try:
            got = self._route(r, dc, sc, sp)
        finally:
            sp.busy.discard(key)
        self._keep(key, got, sp, bound)
        return got

    def _route(self, r: str, dc: int, sc: int, sp: Scope) -> tuple[Seg, ...]:
        dcls: DstClass = self.tables.dst_classes[dc]
        mode = sp.mode
        node = self.nodes[r]
        kind = node.kind
        if kind is Kind.MICROSOFT:
            d = dcls.microsoft
        elif kind is Kind.INTERNET:
            d = dcls.internet
        else:
            egress = self.tables.src_classes[sc].egress
            d = self.tables.customer_decision_for(r, dcls.route, egress)
        if d.act is Act.DELIVER:
            if kind in (Kind.MICROSOFT, Kind.INTERNET, Kind.LAN):
                note = d.route if kind is not Kind.LAN else ""
                return (
                    _leaf(r, r, Disposition.DELIVERED, "delivered", (), "delivered", note=note),
                )
            if mode is Mode.REPLY:
                reason = f"{node.label} holds no session for this connection"
                return (_leaf(r, r, Disposition.DROPPED, reason, node.culprit, "no-session"),)
            reason = f"{DST} is a translated address of {node.label}, not a host"
            return (_leaf(r, r, Disposition.BLACKHOLE, reason, node.culprit, "translated-address"),)
        if d.act is Act.NO_ROUTE:
            where = "" if kind in (Kind.MICROSOFT, Kind.INTERNET) else f"{node.label}: "
            culprit = d.culprit or node.culprit
            return (_leaf(r, r, Disposition.BLACKHOLE, f"{where}{d.route}", culprit, "no-route"),)
        out: list[Seg] = []
        share = 1.0 / len(d.nexts)
        tie = (d.tie,) if d.tie else ()
        for n in d.nexts:
            blocked = self.tables.src_classes[sc].blocked
            if (
                blocked is not None
                and mode is Mode.NEW
                and kind is Kind.SITE
                and n.startswith("edge:")
                and not dcls.inside
            ):
                reason = (
                    f"the perimeter lets no client of site {blocked} reach the internet "
                    "directly (proxy.direct_internet: false)"
                )
                # The perimeter's rule is the customer's security policy (guide 000 §2.2):
                # the fix is the proxy set-up that sends the name DIRECT (the PAC file).
                culprit = ("sites", blocked, "proxy", "mode")
                out.append(
                    _leaf(
                        r,
                        r,
                        Disposition.DROPPED,
                        reason,
                        culprit,
                        "no-direct-internet",
                        note=d.route,
                        frac=share,
                        ties=tie,
                    )
                )
                continue
            devices = self.net.wires[r][n].devices_from(r)
            note = d.route
            # Positional, not ``_replace``: the commonest rebuild of a stretch's end.
            out.extend(
                Seg(s[0] * share, note, s[2], s[3], tie + s[4], *s[5:])
                for s in self._wire(r, n, devices, 0, dc, sc, sp)
            )
        return tuple(out)

    def _wire(
        self,
        a: str,
        b: str,
        devices: tuple[str, ...],
        i: int,
        dc: int,
        sc: int,
        sp: Scope,
    ) -> tuple[Seg, ...]:
        key = (a, b, i, dc, sc)  # the devices are the wire's, from a
        got = self._known(key, sp)
        if got is None:
            bound = self._bound
            got = self._cross(a, b, devices, i, dc, sc, sp)
            self._keep(key, got, sp, bound)
        return got

    def _cross(
        self,
        a: str,
        b: str,
        devices: tuple[str, ...],
        i: int,
        dc: int,
        sc: int,
        sp: Scope,
    ) -> tuple[Seg, ...]:
        hops: list[Hop] = []
        for j in range(i, len(devices)):
            nid = devices[j]
            node = self.nodes[nid]
            hops.append(Hop(nid, node.label, "", 0, 0))
            if not node.up:
                leaf = _leaf(
                    nid, a, Disposition.BLACKHOLE, f"{node.label} is down", node.culprit, "down"
                )
                return (leaf._replace(hops=tuple(hops)),)
            if node.stateful or node.nat is not None:
                return (Seg(1.0, "", tuple(hops), (), (), DEVICE, nid, a, wire=(a, b, devices, j)),)
        wire = self.net.wires[a][b]
        if not wire.up:
            reason, culprit = why_down(self.nodes, a, b)
            leaf = _leaf(a, a, Disposition.BLACKHOLE, reason, culprit, "down")
            return (leaf._replace(hops=tuple(hops)),)
        bnode = self.nodes[b]
        assert sp.ctx is not None
        ms, est = self._leg(a, b, sp.ctx)
        hops.append(Hop(b, bnode.label, "", 0, 0, ms=ms, estimated=est))
        edge = self._edge(a, b)
        edges = (edge,) if edge is not None else ()
        here = tuple(hops)
        if bnode.kind is Kind.MSEE:
            return self._msee(bnode, a, dc, sc, sp, here, edges)
        if bnode.stateful and bnode.nat is not None:
            got: tuple[Seg, ...] = (Seg(1.0, "", here, edges, (), ROUTER, b, a),)
        else:
            got = prefixed(self._router(b, dc, sc, sp), here, edges)
        return parallel(got, len(hops) - 1, wire.legs) if wire.legs else got

    def _msee(
        self,
        node: Node,
        prev: str,
        dc: int,
        sc: int,
        sp: Scope,
        here: tuple[Hop, ...],
        edges: tuple[str, ...],
    ) -> tuple[Seg, ...]:
        circuit = node.name
        if prev.startswith("link:"):
            if circuit not in self.tables.src_classes[sc].admitted:
                reason = (
                    f"Microsoft drops the source {SRC}: it is not among the public prefixes "
                    f"advertised on circuit {circuit} (Microsoft's inbound filter)"
                )
                leaf = _leaf(
                    node.id,
                    prev,
                    Disposition.DROPPED,
                    reason,
                    ("circuits", circuit, "advertises"),
                    "source-filter",
                )
                return prefixed((leaf,), here, edges)
            nxt = "microsoft"
        else:
            nxt = f"link:{circuit}/{node.link}"
        return prefixed(self._wire(node.id, nxt, (), 0, dc, sc, sp), here, edges)

    # -- legs ----------------------------------------------------------------------------------
    def _edge(self, a: str, b: str) -> str | None:
        """The network's edge the wire from ``a`` to ``b`` crosses, if any (a circuit's link
        into Microsoft, a breakout into the internet)."""
        key = (a, b)
        if key in self._edges:
            return self._edges[key]
        got = self._edges[key] = find_edge(self.nodes, a, b)
        return got

    def _leg(self, a: str, b: str, ctx: Context) -> tuple[float, bool]:
        """One-way latency of the leg from ``a`` to ``b`` (half its round trip)."""
        na, nb = self.nodes[a], self.nodes[b]
        geo = self.geo
        kinds = {na.kind, nb.kind}
        if kinds == {Kind.MSEE, Kind.MICROSOFT}:
            self._bound += 1
            msee = na if na.kind is Kind.MSEE else nb
            if ctx.ms_point is None:
                return 0.0, False
            bb = geo.backbone(geo.peering(msee.name), ctx.ms_point)
            return bb.ms / 2, bb.estimated
        if kinds == {Kind.BREAKOUT, Kind.INTERNET}:
            self._bound += 1
            edge = na if na.kind is Kind.BREAKOUT else nb
            given = ctx.given_leg(edge.name)
            leg = given if given is not None else geo.breakout_internet(edge.name)[0]
            if ctx.microsoft_end and ctx.ms_point is not None:
                _, fe = geo.breakout_internet(edge.name)
                leg = leg + geo.backbone(geo.fe_point(fe), ctx.ms_point)
            return leg.ms / 2, leg.estimated
        if kinds == {Kind.INTERNET, Kind.MICROSOFT}:
            return 0.0, False
        leg = self.net.wires[a][b].leg
        return leg.ms / 2, leg.estimated


def why_down(nodes: dict[str, Node], a: str, b: str) -> tuple[str, Culprit]:
    """Why the wire from ``a`` to ``b`` carries nothing, and the design object to fix."""
    na, nb = nodes[a], nodes[b]
    for n in (na, nb):
        if n.kind is Kind.BREAKOUT and not n.up:
            return f"breakout {n.name} is down", n.culprit
    for n in (na, nb):
        if n.kind in (Kind.LINK, Kind.MSEE):
            return f"the {n.link} link of circuit {n.name} is down", ("circuits", n.name)
    if na.kind is Kind.SITE and nb.kind is Kind.SITE:
        return f"the WAN link {na.name} - {nb.name} is down", ("wan",)
    return f"the way from {na.label} to {nb.label} is down", na.culprit


def find_edge(nodes: dict[str, Node], a: str, b: str) -> str | None:
    """The edge of the network between ``a`` and ``b``: a circuit's link or a breakout."""
    na, nb = nodes[a], nodes[b]
    for x, y in ((na, nb), (nb, na)):
        if x.kind is Kind.LINK and y.kind is Kind.MSEE:
            return f"circuit:{x.name}/{x.link}"
        if x.kind is Kind.BREAKOUT and y.kind is Kind.INTERNET:
            return f"breakout:{x.name}"
    return None


def parallel(segs: tuple[Seg, ...], at: int, legs: tuple[Ms, ...]) -> tuple[Seg, ...]:
    """``segs`` once over each of parallel links of equal cost, an equal share each: the hop
    ``at`` (the one the links reach) takes each link's own latency."""
    out = []
    for leg in legs:
        for s in segs:
            h = s.hops[at]._replace(ms=leg.ms / 2, estimated=leg.estimated)
            out.append(
                s._replace(frac=s.frac / len(legs), hops=(*s.hops[:at], h, *s.hops[at + 1 :]))
            )
    return tuple(out)


def prefixed(
    segs: tuple[Seg, ...], hops: tuple[Hop, ...], edges: tuple[str, ...]
) -> tuple[Seg, ...]:
    """Segments that start at the last hop of ``hops``, seen from before it: that hop takes the
    routing note, and the path so far comes first."""
    out = []
    last = hops[-1]
    before = hops[:-1]
    for s in segs:
        noted = last._replace(action=join(last.action, s.note)) if s.note else last
        out.append(Seg(s[0], "", (*before, noted, *s[2]), edges + s[3], *s[4:]))
    return tuple(out)
