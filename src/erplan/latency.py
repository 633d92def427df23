"""Round-trip latency: figures the design gives win; the rest is estimated from distance.

An estimate is great-circle km / 100 (about 1 ms of round trip per 100 km of fibre) times the
route factor, plus a fixed access cost (``Design.analysis``). Every figure carries whether it was
estimated, so outputs can label it; a sum is estimated as soon as one of its parts is.
"""

from __future__ import annotations

from dataclasses import dataclass

from erplan.catalogs import Catalogs, FrontEnd, great_circle_km
from erplan.model import Analysis, Design, LatLon

KM_PER_MS_ROUND_TRIP = 100.0


@dataclass(frozen=True, slots=True)
class Ms:
    """A round-trip latency in milliseconds and whether any part of it was estimated."""

    ms: float
    estimated: bool = False

    def __add__(self, other: Ms) -> Ms:
        return Ms(self.ms + other.ms, self.estimated or other.estimated)

    def half(self) -> Ms:
        return Ms(self.ms / 2, self.estimated)

    def label(self) -> str:
        return f"{self.ms:.0f} ms{' (estimated)' if self.estimated else ''}"


ZERO = Ms(0.0, False)


@dataclass(frozen=True, slots=True)
class Point:
    lat: float
    lon: float


def estimate(km: float, analysis: Analysis) -> Ms:
    """Round-trip estimate for a path of ``km`` great-circle kilometres."""
    return Ms(km / KM_PER_MS_ROUND_TRIP * analysis.route_factor + analysis.access_ms, True)


def backbone_estimate(km: float, analysis: Analysis) -> Ms:
    """Between two Microsoft locations: same rule, nothing when they coincide (nothing is
    estimated then: a given latency it is added to stays given)."""
    if km < 1.0:
        return Ms(0.0, False)
    return estimate(km, analysis)


class Geo:
    """Coordinates of every site, breakout, circuit and front end of one design, resolved once."""

    def __init__(self, design: Design, catalogs: Catalogs) -> None:
        self.design = design
        self.catalogs = catalogs
        self.analysis = design.analysis
        self._site: dict[str, Point] = {}
        for name, site in design.sites.items():
            self._site[name] = self._place(site.location)
        self._peering: dict[str, Point] = {}
        for name, circuit in design.circuits.items():
            loc = catalogs.peering_location(circuit.peering_location)
            if loc is not None:
                self._peering[name] = Point(loc.lat, loc.lon)
            else:  # unknown names are the loader's business; fall back to the site
                self._peering[name] = self._site.get(circuit.site, Point(0.0, 0.0))
        self._nearest_fe: dict[Point, FrontEnd] = {}
        self._fe_km: dict[tuple[str, str], Ms] = {}
        # Legs are asked for once per flow class: memoize them (few distinct keys).
        self._backbone: dict[tuple[Point, Point], Ms] = {}
        self._access: dict[str, Ms] = {}
        self._internet: dict[str, tuple[Ms, FrontEnd]] = {}

    def _place(self, where: str | LatLon) -> Point:
        if isinstance(where, LatLon):
            return Point(where.lat, where.lon)
        found = self.catalogs.place(where)
        if found is None:
            return Point(0.0, 0.0)
        return Point(found.lat, found.lon)

    # -- points ------------------------------------------------------------------------------
    def site(self, name: str) -> Point:
        return self._site[name]

    def peering(self, circuit: str) -> Point:
        return self._peering[circuit]

    def nearest_front_end(self, p: Point) -> FrontEnd:
        fe = self._nearest_fe.get(p)
        if fe is None:
            fe = self.catalogs.nearest_front_end(p.lat, p.lon)
            self._nearest_fe[p] = fe
        return fe

    # -- legs --------------------------------------------------------------------------------
    def km(self, a: Point, b: Point) -> float:
        return great_circle_km(a.lat, a.lon, b.lat, b.lon)

    def between_sites(self, a: str, b: str) -> Ms:
        return estimate(self.km(self.site(a), self.site(b)), self.analysis)

    def wan_link(self, a: str, b: str, given: float | None) -> Ms:
        if given is not None:
            return Ms(given, False)
        return self.between_sites(a, b)

    def circuit_access(self, circuit: str) -> Ms:
        """Site of the provider edge to the peering location (and the Microsoft edge there)."""
        got = self._access.get(circuit)
        if got is None:
            c = self.design.circuits[circuit]
            if c.access_latency_ms is not None:
                got = Ms(c.access_latency_ms, False)
            else:
                got = estimate(self.km(self.site(c.site), self.peering(circuit)), self.analysis)
            self._access[circuit] = got
        return got

    def backbone(self, a: Point, b: Point) -> Ms:
        got = self._backbone.get((a, b))
        if got is None:
            got = backbone_estimate(self.km(a, b), self.analysis)
            self._backbone[(a, b)] = got
        return got

    def fe_point(self, fe: FrontEnd) -> Point:
        return Point(fe.lat, fe.lon)

    def backbone_fe(self, a: FrontEnd, b: FrontEnd) -> Ms:
        key = (a.name, b.name)
        got = self._fe_km.get(key)
        if got is None:
            got = self.backbone(self.fe_point(a), self.fe_point(b))
            self._fe_km[key] = got
        return got

    def breakout_internet(self, breakout: str) -> tuple[Ms, FrontEnd]:
        """Breakout to the nearest Microsoft front door over the internet, and that front door."""
        got = self._internet.get(breakout)
        if got is None:
            b = self.design.breakouts[breakout]
            p = self.site(b.site)
            fe = self.nearest_front_end(p)
            if b.latency_ms is not None:
                got = (Ms(b.latency_ms, False), fe)
            else:
                got = (estimate(self.km(p, self.fe_point(fe)), self.analysis), fe)
            self._internet[breakout] = got
        return got
