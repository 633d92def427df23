"""A flow's paths as strokes over the map, as the guides draw them.

Each branch of a traced flow has a request path and a reply path; each becomes a stroke through
the map nodes its hops stand at. A stroke is green when its leg works as it should and red when
it does not: the path is dropped or black-holed (the failing hop is marked), the reply comes back
another way (asymmetric), or the branch is slower than the best the design offers (suboptimal).
The leg between a Microsoft edge and the front end is Microsoft's backbone (dashed); a leg over
the internet goes straight from the breakout to the front end.

The report's script draws the same strokes from the same hops (``report.js``, ``strokes``); a
browser test checks that both agree.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from enum import StrEnum

from erplan.analyses.verdicts import FlowResult, Verdict
from erplan.engine import Branch, Hop, Outcome
from erplan.engine import Path as FlowPath
from erplan.engine.ranges import addr
from erplan.model import Analysis
from erplan.report.topology import INTERNET, MICROSOFT, Topology, fe_id


class Status(StrEnum):
    OK = "ok"
    BAD = "bad"


class Style(StrEnum):
    WIRE = "wire"
    BACKBONE = "backbone"  # dashed, as in the guides' figures
    INTERNET = "internet"


class BranchClass(StrEnum):
    """How one branch fares, which decides the colour of its two legs."""

    OK = "ok"
    SLOW = "slow"  # works, slower than the design's best (suboptimal)
    ASYMMETRIC = "asymmetric"  # works, the reply comes back another way
    FAILED = "failed"  # dropped, black-holed or unreachable


@dataclass(frozen=True, slots=True)
class Stroke:
    """One leg of one branch drawn through map nodes; ``styles[i]`` joins points i and i+1."""

    direction: str  # request or reply
    status: Status
    points: tuple[str, ...]
    styles: tuple[Style, ...]
    failed_at: str | None  # the map node where the leg ends when it fails
    weight: float
    notes: tuple[tuple[str, ...], ...] = ()  # per point: its hops, addresses and translations
    translated: tuple[bool, ...] = ()  # per point: some hop there rewrote an address


def slower(latency_ms: float, best_ms: float, analysis: Analysis) -> bool:
    """The judge's threshold (``Judge.slower``): beyond both the margin and the ratio."""
    return (
        latency_ms > best_ms + analysis.suboptimal_ms
        and latency_ms > best_ms * analysis.suboptimal_ratio
    )


def branch_class(r: FlowResult, b: Branch, analysis: Analysis) -> BranchClass:
    if not b.outcome.works:
        return BranchClass.FAILED
    if b.outcome is Outcome.ASYMMETRIC:
        return BranchClass.ASYMMETRIC
    if r.verdict is Verdict.SUBOPTIMAL and r.best is not None and slower(b.ms, r.best.ms, analysis):
        return BranchClass.SLOW
    return BranchClass.OK


def branch_front_end(r: FlowResult, b: Branch) -> str | None:
    """The front end a branch reaches (or, inbound, starts from)."""
    return b.front_end or r.flow.front_end


def leg_status(path: FlowPath, reply: bool, cls: BranchClass) -> Status:
    if path.disposition.value != "delivered" or cls is BranchClass.SLOW:
        return Status.BAD
    if reply and cls is BranchClass.ASYMMETRIC:
        return Status.BAD
    return Status.OK


def hop_point(topo: Topology, hops: tuple[Hop, ...], i: int, front_end: str | None) -> str | None:
    """The map node hop ``i`` is drawn at, or None when the stroke passes it by (the internet
    between a breakout and Microsoft: the leg goes straight to the front end)."""
    node = hops[i].node
    if node == MICROSOFT:
        fe = fe_id(front_end) if front_end else None
        return fe if fe in topo.nodes else MICROSOFT
    if node == INTERNET:
        near = {hops[j].node for j in (i - 1, i + 1) if 0 <= j < len(hops)}
        return None if MICROSOFT in near else INTERNET
    return node if node in topo.nodes else None


def _style(a_node: str, b_node: str, skipped_internet: bool) -> Style:
    if skipped_internet:
        return Style.INTERNET
    ends = {a_node, b_node}
    if MICROSOFT in ends and any(n.startswith("msee:") for n in ends):
        return Style.BACKBONE
    return Style.WIRE


def stroke(
    topo: Topology, path: FlowPath, direction: str, status: Status, front_end: str | None, w: float
) -> Stroke:
    points: list[str] = []
    styles: list[Style] = []
    notes: list[list[str]] = []
    nat: list[bool] = []
    last_hop: str | None = None
    skipped = False
    for i, hop in enumerate(path.hops):
        p = hop_point(topo, path.hops, i, front_end)
        if p is None:
            skipped = skipped or hop.node == INTERNET
            continue
        if points and p == points[-1]:
            last_hop = hop.node
            notes[-1].append(hop_note(hop))
            nat[-1] = nat[-1] or _rewrites(hop)
            continue
        if points:
            assert last_hop is not None
            styles.append(_style(last_hop, hop.node, skipped))
        points.append(p)
        notes.append([hop_note(hop)])
        nat.append(_rewrites(hop))
        last_hop = hop.node
        skipped = False
    failed = points[-1] if points and path.disposition.value != "delivered" else None
    return Stroke(
        direction,
        status,
        tuple(points),
        tuple(styles),
        failed,
        w,
        tuple(tuple(n) for n in notes),
        tuple(nat),
    )


def _rewrites(h: Hop) -> bool:
    return h.src_before is not None or h.dst_before is not None


def translation(h: Hop) -> str | None:
    """The address a hop rewrote, as the guides write it: ``source 10.0.0.57 → 20.2.2.3``."""
    parts = []
    if h.src_before is not None:
        parts.append(f"source {addr(h.src_before)} → {addr(h.src)}")
    if h.dst_before is not None:
        parts.append(f"destination {addr(h.dst_before)} → {addr(h.dst)}")
    return "; ".join(parts) or None


def hop_note(h: Hop) -> str:
    """One hop as the hover text says it: where, addresses, translation, what happened."""
    parts = [f"{h.label}: {addr(h.src)} → {addr(h.dst)}"]
    nat = translation(h)
    if nat:
        parts.append(nat)
    if h.action:
        parts.append(f"({h.action})")
    return "; ".join(parts)


def strokes(topo: Topology, r: FlowResult, analysis: Analysis) -> Iterator[Stroke]:
    """Every leg of every branch of one row, request first, the same leg once."""
    seen: set[tuple[str, Status, tuple[str, ...], tuple[Style, ...]]] = set()
    for b in r.trace.branches:
        cls = branch_class(r, b, analysis)
        fe = branch_front_end(r, b)
        legs = [("request", b.forward)] + ([("reply", b.back)] if b.back is not None else [])
        for direction, path in legs:
            s = stroke(
                topo, path, direction, leg_status(path, direction == "reply", cls), fe, b.weight
            )
            key = (s.direction, s.status, s.points, s.styles)
            if key in seen or len(s.points) < 1:
                continue
            seen.add(key)
            yield s


def hop_nodes(r: FlowResult) -> set[str]:
    """Every engine node a row's hops stand at (what selecting it lights up)."""
    return {
        h.node
        for b in r.trace.branches
        for p in (b.forward, b.back)
        if p is not None
        for h in p.hops
    }
