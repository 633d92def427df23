"""Graph searches over the WAN, as plain data: per site router its neighbours and the costs of
the wires to them (integer micro-units, every wire above zero).

Shortest-path trees, the parts of the WAN and the wires whose loss splits one, a tree repaired
after wires went down, the equal-cost next hops towards a target. ``engine.igp`` keeps what
they find per state and answers the routers' questions from it.
"""

from __future__ import annotations

import heapq
from collections.abc import Iterator

INF = 1 << 62

# Per site router, its neighbours over wires that are up and the cost of each.
Wan = dict[str, tuple[tuple[str, int], ...]]


def shortest(wan: Wan, root: str) -> dict[str, int]:
    """Distance from every site router that reaches ``root`` to it (Dijkstra)."""
    dist: dict[str, int] = {root: 0}
    heap = [(0, root)]
    done: set[str] = set()
    while heap:
        d, u = heapq.heappop(heap)
        if u in done:
            continue
        done.add(u)
        for v, cost in wan[u]:
            nd = d + cost
            if nd < dist.get(v, INF):
                dist[v] = nd
                heapq.heappush(heap, (nd, v))
    return dist


def parts(wan: Wan) -> dict[str, int]:
    """Which part of the WAN each site router is in (numbered in the order found)."""
    comp: dict[str, int] = {}
    n = 0
    for start in wan:
        if start in comp:
            continue
        stack = [start]
        comp[start] = n
        while stack:
            u = stack.pop()
            for v, _ in wan[u]:
                if v not in comp:
                    comp[v] = n
                    stack.append(v)
        n += 1
    return comp


def bridges(wan: Wan) -> set[frozenset[str]]:
    """The wires whose loss splits a part of the WAN (depth-first search: a wire is a bridge
    when nothing below it climbs back above it)."""
    got: set[frozenset[str]] = set()
    order: dict[str, int] = {}
    low: dict[str, int] = {}
    for root in wan:
        if root in order:
            continue
        order[root] = low[root] = len(order)
        stack: list[tuple[str, str | None, Iterator[tuple[str, int]]]] = [
            (root, None, iter(wan[root]))
        ]
        while stack:
            u, parent, it = stack[-1]
            for v, _ in it:
                if v == parent:
                    continue
                if v in order:
                    low[u] = min(low[u], order[v])
                else:
                    order[v] = low[v] = len(order)
                    stack.append((v, u, iter(wan[v])))
                    break
            else:
                stack.pop()
                if parent is not None:
                    low[parent] = min(low[parent], low[u])
                    if low[u] > order[parent]:
                        got.add(frozenset((parent, u)))
    return got


def split(comp: dict[str, int], wan: Wan, a: str, b: str) -> dict[str, int]:
    """The parts ``comp`` of a WAN once the wire a-b is gone from it (``wan``): searched from
    both ends in turn, the side whose search ends first is a part of its own (a leaf site's
    at once), the rest keep their numbers."""
    seen: tuple[set[str], set[str]] = ({a}, {b})
    todo = ([a], [b])
    while todo[0] and todo[1]:
        for k in (0, 1):
            for v, _ in wan[todo[k].pop()]:
                if v not in seen[k]:
                    seen[k].add(v)
                    todo[k].append(v)
    side = seen[0] if not todo[0] else seen[1]
    n = max(comp.values(), default=-1) + 1
    return {**comp, **dict.fromkeys(side, n)}


def tight(dist: dict[str, int], a: str, b: str, cost: int) -> bool:
    """Whether wire a-b is on a shortest path of the tree ``dist``."""
    da, db = dist.get(a), dist.get(b)
    return da is not None and db is not None and da + cost == db


def repair(
    wan: Wan, old: dict[str, int], cut: list[tuple[str, str, int]]
) -> tuple[dict[str, int], set[str]]:
    """The tree ``old`` of the WAN before wires ``cut`` went down, searched again only below
    them (``wan``: the WAN without them): the new tree, and the site routers searched again,
    those reached from a wire down along tight wires."""
    stale = {b for a, b, c in cut if tight(old, a, b, c)}
    stack = list(stale)
    while stack:
        u = stack.pop()
        for v, c in wan[u]:
            if v not in stale and tight(old, u, v, c):
                stale.add(v)
                stack.append(v)
    done = {k: d for k, d in old.items() if k not in stale}
    best: dict[str, int] = {}
    heap: list[tuple[int, str]] = []
    for v in stale:
        for u, c in wan[v]:
            du = done.get(u)
            if du is not None and du + c < best.get(v, INF):
                best[v] = du + c
                heap.append((du + c, v))
    heapq.heapify(heap)
    while heap:
        d, u = heapq.heappop(heap)
        if u in done:
            continue
        done[u] = d
        for v, c in wan[u]:
            if v not in done and d + c < best.get(v, INF):
                best[v] = d + c
                heapq.heappush(heap, (d + c, v))
    return done, stale


def next_hops(preds: dict[str, tuple[str, ...]], target: str) -> dict[str, tuple[str, ...]]:
    """Next hops towards ``target`` at every site on a shortest path from the root of the
    tree whose predecessors are ``preds`` (each site's neighbours one wire nearer the root)."""
    nxt: dict[str, set[str]] = {}
    stack, seen = [target], {target}
    while stack:
        v = stack.pop()
        for u in preds[v]:
            nxt.setdefault(u, set()).add(v)
            if u not in seen:
                seen.add(u)
                stack.append(u)
    return {k: tuple(sorted(v)) for k, v in nxt.items()}
