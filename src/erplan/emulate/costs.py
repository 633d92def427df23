"""OSPF costs for the design's WAN links: the design's cost, else its latency, exactly.

OSPF link costs are integers from 1 to 65535. Every figure is read as the exact decimal it was
written with (``Fraction(repr(x))``) and all are divided by their greatest common divisor, so
every cost becomes an integer and every sum, ordering and tie between paths is the design's,
exactly. Only when that does not fit in 16 bits (an estimated latency has many digits) are the
costs rounded, to the finest common step that fits, and the run says so.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from math import gcd, lcm

from erplan.catalogs import Catalogs, great_circle_km
from erplan.model import Design, LatLon

OSPF_MAX_COST = 65535
KM_PER_MS_ROUND_TRIP = 100


class CostError(ValueError):
    """A WAN cost OSPF cannot express (zero)."""


@dataclass(frozen=True, slots=True)
class WanCost:
    index: int  # position in design.wan
    figure: float  # the design's cost or latency (ms), or the estimate
    source: str  # "cost", "latency" or "estimated latency"
    ospf: int  # the OSPF cost configured


@dataclass(frozen=True, slots=True)
class Scaling:
    costs: tuple[WanCost, ...]
    exact: bool
    step: Fraction  # one OSPF unit, in the design's units

    def note(self) -> str | None:
        if self.exact or not self.costs:
            return None
        return (
            f"WAN costs rounded to steps of {float(self.step):.6g} (OSPF costs are 16-bit): "
            "paths whose costs differ by less may tie or order differently than in the design"
        )


def _site_point(design: Design, catalogs: Catalogs, site: str) -> tuple[float, float]:
    where = design.sites[site].location
    if isinstance(where, LatLon):
        return where.lat, where.lon
    place = catalogs.place(where)
    return (place.lat, place.lon) if place is not None else (0.0, 0.0)


def estimated_latency(design: Design, catalogs: Catalogs, a: str, b: str) -> float:
    """The design notes' estimate: great-circle km / 100 km per ms x route factor + access."""
    (lat1, lon1), (lat2, lon2) = (_site_point(design, catalogs, s) for s in (a, b))
    km = great_circle_km(lat1, lon1, lat2, lon2)
    return km / KM_PER_MS_ROUND_TRIP * design.analysis.route_factor + design.analysis.access_ms


def wan_figures(design: Design, catalogs: Catalogs) -> list[tuple[int, float, str, bool]]:
    """(index, figure, source, exact) for every WAN link that is up."""
    out: list[tuple[int, float, str, bool]] = []
    for i, link in enumerate(design.wan):
        if not link.up:
            continue
        if link.cost is not None:
            out.append((i, link.cost, "cost", True))
        elif link.latency_ms is not None:
            out.append((i, link.latency_ms, "latency", True))
        else:
            est = estimated_latency(design, catalogs, *link.between)
            out.append((i, est, "estimated latency", False))
    return out


def ospf_costs(design: Design, catalogs: Catalogs) -> Scaling:
    figures = wan_figures(design, catalogs)
    for i, value, source, _ in figures:
        if value <= 0:
            between = " - ".join(design.wan[i].between)
            raise CostError(
                f"WAN link {between}: {source} {value:g} cannot be an OSPF cost (at least 1)"
            )
    exact = [Fraction(repr(float(v))) for _, v, _, _ in figures]
    if not exact:
        return Scaling((), True, Fraction(1))
    denominator = lcm(*(f.denominator for f in exact))
    numerators = [int(f * denominator) for f in exact]
    step = Fraction(gcd(*numerators), denominator)
    units = [int(f / step) for f in exact]
    if max(units) <= OSPF_MAX_COST:
        costs = tuple(
            WanCost(i, v, src, u) for (i, v, src, _), u in zip(figures, units, strict=True)
        )
        return Scaling(costs, True, step)
    # Too fine for 16 bits: the finest common step that keeps the largest cost in range.
    step = Fraction(max(exact)) / OSPF_MAX_COST
    rounded = [max(1, round(f / step)) for f in exact]
    costs = tuple(WanCost(i, v, src, u) for (i, v, src, _), u in zip(figures, rounded, strict=True))
    return Scaling(costs, False, step)
