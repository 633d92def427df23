"""The fastest egress of every site towards a front end, and its repair after a failure.

``search`` is one Dijkstra from every circuit and breakout at once, each starting at its own
latency to the front end (the judge's "best the design offers"). A failure only removes: WAN
links (their legs vanish from the graph) and egresses (their starts). ``repair`` derives the
failed state's table from the baseline's without searching every site again, and gives exactly
what ``search`` gives on the failed graph:

With every leg longer than zero, ``search``'s label of a site is the least, by (latency, start
index, estimated), of its own start and of every neighbour's label plus the leg: the equations
have one solution. A site whose label no removed start gave and that no removed link or
changed label reaches along legs that are tight for the baseline's labels (label + leg equals
the neighbour's label) keeps its label: the neighbour that gave it is still there, unchanged,
and every other entry can only have got worse. The sites so reached are searched again, seeded
from their unchanged neighbours. Starts keep their order (those that remain), so ties break
alike. Anything else (a link or start added or changed, a leg of zero) returns None: search.
"""

from __future__ import annotations

import heapq
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from erplan.latency import Ms

# Per site router: (neighbour, leg ms, leg estimated), as ``Network.site_links`` gives them.
Links = Mapping[str, Sequence[tuple[str, float, bool]]]
_TIGHT = 1e-9  # looser than equality: a wider search, never a missed one
_MIN_LEG = 1e-6  # shorter legs could vanish in a sum: no repair


@dataclass(frozen=True, slots=True)
class Option:
    """One way the design offers to reach a front end: an egress and its latency."""

    kind: str  # "circuit" or "breakout"
    name: str
    latency: Ms


Start = tuple[float, int, str, Option]  # (ms, index, site router, the egress)
Table = dict[str, Option]
Key = tuple[object, ...]  # (front end, circuits weighed, third party), as the judge keys tables


def search(starts: Sequence[Start], links: Links) -> Table:
    return Searching(starts, links).table()


class Searching:
    """``search``, run only as far as the sites asked for so far: a site's label is final once
    it leaves the heap, and the heap goes on from where it stopped, so ``table`` (the search run
    to its end) and every ``get`` are exactly what ``search`` gives. The judge asks for the
    sites of its slow flows, mostly near the front end: it rarely needs the whole network."""

    def __init__(
        self,
        starts: Sequence[Start],
        links: Links,
        whole: Table | None = None,
        heap: list[tuple[float, int, str, bool]] | None = None,
    ) -> None:
        """``whole``: the labels known already, final; ``heap``: where the search goes on from
        them (none: they are every label)."""
        self.starts, self.links = starts, links
        if heap is not None:
            self.heap = heap
        elif whole is not None:
            self.heap = []
        else:
            self.heap = [(ms, n, site, o.latency.estimated) for ms, n, site, o in starts]
        heapq.heapify(self.heap)
        self.done: Table = whole if whole is not None else {}

    def get(self, site: str) -> Option | None:
        got = self.done.get(site)
        if got is None and self.heap:
            _run(self.heap, self.starts, self.links, self.done, site)
            got = self.done.get(site)
        return got

    def table(self) -> Table:
        if self.heap:
            _run(self.heap, self.starts, self.links, self.done)
        return self.done

    def tied(self, site: str, tolerance: float) -> list[Option]:
        """Every egress whose fastest path reaches ``site`` at its label, not only the one the
        search met first (``_walk``)."""
        label = self.get(site)
        if label is None:
            return []
        at: dict[str, list[Option]] = {}
        for _, _, where, o in self.starts:
            at.setdefault(where, []).append(o)
        out: dict[tuple[str, str], Option] = {}
        for u, _ in self._walk(site, tolerance):
            mine = self.done[u].latency.ms
            for o in at.get(u, ()):
                if abs(o.latency.ms - mine) <= tolerance:
                    out[(o.kind, o.name)] = Option(o.kind, o.name, label.latency)
        return [out[k] for k in sorted(out)]

    def tight_legs(self, site: str, tolerance: float) -> set[frozenset[str]]:
        """The WAN legs (each a pair of site routers) on some fastest path to ``site``: a
        failure of any other leaves its label as it is (``repair``)."""
        return {frozenset((u, v)) for u, legs in self._walk(site, tolerance) for v in legs}

    def _walk(self, site: str, tolerance: float) -> list[tuple[str, list[str]]]:
        """The sites on a fastest path to ``site`` (itself first), each with the neighbours it
        has its label from: the legs that are tight for the labels, walked back from ``site``
        (only to sites labelled already: a tight leg comes from a smaller label)."""
        if self.get(site) is None:
            return []
        out: list[tuple[str, list[str]]] = []
        seen, todo = {site}, [site]
        while todo:
            u = todo.pop()
            mine = self.done[u].latency.ms
            tight: list[str] = []
            for v, leg_ms, _ in self.links[u]:
                there = self.done.get(v)
                if there is not None and abs(there.latency.ms + leg_ms - mine) <= tolerance:
                    tight.append(v)
                    if v not in seen:
                        seen.add(v)
                        todo.append(v)
            out.append((u, tight))
        return out


def _run(
    heap: list[tuple[float, int, str, bool]],
    starts: Sequence[Start],
    links: Links,
    done: Table,
    until: str | None = None,
) -> Table:
    """Label sites in heap order; stop once ``until`` is labelled (the heap kept as it is)."""
    # Plain floats in the loop: it may run over every site.
    while heap:
        ms, n, site, est = heapq.heappop(heap)
        if site in done:
            continue
        opt = starts[n][3]
        done[site] = Option(opt.kind, opt.name, Ms(ms, est))
        for v, leg_ms, leg_est in links[site]:
            if v not in done:
                heapq.heappush(heap, (ms + leg_ms, n, v, est or leg_est))
        if site == until:
            break
    return done


def removed_legs(before: Links, after: Links) -> list[tuple[str, str, float]] | None:
    """The legs ``after`` lacks, each way (None: a leg added or changed, or one too short)."""
    out: list[tuple[str, str, float]] = []
    for u, edges in before.items():
        if after.get(u) is edges:
            continue  # the same list: nothing removed here (a network copy keeps them)
        now = {v: (ms, est) for v, ms, est in after.get(u, ())}
        if len(now) != len(after.get(u, ())):
            return None
        for v, ms, est in edges:
            if ms < _MIN_LEG:
                return None
            got = now.pop(v, None)
            if got is None:
                out.append((u, v, ms))
            elif got != (ms, est):
                return None
        if now:
            return None
    if after.keys() - before.keys():
        return None
    return out


def repair(
    table: Table,
    before: Sequence[Start],
    after: Sequence[Start],
    links_before: Links,
    links_after: Links,
    removed: Sequence[tuple[str, str, float]],
) -> Table | None:
    """``search(after, links_after)`` from ``table = search(before, links_before)``, when the
    failed state only removes starts and the legs ``removed`` (``removed_legs``); else None."""
    got = resume(table, before, after, links_before, links_after, removed)
    return None if got is None else got.table()


def resume(
    table: Table,
    before: Sequence[Start],
    after: Sequence[Start],
    links_before: Links,
    links_after: Links,
    removed: Sequence[tuple[str, str, float]],
) -> Searching | None:
    """``repair``, with the sites searched again labelled only as far as they are asked for
    (``Searching``): the labels kept are final, and the search goes on from their edge."""
    where = {(o.kind, o.name): n for _, n, _, o in after}
    if len(where) != len(after):
        return None
    dirty: list[str] = []
    if after is not before:  # the very same starts: nothing added, changed or removed
        kept = {(o.kind, o.name): (ms, site, o.latency.estimated) for ms, _, site, o in before}
        for ms, _, site, o in after:  # nothing added or changed
            if kept.get((o.kind, o.name)) != (ms, site, o.latency.estimated):
                return None
        order = [where[(o.kind, o.name)] for _, _, _, o in before if (o.kind, o.name) in where]
        if order != sorted(order):
            return None  # ties would break otherwise
        gone = {(o.kind, o.name) for _, _, _, o in before} - where.keys()
        if gone:
            dirty = [s for s, o in table.items() if (o.kind, o.name) in gone]
    for u, v, ms in removed:
        if u in table and v in table and _tight(table[u], ms, table[v]):
            dirty.append(v)
    if not dirty:
        return Searching(after, links_after, whole=table)
    # Every site reached from a dirty one along tight legs.
    stale = set(dirty)
    stack = list(stale)
    while stack:
        u = stack.pop()
        for v, ms, _ in links_before.get(u, ()):
            if v not in stale and v in table and _tight(table[u], ms, table[v]):
                stale.add(v)
                stack.append(v)
    done = {s: o for s, o in table.items() if s not in stale}
    heap: list[tuple[float, int, str, bool]] = []
    for ms, n, site, opt in after:
        if site in stale:
            heap.append((ms, n, site, opt.latency.estimated))
    for v in stale:
        for u, ms, est in links_after.get(v, ()):
            got = done.get(u)
            if got is not None:
                n = where[(got.kind, got.name)]
                heap.append((got.latency.ms + ms, n, v, got.latency.estimated or est))
    return Searching(after, links_after, whole=done, heap=heap)


def _tight(a: Option, leg: float, b: Option) -> bool:
    return abs(a.latency.ms + leg - b.latency.ms) <= _TIGHT


class Inherit:
    """A failed state's tables repaired from the baseline judge's (``tables``, the ``starts``
    each was searched from, over ``links``); None: the failed judge searches."""

    def __init__(
        self, tables: Callable[[Key], Table | None], starts: Mapping[Key, list[Start]], links: Links
    ) -> None:
        self.tables, self.starts, self.links = tables, starts, links
        self.removed: list[tuple[str, str, float]] | None = None
        self.diffed = False

    def __call__(self, key: Key, starts: list[Start], links: Links) -> Searching | None:
        if not self.diffed:
            self.removed, self.diffed = removed_legs(self.links, links), True
        if self.removed is None:
            return None
        fe, circuits, third_party = key
        assert isinstance(circuits, tuple)
        mine = set(circuits)
        # The same key first; else one that weighed more circuits (those the failure took out).
        for k in sorted(self.starts, key=lambda k: k != key):
            weighed = k[1]
            assert isinstance(weighed, tuple)
            if k[0] != fe or k[2] != third_party or not mine <= set(weighed):
                continue
            table = self.tables(k)
            if table is None:
                continue
            got = resume(table, self.starts[k], starts, self.links, links, self.removed)
            if got is not None:
                return got
        return None
