"""The Microsoft side as data: the shipped catalogs and their lookups.

Everything here is read once per process (``load_catalogs`` is cached) and never changes
afterwards; analyses take the ``Catalogs`` object as an argument.
"""

from __future__ import annotations

import csv
import fnmatch
import functools
import hashlib
import io
import json
import math
from collections.abc import Callable, Iterable, Iterator, Mapping
from ipaddress import IPv4Address, IPv4Network
from pathlib import Path
from typing import Any, TypeVar

from erplan.catalogs.endpoints import parse_endpoints_text, read_endpoints
from erplan.catalogs.records import (
    DYNAMICS_AREA,
    DynamicsRegion,
    EndpointSet,
    FrontEnd,
    Geography,
    PeeringLocation,
    Place,
    RegionalCommunity,
    ServiceCommunity,
    normalize,
)

_T = TypeVar("_T")

DATA_DIR = Path(__file__).with_name("data")
SHIPPED_ENDPOINTS = "endpoints_worldwide.json"
# Where Microsoft-hosted endpoint sets without published IPv4 prefixes are modelled: a block of
# Microsoft's own (Azure) address space that no Microsoft 365 endpoint set lists, so it is never
# advertised over ExpressRoute (SOURCES.md, "front_ends.csv").
MICROSOFT_INTERNET_BLOCK = IPv4Network("13.64.0.0/11")
# Microsoft's hosts outside every Microsoft 365 set (Azure and other Microsoft services), as a
# set of their own: answered from the block above, advertised over no ExpressRoute session.
OTHER_MICROSOFT = EndpointSet(
    id=0,
    service_area="Microsoft",
    display_name="other Microsoft services",
    urls=(),
    ips=(MICROSOFT_INTERNET_BLOCK,),
    tcp_ports=(),
    udp_ports=(),
    express_route=False,
    category="Default",
    required=False,
)
EARTH_RADIUS_KM = 6371.0
MAX_TENANTS = 8  # catalogs with a tenant's Dynamics 365 sets kept per catalogs object


def great_circle_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance in km (haversine)."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(min(1.0, math.sqrt(a)))


class Catalogs:
    """Peering locations, places, front ends, geographies, services and endpoint sets."""

    def __init__(
        self,
        *,
        peering_locations: Iterable[PeeringLocation],
        places: Iterable[Place],
        front_ends: Iterable[FrontEnd],
        geographies: Iterable[Geography],
        services: Iterable[ServiceCommunity],
        regional_communities: Iterable[RegionalCommunity],
        endpoint_sets: Iterable[EndpointSet],
        endpoints_source: str = "shipped snapshot",
        dynamics_regions: Iterable[DynamicsRegion] = (),
    ) -> None:
        self._peering = _index(peering_locations, lambda p: [p.name])
        self._places = _index(places, lambda p: [p.name])
        self._front_ends = _index(front_ends, lambda f: [f.name])
        self._geographies = _index(geographies, lambda g: [g.name, *g.aliases])
        self._services = _index(services, lambda s: [s.name, s.community, *s.aliases])
        self._regions = _index(regional_communities, lambda r: [r.region])
        self._sets = {s.id: s for s in endpoint_sets}
        # Looked up per site and per set while flows are derived: indexed once.
        self._sorted_sets = tuple(self._sets[k] for k in sorted(self._sets))
        self._area_sets: dict[str, tuple[EndpointSet, ...]] = {}
        for es in self._sorted_sets:
            key = normalize(es.service_area)
            self._area_sets[key] = (*self._area_sets.get(key, ()), es)
        self._dynamics = _index(dynamics_regions, lambda r: [r.region])
        self.endpoints_source = endpoints_source
        self._tenants: dict[tuple[tuple[str, tuple[IPv4Network, ...]], ...], Catalogs] = {}
        # Addresses per (prefixes of a set) and sets per host name: computed on first use.
        self._addresses: dict[tuple[IPv4Network, ...], dict[str, IPv4Address]] = {}
        self._fqdn_sets: dict[str, tuple[EndpointSet, ...]] = {}

    # -- whole catalogs, in a stable order --------------------------------------------------
    @property
    def peering_locations(self) -> tuple[PeeringLocation, ...]:
        return _unique(self._peering.values())

    @property
    def places(self) -> tuple[Place, ...]:
        return _unique(self._places.values())

    @property
    def front_ends(self) -> tuple[FrontEnd, ...]:
        return _unique(self._front_ends.values())

    @property
    def geographies(self) -> tuple[Geography, ...]:
        return _unique(self._geographies.values())

    @property
    def services(self) -> tuple[ServiceCommunity, ...]:
        return _unique(self._services.values())

    @property
    def regional_communities(self) -> tuple[RegionalCommunity, ...]:
        return _unique(self._regions.values())

    @property
    def endpoint_sets(self) -> tuple[EndpointSet, ...]:
        return self._sorted_sets

    @property
    def dynamics_regions(self) -> tuple[DynamicsRegion, ...]:
        return _unique(self._dynamics.values())

    def dynamics_region(self, region: str) -> DynamicsRegion | None:
        """The Dynamics 365 catalog entry of an Azure region (None when none is catalogued)."""
        return self._dynamics.get(normalize(region))

    def dynamics_set(self, region: str, prefixes: Iterable[IPv4Network] = ()) -> EndpointSet | None:
        """The Dynamics 365 (CRM Online) endpoint set of an Azure region, with ``prefixes``:
        tagged with the CRM Online service community and the region's regional community, and
        ExpressRoute-able only when it has prefixes (Microsoft publishes none in the web
        service, so they come from the design)."""
        entry = self.dynamics_region(region)
        service = self.service(DYNAMICS_AREA)
        if entry is None or service is None:
            return None
        ips = tuple(dict.fromkeys(prefixes))
        rc = self.regional_community(entry.region)
        return EndpointSet(
            id=entry.id,
            service_area=DYNAMICS_AREA,
            display_name=f"Dynamics 365 ({entry.region})",
            urls=entry.urls,
            ips=ips,
            tcp_ports=(443,),
            udp_ports=(),
            express_route=bool(ips),
            category="Allow",
            required=True,
            notes=f"{service.name} {service.community}; hosted in {entry.region}",
            region=entry.region,
            regional_community=rc.community if rc is not None else None,
        )

    def for_tenant(self, dynamics: Mapping[str, Iterable[IPv4Network]]) -> Catalogs:
        """These catalogs with the tenant's Dynamics 365 sets added (region -> its prefixes);
        itself when there are none. Remembered per argument: every stage sees one object."""
        given = {region: tuple(prefixes) for region, prefixes in dynamics.items()}
        key = tuple(sorted((normalize(r), ps) for r, ps in given.items()))
        if not key:
            return self
        got = self._tenants.get(key)
        if got is None:
            extra = [
                es
                for region, prefixes in given.items()
                if (es := self.dynamics_set(region, prefixes)) is not None
            ]
            got = Catalogs(
                peering_locations=self.peering_locations,
                places=self.places,
                front_ends=self.front_ends,
                geographies=self.geographies,
                services=self.services,
                regional_communities=self.regional_communities,
                endpoint_sets=(*self.endpoint_sets, *extra),
                endpoints_source=self.endpoints_source,
                dynamics_regions=self.dynamics_regions,
            )
            if len(self._tenants) >= MAX_TENANTS:  # the oldest goes: a process may load many
                self._tenants.pop(next(iter(self._tenants)))
            self._tenants[key] = got
        return got

    # -- lookups (case, accents, spaces and punctuation ignored; None when unknown) -----------
    def peering_location(self, name: str) -> PeeringLocation | None:
        return self._peering.get(normalize(name))

    def place(self, name: str) -> Place | None:
        """A known city, else a peering location or front end of that name, as a Place."""
        key = normalize(name)
        found = self._places.get(key)
        if found is not None:
            return found
        for other in (self._peering.get(key), self._front_ends.get(key)):
            if other is not None:
                country = other.country if isinstance(other, PeeringLocation) else ""
                region = other.region if isinstance(other, PeeringLocation) else other.geography
                return Place(other.name, country, region, other.lat, other.lon)
        return None

    def place_names(self) -> list[str]:
        names = {p.name for p in self.places}
        names.update(p.name for p in self.peering_locations)
        names.update(f.name for f in self.front_ends)
        return sorted(names)

    def front_end(self, name: str) -> FrontEnd | None:
        return self._front_ends.get(normalize(name))

    def region_front_end(self, region: str) -> FrontEnd | None:
        """The front end that stands for an Azure region (the first the catalog lists)."""
        key = normalize(region)
        return next((f for f in self.front_ends if normalize(f.region) == key), None)

    def geography(self, name: str) -> Geography | None:
        return self._geographies.get(normalize(name))

    def home_front_end(self, geography: str) -> FrontEnd | None:
        """Where a tenant of that geography keeps its data (guide 000 Figure 6)."""
        geo = self.geography(geography)
        return None if geo is None else self.front_end(geo.home_front_end)

    def service(self, name: str) -> ServiceCommunity | None:
        """A route-filter service by name, alias or community value ("12076:5010")."""
        return self._services.get(normalize(name))

    def service_for_area(self, service_area: str) -> ServiceCommunity | None:
        """The route-filter service of an endpoint service area (Exchange, SharePoint, ...)."""
        for s in self.services:
            if s.service_area is not None and normalize(s.service_area) == normalize(service_area):
                return s
        return None

    def regional_community(self, region: str) -> RegionalCommunity | None:
        return self._regions.get(normalize(region))

    def endpoint_set(self, set_id: int) -> EndpointSet | None:
        return self._sets.get(set_id)

    def sets_for_service_area(self, area: str) -> tuple[EndpointSet, ...]:
        return self._area_sets.get(normalize(area), ())

    def expressroute_sets(self) -> tuple[EndpointSet, ...]:
        return tuple(s for s in self.endpoint_sets if s.express_route)

    def sets_for_fqdn(self, fqdn: str) -> tuple[EndpointSet, ...]:
        """The endpoint sets whose URL patterns match a host name ("*" spans one or more labels)."""
        host = fqdn.strip().rstrip(".").lower()
        found = self._fqdn_sets.get(host)
        if found is None:
            found = tuple(
                s for s in self.endpoint_sets if any(_url_matches(u, host) for u in s.urls)
            )
            self._fqdn_sets[host] = found
        return found

    # -- geoDNS ---------------------------------------------------------------------------------
    def nearest_front_end(self, lat: float, lon: float) -> FrontEnd:
        """The front end geoDNS answers with for a resolver egress at (lat, lon)."""
        return min(self.front_ends, key=lambda f: (great_circle_km(lat, lon, f.lat, f.lon), f.name))

    def front_end_address(self, endpoint_set: EndpointSet, front_end: FrontEnd) -> IPv4Address:
        """The address an FQDN of ``endpoint_set`` resolves to when answered by ``front_end``.

        Deterministic, always inside one of the set's prefixes, and different for different
        front ends whenever the prefixes hold enough addresses (guide 000 Figure 4: a US and an
        EU resolver get different answers). Sets with the same prefixes share the answer, as
        one FQDN listed in two sets does. A Microsoft-hosted set without IPv4 prefixes is
        answered from ``MICROSOFT_INTERNET_BLOCK``; a third party's raises ValueError.
        """
        prefixes = endpoint_set.ips
        if not prefixes:
            if endpoint_set.third_party:
                raise ValueError(f"endpoint set {endpoint_set.id} is served by a third party")
            prefixes = (MICROSOFT_INTERNET_BLOCK,)
        table = self._addresses.get(prefixes)
        if table is None:
            table = _assign_addresses(prefixes, [f.name for f in self.front_ends])
            self._addresses[prefixes] = table
        found = table.get(front_end.name)
        if found is None:  # a front end not in this catalog: hash it, no uniqueness promise
            found = _hashed_address(prefixes, front_end.name)
        return found


def _url_matches(pattern: str, host: str) -> bool:
    """Whether a web-service URL pattern matches a host name: ``*`` as a whole label spans one
    or more labels; inside a label (``*-files``) it spans characters of that label.

    Memoised over (pattern label, host label) positions, so a pattern with many ``*`` costs
    at most labels(pattern) x labels(host)^2 steps instead of growing exponentially.
    """
    p_labels = pattern.lower().split(".")
    h_labels = host.split(".")
    np, nh = len(p_labels), len(h_labels)
    memo: dict[tuple[int, int], bool] = {}

    def match(pi: int, hi: int) -> bool:
        key = (pi, hi)
        known = memo.get(key)
        if known is not None:
            return known
        if pi == np:
            result = hi == nh
        elif p_labels[pi] == "*":  # one or more whole labels
            result = any(match(pi + 1, k) for k in range(hi + 1, nh + 1))
        elif hi == nh:
            result = False
        elif "*" in p_labels[pi]:  # a partial wildcard inside one label, e.g. "*-files"
            result = fnmatch.fnmatchcase(h_labels[hi], p_labels[pi]) and match(pi + 1, hi + 1)
        else:
            result = p_labels[pi] == h_labels[hi] and match(pi + 1, hi + 1)
        memo[key] = result
        return result

    return match(0, 0)


def _digest(*parts: str) -> int:
    return int.from_bytes(hashlib.sha256("\x1f".join(parts).encode()).digest()[:8], "big")


def _host_range(net: IPv4Network) -> tuple[int, int]:
    """First address and count of usable addresses (no network/broadcast below /31)."""
    if net.prefixlen >= 31:
        return int(net.network_address), net.num_addresses
    return int(net.network_address) + 1, net.num_addresses - 2


def _hashed_address(prefixes: tuple[IPv4Network, ...], front_end: str) -> IPv4Address:
    h = _digest(front_end, *map(str, prefixes))
    first, count = _host_range(prefixes[h % len(prefixes)])
    return IPv4Address(first + (h // len(prefixes)) % count)


def _assign_addresses(
    prefixes: tuple[IPv4Network, ...], front_ends: list[str]
) -> dict[str, IPv4Address]:
    """One address per front end: hashed start, then the next free address (injective)."""
    total = sum(_host_range(n)[1] for n in prefixes)
    used: set[int] = set()
    out: dict[str, IPv4Address] = {}
    for name in sorted(front_ends):  # sorted: the answer does not depend on CSV order
        h = _digest(name, *map(str, prefixes))
        start = h % len(prefixes)
        chosen: int | None = None
        if len(used) < total:
            for step in range(len(prefixes)):
                first, count = _host_range(prefixes[(start + step) % len(prefixes)])
                offset = (h // len(prefixes)) % count
                # Few front ends, so probing ends quickly; bounded by the prefix size anyway.
                for probe in range(min(count, len(front_ends) + 1)):
                    candidate = first + (offset + probe) % count
                    if candidate not in used:
                        chosen = candidate
                        break
                if chosen is not None:
                    break
        if chosen is None:  # fewer addresses than front ends: repeats are unavoidable
            chosen = int(_hashed_address(prefixes, name))
        used.add(chosen)
        out[name] = IPv4Address(chosen)
    return out


# -- loading ------------------------------------------------------------------------------------
def _index(items: Iterable[_T], keys: Callable[[_T], list[str]]) -> dict[str, _T]:
    out: dict[str, _T] = {}
    for item in items:
        for key in keys(item):
            out.setdefault(normalize(key), item)  # first wins: a name beats a later alias
    return out


def _unique(values: Iterable[_T]) -> tuple[_T, ...]:
    seen: list[_T] = []
    ids: set[int] = set()
    for v in values:
        if id(v) not in ids:
            ids.add(id(v))
            seen.append(v)
    return tuple(seen)


def _data_text(name: str) -> str:
    return (DATA_DIR / name).read_text(encoding="utf-8")


def _rows(name: str) -> Iterator[Mapping[str, str]]:
    yield from csv.DictReader(io.StringIO(_data_text(name)))


def _split(value: str) -> tuple[str, ...]:
    return tuple(v.strip() for v in value.split(";") if v.strip())


def _yes(value: str) -> bool:
    return value.strip().lower() in {"yes", "true", "1"}


@functools.cache
def _shipped() -> Catalogs:
    text = _data_text(SHIPPED_ENDPOINTS)
    name = f"erplan:data/{SHIPPED_ENDPOINTS}"
    sets = parse_endpoints_text(json.loads(text), text, name).sets
    return _build(sets, "shipped snapshot")


@functools.cache
def _static() -> dict[str, Any]:
    """The CSV catalogs, read once per process (they do not depend on ``--endpoints``)."""
    return dict(
        peering_locations=[
            PeeringLocation(r["name"], r["region"], r["country"], float(r["lat"]), float(r["lon"]))
            for r in _rows("peering_locations.csv")
        ],
        places=[
            Place(r["name"], r["country"], r["region"], float(r["lat"]), float(r["lon"]))
            for r in _rows("places.csv")
        ],
        front_ends=[
            FrontEnd(r["name"], r["region"], r["geography"], float(r["lat"]), float(r["lon"]))
            for r in _rows("front_ends.csv")
        ],
        geographies=[
            Geography(r["name"], _split(r["aliases"]), r["home_front_end"])
            for r in _rows("geographies.csv")
        ],
        services=[
            ServiceCommunity(
                name=r["name"],
                community=r["community"],
                aliases=_split(r["aliases"]),
                service_area=r["service_area"] or None,
                authorization=_yes(r["authorization"]),
                note=r["note"],
            )
            for r in _rows("services.csv")
        ],
        regional_communities=[
            RegionalCommunity(r["region"], r["community"])
            for r in _rows("regional_communities.csv")
        ],
        dynamics_regions=[
            DynamicsRegion(int(r["id"]), r["region"], r["geography"], _split(r["urls"]))
            for r in _rows("dynamics.csv")
        ],
    )


def _build(sets: tuple[EndpointSet, ...], source: str) -> Catalogs:
    return Catalogs(**_static(), endpoint_sets=sets, endpoints_source=source)


@functools.lru_cache(maxsize=8)
def _with_endpoints(path: str, _mtime_ns: int, _size: int) -> Catalogs:
    return _build(read_endpoints(Path(path)), path)


def load_catalogs(endpoints: Path | None = None) -> Catalogs:
    """The shipped catalogs, with the endpoint sets of ``endpoints`` (a fresh download) if given.

    Cached: the shipped data is read once per process, a given download once per version of
    the file. A bad download raises ``InputError`` naming FILE:LINE:COL.
    """
    if endpoints is None:
        return _shipped()
    try:
        st = endpoints.stat()
    except OSError:
        return _build(read_endpoints(endpoints), str(endpoints))  # raises the clear message
    return _with_endpoints(str(endpoints.resolve()), st.st_mtime_ns, st.st_size)
