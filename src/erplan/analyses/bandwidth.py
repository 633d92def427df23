"""Bandwidth and NAT sizing (guide 001 "Bandwidth planning for Azure ExpressRoute").

Per circuit: the load its users put on it (users x workload profile, spread the way the traced
flows go: ``workload.loads``), the headroom left (guide 001: "Having 10% headroom will likely
result in congestion and having 80% headroom generally means unnecessary cost. Typical headroom
target allocations are 20% to 50%"), and the load after the worst failure that moves people onto
it (from the failure sweep). Per outbound NAT pool (each circuit's, each breakout's): the
addresses it has against the users it translates, at ``analysis.users_per_address`` users per
public address (Microsoft's NAT sizing: (64,000 - 4,000 restricted ports) / (6 peak ports per
device + 4 peak factor) = 6,000 devices per address).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from erplan.analyses.failures import Baseline
from erplan.analyses.impact import Impact
from erplan.analyses.workload import circuit_loads, loads

if TYPE_CHECKING:
    from erplan.catalogs import Catalogs
    from erplan.tables import Table

# Provider circuit bandwidths (Mbps), the next size up is the advice.
SIZES = (50, 100, 200, 500, 1000, 2000, 5000, 10000)
GUIDE_HEADROOM = "guide 001 'Bandwidth planning for Azure ExpressRoute' (20 % to 50 % headroom)"
# The failures whose moves count for the load after failure unless the user names others.
FAILURE_KINDS = ("circuit", "location")
GUIDE_NAT = "Microsoft NAT support for Office 365: 64,000 ports per address, 6,000 devices each"
# Headroom is 1 - load / bandwidth in floating point: 1 - 120 / 150 is 0.19999999999999996, so
# the bounds of the target are compared with this slack (exactly 20 % is within it).
_SLACK = 1e-9


@dataclass(frozen=True, slots=True)
class CircuitLoad:
    circuit: str
    bandwidth_mbps: int
    load_mbps: float
    headroom: float
    status: str
    worst_failure: str | None
    load_after_mbps: float | None
    headroom_after: float | None
    status_after: str | None
    advice_mbps: int | None  # the smallest provider size within the target, when outside it

    def to_dict(self) -> dict[str, Any]:
        return {
            "circuit": self.circuit,
            "bandwidth_mbps": self.bandwidth_mbps,
            "load_mbps": round(self.load_mbps, 1),
            "headroom": round(self.headroom, 4),
            "status": self.status,
            "worst_failure": self.worst_failure,
            "load_after_mbps": _r(self.load_after_mbps),
            "headroom_after": None
            if self.headroom_after is None
            else round(self.headroom_after, 4),
            "status_after": self.status_after,
            "advice_mbps": self.advice_mbps,
        }


@dataclass(frozen=True, slots=True)
class PoolSize:
    owner: str  # circuit:NAME or breakout:NAME
    pools: tuple[str, ...]
    addresses: int
    users: int
    needed: int
    ok: bool

    def to_dict(self) -> dict[str, Any]:
        return {
            "owner": self.owner,
            "pools": list(self.pools),
            "addresses": self.addresses,
            "users": self.users,
            "addresses_needed": self.needed,
            "ok": self.ok,
        }


@dataclass(frozen=True, slots=True)
class Bandwidth:
    circuits: tuple[CircuitLoad, ...]
    pools: tuple[PoolSize, ...]
    users_per_address: int
    headroom_target: tuple[float, float]
    failures: int  # failures studied for the load after failure

    @property
    def problems(self) -> int:
        bad = sum(1 for c in self.circuits if c.status == "congestion risk")
        bad += sum(1 for c in self.circuits if c.status_after == "congestion risk")
        return bad + sum(1 for p in self.pools if not p.ok)

    def to_dict(self) -> dict[str, Any]:
        return {
            "headroom_target": list(self.headroom_target),
            "users_per_address": self.users_per_address,
            "failures_studied": self.failures,
            "circuits": [c.to_dict() for c in self.circuits],
            "nat_pools": [p.to_dict() for p in self.pools],
            "guides": [GUIDE_HEADROOM, GUIDE_NAT],
        }


def _r(x: float | None) -> float | None:
    return None if x is None else round(x, 1)


def status(headroom: float, low: float, high: float) -> str:
    if headroom < low - _SLACK:
        return "congestion risk"
    if headroom > high + _SLACK:
        return "over-provisioned (cost)"
    return "within target"


def advice(load: float, low: float, high: float) -> int | None:
    for size in SIZES:
        if 1 - load / size >= low - _SLACK:
            return size
    return None


def bandwidth(base: Baseline, impacts: Sequence[Impact] = ()) -> Bandwidth:
    d = base.design
    a = d.analysis
    low, high = a.headroom_min, a.headroom_max
    now = circuit_loads(loads(d, base.catalogs, base.states))
    out: list[CircuitLoad] = []
    for name, c in d.circuits.items():
        load = now.get(name, 0.0)
        head = 1 - load / c.bandwidth_mbps
        worst: tuple[float, str] | None = None
        for imp in impacts:
            if any(_takes_down(d, x.kind, x.name, name) for x in imp.atoms):
                continue
            after = imp.load.get(name)
            if after is not None and after > load + 1e-9 and (worst is None or after > worst[0]):
                worst = (after, imp.key)
        h_after = None if worst is None else 1 - worst[0] / c.bandwidth_mbps
        st = status(head, low, high)
        st_after = None if h_after is None else status(h_after, low, high)
        need = max(load, worst[0] if worst else 0.0)
        tip = None
        if st != "within target" or st_after == "congestion risk":
            tip = advice(need, low, high)
        out.append(
            CircuitLoad(
                name,
                c.bandwidth_mbps,
                load,
                head,
                st,
                None if worst is None else worst[1],
                None if worst is None else worst[0],
                h_after,
                st_after,
                tip,
            )
        )
    return Bandwidth(tuple(out), tuple(pools(base)), a.users_per_address, (low, high), len(impacts))


def _takes_down(design: Any, kind: str, name: str, circuit: str) -> bool:
    if kind == "circuit":
        return name == circuit
    if kind == "location":
        return bool(design.circuits[circuit].peering_location == name)
    return False


def pools(base: Baseline) -> Iterable[PoolSize]:
    """Each circuit's and breakout's outbound NAT addresses against the users it translates
    (a site counts with the largest share of its flows that leave by that egress)."""
    d = base.design
    per = d.analysis.users_per_address
    share: dict[str, dict[str, float]] = {}
    for s in base.states:
        if s.direction != "outbound" or s.kind != "users" or s.origin not in d.sites:
            continue
        for e, w in s.edges:
            got = share.setdefault(e, {})
            got[s.origin] = max(got.get(s.origin, 0.0), w)
    for name, c in d.circuits.items():
        nets = [c.snat_pool] if c.snat_pool is not None else []
        nets += [link.snat_pool for link in c.links.values() if link.snat_pool is not None]
        if not nets:
            continue
        yield _pool(
            f"circuit:{name}",
            [str(n) for n in nets],
            sum(n.num_addresses for n in nets),
            share.get(f"circuit:{name}", {}),
            d,
            per,
        )
    for name, b in d.breakouts.items():
        if not b.nat:
            continue
        yield _pool(
            f"breakout:{name}",
            [str(n) for n in b.nat],
            sum(n.num_addresses for n in b.nat),
            share.get(f"breakout:{name}", {}),
            d,
            per,
        )


def _pool(
    owner: str, nets: list[str], addresses: int, by_site: dict[str, float], d: Any, per: int
) -> PoolSize:
    users = round(sum(d.sites[s].users * w for s, w in by_site.items()))
    needed = max(1, math.ceil(users / per)) if users else 0
    return PoolSize(owner, tuple(nets), addresses, users, needed, addresses >= needed)


def report_tables(loaded: Any, catalogs: Catalogs, report: object) -> list[Table]:
    """Circuit load, headroom and NAT pools in ``erplan report`` (``PLANNING_HOOKS``), after the
    failures of ``FAILURE_KINDS`` (the report's sweep covers them)."""
    from erplan.analyses.sweep import report_sweep
    from erplan.plan_tables import bandwidth_tables

    base, results = report_sweep(loaded.design, catalogs, report)
    mine = [i for i in results if all(a.kind in FAILURE_KINDS for a in i.atoms)]
    return bandwidth_tables(bandwidth(base, mine))
