"""Which WAN link's cost leads a site along a slower path than the fastest (cause
``igp-metric``).

The IGP would agree with latency if every link cost its latency (a link's default cost). When
it takes a slower path, some link's cost departs from its latency in that path's favour: a link
of the path taken costing less than its latency, or a link of the fastest path costing more.
The culprit is the link whose cost departs most (by how many ms), ties by the design's order:
the one to set first (guide 000 §7.3.1, "hot potato" by IGP metrics).
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


class WanCosts:
    """The WAN link a slow path's cost puts the blame on, and its words for the fix."""

    def __init__(self, engine: Engine) -> None:
        self.e = engine
        self._fastest: dict[tuple[str, str], tuple[str, ...] | None] = {}

    def culprit(self, taken: Sequence[str], start: str, targets: Iterable[str]) -> Culprit:
        """``("wan", INDEX, "cost")`` of the link to set first; ``taken``: the site routers the
        slow path crosses from ``start``, ``targets``: the site routers of the faster options
        (the fastest WAN path to each). ``("wan",)`` when no one link departs in the slow
        path's favour."""
        slow = _wires(taken)
        best: tuple[float, int] | None = None
        for target in sorted(set(targets)):
            path = self.fastest(start, target)
            if path is None:
                continue
            fast = _wires(path)
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

    def fastest(self, start: str, target: str) -> tuple[str, ...] | None:
        """The site routers of the fastest WAN path from ``start`` to ``target`` (by latency,
        over the links up; ties by the routers' names)."""
        key = (start, target)
        if key not in self._fastest:
            self._fastest[key] = _dijkstra(self.e.net.site_links(), start, target)
        return self._fastest[key]

    def _wire(self, pair: frozenset[str]) -> Wire:
        a, b = sorted(pair)
        return self.e.net.wires[a][b]


def _departure(w: Wire) -> float:
    """How far a wire's IGP cost lies above its latency, in ms (its default cost)."""
    return w.cost / COST_SCALE - w.leg.ms


def _wires(path: Sequence[str]) -> set[frozenset[str]]:
    return {frozenset(p) for p in pairwise(path) if p[0] != p[1]}


def _dijkstra(
    links: dict[str, list[tuple[str, float, bool]]], start: str, target: str
) -> tuple[str, ...] | None:
    dist = {start: 0.0}
    prev: dict[str, str] = {}
    heap = [(0.0, start)]
    done: set[str] = set()
    while heap:
        d, v = heapq.heappop(heap)
        if v in done:
            continue
        done.add(v)
        if v == target:
            path = [v]
            while path[-1] != start:
                path.append(prev[path[-1]])
            return tuple(reversed(path))
        for u, leg, _ in links.get(v, ()):
            nd = d + leg
            if u not in done and nd < dist.get(u, float("inf")):
                dist[u], prev[u] = nd, v
                heapq.heappush(heap, (nd, u))
    return None
