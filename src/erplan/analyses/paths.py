"""What the planning analyses read off traced flows: where a branch leaves, how long it takes to
reach Microsoft's network, and which design elements a trace touches.

Every figure here is read from the hops of a trace (``Hop.ms`` is one way, half the round trip
of the leg that reached the hop), so the planning analyses stand on the same numbers as
``erplan verify`` and ``erplan trace``.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from erplan.analyses.verdicts import FlowResult
from erplan.engine import Branch, Direction, Engine, FlowTrace
from erplan.engine.tables import Tables
from erplan.engine.trace import Hop, device_at, edge_owner
from erplan.latency import Ms

CIRCUIT = "circuit:"
BREAKOUT = "breakout:"


def owner(edge: str | None) -> str | None:
    """``circuit:NAME`` or ``breakout:NAME`` for an edge (a circuit edge names its link)."""
    return edge_owner(edge)


def egress(b: Branch) -> str | None:
    """The circuit or breakout the request left the customer network by."""
    return owner(b.forward.edge)


def name_of(edge_owner: str) -> str:
    return edge_owner.split(":", 1)[1]


def to_network(engine: Engine, t: FlowTrace, b: Branch) -> Ms | None:
    """Round trip from the origin to where the request enters Microsoft's network: the hops up
    to the Microsoft edge (ExpressRoute) or up to the internet (a breakout), the same legs on
    both paths (design notes, "Latency"). The internet hop also carries the backbone from the
    front door nearest the breakout to the front end geoDNS answered: that part is Microsoft's
    network already, and is left out."""
    total = 0.0
    estimated = False
    for h in b.forward.hops:
        total += h.ms
        if h.node.startswith("msee:"):
            return Ms(2 * total, estimated or h.estimated)
        if h.node == "internet":
            edge = egress(b)
            if edge is None or not edge.startswith(BREAKOUT):
                return None
            f = t.flow
            geo = engine.geo
            breakout = name_of(edge)
            leg, near = geo.breakout_internet(breakout)
            fe = engine.catalogs.front_end(f.front_end) if f.front_end else None
            if fe is not None and not f.third_party:
                total -= geo.backbone(geo.fe_point(near), geo.fe_point(fe)).ms / 2
            # The hop's own label also covers the backbone part left out: take the label of
            # the internet leg alone (the site's given figure, else the estimate).
            given = dict(engine.tracer.given(f)).get(breakout)
            own = given if given is not None else leg
            return Ms(2 * max(total, 0.0), estimated or own.estimated)
        estimated = estimated or (h.estimated and h.ms > 0)
    return None


def mean_to_network(engine: Engine, t: FlowTrace, kind: str) -> tuple[Ms, set[str]] | None:
    """Weighted mean over the working branches that leave by a ``kind`` edge (``circuit:`` or
    ``breakout:``), and the egresses they use."""
    weight = 0.0
    total = 0.0
    estimated = False
    used: set[str] = set()
    for b in t.branches:
        e = egress(b)
        if not b.outcome.works or e is None or not e.startswith(kind):
            continue
        ms = to_network(engine, t, b)
        if ms is None:
            continue
        weight += b.weight
        total += b.weight * ms.ms
        estimated = estimated or ms.estimated
        used.add(e)
    if weight <= 0:
        return None
    return Ms(total / weight, estimated), used


def share_over(t: FlowTrace, kind: str) -> float:
    """The share of the flow's connections that work and leave by a ``kind`` edge."""
    return sum(
        b.weight for b in t.branches if b.outcome.works and (egress(b) or "").startswith(kind)
    )


def edge_shares(t: FlowTrace) -> dict[str, float]:
    """Working connections per egress (circuit or breakout)."""
    out: dict[str, float] = {}
    for b in t.branches:
        e = egress(b)
        if b.outcome.works and e is not None:
            out[e] = out.get(e, 0.0) + b.weight
    return out


def users_rows(results: Iterable[FlowResult], site: str) -> Iterator[FlowResult]:
    for r in results:
        f = r.flow
        if f.direction is Direction.OUTBOUND and f.kind == "users" and f.origin == site:
            yield r


# -- what a trace touches ------------------------------------------------------------------------
def touched(t: FlowTrace, tables: Tables) -> set[str]:
    """Failure keys of every element a trace's packets cross, both ways, on every branch:
    ``circuit:C``, ``link:C/L``, ``breakout:B``, ``device:D``, ``wan:A|B`` (sorted sites); and
    of every circuit or breakout a router on the way chose to head for (``tables``' decision),
    though a transit router sent the packet elsewhere: its failure changes that choice."""
    out: set[str] = set()
    for b in t.branches:
        for p in (b.forward, b.back):
            if p is None:
                continue
            prev_site: str | None = None
            for h in p.hops:
                node = h.node
                kind, _, rest = node.partition(":")
                if kind in ("site", "ce"):
                    out.update(_chosen(tables, h))
                if kind == "site":
                    if prev_site is not None and prev_site != rest:
                        a, z = sorted((prev_site, rest))
                        out.add(f"wan:{a}|{z}")
                    prev_site = rest
                    continue
                if kind in ("ce", "link", "msee"):
                    circuit = rest if kind == "ce" else rest.rpartition("/")[0]
                    out.add(f"circuit:{circuit}")
                    if kind != "ce":
                        out.add(f"link:{rest}")
                elif kind == "edge":
                    out.add(f"breakout:{rest}")
                elif kind == "device":
                    name, where = device_at(node)
                    out.add(f"device:{name}")
                    # A device on a circuit's or breakout's path: the packet was routed there
                    # (a reply dropped before the circuit still depends on its routes).
                    if where.startswith("circuit:"):
                        out.add(edge_owner(where) or where)
                    elif where.startswith("breakout:"):
                        out.add(where)
                    continue  # a bump in the wire: the WAN hop around it is still one hop
                prev_site = None
            if p.culprit:
                # A path that ends at a failed element names it (a device or link down).
                out.add(_culprit_key(p.culprit))
        if b.culprit:
            out.add(_culprit_key(b.culprit))
    out.discard("")
    return out


def _chosen(tables: Tables, h: Hop) -> Iterator[str]:
    """The failure keys of what the router at ``h`` chose for the packet it forwarded."""
    route = tables.dst_classes[tables.dst_class(h.dst)].route
    egress = tables.src_classes[tables.src_class(h.src)].egress
    for target in tables.customer_decision_for(h.node, route, egress).toward:
        kind, _, name = target.partition(":")
        yield f"{CIRCUIT}{name}" if kind == "ce" else f"{BREAKOUT}{name}"


def _culprit_key(c: tuple[str | int, ...]) -> str:
    if len(c) >= 2 and c[0] == "circuits":
        return f"circuit:{c[1]}"
    if len(c) >= 2 and c[0] == "breakouts":
        return f"breakout:{c[1]}"
    if len(c) >= 2 and c[0] == "devices":
        return f"device:{c[1]}"
    return ""
