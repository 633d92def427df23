"""Which peering locations to buy circuits at: an exact p-median with an internet option.

Each site with users either keeps its local internet egress or attaches to one open peering
location; at most K locations open. The objective is the user-weighted latency to Microsoft's
network (the meet-me table's figures), plus an optional cost per circuit expressed in ms of
user-weighted latency (``--circuit-cost``: a circuit must buy at least that much). The
redundancy variant opens, in every region where some location is open, at least two locations
(guide 001: "at least two ExpressRoute circuits with each circuit connecting to with a different
geographic peering location ... for every region where people will use ExpressRoute").

Mixed-integer program, solved exactly by HiGHS (``scipy.optimize.milp``, relative gap 0):

    min  (1/W) Σ_s w_s (Σ_p c_sp x_sp + i_s z_s) + cost · Σ_p y_p
    s.t. Σ_p x_sp + z_s = 1            every site is served once
         x_sp ≤ y_p                    only by an open location
         Σ_p y_p ≤ K
         Σ_{q ∈ region(p), q ≠ p} y_q ≥ y_p   (redundancy variant)
         y binary, x, z ∈ [0, 1]

x need not be integer: with y fixed the assignment is a transportation problem whose optimum
puts each site on its cheapest open option. Pairs whose latency is not below the site's internet
latency are left out (the internet serves the site at least as well, at no circuit).

Costs come from the meet-me table: the internet figure is the traced one; a location the design
already has a circuit at costs the WAN along the IGP's path to the circuit's site plus the
circuit's access leg; a candidate location without a circuit attaches at the site nearest to it,
with an estimated access leg (great-circle distance, as every estimate).
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from erplan.analyses.meetme import MeetMe
from erplan.engine import Engine
from erplan.latency import Ms, Point, estimate

GUIDE_HA = (
    "guide 001 'High availability and failover with Azure ExpressRoute': at least two circuits "
    "at two peering locations for every region where people use ExpressRoute"
)


class OptimizeError(ValueError):
    """The problem cannot be built or solved as asked (bad candidates, infeasible)."""


@dataclass(frozen=True, slots=True)
class Facility:
    location: str  # peering location
    region: str
    site: str  # where the circuit attaches
    circuits: tuple[str, ...]  # the design's circuits there (empty: a new circuit)
    access: Ms


@dataclass(frozen=True, slots=True)
class Problem:
    sites: tuple[str, ...]
    users: tuple[int, ...]
    internet: tuple[float | None, ...]
    facilities: tuple[Facility, ...]
    cost: tuple[dict[int, float], ...]  # per site: facility index -> ms (reachable only)
    # Sites with people but neither an internet figure nor a reachable location: no plan can
    # serve them, so they are left out (else every K would be infeasible) and named.
    unserved: tuple[str, ...] = ()

    def value(self, open_: Sequence[int], circuit_cost: float = 0.0) -> float:
        """The objective of a given set of open facilities (every site on its best option)."""
        total = 0.0
        w = sum(self.users)
        for s in range(len(self.sites)):
            best = self.internet[s]
            for p in open_:
                c = self.cost[s].get(p)
                if c is not None and (best is None or c < best):
                    best = c
            if best is None:
                return float("inf")
            total += self.users[s] * best
        return total / w + circuit_cost * len(open_)


@dataclass(frozen=True, slots=True)
class Solution:
    k: int
    open: tuple[int, ...]
    assignment: tuple[int | None, ...]  # facility index per site, None: the internet
    latency: tuple[float, ...]  # per site
    objective: float  # including the circuit cost
    weighted_ms: float  # user-weighted latency alone
    seconds: float
    status: str

    def to_dict(self, problem: Problem) -> dict[str, Any]:
        fac = problem.facilities
        return {
            "k": self.k,
            "circuits": [
                {
                    "peering_location": fac[p].location,
                    "region": fac[p].region,
                    "site": fac[p].site,
                    "existing": list(fac[p].circuits),
                    "access_ms": round(fac[p].access.ms, 2),
                    "access_estimated": fac[p].access.estimated,
                    "sites": sum(1 for a in self.assignment if a == p),
                    "users": sum(
                        u for a, u in zip(self.assignment, problem.users, strict=True) if a == p
                    ),
                }
                for p in self.open
            ],
            "internet_users": sum(
                u for a, u in zip(self.assignment, problem.users, strict=True) if a is None
            ),
            "user_weighted_ms": round(self.weighted_ms, 3),
            "objective": round(self.objective, 3),
            "status": self.status,
            "seconds": round(self.seconds, 3),
            "sites": {
                s: {
                    "egress": "internet" if a is None else fac[a].location,
                    "ms": round(ms, 2),
                }
                for s, a, ms in zip(problem.sites, self.assignment, self.latency, strict=True)
            },
        }


def build(engine: Engine, table: MeetMe, candidates: Sequence[str] | None = None) -> Problem:
    """The problem of a design: its sites with users (meet-me figures), its circuits'
    locations, and the candidate locations (names of the peering-location catalog)."""
    d, cat, igp, geo = engine.design, engine.catalogs, engine.igp, engine.geo
    rows = [r for r in table.sites if r.users > 0]
    sites = tuple(r.site for r in rows)
    facilities: list[Facility] = []
    per_site: list[dict[int, float]] = [{} for _ in rows]
    by_location: dict[str, list[str]] = {}
    for name, c in d.circuits.items():
        by_location.setdefault(c.peering_location, []).append(name)
    wanted = list(by_location)
    for name in candidates or ():
        loc = cat.peering_location(name)
        if loc is None:
            raise OptimizeError(f"unknown peering location {name!r}")
        if loc.name not in wanted:
            wanted.append(loc.name)
    for location in wanted:
        loc = cat.peering_location(location)
        region = loc.region if loc is not None else "?"
        circuits = tuple(by_location.get(location, ()))
        index = len(facilities)
        if circuits:
            first = min(circuits, key=lambda c: geo.circuit_access(c).ms)
            facilities.append(
                Facility(
                    location, region, d.circuits[first].site, circuits, geo.circuit_access(first)
                )
            )
            for i, r in enumerate(rows):
                got = [r.via[c].ms for c in circuits if c in r.via]
                if got:
                    per_site[i][index] = min(got)
            continue
        assert loc is not None
        point = Point(loc.lat, loc.lon)
        anchor = min(d.sites, key=lambda s: (geo.km(geo.site(s), point), s))
        access = estimate(geo.km(geo.site(anchor), point), d.analysis)
        facilities.append(Facility(location, region, anchor, (), access))
        for i, s in enumerate(sites):
            wan = igp.latency(f"site:{s}", f"site:{anchor}")
            if wan is not None:
                per_site[i][index] = (wan + access).ms
    internet = tuple(None if r.internet is None else r.internet.ms for r in rows)
    keep = [i for i in range(len(rows)) if internet[i] is not None or per_site[i]]
    return Problem(
        tuple(sites[i] for i in keep),
        tuple(rows[i].users for i in keep),
        tuple(internet[i] for i in keep),
        tuple(facilities),
        tuple(per_site[i] for i in keep),
        tuple(s for i, s in enumerate(sites) if i not in keep),
    )


def solve(
    problem: Problem,
    k: int,
    *,
    circuit_cost: float = 0.0,
    redundant: bool = False,
    time_limit: float | None = None,
) -> Solution:
    """The exact optimum for at most ``k`` open locations. With ``time_limit`` (seconds) the
    best solution found by then is returned, its status saying it is not proven optimal."""
    import numpy as np
    from scipy.optimize import Bounds, LinearConstraint, milp
    from scipy.sparse import coo_array

    start = time.perf_counter()
    n_s, n_p = len(problem.sites), len(problem.facilities)
    w_total = float(sum(problem.users)) or 1.0
    pairs: list[tuple[int, int, float]] = []
    for s in range(n_s):
        inet = problem.internet[s]
        for p, c in problem.cost[s].items():
            if inet is None or c < inet:
                pairs.append((s, p, c))
    # Variables: y (n_p), then x (one per pair), then z (n_s).
    n_x = len(pairs)
    regions = sorted({f.region for f in problem.facilities}) if redundant else []
    n_r = len(regions)
    n = n_p + n_x + n_s + n_r  # region switches last (redundancy variant only)
    obj = np.zeros(n)
    obj[:n_p] = circuit_cost
    for j, (s, _, c) in enumerate(pairs):
        obj[n_p + j] = problem.users[s] * c / w_total
    upper = np.ones(n)
    for s in range(n_s):
        inet = problem.internet[s]
        if inet is None:
            upper[n_p + n_x + s] = 0.0
        else:
            obj[n_p + n_x + s] = problem.users[s] * inet / w_total
    rows_i: list[int] = []
    cols: list[int] = []
    vals: list[float] = []
    lo: list[float] = []
    hi: list[float] = []
    r = 0
    # Every site served once.
    for s in range(n_s):
        rows_i.append(r)
        cols.append(n_p + n_x + s)
        vals.append(1.0)
        lo.append(1.0)
        hi.append(1.0)
        r += 1
    for j, (s, _, _) in enumerate(pairs):
        rows_i.append(s)
        cols.append(n_p + j)
        vals.append(1.0)
    # Only by an open location.
    for j, (_, p, _) in enumerate(pairs):
        rows_i += [r, r]
        cols += [n_p + j, p]
        vals += [1.0, -1.0]
        lo.append(-np.inf)
        hi.append(0.0)
        r += 1
    # At most k.
    for p in range(n_p):
        rows_i.append(r)
        cols.append(p)
        vals.append(1.0)
    lo.append(0.0)
    hi.append(float(k))
    r += 1
    if redundant:
        # z_r: region r has ExpressRoute. An open location turns its region on; a region that
        # is on has at least two open locations.
        at = {reg: n_p + n_x + n_s + i for i, reg in enumerate(regions)}
        for p in range(n_p):
            rows_i += [r, r]
            cols += [p, at[problem.facilities[p].region]]
            vals += [1.0, -1.0]
            lo.append(-np.inf)
            hi.append(0.0)
            r += 1
        for reg, z in at.items():
            for p in range(n_p):
                if problem.facilities[p].region == reg:
                    rows_i.append(r)
                    cols.append(p)
                    vals.append(1.0)
            rows_i.append(r)
            cols.append(z)
            vals.append(-2.0)
            lo.append(0.0)
            hi.append(np.inf)
            r += 1
    a = coo_array((vals, (rows_i, cols)), shape=(r, n)).tocsr()
    integrality = np.zeros(n)
    integrality[:n_p] = 1
    integrality[n_p + n_x + n_s :] = 1
    res = milp(
        obj,
        constraints=LinearConstraint(a, np.array(lo), np.array(hi)),
        integrality=integrality,
        bounds=Bounds(np.zeros(n), upper),
        options={"mip_rel_gap": 0.0, "presolve": True}
        | ({} if time_limit is None else {"time_limit": time_limit}),
    )
    if res.x is None:
        raise OptimizeError(f"no solution for {k} circuit(s): {res.message}")
    status = "optimal" if res.success else f"not proven optimal ({res.message})"
    chosen = tuple(p for p in range(n_p) if res.x[p] > 0.5)
    assignment: list[int | None] = []
    latency: list[float] = []
    for s in range(n_s):
        best: tuple[float, int | None] | None = None
        inet = problem.internet[s]
        if inet is not None:
            best = (inet, None)
        for p in chosen:
            cp = problem.cost[s].get(p)
            if cp is not None and (best is None or cp < best[0]):
                best = (cp, p)
        assert best is not None
        latency.append(best[0])
        assignment.append(best[1])
    # A location that serves no site (free to open when nothing costs) is not a circuit to buy;
    # in the redundancy variant it may be a region's second location: keep those.
    used = set(assignment)
    opened = tuple(
        p
        for p in chosen
        if p in used
        or (redundant and any(q in used and _same_region(problem, p, q) for q in chosen))
    )
    weighted = sum(u * x for u, x in zip(problem.users, latency, strict=True)) / w_total
    return Solution(
        k,
        opened,
        tuple(assignment),
        tuple(latency),
        weighted + circuit_cost * len(opened),
        weighted,
        time.perf_counter() - start,
        status,
    )


def _same_region(problem: Problem, p: int, q: int) -> bool:
    return p != q and problem.facilities[p].region == problem.facilities[q].region


def sweep(
    problem: Problem, k_max: int, *, circuit_cost: float = 0.0, redundant: bool = False
) -> list[Solution]:
    """The optimum for K = 1 ... k_max: what each extra circuit buys."""
    out: list[Solution] = []
    for k in range(1, k_max + 1):
        try:
            out.append(solve(problem, k, circuit_cost=circuit_cost, redundant=redundant))
        except OptimizeError:
            if not redundant:
                raise
    return out
