"""Generate a synthetic global design file for benchmarks and scale tests.

The design is deterministic for a seed and shaped like a real global rollout:

- regional hubs at peering locations, spread over the world; every other site sits near a
  known place or peering location and is linked to its nearest hub (a fifth of them to the two
  nearest); hubs are meshed; WAN latency follows great-circle distance;
- internet breakouts at every hub and at some larger sites, each with its own internet NAT and
  advertised /24 and a stateful perimeter firewall;
- circuits at the hub's peering location and at the nearest other one (two circuits at two
  peering locations per region), each with distinct public peer /30s, its own VLAN, its own
  outbound SNAT pool advertised only on that circuit, a route filter and a stateful edge firewall;
  some hubs run their pair active/passive with local preference;
- inbound (hybrid) services at hubs: destination NAT from a public address inside the hub
  breakout's /24, the /32 advertised over ExpressRoute (prepended on far circuits), inbound SNAT
  per entry path;
- with ``--security``, a security policy (a firewall on every ExpressRoute and internet path,
  both ways), which makes erplan's path rules read every traced flow;
- a sprinkling of the guides' classic mistakes (at ``--problems`` rate): a DNS record that does
  not match the published address, an entry path without inbound SNAT, a resolver egress far
  away, Microsoft routes propagated to a distant site, a route filter missing a service.

Usage: python bench/gen_design.py --sites N --circuits C --seed S [--security] -o FILE
"""

from __future__ import annotations

import argparse
import csv
import json
import math
import os
import random
import re
import sys
import tempfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from ipaddress import IPv4Address, IPv4Network
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
_CSV_CANDIDATES = (
    ROOT / "src" / "erplan" / "catalogs" / "data" / "peering_locations.csv",
    ROOT.parent / "shared" / "reference" / "data" / "peering_locations.csv",
)

EARTH_RADIUS_KM = 6371.0
ROUTE_FACTOR = 1.5  # fibre route stretch, as the analysis default
ACCESS_MS = 2.0
USERS_PER_ADDRESS = 6000  # Microsoft's NAT sizing worked example
PEER_ASN = 394_500  # a public 4-byte ASN: prepending with it is effective
ROUTE_FILTER = ("Exchange", "SharePoint", "Skype", "Other Office 365")

# Public blocks that overlap no Microsoft 365 endpoint prefix.
PEER_SUBNETS = IPv4Network("5.0.0.0/16")  # a /29 per circuit: primary and secondary /30
SNAT_BLOCK = IPv4Network("62.0.0.0/16")  # a /24 per circuit, the SNAT pool carved from it
INTERNET_BLOCK = IPv4Network("31.0.0.0/8")  # a /24 per breakout: internet NAT and servers
INBOUND_SNAT_BLOCK = IPv4Network("10.255.0.0/16")  # private /28 per service and entry path


@dataclass(frozen=True)
class Anchor:
    """A point of the world sites can be placed at: a peering location or a known place."""

    name: str
    lat: float
    lon: float
    region: str | None = None


@dataclass
class _Site:
    name: str
    lat: float
    lon: float
    users: int
    location: str | None = None  # a place name (hubs), else written as lat/lon
    hub: int | None = None  # index into hubs, for hub sites
    near: list[int] = field(default_factory=list)  # nearest hubs, by distance
    breakout: str | None = None  # a breakout at this site
    uses_breakout: str | None = None  # explicit breakout elsewhere
    resolver_egress: str | None = None
    er_routes: bool = True
    proxy: tuple[str, str] | None = None  # (mode, proxy site)
    devices: list[str] = field(default_factory=list)
    prefix: IPv4Network | None = None


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


def haversine_km(a_lat: float, a_lon: float, b_lat: float, b_lon: float) -> float:
    p1, p2 = math.radians(a_lat), math.radians(b_lat)
    dp, dl = p2 - p1, math.radians(b_lon - a_lon)
    h = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(min(1.0, math.sqrt(h)))


def rtt_ms(km: float) -> float:
    """Round trip over fibre: 1 ms per 100 km of route, route = distance x stretch."""
    return round(km * ROUTE_FACTOR / 100 + ACCESS_MS, 1)


def _field(obj: Any, *names: str) -> Any:
    for name in names:
        if isinstance(obj, dict) and name in obj:
            return obj[name]
        if hasattr(obj, name):
            return getattr(obj, name)
    return None


def _anchors_from(items: Any) -> list[Anchor]:
    values: Iterable[Any] = items.values() if isinstance(items, dict) else items
    keys = list(items.keys()) if isinstance(items, dict) else None
    out: list[Anchor] = []
    for i, item in enumerate(values):
        name = _field(item, "name") or (keys[i] if keys else None)
        lat, lon = _field(item, "lat", "latitude"), _field(item, "lon", "longitude")
        loc = _field(item, "location")
        if lat is None and loc is not None:
            lat, lon = _field(loc, "lat"), _field(loc, "lon")
        if name is None or lat is None or lon is None:
            continue
        region = _field(item, "region")
        out.append(Anchor(str(name), float(lat), float(lon), str(region) if region else None))
    return out


def load_anchors() -> tuple[list[Anchor], list[Anchor]]:
    """(peering locations, other known places): from erplan.catalogs, else the shipped CSV."""
    try:
        from erplan.catalogs import load_catalogs  # type: ignore[attr-defined,unused-ignore]

        cat = load_catalogs()
        plocs = _anchors_from(_field(cat, "peering_locations"))
        places = _anchors_from(_field(cat, "places") or [])
        if plocs:
            names = {p.name for p in plocs}
            return plocs, [p for p in places if p.name not in names]
    except Exception:  # the catalog module may not exist yet: fall back to its data file
        pass
    for path in _CSV_CANDIDATES:
        if path.is_file():
            with path.open(newline="", encoding="utf-8") as fh:
                rows = list(csv.DictReader(fh))
            plocs = [Anchor(r["name"], float(r["lat"]), float(r["lon"]), r["region"]) for r in rows]
            return plocs, []
    raise SystemExit("gen_design: no peering-location catalog found")


class _Blocks:
    """Sequential allocator of equal-size subnets of one block."""

    def __init__(self, block: IPv4Network, prefixlen: int) -> None:
        self._it: Iterator[IPv4Network] = block.subnets(new_prefix=prefixlen)

    def take(self) -> IPv4Network:
        try:
            return next(self._it)
        except StopIteration:
            raise SystemExit("gen_design: address block exhausted") from None


def _pool_len(users: int, floor: int = 29) -> int:
    """Prefix length of a NAT pool serving ``users`` (6,000 users per address)."""
    need = max(1, math.ceil(users / USERS_PER_ADDRESS))
    return min(floor, 32 - math.ceil(math.log2(need)) if need > 1 else floor)


def _pick_hubs(
    rng: random.Random, metros: list[Anchor], demand: list[Anchor], count: int
) -> list[Anchor]:
    """Hubs where the demand is: greedy k-median over the anchors sites are placed around.

    Each step adds one of the three metros that most reduce the total distance from every
    anchor to its nearest hub (drawn at random, so seeds differ).
    """
    dist = [[haversine_km(m.lat, m.lon, d.lat, d.lon) for d in demand] for m in metros]
    best = [math.inf] * len(demand)
    chosen: list[int] = []
    while len(chosen) < min(count, len(metros)):
        gains = []
        for i, row in enumerate(dist):
            if i in chosen:
                continue
            gain = sum(b - r for b, r in zip(best, row, strict=True) if r < b)
            gains.append((gain, i))
        gains.sort(reverse=True)
        pick = rng.choice(gains[:3])[1]
        chosen.append(pick)
        best = [min(b, r) for b, r in zip(best, dist[pick], strict=True)]
    return [metros[i] for i in chosen]


def _metros(plocs: list[Anchor]) -> list[Anchor]:
    """One peering location per metro (London and London2 are one place for a hub)."""
    out: list[Anchor] = []
    for p in sorted(plocs, key=lambda a: a.name):
        if all(haversine_km(p.lat, p.lon, q.lat, q.lon) > 60 for q in out):
            out.append(p)
    return out


@dataclass
class _Circuit:
    name: str
    ploc: Anchor
    hub: int
    index: int


def generate(
    sites: int, circuits: int, seed: int, problems: float = 0.02, security: bool = False
) -> str:
    """The design file text (YAML) for ``sites`` sites and ``circuits`` circuits."""
    if sites < 1:
        raise ValueError("at least one site")
    if circuits < 0:
        raise ValueError("circuits must be >= 0")
    rng = random.Random(seed)
    plocs, places = load_anchors()
    # Government-only locations are not where an enterprise puts its circuits.
    commercial = [p for p in plocs if "Government" not in (p.region or "")]
    metros = _metros(commercial)
    n_hubs = max(1, min(sites, len(metros), math.ceil(circuits / 2) if circuits else 1))
    hub_anchors = _pick_hubs(rng, metros, plocs + places, n_hubs)
    n_hubs = len(hub_anchors)

    # Circuits: the hub's own peering location, then the nearest other metros, round robin.
    by_dist = [
        sorted(
            (p for p in commercial if haversine_km(p.lat, p.lon, h.lat, h.lon) > 60),
            key=lambda p, h=h: haversine_km(p.lat, p.lon, h.lat, h.lon),  # type: ignore[misc]
        )
        for h in hub_anchors
    ]
    circ: list[_Circuit] = []
    used_names: set[str] = set()
    per_hub = [0] * n_hubs
    for k in range(circuits):
        h = k % n_hubs
        nth = per_hub[h]
        per_hub[h] += 1
        ploc = hub_anchors[h] if nth == 0 else by_dist[h][(nth - 1) % len(by_dist[h])]
        name = f"er-{_slug(ploc.name)}"
        while name in used_names:
            name += "-b"
        used_names.add(name)
        circ.append(_Circuit(name, ploc, h, k))
    hub_circuits: list[list[_Circuit]] = [[c for c in circ if c.hub == h] for h in range(n_hubs)]

    # Sites: hubs first, then sites around known places and peering locations.
    all_anchors = plocs + places
    site_list: list[_Site] = []
    names: set[str] = set()
    for h, a in enumerate(hub_anchors):
        name = f"hub-{_slug(a.name)}"
        names.add(name)
        site_list.append(
            _Site(name, a.lat, a.lon, rng.randint(2000, 20000), location=a.name, hub=h)
        )
    for i in range(sites - n_hubs):
        a = rng.choice(all_anchors)
        lat = max(-85.0, min(85.0, a.lat + rng.gauss(0, 1.5)))
        lon = (a.lon + rng.gauss(0, 2.0) + 180) % 360 - 180
        users = max(5, min(50000, int(rng.lognormvariate(5.0, 1.2))))
        name = f"s{i + 1:05d}-{_slug(a.name)}"
        site_list.append(_Site(name, round(lat, 4), round(lon, 4), users))
    hubs = site_list[:n_hubs]
    for i, s in enumerate(site_list):
        s.prefix = IPv4Network((0x0A000000 + (i << 8), 24))  # 10.x.y.0/24, one per site
        order = sorted(
            range(n_hubs), key=lambda h: haversine_km(s.lat, s.lon, hubs[h].lat, hubs[h].lon)
        )
        s.near = order[:2]

    # WAN: every site to its nearest hub (a fifth to the two nearest); hubs meshed.
    wan: list[tuple[str, str, float | None]] = []

    def link(a: _Site, b: _Site) -> None:
        km = haversine_km(a.lat, a.lon, b.lat, b.lon)
        # Most links carry a measured figure; the rest are left to the estimate.
        wan.append((a.name, b.name, rtt_ms(km) if rng.random() < 0.7 else None))

    for i in range(n_hubs):
        for j in range(i + 1, n_hubs):
            link(hubs[i], hubs[j])
    for s in site_list[n_hubs:]:
        link(s, hubs[s.near[0]])
        if len(s.near) > 1 and rng.random() < 0.2:
            link(s, hubs[s.near[1]])

    # Breakouts: every hub, and larger sites now and then.
    devices: dict[str, tuple[str, str]] = {}  # name -> (kind, site)
    breakouts: dict[str, dict[str, Any]] = {}
    inet_blocks = _Blocks(INTERNET_BLOCK, 24)
    for s in site_list:
        local = s.hub is not None or (s.users >= 300 and rng.random() < 0.3)
        if local:
            s.breakout = f"inet-{s.name}"
            fw = f"fw-inet-{s.name}"
            devices[fw] = ("firewall", s.name)
            breakouts[s.breakout] = {"site": s.name, "block": inet_blocks.take(), "fw": fw}
        else:
            s.uses_breakout = f"inet-{hubs[s.near[0]].name}"
    served: dict[str, int] = {b: 0 for b in breakouts}
    for s in site_list:
        served[s.breakout or s.uses_breakout or ""] += s.users
    for b_name, b in breakouts.items():
        block: IPv4Network = b["block"]
        b["nat"] = next(block.subnets(new_prefix=_pool_len(served[b_name])))

    # Site behaviour: proxies, route scope, resolver egress, the occasional site firewall.
    far_km = 4000.0
    for s in site_list[n_hubs:]:
        hub = hubs[s.near[0]]
        dist = haversine_km(s.lat, s.lon, hub.lat, hub.lon)
        if dist > far_km:
            # Far from any circuit: route scoping keeps it on the internet (guide 000 §3 fix 1),
            # except where the design forgets to (a suboptimal flow to report).
            s.er_routes = rng.random() < problems * 5
        r = rng.random()
        if r < 0.2:
            s.proxy = ("pac", hub.name)
        elif r < 0.23:
            s.proxy = ("all", hub.name)
        if s.breakout and rng.random() < problems * 2 and n_hubs > 1:
            far = hubs[s.near[-1]] if len(s.near) > 1 else hub
            s.resolver_egress = f"inet-{far.name}"
        if rng.random() < 0.01:
            fw = f"fw-{s.name}"
            devices[fw] = ("firewall", s.name)
            s.devices.append(fw)

    # Circuits: addressing, policy, edge firewalls.
    peer_blocks = _Blocks(PEER_SUBNETS, 29)
    snat_blocks = _Blocks(SNAT_BLOCK, 24)
    region_users = [0] * n_hubs
    for s in site_list:
        region_users[s.near[0]] += s.users
    circ_out: dict[str, dict[str, Any]] = {}
    for c in circ:
        hub = hubs[c.hub]
        fw = f"fw-er-{hub.name}"
        devices.setdefault(fw, ("firewall", hub.name))
        p29 = peer_blocks.take()
        primary, secondary = p29.subnets(new_prefix=30)
        # Sized for the whole region: either circuit of the pair carries it after a failure.
        share = region_users[c.hub]
        pool = next(snat_blocks.take().subnets(new_prefix=_pool_len(share)))
        rf = list(ROUTE_FILTER)
        if rng.random() < problems * 3:
            rf.remove("Skype")
        entry: dict[str, Any] = {
            "peering_location": c.ploc.name,
            "site": hub.name,
            "bandwidth_mbps": rng.choice((1000, 2000, 5000, 10000)),
            "peer_asn": PEER_ASN,
            "primary_subnet": primary,
            "secondary_subnet": secondary,
            "vlan": 100 + c.index,
            "route_filter": rf,
            "snat_pool": pool,
            "advertises": [pool],
            "prepend": {},
            "devices": [fw],
            "local_preference": 100,
        }
        if rng.random() < 0.5:
            km = haversine_km(hub.lat, hub.lon, c.ploc.lat, c.ploc.lon)
            entry["access_latency_ms"] = rtt_ms(km)
        circ_out[c.name] = entry
    for h in range(n_hubs):
        pair = hub_circuits[h]
        if len(pair) >= 2 and rng.random() < 0.25:
            # Active/passive inside the region: the second circuit only on failure.
            circ_out[pair[1].name]["local_preference"] = 90

    # Inbound services at hubs: DNAT from the breakout's /24, the /32 over ExpressRoute too.
    services: dict[str, dict[str, Any]] = {}
    snat_in = _Blocks(INBOUND_SNAT_BLOCK, 28)
    n_svc_hubs = min(n_hubs, max(1, sites // 100))
    kinds = (("autodiscover", "Exchange", 443), ("adfs", "Other Office 365", 443))
    for h in range(n_svc_hubs):
        hub = hubs[h]
        assert hub.breakout is not None
        b = breakouts[hub.breakout]
        hosts = list(b["block"].hosts())
        for j, (label, initiator, port) in enumerate(kinds):
            public = hosts[200 + j]
            name = f"{label}-{hub.name}"
            entries: list[str] = [hub.breakout]
            over_er = bool(hub_circuits[h]) and j == 0
            if over_er:
                entries = [c.name for c in hub_circuits[h]] + entries
                net = IPv4Network((int(public), 32))
                for c in hub_circuits[h]:
                    circ_out[c.name]["advertises"].append(net)
                # A far circuit in the next region also carries it, prepended (guide 000 §7.4.1).
                other = hubs[h].near[1] if len(hubs[h].near) > 1 else h
                if other != h and hub_circuits[other]:
                    far_c = circ_out[hub_circuits[other][0].name]
                    far_c["advertises"].append(net)
                    far_c["prepend"][net] = 3
            inbound = {e: snat_in.take() for e in entries}
            if over_er and rng.random() < problems * 10:
                inbound.pop(entries[0])  # guide 001 Problem 2: no SNAT on the ER entry
            dns = public
            if rng.random() < problems * 5:
                dns = hosts[210 + j]  # guide 000 §6.2's slip: the record misses the address
            services[name] = {
                "fqdn": f"{label}.{_slug(hub.name)}.contoso.com",
                "dns_record": dns,
                "public_address": public,
                "internal_address": IPv4Address(int(hub.prefix.network_address) + 10 + j)
                if hub.prefix
                else None,
                "site": hub.name,
                "entry": entries,
                "inbound_snat": inbound,
                "initiator": initiator,
                "ports": [port],
            }

    title = f"synthetic: {sites} sites, {circuits} circuits, seed {seed}"
    text = _emit(title, hubs[0], site_list, wan, breakouts, circ_out, services, devices)
    return text + _SECURITY if security else text


# A firewall required on every path, there and back: the edge firewalls stand on one link's
# side only of some return paths, so the path rules (ERP730, ERP731) have findings to make.
_SECURITY = """security:
  expressroute:
    outbound: [firewall]
    inbound: [firewall]
  internet:
    outbound: [firewall]
    inbound: [firewall]
"""


def _q(value: object) -> str:
    # JSON strings are valid YAML double-quoted scalars.
    return json.dumps(str(value))


def _flow(items: Iterable[object]) -> str:
    return "[" + ", ".join(_q(i) for i in items) + "]"


def _emit(
    title: str,
    first_hub: _Site,
    sites: list[_Site],
    wan: list[tuple[str, str, float | None]],
    breakouts: dict[str, dict[str, Any]],
    circuits: dict[str, dict[str, Any]],
    services: dict[str, dict[str, Any]],
    devices: dict[str, tuple[str, str]],
) -> str:
    geography = "EU" if first_hub.lon > -30 and first_hub.lat > 30 else "US"
    out = [
        "# Synthetic design written by bench/gen_design.py (benchmarks and scale tests).",
        "erplan: 1",
        f"name: {_q(title)}",
        "tenant:",
        f"  geography: {geography}",
        "  name: contoso",
        "sites:",
    ]
    w = out.append
    for s in sites:
        w(f"  {s.name}:")
        if s.location is not None:
            w(f"    location: {_q(s.location)}")
        else:
            w(f"    location: {{lat: {s.lat}, lon: {s.lon}}}")
        w(f"    users: {s.users}")
        if s.uses_breakout:
            w(f"    breakout: {s.uses_breakout}")
        if s.resolver_egress:
            w(f"    resolver_egress: {s.resolver_egress}")
        if s.proxy:
            w(f"    proxy: {{mode: {s.proxy[0]}, site: {s.proxy[1]}}}")
        if not s.er_routes:
            w("    er_routes: false")
        w(f"    prefixes: [{s.prefix}]")
        if s.devices:
            w(f"    devices: {_flow(s.devices)}")
    w("wan:" if wan else "wan: []")
    for end_a, end_b, lat in wan:
        extra = f", latency_ms: {lat}" if lat is not None else ""
        w(f"  - {{between: [{end_a}, {end_b}]{extra}}}")
    w("breakouts:" if breakouts else "breakouts: {}")
    for name, b in breakouts.items():
        w(f"  {name}:")
        w(f"    site: {b['site']}")
        w(f"    nat: [{b['nat']}]")
        w(f"    advertises: [{b['block']}]")
        w(f"    devices: [{b['fw']}]")
    w("circuits:" if circuits else "circuits: {}")
    for name, c in circuits.items():
        w(f"  {name}:")
        w(f"    peering_location: {_q(c['peering_location'])}")
        w(f"    site: {c['site']}")
        if "access_latency_ms" in c:
            w(f"    access_latency_ms: {c['access_latency_ms']}")
        w(f"    bandwidth_mbps: {c['bandwidth_mbps']}")
        w(f"    peer_asn: {c['peer_asn']}")
        w(f"    primary_subnet: {c['primary_subnet']}")
        w(f"    secondary_subnet: {c['secondary_subnet']}")
        w(f"    vlan: {c['vlan']}")
        w(f"    route_filter: {_flow(c['route_filter'])}")
        w(f"    snat_pool: {c['snat_pool']}")
        w(f"    advertises: [{', '.join(str(a) for a in c['advertises'])}]")
        if c["prepend"]:
            w("    prepend: {" + ", ".join(f"{k}: {v}" for k, v in c["prepend"].items()) + "}")
        if c["local_preference"] != 100:
            w(f"    local_preference: {c['local_preference']}")
        w(f"    devices: {_flow(c['devices'])}")
    if services:
        w("services:")
    for name, v in services.items():
        w(f"  {name}:")
        w(f"    fqdn: {v['fqdn']}")
        w(f"    dns_record: {v['dns_record']}")
        w(f"    public_address: {v['public_address']}")
        if v["internal_address"] is not None:
            w(f"    internal_address: {v['internal_address']}")
        w(f"    site: {v['site']}")
        w(f"    entry: {_flow(v['entry'])}")
        if v["inbound_snat"]:
            pairs = ", ".join(f"{k}: {p}" for k, p in v["inbound_snat"].items())
            w(f"    inbound_snat: {{{pairs}}}")
        w(f"    initiator: {_q(v['initiator'])}")
        w(f"    ports: [{', '.join(str(p) for p in v['ports'])}]")
    w("devices:" if devices else "devices: {}")
    for name, (kind, site) in devices.items():
        w(f"  {name}: {{kind: {kind}, site: {site}}}")
    return "\n".join(out) + "\n"


def write_atomic(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    ap.add_argument("--sites", type=int, required=True, help="number of sites (hubs included)")
    ap.add_argument("--circuits", type=int, default=20, help="number of circuits (default 20)")
    ap.add_argument("--seed", type=int, default=1, help="random seed (default 1)")
    ap.add_argument(
        "--problems",
        type=float,
        default=0.02,
        help="rate of the guides' classic mistakes to sprinkle in (default 0.02; 0 for none)",
    )
    ap.add_argument(
        "--security",
        action="store_true",
        help="add a security policy (a firewall on every path): the path rules read every flow",
    )
    ap.add_argument("-o", "--output", type=Path, help="design file to write (default: stdout)")
    args = ap.parse_args(argv)
    if args.sites < 1 or args.circuits < 0 or not 0 <= args.problems <= 1:
        ap.error("--sites must be >= 1, --circuits >= 0, --problems in [0, 1]")
    text = generate(args.sites, args.circuits, args.seed, args.problems, args.security)
    if args.output is None:
        sys.stdout.write(text)
    else:
        write_atomic(args.output, text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
