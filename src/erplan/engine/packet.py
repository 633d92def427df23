"""A packet on its walk: the hops it has crossed, the sessions its connection created and met,
and the ways it ends (``Leaf``). What the walk notes on a hop and how a leaf is recorded are here;
where the packet goes is engine/walk.py."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import NamedTuple

from erplan.engine.nodes import Node
from erplan.engine.segments import Scope
from erplan.engine.sessions import Culprit, Mode, Session, join, unique
from erplan.engine.trace import Disposition, Hop

# A hop from its nine fields without the named tuple's keyword handling: hops are made per
# packet per stretch, the walk's commonest allocation.
hop = tuple.__new__
KEEP = -1  # not an address: "leave this field of the hop as it is"


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


@dataclass(slots=True)
class State:
    mode: Mode
    scope: Scope
    first: str
    hops: list[Hop] = field(default_factory=list)
    sessions: list[Session] = field(default_factory=list)
    seen: set[int] = field(default_factory=set)
    visited: set[tuple[object, ...]] = field(default_factory=set)
    ties: list[str] = field(default_factory=list)
    edges: list[str] = field(default_factory=list)
    leaves: list[Leaf] = field(default_factory=list)


def end(
    st: State,
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
        st.hops[-1] = hop(Hop, (last[0], last[1], join(last[2], reason), *last[3:]))
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
            unique(st.ties),
            cause or disposition.value,
        )
    )
    st.hops[-1] = last


def mark(
    st: State,
    action: str = "",
    *,
    src: int = KEEP,
    dst: int = KEEP,
    src_before: int | None = KEEP,
    dst_before: int | None = KEEP,
) -> Hop:
    """Note on the current hop what happens there (the addresses the packet leaves with,
    those it had before a rewrite; a field not given stays); returns the hop as it was,
    to restore."""
    before = st.hops[-1]
    node, label, act, hsrc, hdst, hsb, hdb, ms, est = before
    st.hops[-1] = hop(
        Hop,
        (
            node,
            label,
            join(act, action) if action else act,
            hsrc if src == KEEP else src,
            hdst if dst == KEEP else dst,
            hsb if src_before == KEEP else src_before,
            hdb if dst_before == KEEP else dst_before,
            ms,
            est,
        ),
    )
    return before


def rewrite(st: State, action: str, src: int, dst: int, nsrc: int, ndst: int) -> Hop:
    """``mark`` for a translation from (``src``, ``dst``) to (``nsrc``, ``ndst``): the hop keeps
    the addresses it had before only where they changed."""
    return mark(
        st,
        action,
        src=nsrc,
        dst=ndst,
        src_before=src if nsrc != src else None,
        dst_before=dst if ndst != dst else None,
    )


def held_session(node: Node, src: int, dst: int, st: State) -> Session | None:
    """The session a stateful box already holds for a first packet crossing it again."""
    for s in st.sessions:
        if s.table == node.session and s.in_src == src and s.in_dst == dst:
            return s
    return None


def reply_session(node: Node, src: int, dst: int, st: State) -> tuple[int, Session] | None:
    for i, s in enumerate(st.sessions):
        if s.table == node.session and s.out_src == dst and s.out_dst == src:
            return i, s
    return None
