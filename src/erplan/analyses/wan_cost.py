"""Which WAN link's cost leads a site along a slower path than the fastest (cause
``igp-metric``).

The IGP would agree with latency if every link cost its latency (a link's default cost). When
it takes a slower path, some link's cost departs from its latency in that path's favour: a link
of the path taken costing less than its latency, or a link of a fastest path costing more (of
equally fast paths, every one: no name or order picks one). The culprit is the link whose cost
departs most (by how many ms), ties by the design's order: the one to set first (guide 000
§7.3.1, "hot potato" by IGP metrics).
"""

from __future__ import annotations

import heapq
from collections.abc import Iterable, Sequence
from itertools import pairwise

from erplan.analyses.causes import Culprit
from erplan.engine import Engine
from erplan.engine.build import COST_SCALE
from erplan.engine.nodes import Wire

_ROUNDING = 1e-6  # ms: a default cost is its latency rounded to the IGP's micro-units
_TIGHT = 1e-9  # relative: sums of legs in another order may differ in the last bits


class WanCosts:
    """The WAN link a slow path's cost puts the blame on, and its words for the fix."""

    def __init__(self, engine: Engine) -> None:
        self.e = engine
        self._fastest: dict[tuple[str, str], frozenset[frozenset[str]] | None] = {}

    def culprit(self, taken: Sequence[str], start: str, targets: Iterable[str]) -> Culprit:
        """``("wan", INDEX, "cost")`` of the link to set first; ``taken``: the site routers the
        slow path crosses from ``start``, ``targets``: the site routers of the faster options
        (every fastest WAN path to each). ``("wan",)`` when no one link departs in the slow
        path's favour."""
        slow = _wires(taken)
        best: tuple[float, int] | None = None
        for target in sorted(set(targets)):
            fast = self.fastest(start, target)
            if fast is None:
                continue
            for pair, sign in [*((p, -1) for p in slow - fast), *((p, 1) for p in fast - slow)]:
                index = self.e.net.wan_links.get(pair)
                if index is None:
                    continue
                gain = sign * _departure(self._wire(pair))
                if gain > _ROUNDING and (best is None or (-gain, index) < (-best[0], best[1])):
                    best = (gain, index)
        return ("wan",) if best is None else ("wan", best[1], "cost")

    def words(self, culprit: Culprit) -> str | None:
        """The link a ``culprit`` names, its cost against its latency, and which way to set
        it (None: not one link's cost)."""
        if len(culprit) != 3 or culprit[0] != "wan" or not isinstance(culprit[1], int):
            return None
        link = self.e.design.wan[culprit[1]]
        a, z = link.between
        w = self._wire(frozenset((f"site:{a}", f"site:{z}")))
        est = " (estimated)" if w.leg.estimated else ""
        way = "raise" if _departure(w) < 0 else "lower"
        return (
            f"WAN link {a} - {z} (wan[{culprit[1]}]) costs {w.cost / COST_SCALE:g} for its "
            f"{w.leg.ms:.0f} ms{est}, the furthest from its latency in the slower path's "
            f"favour: {way} its cost"
        )

    def fastest(self, start: str, target: str) -> frozenset[frozenset[str]] | None:
        """The WAN wires on any fastest path from ``start`` to ``target`` (by latency, over
        the links up): every one of equally fast paths, so no name or order picks one."""
        key = (start, target)
        if key not in self._fastest:
            self._fastest[key] = _tight(self.e.net.site_links(), start, target)
        return self._fastest[key]

    def _wire(self, pair: frozenset[str]) -> Wire:
        a, b = sorted(pair)
        return self.e.net.wires[a][b]


def _departure(w: Wire) -> float:
    """How far a wire's IGP cost lies above its latency, in ms (its default cost)."""
    return w.cost / COST_SCALE - w.leg.ms


def _wires(path: Sequence[str]) -> set[frozenset[str]]:
    return {frozenset(p) for p in pairwise(path) if p[0] != p[1]}


Links = dict[str, list[tuple[str, float, bool]]]


def _tight(links: Links, start: str, target: str) -> frozenset[frozenset[str]] | None:
    """The wires u-v with d(start, u) + leg + d(v, target) = d(start, target)."""
    there = _within(links, start, None, target)
    whole = there.get(target)
    if whole is None:
        return None
    back = _within(links, target, whole)
    out = set()
    for u, du in there.items():
        for v, leg, _ in links.get(u, ()):
            dv = back.get(v)
            if dv is not None and du + leg + dv <= whole + _TIGHT * max(1.0, whole):
                out.add(frozenset((u, v)))
    return frozenset(out)


def _within(
    links: Links, root: str, bound: float | None, stop: str | None = None
) -> dict[str, float]:
    """Latency from ``root`` to every site router up to ``bound`` (or to ``stop``, and those
    as near)."""
    dist = {root: 0.0}
    done: dict[str, float] = {}
    heap = [(0.0, root)]
    while heap:
        d, v = heapq.heappop(heap)
        if v in done:
            continue
        if bound is not None and d > bound + _TIGHT * max(1.0, bound):
            break
        done[v] = d
        if v == stop:
            bound = d
        for u, leg, _ in links.get(v, ()):
            nd = d + leg
            if u not in done and nd < dist.get(u, float("inf")):
                dist[u] = nd
                heapq.heappush(heap, (nd, u))
    return done
