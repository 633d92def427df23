"""Stateful devices on a wire (a firewall, a NAT device): a first packet creates a session
there or finds the one its connection already holds, and is translated by the device's rules; a
reply must meet a session, is translated back only there, and turns back the way the request
came when the translation says so (docs/flow-semantics.md "State"). How the packet goes on from
the device is the walk's (engine/walk.py)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from erplan.engine.packet import State, end, held_session, mark, reply_session, rewrite
from erplan.engine.sessions import Mode, Session, device_options, static_nat
from erplan.engine.trace import Disposition

if TYPE_CHECKING:
    from erplan.engine.walk import Walker


class Devices:
    """The walk's steps at stateful devices; ``walker`` goes on along the wire."""

    def __init__(self, walker: Walker) -> None:
        self.walker = walker
        self.net = walker.net
        self.nodes = walker.nodes

    def cross(
        self,
        a: str,
        b: str,
        devices: tuple[str, ...],
        i: int,
        src: int,
        dst: int,
        w: float,
        st: State,
    ) -> None:
        """A stateful device (its hop on the path): sessions, translations, then on."""
        nid = devices[i]
        key = ("d", nid, a, src, dst)
        if key in st.visited:
            end(
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
            self._step(a, b, devices, i, src, dst, w, st)
        finally:
            st.visited.discard(key)

    def _step(
        self,
        a: str,
        b: str,
        devices: tuple[str, ...],
        i: int,
        src: int,
        dst: int,
        w: float,
        st: State,
    ) -> None:
        nid = devices[i]
        node = self.nodes[nid]
        rules = node.nat
        wire = self.net.wires[a][b]
        if st.mode is Mode.NEW:
            held = held_session(node, src, dst, st) if node.stateful else None
            if held is not None:
                # Crossed again by the same connection: its session is already there.
                before = mark(
                    st,
                    "session already held",
                    src=held.out_src,
                    dst=held.out_dst,
                    src_before=src if held.out_src != src else None,
                    dst_before=dst if held.out_dst != dst else None,
                )
                try:
                    self.walker.wire(wire, a, b, i + 1, held.out_src, held.out_dst, w, st)
                finally:
                    st.hops[-1] = before
                return
            if rules is None:
                before = mark(st, "session created")
                st.sessions.append(Session(node.session, nid, src, dst, src, dst, a))
                try:
                    self.walker.wire(wire, a, b, i + 1, src, dst, w, st)
                finally:
                    st.sessions.pop()
                    st.hops[-1] = before
                return
            options = device_options(rules, b == rules.outer, src, dst)
            for nsrc, ndst, share, note in options:
                before = rewrite(st, note, src, dst, nsrc, ndst)
                if node.stateful:
                    st.sessions.append(Session(node.session, nid, src, dst, nsrc, ndst, a))
                try:
                    self.walker.wire(wire, a, b, i + 1, nsrc, ndst, w * share, st)
                finally:
                    if node.stateful:
                        st.sessions.pop()
                    st.hops[-1] = before
            return
        if rules is not None and rules.static:
            nsrc, ndst = static_nat(rules, src, dst)
            before = st.hops[-1]
            if (nsrc, ndst) != (src, dst):
                rewrite(st, "static NAT", src, dst, nsrc, ndst)
            try:
                self.walker.wire(wire, a, b, i + 1, nsrc, ndst, w, st)
            finally:
                st.hops[-1] = before
            return
        got = reply_session(node, src, dst, st)
        if got is None:
            end(
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
            rewrite(st, "translated back", src, dst, nsrc, ndst)
        st.seen.add(idx)
        try:
            if s.back == a and (nsrc, ndst) != (src, dst):
                # Translated back towards where the request came from: behind this packet.
                self.walker.wire(wire, b, a, len(devices) - i, nsrc, ndst, w, st)
            else:
                self.walker.wire(wire, a, b, i + 1, nsrc, ndst, w, st)
        finally:
            st.seen.discard(idx)
            st.hops[-1] = before
