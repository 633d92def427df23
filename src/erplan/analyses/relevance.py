"""Which rows judged suboptimal a failure can change without changing their traces.

A suboptimal row is slower than the best the design offers its origin (``judge.Judge``). Its
trace untouched, its judgement can only change when the best, or the circuits the judge weighs
for the cause, change:

- a circuit, one of its links, its peering location, or a device on its path: any row (the
  circuits are weighed for every slow row);
- a breakout, or a device on its path: the rows whose best is that breakout (removing another
  option leaves the minimum where it is);
- a WAN link: the rows whose origin reaches some option's site along a shortest path through
  that link, by latency (the judge's fastest egress) or by IGP cost (the judge's per-circuit
  latencies follow the IGP's path); off every such path, no distance the judge reads changes;
- a resolver, a device at a site or a proxy: none.
"""

from __future__ import annotations

import heapq
from collections.abc import Sequence

from erplan.analyses.judge import Judge
from erplan.analyses.verdicts import FlowResult
from erplan.engine import Direction, Engine

INF = float("inf")
Tree = dict[str, float]


class SlowRows:
    def __init__(self, engine: Engine, results: Sequence[FlowResult], rows: Sequence[int]) -> None:
        self.e = engine
        d = engine.design
        judge = Judge(engine)
        self.rows = list(rows)
        self.best: dict[int, tuple[str, str] | None] = {}
        self.start: dict[int, str] = {}
        for i in self.rows:
            r = results[i]
            t, f = r.trace, r.flow
            fe = judge.front_end(t)
            if f.direction is Direction.INBOUND:
                self.start[i] = d.services[f.origin].site
                opts = judge.inbound_options(t, fe) if fe is not None else []
                best = min(opts, key=lambda o: o.latency.ms) if opts else None
            else:
                self.start[i] = f.start
                best = judge.best_outbound(t, fe) if fe is not None else None
            self.best[i] = None if best is None else (best.kind, best.name)
        self.options = sorted(
            {f"site:{c.site}" for c in d.circuits.values()}
            | {f"site:{b.site}" for b in d.breakouts.values()}
        )
        self._trees: dict[tuple[str, str], Tree] = {}
        where: dict[str, str] = {}
        for name, c in d.circuits.items():
            for dev in c.devices:
                where[dev] = f"circuit:{name}"
            for link in c.links.values():
                for dev in link.devices:
                    where[dev] = f"circuit:{name}"
        for name, b in d.breakouts.items():
            for dev in b.devices:
                where.setdefault(dev, f"breakout:{name}")
        self.device_path = where

    # -- shortest paths over the WAN ------------------------------------------------------------
    def tree(self, src: str, metric: str) -> Tree:
        got = self._trees.get((src, metric))
        if got is not None:
            return got
        wires = self.e.net.wires
        dist: Tree = {src: 0.0}
        heap = [(0.0, src)]
        while heap:
            du, u = heapq.heappop(heap)
            if du > dist.get(u, INF):
                continue
            for v, w in wires[u].items():
                if not w.up or not v.startswith("site:"):
                    continue
                dv = du + (w.leg.ms if metric == "latency" else float(w.cost))
                if dv < dist.get(v, INF):
                    dist[v] = dv
                    heapq.heappush(heap, (dv, v))
        self._trees[(src, metric)] = dist
        return dist

    def _on_path(self, start: str, a: str, b: str) -> bool:
        wire = self.e.net.wires.get(a, {}).get(b)
        if wire is None:
            return True  # not a wire of this network: do not guess
        for metric, w in (("latency", wire.leg.ms), ("cost", float(wire.cost))):
            ts = self.tree(start, metric)
            for x in self.options:
                tx = self.tree(x, metric)
                best = ts.get(x, INF)
                for u, v in ((a, b), (b, a)):
                    via = ts.get(u, INF) + w + tx.get(v, INF)
                    if via < INF and via <= best + 1e-9:
                        return True
        return False

    # -- which rows -----------------------------------------------------------------------------
    def affected(self, kind: str, name: str) -> list[int]:
        if kind in ("circuit", "link", "location"):
            return self.rows
        if kind == "breakout":
            return [i for i in self.rows if self.best[i] == ("breakout", name)]
        if kind == "device":
            path = self.device_path.get(name)
            if path is None:
                return []
            if path.startswith("circuit:"):
                return self.rows
            return [i for i in self.rows if self.best[i] == ("breakout", path.split(":", 1)[1])]
        if kind == "wan":
            a, b = name.split("#", 1)[0].split("|")
            starts = {self.start[i] for i in self.rows}
            hit = {s for s in starts if self._on_path(f"site:{s}", f"site:{a}", f"site:{b}")}
            return [i for i in self.rows if self.start[i] in hit]
        return []
