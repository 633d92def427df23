"""A connection: its request walked from the initiator, then every reply walked back, and each
combination judged (delivered to the right host? the reply back to the initiator, from the
address it connected to? every session met? back by the circuit or breakout it left by?)."""

from __future__ import annotations

from operator import is_

from erplan.engine.ranges import addr
from erplan.engine.sessions import Context, Mode, unique
from erplan.engine.trace import Branch, Disposition, Outcome, Path, edge_owner
from erplan.engine.walk import Leaf, Walker


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
            fwd = _path(walker, f)
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
                why, cause = wrong
                fwd = fwd._replace(disposition=Disposition.DROPPED, reason=why, cause=cause)
                out.append(Branch(f.weight, fwd, None, Outcome.DROPPED, why, f.culprit, f.ties))
                continue
            # Requests that end alike (the two links of a circuit) get the same replies: the
            # reply depends on where the request ended, its addresses and the sessions it left.
            key = (f.node, f.src, f.dst, f.sessions)
            back = replies.get(key)
            if back is None:
                back = walker.walk(f.node, f.prev, f.dst, f.src, Mode.REPLY, ctx, 1.0, f.sessions)
                replies[key] = back
            for r in back:
                out.append(_judge(walker, fwd, f, r, r.weight * f.weight, home, src, dst))
    return out


def _path(walker: Walker, leaf: Leaf) -> Path:
    # Equal hops share one object: a report keeps every path, and most hops recur in the
    # paths of other flows of the same site (three objects per distinct hop at 1,000 sites).
    hops = leaf.hops
    pool = walker.hop_pool
    if pool is not None:
        pooled = tuple(map(pool.setdefault, hops, hops))
        if not all(map(is_, pooled, hops)):
            hops = pooled  # else the leaf's own tuple, which other paths may share
    ms = 0.0
    est = False
    for h in hops:
        if h.ms:
            ms += h.ms
            est = est or h.estimated
    return Path(hops, leaf.disposition, leaf.reason, leaf.edge, leaf.culprit, leaf.cause, ms, est)


def _wrong_target(
    walker: Walker, f: Leaf, expect: int | None, at: str | None
) -> tuple[str, str] | None:
    """(why, cause) when the request ends elsewhere than at its target."""
    if at is not None and f.node != at:
        why = (
            f"the request is delivered to {walker.nodes[f.node].label} ({addr(f.dst)} is "
            f"routed there), not to {walker.nodes[at].label}"
        )
        return why, "delivered-elsewhere"
    if expect is not None and f.dst != expect:
        why = f"no host answers on {addr(f.dst)}: the request was meant for {addr(expect)}"
        return why, "wrong-host"
    return None


def _judge(
    walker: Walker, fwd: Path, f: Leaf, r: Leaf, w: float, home: str, src: int, dst: int
) -> Branch:
    """Reply ``r`` to request ``f``, its share of the connection ``w``, judged."""
    ties = unique([*f.ties, *r.ties]) if r.ties else f.ties
    back = _path(walker, r)
    if r.disposition is not Disposition.DELIVERED:
        return Branch(w, fwd, back, Outcome(r.disposition.value), r.reason, r.culprit, ties)
    if r.node != home or (r.src, r.dst) != (dst, src):
        if r.node == home:
            why = (
                f"the initiator drops the reply: it comes from {addr(r.src)} to {addr(r.dst)}, "
                f"not from {addr(dst)} to {addr(src)}"
            )
            cause = "initiator"
        else:
            why = f"the reply is delivered to {walker.nodes[r.node].label}, not to the initiator"
            cause = "delivered-elsewhere"
        back = back._replace(disposition=Disposition.DROPPED, reason=why, cause=cause)
        return Branch(w, fwd, back, Outcome.DROPPED, why, r.culprit, ties)
    missed = [s for i, s in enumerate(r.sessions) if i not in r.seen]
    if missed:
        node = walker.nodes[missed[0].node]
        why = (
            f"the reply bypasses {node.label}, which holds the connection's session: it drops "
            "the initiator's next packets"
        )
        back = back._replace(disposition=Disposition.DROPPED, reason=why, cause="bypass")
        return Branch(w, fwd, back, Outcome.DROPPED, why, node.culprit, ties)
    if edge_owner(f.edge) != edge_owner(r.edge):
        # Either way round: an inbound request enters where an outbound one leaves.
        why = f"the request crosses the network's edge at {f.edge}, its reply at {r.edge}"
        return Branch(w, fwd, back, Outcome.ASYMMETRIC, why, (), ties)
    return Branch(w, fwd, back, Outcome.OK, "", (), ties)
