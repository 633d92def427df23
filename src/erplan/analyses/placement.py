"""The cost of security placement: for each circuit, the options guide 001's table gives for its
connectivity model, side by side, with the latency each adds for the users of each site.

Guide 001 ('Applying security controls to Azure ExpressRoute for Microsoft 365 scenarios'):
"Topological placement of the customer network/security controls determines the ultimate end
to end network between the user and Microsoft 365 service and can have a substantial impact on
network latency". Each option is a route from a site to the Microsoft edge at the circuit's
peering location: over the WAN as the IGP routes it (the engine's latencies) to where the
traffic is inspected, then to the peering location (the circuit's access latency where the
circuit attaches, an estimate from elsewhere). "As designed" is measured on the engine's
traced paths of the site's ExpressRoute flows.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from erplan.analyses.security import EXPRESSROUTE, devices_on, edge_of, security_locations
from erplan.analyses.verdicts import FlowResult
from erplan.engine import Branch, Direction, Engine
from erplan.latency import Ms, estimate
from erplan.model import Connectivity, Design

GUIDE = "guide 001 'Applying security controls to Azure ExpressRoute for Microsoft 365 scenarios'"

# The options of guide 001's table per integration option, in its words (first: as listed).
OPTIONS: dict[Connectivity, tuple[tuple[str, str], tuple[str, str]]] = {
    Connectivity.CO_LOCATION: (
        (
            "security in the colocation facility",
            "Install new or use existing security/perimeter infrastructure in the colocation "
            "facility where the ExpressRoute connection is established.",
        ),
        (
            "back-haul to the on-premises perimeter",
            "Use colocation facility purely for routing/interconnect purposes and back haul "
            "connections from colocation facility into the on-premises security/perimeter "
            "infrastructure.",
        ),
    ),
    Connectivity.POINT_TO_POINT: (
        (
            "terminate in the existing perimeter",
            "Terminate the Point-to-Point ExpressRoute connection in the existing on-premises "
            "security/perimeter infrastructure location.",
        ),
        (
            "new ExpressRoute perimeter where it terminates",
            "Install new security/perimeter infrastructure specific to the ExpressRoute path "
            "and terminate the Point-to-Point connection there.",
        ),
    ),
    Connectivity.IPVPN: (
        (
            "perimeter at every IPVPN egress",
            "Use an existing on-premises security/perimeter infrastructure at all locations "
            "that egress into the IPVPN used for ExpressRoute for Microsoft 365 connectivity.",
        ),
        (
            "hairpin to the designated security locations",
            "Hairpin the IPVPN used for ExpressRoute for Microsoft 365 to specific on-premises "
            "locations designated to serve as the security/perimeter.",
        ),
    ),
}


@dataclass(frozen=True)
class SiteCost:
    site: str
    users: int  # the site's users whose ExpressRoute connections take the circuit
    designed: Ms | None  # measured on the traced paths: round trip to the Microsoft edge
    options: tuple[Ms | None, ...]  # per option; None: the WAN does not join the places
    via: tuple[str | None, ...]  # the security location each option inspects at
    tls: tuple[str, ...] = ()  # devices with TLS inspection on the traced path

    def added(self, i: int) -> float | None:
        """Latency option ``i`` adds over the best option for this site."""
        got = [o.ms for o in self.options if o is not None]
        mine = self.options[i]
        return None if mine is None or not got else mine.ms - min(got)


@dataclass(frozen=True)
class CircuitCost:
    circuit: str
    connectivity: Connectivity
    options: tuple[tuple[str, str], ...]
    sites: list[SiteCost] = field(default_factory=list)
    locations: tuple[str, ...] = ()

    def users_affected(self, i: int, threshold_ms: float = 1.0) -> int:
        return sum(s.users for s in self.sites if (s.added(i) or 0.0) >= threshold_ms)

    def weighted_added(self, i: int) -> float:
        total = sum(s.users for s in self.sites if s.added(i) is not None)
        if not total:
            return 0.0
        return sum(s.users * (s.added(i) or 0.0) for s in self.sites) / total

    def closest(self, site: SiteCost) -> int | None:
        """The option the traced paths match (within 1 ms), if any."""
        if site.designed is None:
            return None
        near = [
            (abs(o.ms - site.designed.ms), i)
            for i, o in enumerate(site.options)
            if o is not None and abs(o.ms - site.designed.ms) <= 1.0
        ]
        return min(near)[1] if near else None

    def to_dict(self) -> dict[str, Any]:
        return {
            "circuit": self.circuit,
            "connectivity": self.connectivity.value,
            "security_locations": list(self.locations),
            "options": [
                {
                    "option": name,
                    "guide": text,
                    "users_affected": self.users_affected(i),
                    "user_weighted_added_ms": round(self.weighted_added(i), 1),
                }
                for i, (name, text) in enumerate(self.options)
            ],
            "sites": [
                {
                    "site": s.site,
                    "users": s.users,
                    "as_designed_ms": None if s.designed is None else round(s.designed.ms, 1),
                    "as_designed_option": self.closest(s),
                    "options_ms": [None if o is None else round(o.ms, 1) for o in s.options],
                    "added_ms": [
                        None if s.added(i) is None else round(s.added(i) or 0.0, 1)
                        for i in range(len(s.options))
                    ],
                    "estimated": [None if o is None else o.estimated for o in s.options],
                    "via": list(s.via),
                    "tls_inspection": list(s.tls),
                }
                for s in self.sites
            ],
        }


class Measured:
    """What placement reads of the traced rows, summed up one row at a time as they are judged
    (no row is held): per circuit and site, the slowest traced round trip to the Microsoft edge
    over the circuit, the share of the site's ExpressRoute connections that take it, the
    TLS-inspecting devices on the way."""

    def __init__(self, design: Design) -> None:
        self.design = design
        self.flows: dict[str, int] = {}  # the site's ExpressRoute flows of users
        self.slowest: dict[str, dict[str, Ms]] = {}
        self.tls: dict[str, dict[str, dict[str, None]]] = {}
        self.shares: dict[str, dict[str, float]] = {}

    @classmethod
    def of(cls, design: Design, results: Iterable[FlowResult]) -> Measured:
        got = cls(design)
        for r in results:
            got.add(r)
        return got

    def add(self, r: FlowResult) -> None:
        f = r.flow
        if f.direction is not Direction.OUTBOUND or f.kind != "users" or not f.express_route:
            return
        d = self.design
        self.flows[f.origin] = self.flows.get(f.origin, 0) + 1
        share: dict[str, float] = {}
        for b in r.trace.branches:
            where = edge_of(b)
            if where is None or where[0] != EXPRESSROUTE:
                continue
            circuit = where[1]
            share[circuit] = share.get(circuit, 0.0) + b.weight
            got = _to_microsoft(b)
            mine = self.slowest.setdefault(circuit, {})
            if f.origin not in mine or got.ms > mine[f.origin].ms:
                mine[f.origin] = got
            heavy = (n for n in devices_on(b.forward) if d.devices[n].ssl_inspection)
            self.tls.setdefault(circuit, {}).setdefault(f.origin, {}).update(dict.fromkeys(heavy))
        for circuit, s in share.items():
            sums = self.shares.setdefault(circuit, {})
            sums[f.origin] = sums.get(f.origin, 0.0) + s

    def table(self) -> dict[str, dict[str, tuple[Ms, float, tuple[str, ...]]]]:
        return {
            c: {
                s: (ms, self.shares[c][s] / self.flows[s], tuple(self.tls.get(c, {}).get(s, {})))
                for s, ms in by_site.items()
            }
            for c, by_site in self.slowest.items()
        }


class Placement:
    """Per circuit with a stated connectivity model: its options' latency, site by site."""

    def __init__(self, engine: Engine, results: Iterable[FlowResult] | Measured) -> None:
        """``results``: the traced rows, or what ``Measured`` summed up of them as they came."""
        self.engine = engine
        self.design = engine.design
        self.measured = (
            results if isinstance(results, Measured) else Measured.of(self.design, results)
        )
        self.locations = tuple(security_locations(self.design))

    def _wan(self, a: str, b: str) -> Ms | None:
        if a == b:
            return Ms(0.0, False)
        return self.engine.igp.latency(f"site:{a}", f"site:{b}")

    def _access(self, site: str, circuit: str) -> Ms:
        """From a site to the Microsoft edge at the circuit's peering location."""
        if site == self.design.circuits[circuit].site:
            return self.engine.geo.circuit_access(circuit)
        geo = self.engine.geo
        return estimate(geo.km(geo.site(site), geo.peering(circuit)), self.design.analysis)

    def _nearest_site(self, circuit: str) -> str:
        geo = self.engine.geo
        return min(self.design.sites, key=lambda s: (geo.km(geo.site(s), geo.peering(circuit)), s))

    def _via(self, site: str, circuit: str) -> tuple[str | None, Ms | None]:
        """The nearest security location and the route through it to the peering location."""
        best: tuple[str | None, Ms | None] = (None, None)
        for loc in self.locations:
            leg = self._wan(site, loc)
            if leg is None:
                continue
            total = leg + self._access(loc, circuit)
            if best[1] is None or total.ms < best[1].ms:
                best = (loc, total)
        return best

    @cached_property
    def _measured(self) -> dict[str, dict[str, tuple[Ms, float, tuple[str, ...]]]]:
        return self.measured.table()

    def circuit(self, name: str) -> CircuitCost | None:
        c = self.design.circuits[name]
        if c.connectivity is None:
            return None
        options = OPTIONS[c.connectivity]
        cost = CircuitCost(name, c.connectivity, options, locations=self.locations)
        for site, (designed, share, tls) in sorted(self._measured.get(name, {}).items()):
            users = round(self.design.sites[site].users * share)
            direct_wan = self._wan(site, c.site)
            at_circuit = (
                None if direct_wan is None else direct_wan + self.engine.geo.circuit_access(name)
            )
            loc, via = self._via(site, name)
            opts: tuple[Ms | None, Ms | None]
            vias: tuple[str | None, str | None]
            if c.connectivity is Connectivity.CO_LOCATION:
                # Back-haul: to the perimeter first, then on to the colocation facility.
                back = None
                if loc is not None and direct_wan is not None:
                    to_loc, on = self._wan(site, loc), self._wan(loc, c.site)
                    if to_loc is not None and on is not None:
                        back = to_loc + on + self.engine.geo.circuit_access(name)
                opts, vias = (at_circuit, back), (c.site, loc)
            elif c.connectivity is Connectivity.POINT_TO_POINT:
                # A new perimeter where a point-to-point link to the meet-me naturally ends:
                # the site nearest the peering location.
                end = self._nearest_site(name)
                to_end = self._wan(site, end)
                new = None if to_end is None else to_end + self._access(end, name)
                opts, vias = (via, new), (loc, end)
            else:
                opts, vias = (self._access(site, name), via), (site, loc)
            cost.sites.append(SiteCost(site, users, designed, opts, vias, tls))
        return cost

    def all(self) -> list[CircuitCost]:
        out = []
        for name in self.design.circuits:
            got = self.circuit(name)
            if got is not None:
                out.append(got)
        return out


def _to_microsoft(b: Branch) -> Ms:
    """Round trip from the user to the Microsoft edge, as traced (twice the one-way legs)."""
    ms, est = 0.0, False
    for h in b.forward.hops:
        ms, est = ms + h.ms, est or h.estimated
        if h.node.startswith("msee:"):
            break
    return Ms(2 * ms, est)
