"""Packets forwarded hop by hop: every router asks its own table, every stateful box keeps its
own sessions, every equal-cost branch and every pool sub-range is followed.

A walk is a depth-first search over the choices a packet meets; each leaf is one way the packet
can end, with its share of the connections. The first packet of a connection (``NEW``) creates
sessions and is translated by the rules; a reply (``REPLY``) must meet a session on every stateful
box it reaches, is translated back only there, and must not bypass a box that holds one
(docs/flow-semantics.md "State"). Between stateful boxes the walk follows shared routed stretches
(``segments``).
"""

from __future__ import annotations

from erplan.engine.devices import Devices
from erplan.engine.igp import Igp
from erplan.engine.network import Network
from erplan.engine.nodes import Kind, Node, Wire
from erplan.engine.packet import Leaf, State, end, hop, mark, reply_session, rewrite
from erplan.engine.ranges import addr
from erplan.engine.routes import Act
from erplan.engine.segments import DST, LEAF, OUTER, ROUTER, SRC, Seg, Segments
from erplan.engine.sessions import (
    Context,
    Mode,
    Session,
    join,
    pre_routing,
)
from erplan.engine.tables import Tables
from erplan.engine.trace import Disposition, Hop

__all__ = ["Context", "Leaf", "Mode", "Session", "Walker"]


class Walker:
    def __init__(self, net: Network, igp: Igp, tables: Tables) -> None:
        self.net = net
        self.igp = igp
        self.tables = tables
        self.nodes = net.nodes
        self.segs = Segments(net, igp, tables)
        # One object per distinct hop of the paths a report keeps; None when paths are dropped
        # once judged (``Engine(keep_traces=False)``), where a pool would only hold them.
        self.hop_pool: dict[Hop, Hop] | None = {}
        self.devices = Devices(self)

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
        st = State(mode, self.segs.scope(mode, ctx), start, sessions=list(sessions))
        st.hops.append(Hop(start, self.nodes[start].label, "", src, dst))
        self._router(start, prev, src, dst, weight, st)
        return st.leaves

    # -- the stateful walk ------------------------------------------------------------------------
    def _router(self, r: str, prev: str, src: int, dst: int, w: float, st: State) -> None:
        """At router ``r`` (its hop already on the path): its sessions and translations, if it
        translates, then its table."""
        key = ("r", r, src, dst)
        if key in st.visited:
            end(
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
                outer = OUTER.get(node.kind)
                if outer is not None and prev.startswith(outer):
                    for nsrc, ndst, share, note in pre_routing(rules, src, dst):
                        before = rewrite(st, note, src, dst, nsrc, ndst)
                        try:
                            self._translating(node, prev, (src, dst), nsrc, ndst, w * share, st)
                        finally:
                            st.hops[-1] = before
                    return
                self._translating(node, prev, (src, dst), src, dst, w, st)
                return
            self._segments(self.segs.router(r, src, dst, st.scope), src, dst, w, st)
        finally:
            st.visited.discard(key)

    def _router_reply(self, node: Node, prev: str, src: int, dst: int, w: float, st: State) -> None:
        got = reply_session(node, src, dst, st)
        if got is None:
            end(
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
            rewrite(st, "translated back", src, dst, nsrc, ndst)
        try:
            self._segments(self.segs.router(node.id, nsrc, ndst, st.scope), nsrc, ndst, w, st)
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
        st: State,
    ) -> None:
        """A new connection at a translating router: its table, then source NAT into its pool
        on the way out, and a session per way it leaves."""
        r = node.id
        d = self.tables.customer_decision(r, dst)
        if d.act is Act.DELIVER:
            end(
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
            end(
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
        before = mark(st, d.route)
        if d.tie:
            st.ties.append(d.tie)
        rules = node.nat
        assert rules is not None
        outer = OUTER.get(node.kind)
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
                    # Without source NAT here the hop keeps what the arrival recorded (the
                    # source inbound source NAT replaced).
                    routed = (
                        mark(st, note, src=nsrc, src_before=src) if nsrc != src else mark(st, note)
                    )
                    st.sessions.append(
                        Session(node.session, r, arrival[0], arrival[1], nsrc, dst, prev)
                    )
                    try:
                        self.wire(wire, r, n, 0, nsrc, dst, share * part, st)
                    finally:
                        st.sessions.pop()
                        st.hops[-1] = routed
        finally:
            if d.tie:
                st.ties.pop()
            st.hops[-1] = before

    def wire(
        self, wire: Wire, a: str, b: str, i: int, src: int, dst: int, w: float, st: State
    ) -> None:
        devices = wire.devices_from(a)
        self._segments(self.segs.wire(a, b, devices, i, src, dst, st.scope), src, dst, w, st)

    def _segments(self, segs: tuple[Seg, ...], src: int, dst: int, w: float, st: State) -> None:
        """Follow each way a routed stretch ends: a leaf, a stateful device, a stateful router."""
        hops = st.hops
        for seg in segs:
            start = hops[-1]
            if seg.note:
                hops[-1] = hop(Hop, (start[0], start[1], join(start[2], seg.note), *start[3:]))
            # The stretch's hops are templates: this packet's addresses go in.
            hops.extend(
                [hop(Hop, (h[0], h[1], h[2], src, dst, None, None, h[7], h[8])) for h in seg.hops]
            )
            st.edges.extend(seg.edges)
            st.ties.extend(seg.ties)
            try:
                sw = w * seg.frac
                if seg.end == LEAF:
                    assert seg.disposition is not None
                    disp = seg.disposition
                    if seg.cause == "no-route":
                        disp = self._no_route(seg.node, st)
                    reason = seg.reason
                    if "\x01" in reason:
                        reason = reason.replace(SRC, addr(src)).replace(DST, addr(dst))
                    end(st, seg.node, seg.prev, src, dst, sw, disp, reason, seg.culprit, seg.cause)
                elif seg.end == ROUTER:
                    self._router(seg.node, seg.prev, src, dst, sw, st)
                else:
                    assert seg.wire is not None
                    self.devices.cross(*seg.wire, src, dst, sw, st)
            finally:
                del hops[len(hops) - len(seg.hops) :]
                hops[-1] = start
                if seg.edges:
                    del st.edges[len(st.edges) - len(seg.edges) :]
                if seg.ties:
                    del st.ties[len(st.ties) - len(seg.ties) :]

    def _no_route(self, r: str, st: State) -> Disposition:
        """Unreachable when the origin itself has no route for a new connection; a packet that
        left it and comes back (an edge's default route leads out again) is a blackhole."""
        origin = (st.first, f"site:{self.nodes[st.first].site}")
        if st.mode is not Mode.NEW or r not in origin:
            return Disposition.BLACKHOLE
        nodes = self.nodes
        left = any(h.node not in origin and nodes[h.node].kind is not Kind.DEVICE for h in st.hops)
        return Disposition.BLACKHOLE if left else Disposition.UNREACHABLE
