"""Which rows judged suboptimal a failure can change without changing their traces.

A suboptimal row is slower than the best the design offers its origin (``judge.Judge``). Its
trace untouched, its judgement can only change when the best, or the circuits the judge weighs
for the cause, change:

- a circuit, one of its links, its peering location, or a device on its path: the rows whose
  judgement reads that circuit (``_reads``: a best, an option tied for it, an option no slower
  than the row's slowest working path, a circuit its paths leave by; the cause weighs the tied
  circuits, not only the one listed first; the WAN is as it was, so every other option keeps
  its latency, and one slower than the row can be neither its best nor a faster circuit) or
  that leave by a circuit slow from its own site, whose fastest way out it is (``_at_home``:
  the judge weighs that circuit against it), and every row not outbound; but a link alone
  whose circuit keeps another link up: none (the judge sees a circuit's links only as whether
  any is up, and the IGP, the stubs and the route filters do not change);
- a breakout, or a device on its path: the rows whose best is that breakout (removing another
  option leaves the minimum where it is; a breakout tied for it changes only the words that
  name the tied options, not the cause, which weighs whether a circuit is among them), or the
  fastest way out from the site of a slow circuit they leave by (as above);
- a WAN link: the rows whose origin reaches some option's site along a shortest path through
  that link, by latency (the judge's fastest egress) or by IGP cost (the judge's per-circuit
  latencies follow the IGP's path); off every such path, no distance the judge reads changes
  (a link is on one when it is tight for the origin's distances and leads to a site that lies on
  a shortest path from the origin to some option). Of those, an outbound row only when the
  link is on a shortest path to a site the row's judgement reads (``_reads``): the site of
  each best the judge finds for it and of every option tied for it, of every option no slower
  than its slowest working path
  (a slower option can never be the best nor a faster circuit, and a failure only makes
  options slower), and of the circuits its paths leave by (the cause weighs their IGP
  latency; an ``igp-metric`` culprit, the fastest paths to the faster circuits' sites).
  Every other option can only get slower, and stays out of the judgement;
- a resolver, a device at a site or a proxy: none.

Two more for a WAN link: an outbound row with the link on a shortest path from the site of a
circuit its paths leave by that is slow from that site too (``SlowRows.behind``: the judge
weighs that circuit against the fastest way out from its own site, which a failure can only
make slower; one not slow from its site stays so), and one whose slower option has an IGP
path slower than the fastest way to its site by at least what it lacks (``_Slower``: without
a link on that path the IGP may take faster links, and the option come within the row).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from erplan.analyses.judge import Judge
from erplan.analyses.verdicts import FlowResult
from erplan.engine import Direction, Engine, FlowTrace
from erplan.engine.origins import Resolving
from erplan.engine.trace import edge_owner

_TOL = 1e-6
_ZERO = 1e-9


class SlowRows:
    def __init__(self, engine: Engine, results: Sequence[FlowResult], rows: Sequence[int]) -> None:
        self.e = engine
        d = engine.design
        judge = Judge(engine)
        self.rows = list(rows)
        self.best: dict[int, tuple[str, str] | None] = {}
        self.start: dict[int, str] = {}
        # Per outbound row: the sites its distances are read from, and the option sites its
        # judgement reads (``_reads``).
        self.reads: dict[int, tuple[list[str], list[str]]] = {}
        self.circuits: dict[int, frozenset[str]] = {}  # per outbound row, the circuits it reads
        # Per outbound row: the WAN legs on the fastest paths out from the sites of the circuits
        # its paths leave by that are slow from their own site too, and the fastest way out
        # from each (kind, name) (``_at_home``).
        self.homes: dict[int, set[frozenset[str]]] = {}
        # Per outbound row: the options slower than it, which a WAN failure can make faster
        # only by moving the IGP's path to them onto faster links (``_Slower``).
        self.slower: dict[int, _Slower] = {}
        self.home_best: dict[int, set[tuple[str, str]]] = {}
        self._unsure: set[int] = set()  # outbound rows reading a site the arrays do not hold
        self._triples: tuple[Any, Any, Any, dict[str, Any]] | None = None
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
                best = judge.best_for(t, fe) if fe is not None else None
                froms, sites, circuits, self.slower[i] = _reads(judge, t)
                self.reads[i] = (froms, sites)
                self.circuits[i] = circuits
                self.homes[i], self.home_best[i] = _at_home(judge, t)
            self.best[i] = None if best is None else (best.kind, best.name)
        self.options = sorted(
            {f"site:{c.site}" for c in d.circuits.values()}
            | {f"site:{b.site}" for b in d.breakouts.values()}
        )
        self._ready = False
        self._by_wire: dict[tuple[str, str], list[int]] = {}  # a WAN link's rows, once asked
        where: dict[str, str] = {}
        self.device_circuits: dict[str, set[str]] = {}  # every circuit a device is on
        for name, c in d.circuits.items():
            for dev in [*c.devices, *(x for link in c.links.values() for x in link.devices)]:
                where[dev] = f"circuit:{name}"
                self.device_circuits.setdefault(dev, set()).add(name)
        for name, b in d.breakouts.items():
            for dev in b.devices:
                where.setdefault(dev, f"breakout:{name}")
        self.device_path = where

    # -- shortest paths over the WAN ------------------------------------------------------------
    def _prepare(self) -> None:
        """Distances from every slow row's origin and from every option's site, by latency and
        by IGP cost, and for each origin the sites that lie on a shortest path from it to some
        option (computed once, in C)."""
        import numpy as np
        from scipy.sparse import csr_array
        from scipy.sparse.csgraph import dijkstra

        wires = self.e.net.wires
        nodes = sorted(n for n in wires if n.startswith("site:"))
        at = {n: i for i, n in enumerate(nodes)}
        froms = {f"site:{s}" for s in self.start.values()}
        froms |= {s for got, _ in self.reads.values() for s in got}
        starts = sorted(froms & set(at))
        options = [x for x in self.options if x in at]
        self._at, self._row = at, {s: i for i, s in enumerate(starts)}
        self._option = {x: i for i, x in enumerate(options)}
        self._options = options
        self._dist: dict[str, Any] = {}
        self._to: dict[str, Any] = {}  # from every option's site, by metric
        self._useful: dict[str, Any] = {}
        for metric in ("latency", "cost"):
            rows_i: list[int] = []
            cols: list[int] = []
            vals: list[float] = []
            for u in nodes:
                for v, w in wires[u].items():
                    if w.up and v in at:
                        x = w.leg.ms if metric == "latency" else float(w.cost)
                        rows_i.append(at[u])
                        cols.append(at[v])
                        vals.append(max(x, _ZERO))  # an explicit zero would read as no edge
            g = csr_array((vals, (rows_i, cols)), shape=(len(nodes), len(nodes)))
            ds = dijkstra(g, indices=[at[s] for s in starts]) if starts else np.zeros((0, 0))
            dx = dijkstra(g, indices=[at[x] for x in options]) if options else None
            useful = np.zeros((len(starts), len(nodes)), dtype=bool)
            if dx is not None:
                cols_x = [at[x] for x in options]
                with np.errstate(invalid="ignore"):
                    for i in range(len(starts)):
                        to_x = ds[i, cols_x][:, None]
                        useful[i] = np.any(np.abs(ds[i][None, :] + dx - to_x) <= _TOL, axis=0)
            self._dist[metric] = ds
            self._to[metric] = dx
            self._useful[metric] = useful
        self._hits = self._wire_hits(nodes, at)
        # Each slow row's origin as a row of the distance arrays (-1: not one this knows).
        self._row_of = np.array(
            [self._row.get(f"site:{self.start[i]}", -1) for i in self.rows], dtype=int
        )
        self._ready = True

    def prepare(self) -> None:
        """``_prepare`` now, if not done (before forking workers that would each do it)."""
        if not self._ready:
            self._prepare()
        if self._triples is None:
            self._triples = self._make_triples()

    def _wire_hits(self, nodes: list[str], at: dict[str, int]) -> dict[tuple[str, str], Any]:
        """For every WAN wire, each way, which origins it lies on a useful shortest path of
        (worked out for every wire at once: a sweep asks about each of them)."""
        import numpy as np

        wires = self.e.net.wires
        pairs = [(a, b) for a in nodes for b in wires[a] if b in at]
        if not pairs or not self._row:
            return {p: np.zeros(len(self._row), dtype=bool) for p in pairs}
        ia = np.array([at[a] for a, _ in pairs])
        ib = np.array([at[b] for _, b in pairs])
        hit = np.zeros((len(self._row), len(pairs)), dtype=bool)
        for metric in ("latency", "cost"):
            w = np.array(
                [
                    max(
                        wires[a][b].leg.ms if metric == "latency" else float(wires[a][b].cost),
                        _ZERO,
                    )
                    for a, b in pairs
                ]
            )
            d, useful = self._dist[metric], self._useful[metric]
            with np.errstate(invalid="ignore"):
                hit |= (np.abs(d[:, ia] + w - d[:, ib]) <= _TOL) & useful[:, ib]
                hit |= (np.abs(d[:, ib] + w - d[:, ia]) <= _TOL) & useful[:, ia]
        return {p: hit[:, k] for k, p in enumerate(pairs)}

    def _rows_on(self, wire: tuple[str, str]) -> list[int]:
        """The slow rows whose origin has ``wire`` on a useful shortest path (read off the
        wire's column at once, for every row's origin)."""
        import numpy as np

        if not self._ready:
            self._prepare()
        hits = self._hits.get(wire)
        if hits is None:
            return list(self.rows)  # not a wire this knows: do not guess
        at = self._row_of
        picked = np.where(at >= 0, hits[np.maximum(at, 0)], True) if len(at) else at
        return [i for i, p in zip(self.rows, picked.tolist(), strict=True) if p]

    # -- which rows -----------------------------------------------------------------------------
    def affected(self, kind: str, name: str, *, alone: bool = True) -> list[int]:
        """The slow rows failure ``kind``/``name`` can change (``alone``: it is the only
        failure, not one of a pair)."""
        if kind == "link" and alone:
            circuit = name.rpartition("/")[0]
            if any(x != f"link:{name}" for x in self.e.tables.links_up[circuit]):
                return []
        if kind == "circuit":
            return self._reading({name})
        if kind == "link":
            return self._reading({name.rpartition("/")[0]})
        if kind == "location":
            d = self.e.design
            return self._reading({c for c, x in d.circuits.items() if x.peering_location == name})
        if kind == "breakout":
            return self._leaving({name})
        if kind == "device":
            path = self.device_path.get(name)
            if path is None:
                return []
            if path.startswith("circuit:"):
                return self._reading(self.device_circuits[name])
            return self._leaving({path.split(":", 1)[1]})
        if kind == "wan":
            a, b = name.split("#", 1)[0].split("|")
            wire = (f"site:{a}", f"site:{b}")
            got = self._by_wire.get(wire)
            if got is None:
                got = self._rows_on(wire)
                hit = self._reads_wire(*wire)
                if hit is not None:
                    got = [i for i in got if i in hit or i in self._unsure or i not in self.reads]
                keep = self.behind(wire) | set(got)
                got = [i for i in self.rows if i in keep]
                self._by_wire[wire] = got
            return got
        return []

    def behind(self, wire: tuple[str, str]) -> set[int]:
        """The outbound rows with ``wire`` on a fastest path out from the site of a circuit
        their paths leave by that is slow from its own site too (``_at_home``): the judge
        weighs that circuit against the fastest way out from its own site
        (``Judge.slow_at_home``), which such a failure can make slower though it is on no path
        from the row's origin."""
        leg = frozenset(wire)
        return {i for i, legs in self.homes.items() if leg in legs}

    def _reading(self, circuits: set[str]) -> list[int]:
        """The slow rows a failure of ``circuits`` can change: an outbound row only when its
        judgement reads one of them (``_reads``; with the WAN as it was, every other option
        keeps its latency or gets slower, and stays out) or one is the fastest way out from
        the site of a slow circuit it leaves by (``_at_home``); every other row."""
        out = {("circuit", name) for name in circuits}
        return [
            i
            for i in self.rows
            if i not in self.circuits
            or not circuits.isdisjoint(self.circuits[i])
            or not out.isdisjoint(self.home_best[i])
        ]

    def _leaving(self, breakouts: set[str]) -> list[int]:
        """The slow rows a failure of ``breakouts`` can change: those whose best is one of
        them (removing another option leaves the minimum where it is) or that leave by a
        slow circuit whose own site's fastest way out is one of them (``_at_home``)."""
        out = {("breakout", name) for name in breakouts}
        return [
            i
            for i in self.rows
            if self.best[i] in out or not out.isdisjoint(self.home_best.get(i, ()))
        ]

    def on_path(self, name: str) -> list[int]:
        """The slow rows whose origin has WAN link ``name`` on a useful shortest path, before
        narrowing outbound rows to the sites their judgement reads."""
        a, b = name.split("#", 1)[0].split("|")
        return self._rows_on((f"site:{a}", f"site:{b}"))

    def _reads_wire(self, a: str, b: str) -> set[int] | None:
        """The outbound rows for which wire a-b (either way) is on a shortest path, by latency
        or by IGP cost, from the row's start or origin to a site its judgement reads (every
        row at once); None: not a wire this knows. Rows not outbound, or reading a site the
        arrays do not hold (``_unsure``), are left to the wider check."""
        import numpy as np

        w = self.e.net.wires.get(a, {}).get(b)
        ia, ib = self._at.get(a), self._at.get(b)
        if w is None or ia is None or ib is None:
            return None
        if self._triples is None:
            self._triples = self._make_triples()
        row, start, opt, whole = self._triples
        if not len(row):
            return set()
        tight = np.zeros(len(row), dtype=bool)
        for metric in ("latency", "cost"):
            leg = max(w.leg.ms if metric == "latency" else float(w.cost), _ZERO)
            d, to = self._dist[metric], self._to[metric]
            with np.errstate(invalid="ignore"):
                tight |= np.abs(d[start, ia] + leg + to[opt, ib] - whole[metric]) <= _TOL
                tight |= np.abs(d[start, ib] + leg + to[opt, ia] - whole[metric]) <= _TOL
        return set(row[tight].tolist())

    def _make_triples(self) -> tuple[Any, Any, Any, dict[str, Any]]:
        """For every outbound row: each (start, option site) its judgement reads, as indexes
        into the distance arrays, with the distance between them by each metric."""
        import numpy as np

        rows: list[int] = []
        starts: list[int] = []
        opts: list[int] = []
        fastest = self._dist["latency"]
        for i, (froms, sites) in self.reads.items():
            at = [self._row.get(s) for s in froms]
            origin, slower = self.slower[i]
            o = self._row.get(origin)
            cols = [self._option.get(x) for x in sites]
            # A slower option whose IGP path is slower than the fastest way to its site by at
            # least what it lacks can come within the row when that path fails: read it too.
            cols += [
                self._option.get(x)
                for x, lacks, igp in slower
                if o is None or x not in self._at or igp - fastest[o, self._at[x]] >= lacks - _TOL
            ]
            if None in at or None in cols:
                self._unsure.add(i)
                continue
            for r in at:
                for c in cols:
                    rows.append(i)
                    starts.append(r)  # type: ignore[arg-type]
                    opts.append(c)  # type: ignore[arg-type]
        row, start, opt = (np.array(x, dtype=int) for x in (rows, starts, opts))
        if not rows:
            return row, start, opt, {}
        nodes = np.array([self._at[x] for x in self._options], dtype=int)
        whole = {m: self._dist[m][start, nodes[opt]] for m in ("latency", "cost")}
        return row, start, opt, whole


def _at_home(judge: Judge, t: FlowTrace) -> tuple[set[frozenset[str]], set[tuple[str, str]]]:
    """For the circuits an outbound row's paths leave by that the judge finds slow from their
    own site too (``Judge.slow_at_home``), towards each front end the paths reach: the WAN legs
    on the fastest paths out from their sites, and the fastest way out from each (kind, name).
    A failure only makes that way out slower or takes it away, so a circuit slow at home may
    stop being so, never start; one at the row's own site is never weighed so
    (``Judge._latency_cause``)."""
    e, f = judge.e, t.flow
    d = e.design
    legs: set[frozenset[str]] = set()
    out: set[tuple[str, str]] = set()
    for b in t.branches:
        owner = edge_owner(b.forward.edge) or ""
        if not owner.startswith("circuit:"):
            continue
        circuit = owner.split(":", 1)[1]
        home = d.circuits[circuit].site
        name = b.front_end or f.front_end
        fe = e.catalogs.front_end(name) if name else None
        if fe is None or home == f.start or not judge.slow_at_home(t, b, circuit):
            continue
        legs |= judge.legs_from(f, fe, home)
        got = judge.fastest_from(f, fe, home)
        if got is not None:
            out.add((got.kind, got.name))
    return legs, out


# The site options are judged from, and per option slower than the row: its site, how much
# slower it is than the row, and the latency of the IGP's path to its site.
_Slower = tuple[str, list[tuple[str, float, float]]]


def _reads(judge: Judge, t: FlowTrace) -> tuple[list[str], list[str], frozenset[str], _Slower]:
    """The sites an outbound row's distances are read from (its start, and its origin's site
    that the options are judged from) and the option sites its judgement reads: each best
    (per front end its paths reach, and the one its users' own resolver answers) and every
    option tied for it, every option no slower than its slowest working path, and the
    circuits its paths leave by; and the options slower than the row (``_Slower``)."""
    e, f = judge.e, t.flow
    d = e.design
    origin = f.origin if f.kind == "users" else f.start
    froms = sorted({f"site:{f.start}", f"site:{origin}"})
    working = [b.ms for b in t.branches if b.outcome.works]
    top = max(working, default=float("-inf")) + _TOL
    names = {b.front_end or f.front_end for b in t.branches} - {None}
    if f.kind == "users":
        answers = e.tracer.answers(Resolving(f.origin))
        if answers:
            names.add(answers[0][0].name)
    sites: set[str] = set()
    circuits: set[str] = set()
    slower: list[tuple[str, float, float]] = []

    def site(kind: str, name: str) -> str:
        return f"site:{d.circuits[name].site if kind == 'circuit' else d.breakouts[name].site}"

    for name in sorted(n for n in names if n is not None):
        fe = e.catalogs.front_end(name)
        if fe is None:
            continue
        best = judge.best_outbound(t, fe)
        if best is not None:
            sites.add(site(best.kind, best.name))
            if best.kind == "circuit":
                circuits.add(best.name)
        # Every option tied for the best, as the judge names them: the cause weighs the tied
        # circuits (``Judge._latency_cause``), and a tied one reached fast only off the IGP's
        # paths is no option no slower than the row.
        found = judge.best_for(t, fe)
        for o in judge.tied_outbound(f, fe, found) if found is not None else ():
            sites.add(site(o.kind, o.name))
            if o.kind == "circuit":
                circuits.add(o.name)
        for o in [*judge.outbound_options(t, fe), *judge.outbound_options(t, fe, breakouts=True)]:
            if o.latency.ms <= top:
                sites.add(site(o.kind, o.name))
                if o.kind == "circuit":
                    circuits.add(o.name)
            elif (igp := e.igp.latency(f"site:{origin}", site(o.kind, o.name))) is not None:
                slower.append((site(o.kind, o.name), o.latency.ms - top, igp.ms))
    for b in t.branches:
        owner = edge_owner(b.forward.edge) or ""
        if owner.startswith("circuit:"):
            sites.add(site("circuit", owner.split(":", 1)[1]))
            circuits.add(owner.split(":", 1)[1])
    return froms, sorted(sites), frozenset(circuits), (f"site:{origin}", slower)
