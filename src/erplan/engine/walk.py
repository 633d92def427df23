"""Packets forwarded hop by hop: every router asks its own table, every stateful box keeps its
own sessions, every equal-cost branch and every pool sub-range is followed.

A walk is a depth-first search over the choices a packet meets; each leaf is one way the packet
can end, with its share of the connections. The first packet of a connection (``NEW``) creates
sessions and is translated by the rules; a reply (``REPLY``) must meet a session on every stateful
box it reaches, is translated back only there, and must not bypass a box that holds one
(docs/flow-semantics.md "State").

Between stateful boxes a packet is only routed: such a stretch (a *segment*) depends on the
packet's addresses alone, so it is computed once and shared by every flow that crosses it (the
walk back from a front end to a NAT pool is the same for every site behind that pool).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum
from typing import NamedTuple

from erplan.engine.igp import Igp
from erplan.engine.network import Kind, NatRules, Network, Node, Wire
from erplan.engine.ranges import PrefixTable, addr
from erplan.engine.tables import Act, Tables
from erplan.engine.trace import Branch, Disposition, Hop, Outcome, Path
from erplan.facts import source_filter
from erplan.latency import Ms, Point

Culprit = tuple[str | int, ...]


class Mode(Enum):
    NEW = "new"
    REPLY = "reply"


class Session(NamedTuple):
    table: str  # the session table: a device's name, or a NAT router
    node: str  # where it was created
    in_src: int
    in_dst: int
    out_src: int
    out_dst: int
    back: str  # the neighbour the first packet came from: replies return that way


@dataclass(frozen=True, slots=True)
class Context:
    """What the latency of a flow's legs depends on."""

    ms_point: Point | None = None  # the Microsoft end of the flow (a front end)
    microsoft_end: bool = True  # the far end is in Microsoft's network
    given: tuple[str, Ms] | None = None  # (breakout, leg) from the origin's given latency


class Leaf(NamedTuple):
    weight: float
    hops: tuple[Hop, ...]
    disposition: Disposition
    reason: str
    edge: str | None
    culprit: Culprit
    node: str
    prev: str
    src: int
    dst: int
    sessions: tuple[Session, ...]
    seen: frozenset[int]
    ties: tuple[str, ...]
    cause: str  # what ended it, as a key: delivered, no-session, source-filter, no-route, ...


# How a segment ends.
_LEAF, _DEVICE, _ROUTER = 0, 1, 2


class _Seg(NamedTuple):
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
    wire: tuple[str, str, tuple[str, ...], int] | None = None  # _DEVICE: a, b, devices, i


@dataclass(slots=True)
class _State:
    mode: Mode
    ctx: Context
    first: str
    hops: list[Hop] = field(default_factory=list)
    sessions: list[Session] = field(default_factory=list)
    seen: set[int] = field(default_factory=set)
    visited: set[tuple[object, ...]] = field(default_factory=set)
    ties: list[str] = field(default_factory=list)
    edges: list[str] = field(default_factory=list)
    leaves: list[Leaf] = field(default_factory=list)


# Which neighbour of an edge router is outside it.
_OUTER = {Kind.CE: "link:", Kind.LINK: "msee:", Kind.BREAKOUT: "internet"}


class Walker:
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
        self._segs: dict[tuple[object, ...], tuple[_Seg, ...]] = {}
        self._busy: set[tuple[object, ...]] = set()

    # -- entry point ------------------------------------------------------------------------------
    def walk(
        self,
        start: str,
        prev: str,
        src: int,
        dst: int,
        mode: Mode,
        ctx: Context,
        weight: float = 1.0,
        sessions: tuple[Session, ...] = (),
    ) -> list[Leaf]:
        st = _State(mode, ctx, start, sessions=list(sessions))
        st.hops.append(Hop(start, self.nodes[start].label, "", src, dst))
        self._router(start, prev, src, dst, weight, st)
        return st.leaves

    # -- the stateful walk ------------------------------------------------------------------------
    def _leaf(
        self,
        st: _State,
        node: str,
        prev: str,
        src: int,
        dst: int,
        w: float,
        disposition: Disposition,
        reason: str,
        culprit: Culprit = (),
        cause: str = "",
    ) -> None:
        last = st.hops[-1]
        if disposition is not Disposition.DELIVERED:
            st.hops[-1] = last._replace(action=_join(last.action, reason))
        st.leaves.append(
            Leaf(
                w,
                tuple(st.hops),
                disposition,
                reason,
                st.edges[0] if st.edges else None,
                culprit,
                node,
                prev,
                src,
                dst,
                tuple(st.sessions),
                frozenset(st.seen),
                _unique(st.ties),
                cause or disposition.value,
            )
        )
        st.hops[-1] = last

    def _mark(self, st: _State, action: str = "", **changes: int | None) -> Hop:
        """Note on the current hop what happens there; returns the hop as it was, to restore."""
        before = st.hops[-1]
        if action:
            changes_action = _join(before.action, action)
            st.hops[-1] = before._replace(action=changes_action, **changes)  # type: ignore[arg-type]
        else:
            st.hops[-1] = before._replace(**changes)  # type: ignore[arg-type]
        return before

    def _router(self, r: str, prev: str, src: int, dst: int, w: float, st: _State) -> None:
        """At router ``r`` (its hop already on the path): its sessions and translations, if it
        translates, then its table."""
        key = ("r", r, src, dst)
        if key in st.visited:
            self._leaf(
                st,
                r,
                prev,
                src,
                dst,
                w,
                Disposition.BLACKHOLE,
                f"routing loop: the packet comes back to {self.nodes[r].label}",
                self.nodes[r].culprit,
                "loop",
            )
            return
        st.visited.add(key)
        try:
            node = self.nodes[r]
            rules = node.nat
            if node.stateful and rules is not None:
                if st.mode is Mode.REPLY:
                    self._router_reply(node, prev, src, dst, w, st)
                    return
                outer = _OUTER.get(node.kind)
                if outer is not None and prev.startswith(outer):
                    for nsrc, ndst, share, note in _pre_routing(rules, src, dst):
                        before = self._mark(
                            st,
                            note,
                            src=nsrc,
                            dst=ndst,
                            src_before=src if nsrc != src else None,
                            dst_before=dst if ndst != dst else None,
                        )
                        try:
                            self._translating(node, prev, (src, dst), nsrc, ndst, w * share, st)
                        finally:
                            st.hops[-1] = before
                    return
                self._translating(node, prev, (src, dst), src, dst, w, st)
                return
            self._segments(self._seg_router(r, src, dst, st.mode, st.ctx), src, dst, w, st)
        finally:
            st.visited.discard(key)

    def _router_reply(
        self, node: Node, prev: str, src: int, dst: int, w: float, st: _State
    ) -> None:
        got = self._match(node, src, dst, st)
        if got is None:
            self._leaf(
                st,
                node.id,
                prev,
                src,
                dst,
                w,
                Disposition.DROPPED,
                f"{node.label} holds no session for this connection (the request did not cross it)",
                node.culprit,
                "no-session",
            )
            return
        idx, s = got
        nsrc, ndst = s.in_dst, s.in_src
        st.seen.add(idx)
        before = st.hops[-1]
        if (nsrc, ndst) != (src, dst):
            self._mark(
                st,
                "translated back",
                src=nsrc,
                dst=ndst,
                src_before=src if nsrc != src else None,
                dst_before=dst if ndst != dst else None,
            )
        try:
            self._segments(
                self._seg_router(node.id, nsrc, ndst, st.mode, st.ctx), nsrc, ndst, w, st
            )
        finally:
            st.seen.discard(idx)
            st.hops[-1] = before

    def _translating(
        self,
        node: Node,
        prev: str,
        arrival: tuple[int, int],
        src: int,
        dst: int,
        w: float,
        st: _State,
    ) -> None:
        """A new connection at a translating router: its table, then source NAT into its pool
        on the way out, and a session per way it leaves."""
        r = node.id
        d = self.tables.customer_decision(r, dst)
        if d.act is Act.DELIVER:
            self._leaf(
                st,
                r,
                prev,
                src,
                dst,
                w,
                Disposition.BLACKHOLE,
                f"{addr(dst)} is a translated address of {node.label}, not a host",
                node.culprit,
                "translated-address",
            )
            return
        if d.act is Act.NO_ROUTE:
            self._leaf(
                st,
                r,
                prev,
                src,
                dst,
                w,
                self._no_route(r, st),
                f"{node.label}: {d.route}",
                d.culprit or node.culprit,
                "no-route",
            )
            return
        before = self._mark(st, d.route)
        if d.tie:
            st.ties.append(d.tie)
        rules = node.nat
        assert rules is not None
        outer = _OUTER.get(node.kind)
        share = w / len(d.nexts)
        try:
            for n in d.nexts:
                wire = self.net.wires[r][n]
                if outer is not None and n.startswith(outer) and rules.snat:
                    options = [
                        (p.start, p.size / rules.snat_size, f"source NAT into {p}")
                        for p in rules.snat
                    ]
                else:
                    options = [(src, 1.0, "")]
                for nsrc, part, note in options:
                    routed = self._mark(st, note, src=nsrc, src_before=src if nsrc != src else None)
                    st.sessions.append(
                        Session(node.session, r, arrival[0], arrival[1], nsrc, dst, prev)
                    )
                    try:
                        self._wire(wire, r, n, 0, nsrc, dst, share * part, st)
                    finally:
                        st.sessions.pop()
                        st.hops[-1] = routed
        finally:
            if d.tie:
                st.ties.pop()
            st.hops[-1] = before

    def _wire(
        self, wire: Wire, a: str, b: str, i: int, src: int, dst: int, w: float, st: _State
    ) -> None:
        devices = wire.devices_from(a)
        self._segments(self._seg_wire(a, b, devices, i, src, dst, st.mode, st.ctx), src, dst, w, st)

    def _segments(self, segs: tuple[_Seg, ...], src: int, dst: int, w: float, st: _State) -> None:
        """Follow each way a routed stretch ends: a leaf, a stateful device, a stateful router."""
        hops = st.hops
        for seg in segs:
            start = hops[-1]
            if seg.note:
                hops[-1] = start._replace(action=_join(start.action, seg.note))
            hops.extend(seg.hops)
            st.edges.extend(seg.edges)
            st.ties.extend(seg.ties)
            try:
                sw = w * seg.frac
                if seg.end == _LEAF:
                    assert seg.disposition is not None
                    disp = seg.disposition
                    if seg.cause == "no-route":
                        disp = self._no_route(seg.node, st)
                    self._leaf(
                        st,
                        seg.node,
                        seg.prev,
                        src,
                        dst,
                        sw,
                        disp,
                        seg.reason,
                        seg.culprit,
                        seg.cause,
                    )
                elif seg.end == _ROUTER:
                    self._router(seg.node, seg.prev, src, dst, sw, st)
                else:
                    assert seg.wire is not None
                    self._device(*seg.wire, src, dst, sw, st)
            finally:
                del hops[len(hops) - len(seg.hops) :]
                hops[-1] = start
                if seg.edges:
                    del st.edges[len(st.edges) - len(seg.edges) :]
                if seg.ties:
                    del st.ties[len(st.ties) - len(seg.ties) :]

    def _device(
        self,
        a: str,
        b: str,
        devices: tuple[str, ...],
        i: int,
        src: int,
        dst: int,
        w: float,
        st: _State,
    ) -> None:
        """A stateful device (its hop on the path): sessions, translations, then on."""
        nid = devices[i]
        key = ("d", nid, a, src, dst)
        if key in st.visited:
            self._leaf(
                st,
                nid,
                a,
                src,
                dst,
                w,
                Disposition.BLACKHOLE,
                f"routing loop: the packet comes back to {self.nodes[nid].label}",
                self.nodes[nid].culprit,
                "loop",
            )
            return
        st.visited.add(key)
        try:
            self._device_step(a, b, devices, i, src, dst, w, st)
        finally:
            st.visited.discard(key)

    def _device_step(
        self,
        a: str,
        b: str,
        devices: tuple[str, ...],
        i: int,
        src: int,
        dst: int,
        w: float,
        st: _State,
    ) -> None:
        nid = devices[i]
        node = self.nodes[nid]
        rules = node.nat
        wire = self.net.wires[a][b]
        if st.mode is Mode.NEW:
            if rules is None:
                before = self._mark(st, "session created")
                st.sessions.append(Session(node.session, nid, src, dst, src, dst, a))
                try:
                    self._wire(wire, a, b, i + 1, src, dst, w, st)
                finally:
                    st.sessions.pop()
                    st.hops[-1] = before
                return
            options = _device_options(rules, b == rules.outer, src, dst)
            for nsrc, ndst, share, note in options:
                before = self._mark(
                    st,
                    note,
                    src=nsrc,
                    dst=ndst,
                    src_before=src if nsrc != src else None,
                    dst_before=dst if ndst != dst else None,
                )
                if node.stateful:
                    st.sessions.append(Session(node.session, nid, src, dst, nsrc, ndst, a))
                try:
                    self._wire(wire, a, b, i + 1, nsrc, ndst, w * share, st)
                finally:
                    if node.stateful:
                        st.sessions.pop()
                    st.hops[-1] = before
            return
        if rules is not None and rules.static:
            nsrc, ndst = _static(rules, src, dst)
            before = st.hops[-1]
            if (nsrc, ndst) != (src, dst):
                self._mark(
                    st,
                    "static NAT",
                    src=nsrc,
                    dst=ndst,
                    src_before=src if nsrc != src else None,
                    dst_before=dst if ndst != dst else None,
                )
            try:
                self._wire(wire, a, b, i + 1, nsrc, ndst, w, st)
            finally:
                st.hops[-1] = before
            return
        got = self._match(node, src, dst, st)
        if got is None:
            self._leaf(
                st,
                nid,
                a,
                src,
                dst,
                w,
                Disposition.DROPPED,
                f"{node.label} holds no session for this connection: it did not see the request",
                node.culprit,
                "no-session",
            )
            return
        idx, s = got
        nsrc, ndst = s.in_dst, s.in_src
        before = st.hops[-1]
        if (nsrc, ndst) != (src, dst):
            self._mark(
                st,
                "translated back",
                src=nsrc,
                dst=ndst,
                src_before=src if nsrc != src else None,
                dst_before=dst if ndst != dst else None,
            )
        st.seen.add(idx)
        try:
            if s.back == a and (nsrc, ndst) != (src, dst):
                # Translated back towards where the request came from: behind this packet.
                rest = devices[: i + 1][::-1]
                self._segments(
                    self._seg_wire(b, a, rest, 1, nsrc, ndst, st.mode, st.ctx), nsrc, ndst, w, st
                )
            else:
                self._wire(wire, a, b, i + 1, nsrc, ndst, w, st)
        finally:
            st.seen.discard(idx)
            st.hops[-1] = before

    def _match(self, node: Node, src: int, dst: int, st: _State) -> tuple[int, Session] | None:
        for i, s in enumerate(st.sessions):
            if s.table == node.session and s.out_src == dst and s.out_dst == src:
                return i, s
        return None

    def _no_route(self, r: str, st: _State) -> Disposition:
        if st.mode is Mode.NEW and r in (st.first, f"site:{self.nodes[st.first].site}"):
            return Disposition.UNREACHABLE
        return Disposition.BLACKHOLE

    # -- routed stretches (shared) ----------------------------------------------------------------
    def _seg_router(self, r: str, src: int, dst: int, mode: Mode, ctx: Context) -> tuple[_Seg, ...]:
        """Route at ``r`` and on, until a leaf or a stateful box."""
        key = ("r", r, src, dst, mode, ctx)
        got = self._segs.get(key)
        if got is not None:
            return got
        if key in self._busy:
            node = self.nodes[r]
            return (
                _Seg(
                    1.0,
                    "",
                    (),
                    (),
                    (),
                    _LEAF,
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

    def _route(self, r: str, src: int, dst: int, mode: Mode, ctx: Context) -> tuple[_Seg, ...]:
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
                    _Seg(
                        1.0,
                        d.route if kind is not Kind.LAN else "",
                        (),
                        (),
                        (),
                        _LEAF,
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
                    _Seg(
                        1.0,
                        "",
                        (),
                        (),
                        (),
                        _LEAF,
                        r,
                        r,
                        Disposition.DROPPED,
                        f"{node.label} holds no session for this connection",
                        node.culprit,
                        "no-session",
                    ),
                )
            return (
                _Seg(
                    1.0,
                    "",
                    (),
                    (),
                    (),
                    _LEAF,
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
                _Seg(
                    1.0,
                    "",
                    (),
                    (),
                    (),
                    _LEAF,
                    r,
                    r,
                    Disposition.BLACKHOLE,
                    f"{where}{d.route}",
                    d.culprit or node.culprit,
                    "no-route",
                ),
            )
        out: list[_Seg] = []
        share = 1.0 / len(d.nexts)
        tie = (d.tie,) if d.tie else ()
        for n in d.nexts:
            for s in self._seg_wire(
                r, n, self.net.wires[r][n].devices_from(r), 0, src, dst, mode, ctx
            ):
                out.append(s._replace(frac=s.frac * share, note=d.route, ties=tie + s.ties))
        return tuple(out)

    def _seg_wire(
        self,
        a: str,
        b: str,
        devices: tuple[str, ...],
        i: int,
        src: int,
        dst: int,
        mode: Mode,
        ctx: Context,
    ) -> tuple[_Seg, ...]:
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
    ) -> tuple[_Seg, ...]:
        hops: list[Hop] = []
        for j in range(i, len(devices)):
            nid = devices[j]
            node = self.nodes[nid]
            hops.append(Hop(nid, node.label, "", src, dst))
            if not node.up:
                return (
                    _Seg(
                        1.0,
                        "",
                        tuple(hops),
                        (),
                        (),
                        _LEAF,
                        nid,
                        a,
                        Disposition.BLACKHOLE,
                        f"{node.label} is down",
                        node.culprit,
                        "down",
                    ),
                )
            if node.stateful or node.nat is not None:
                return (
                    _Seg(1.0, "", tuple(hops), (), (), _DEVICE, nid, a, wire=(a, b, devices, j)),
                )
        wire = self.net.wires[a][b]
        if not wire.up:
            reason, culprit = self._why_down(a, b)
            return (
                _Seg(
                    1.0,
                    "",
                    tuple(hops),
                    (),
                    (),
                    _LEAF,
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
            return (_Seg(1.0, "", here, edges, (), _ROUTER, b, a),)
        return _prefixed(self._seg_router(b, src, dst, mode, ctx), here, edges, a)

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
    ) -> tuple[_Seg, ...]:
        circuit = node.name
        if prev.startswith("link:"):
            if not self._filters[circuit].covers(src):
                return (
                    _Seg(
                        1.0,
                        "",
                        here,
                        edges,
                        (),
                        _LEAF,
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
        return _prefixed(
            self._seg_wire(node.id, nxt, (), 0, src, dst, mode, ctx), here, edges, prev
        )

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


def _unique(items: list[str]) -> tuple[str, ...]:
    if len(items) < 2:
        return tuple(items)
    return tuple(dict.fromkeys(items))


def _join(a: str, b: str) -> str:
    if not b:
        return a
    return f"{a}; {b}" if a else b


def _prefixed(
    segs: tuple[_Seg, ...], hops: tuple[Hop, ...], edges: tuple[str, ...], prev: str
) -> tuple[_Seg, ...]:
    """Segments that start at the last hop of ``hops``, seen from before it: that hop takes the
    routing note, and the path so far comes first."""
    out = []
    last = hops[-1]
    for s in segs:
        noted = last._replace(action=_join(last.action, s.note)) if s.note else last
        out.append(s._replace(note="", hops=(*hops[:-1], noted, *s.hops), edges=edges + s.edges))
    return tuple(out)


def _pre_routing(rules: NatRules, src: int, dst: int) -> list[tuple[int, int, float, str]]:
    """DNAT, then inbound source NAT into the entry's pool (each sub-range a branch)."""
    mapped = rules.dnat.get(dst)
    if mapped is None:
        return [(src, dst, 1.0, "")]
    service, internal = mapped
    note = f"destination NAT {addr(dst)} -> {addr(internal)} ({service})"
    pool = rules.inbound.get(service)
    if pool is None:
        return [(src, internal, 1.0, note)]
    parts, size = pool
    return [
        (p.start, internal, p.size / size, f"{note}; inbound source NAT into {p}") for p in parts
    ]


def _device_options(
    rules: NatRules, outward: bool, src: int, dst: int
) -> list[tuple[int, int, float, str]]:
    """What a NAT device does to the first packet of a connection."""
    if not outward:
        if rules.static:
            ndst = _static(rules, src, dst)[1]
            return [(src, ndst, 1.0, "static NAT" if ndst != dst else "")]
        return _pre_routing(rules, src, dst)
    if rules.static:
        nsrc = _static(rules, src, dst)[0]
        return [(nsrc, dst, 1.0, "static NAT" if nsrc != src else "")]
    if rules.snat:
        return [
            (p.start, dst, p.size / rules.snat_size, f"source NAT into {p}") for p in rules.snat
        ]
    return [(src, dst, 1.0, "")]


def _static(rules: NatRules, src: int, dst: int) -> tuple[int, int]:
    """Stateless one-to-one NAT: published -> internal inbound, internal -> published out."""
    nsrc = rules.static_back.get(src, src)
    mapped = rules.dnat.get(dst)
    return nsrc, (mapped[1] if mapped is not None else dst)


def connect(
    walker: Walker,
    start: str,
    sources: list[tuple[int, float]],
    dst: int,
    ctx: Context,
    *,
    home: str,
    expect: int | None = None,
    delivered_at: str | None = None,
) -> list[Branch]:
    """Every branch of a connection from ``start`` to ``dst``: request, then reply.

    ``home`` is the node the initiator sits behind (its reply must be delivered there);
    ``expect``/``delivered_at``, when given, is the host and node the request must reach.
    """
    out: list[Branch] = []
    first = walker.nodes[start]
    prev = first.parent or start
    replies: dict[tuple[object, ...], list[Leaf]] = {}
    for src, share in sources:
        for f in walker.walk(start, prev, src, dst, Mode.NEW, ctx, share):
            fwd = _path(f)
            if f.disposition is not Disposition.DELIVERED:
                out.append(
                    Branch(
                        f.weight,
                        fwd,
                        None,
                        Outcome(f.disposition.value),
                        f.reason,
                        f.culprit,
                        f.ties,
                    )
                )
                continue
            wrong = _wrong_target(walker, f, expect, delivered_at)
            if wrong is not None:
                fwd = fwd._replace(
                    disposition=Disposition.DROPPED, reason=wrong, cause="wrong-host"
                )
                out.append(Branch(f.weight, fwd, None, Outcome.DROPPED, wrong, f.culprit, f.ties))
                continue
            # Requests that end alike (the two links of a circuit) get the same replies: the
            # reply depends on where the request ended, its addresses and the sessions it left.
            key = (f.node, f.src, f.dst, f.sessions)
            back = replies.get(key)
            if back is None:
                back = walker.walk(f.node, f.prev, f.dst, f.src, Mode.REPLY, ctx, 1.0, f.sessions)
                replies[key] = back
            for r in back:
                out.append(
                    _judge(walker, fwd, f, r._replace(weight=r.weight * f.weight), home, src, dst)
                )
    return out


def _path(leaf: Leaf) -> Path:
    ms = 0.0
    est = False
    for h in leaf.hops:
        if h.ms:
            ms += h.ms
            est = est or h.estimated
    return Path(
        leaf.hops, leaf.disposition, leaf.reason, leaf.edge, leaf.culprit, leaf.cause, ms, est
    )


def _wrong_target(walker: Walker, f: Leaf, expect: int | None, at: str | None) -> str | None:
    if at is not None and f.node != at:
        return f"the request reached {walker.nodes[f.node].label}, not the service's hosts"
    if expect is not None and f.dst != expect:
        return f"no host answers on {addr(f.dst)}: the request was meant for {addr(expect)}"
    return None


def _judge(walker: Walker, fwd: Path, f: Leaf, r: Leaf, home: str, src: int, dst: int) -> Branch:
    ties = _unique([*f.ties, *r.ties]) if r.ties else f.ties
    back = _path(r)
    if r.disposition is not Disposition.DELIVERED:
        return Branch(r.weight, fwd, back, Outcome(r.disposition.value), r.reason, r.culprit, ties)
    if r.node != home or (r.src, r.dst) != (dst, src):
        why = (
            f"the initiator drops the reply: it comes from {addr(r.src)} to {addr(r.dst)}, "
            f"not from {addr(dst)} to {addr(src)}"
            if r.node == home
            else f"the reply is delivered to {walker.nodes[r.node].label}, not to the initiator"
        )
        back = back._replace(disposition=Disposition.DROPPED, reason=why, cause="initiator")
        return Branch(r.weight, fwd, back, Outcome.DROPPED, why, r.culprit, ties)
    missed = [s for i, s in enumerate(r.sessions) if i not in r.seen]
    if missed:
        node = walker.nodes[missed[0].node]
        why = (
            f"the reply bypasses {node.label}, which holds the connection's session: it drops "
            "the initiator's next packets"
        )
        back = back._replace(disposition=Disposition.DROPPED, reason=why, cause="bypass")
        return Branch(r.weight, fwd, back, Outcome.DROPPED, why, node.culprit, ties)
    if _owner(f.edge) != _owner(r.edge):
        why = f"the reply enters by {r.edge}, the request left by {f.edge}"
        return Branch(r.weight, fwd, back, Outcome.ASYMMETRIC, why, (), ties)
    return Branch(r.weight, fwd, back, Outcome.OK, "", (), ties)


def _owner(edge: str | None) -> str | None:
    """The circuit or breakout of an edge (the link does not matter for symmetry)."""
    if edge is None:
        return None
    return edge.split("/", 1)[0]
