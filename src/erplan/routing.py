"""What each site and Microsoft know: customer route choice per site, Microsoft's return choice.

Customer side (per site, per destination class): ExpressRoute routes exist for a class only when
its endpoint set is ExpressRoute-able, the circuit's route filter admits its community, the
circuit is up, its routes are propagated to the site (``er_routes``) and the circuit's site is
reachable over WAN links that are up. Among circuits: highest local preference, then lowest IGP
distance (WAN cost, default latency), then the circuit name (a tie-break that is reported).
Without an ExpressRoute route the default route leads to the site's internet breakout.

Microsoft side: every circuit's advertisements (AS path 1 + public prepends; Microsoft strips
private ASNs) and every breakout's internet advertisements. For an address: longest match, then
ExpressRoute before internet, then shortest AS path, then ECMP over every remaining one.

Work grows with destination classes (community, ExpressRoute-ability, region), not prefixes.
"""

from __future__ import annotations

import heapq
from dataclasses import dataclass, field
from enum import StrEnum
from ipaddress import IPv4Address, IPv4Network

from erplan.catalogs import Catalogs, EndpointSet, FrontEnd
from erplan.latency import ZERO, Geo, Ms
from erplan.model import Design


def is_private_asn(asn: int) -> bool:
    return 64512 <= asn <= 65534 or 4200000000 <= asn <= 4294967294


def is_public_address(addr: IPv4Address) -> bool:
    return addr.is_global


class Via(StrEnum):
    EXPRESSROUTE = "expressroute"
    INTERNET = "internet"
    NONE = "none"


@dataclass(frozen=True, slots=True)
class DestClass:
    """What the customer's route choice depends on for a destination."""

    express_route: bool
    community: str | None
    region: str | None  # the front end's Azure region
    regional: bool = False  # whether its prefixes carry a regional community (never for M365)

    @staticmethod
    def of(endpoint_set: EndpointSet, front_end: FrontEnd) -> DestClass:
        return DestClass(endpoint_set.express_route, endpoint_set.community, front_end.region)


@dataclass(frozen=True, slots=True)
class Candidate:
    """One circuit the site holds an ExpressRoute route through, with what ranked it."""

    circuit: str
    local_preference: int
    igp: float
    region_preference_ignored: bool = False


@dataclass(frozen=True, slots=True)
class RouteChoice:
    via: Via
    circuit: str | None = None
    breakout: str | None = None
    candidates: tuple[Candidate, ...] = ()
    tie_break: tuple[str, ...] = ()  # circuits tied on preference and distance, chosen first
    why: str = ""

    @property
    def chosen(self) -> Candidate | None:
        for c in self.candidates:
            if c.circuit == self.circuit:
                return c
        return None


@dataclass(frozen=True, slots=True)
class Advert:
    """A route Microsoft holds toward a customer prefix."""

    prefix: IPv4Network
    via: Via  # EXPRESSROUTE (circuit) or INTERNET (breakout)
    name: str
    as_path: int = 1
    implicit: bool = False  # a breakout's own NAT address, reachable through its ISP

    @property
    def length(self) -> int:
        return -1 if self.implicit else self.prefix.prefixlen


@dataclass(slots=True)
class Tree:
    """Shortest paths from every site to one root site over WAN links that are up."""

    root: str
    cost: dict[str, float] = field(default_factory=dict)
    latency: dict[str, Ms] = field(default_factory=dict)
    toward: dict[str, str] = field(default_factory=dict)  # next site on the way to root


class Routing:
    """Route choices of one design, computed lazily and cached per (site, class)."""

    def __init__(self, design: Design, catalogs: Catalogs, geo: Geo | None = None) -> None:
        self.design = design
        self.catalogs = catalogs
        self.geo = geo or Geo(design, catalogs)
        self._adj: dict[str, list[tuple[str, float, Ms]]] = {s: [] for s in design.sites}
        for link in design.wan:
            if not link.up:
                continue
            a, b = link.between
            if a not in self._adj or b not in self._adj:
                continue
            lat = self.geo.wan_link(a, b, link.latency_ms)
            cost = link.cost if link.cost is not None else lat.ms
            self._adj[a].append((b, cost, lat))
            self._adj[b].append((a, cost, lat))
        self._trees: dict[str, Tree] = {}
        self._choices: dict[tuple[str, DestClass], RouteChoice] = {}
        self._er: dict[tuple[str, str | None, str | None, bool], tuple[Candidate, ...]] = {}
        self.breakouts_at: dict[str, list[str]] = {}
        for bname, bk in design.breakouts.items():
            self.breakouts_at.setdefault(bk.site, []).append(bname)
        # Circuits by community admitted (route filter names resolved through the catalog).
        self._admits: dict[str, frozenset[str]] = {}
        for name, c in design.circuits.items():
            communities: set[str] = set()
            for svc in c.route_filter:
                found = catalogs.service(svc)
                if found is not None:
                    communities.add(found.community)
            self._admits[name] = frozenset(communities)
        self.adverts = self._microsoft_adverts()
        self._ms_choice: dict[IPv4Address, tuple[Advert, ...]] = {}

    # -- WAN ---------------------------------------------------------------------------------
    def tree(self, root: str) -> Tree:
        """Dijkstra from ``root`` (the WAN is undirected: distance to root = distance from it)."""
        t = self._trees.get(root)
        if t is not None:
            return t
        t = Tree(root)
        if root in self._adj:
            t.cost[root] = 0.0
            t.latency[root] = ZERO
            heap: list[tuple[float, str]] = [(0.0, root)]
            done: set[str] = set()
            while heap:
                d, u = heapq.heappop(heap)
                if u in done:
                    continue
                done.add(u)
                for v, w, lat in self._adj[u]:
                    nd = d + w
                    old = t.cost.get(v)
                    # Ties: keep the lower-named predecessor, so paths are deterministic.
                    if old is None or nd < old or (nd == old and u < t.toward.get(v, u)):
                        t.cost[v] = nd
                        t.latency[v] = t.latency[u] + lat
                        t.toward[v] = u
                        heapq.heappush(heap, (nd, v))
        self._trees[root] = t
        return t

    def _root(self, a: str, b: str) -> tuple[str, bool]:
        """Which end to root the shortest-path tree at: one already computed if possible
        (circuit and breakout sites), so work stays per infrastructure site, not per site."""
        if a in self._trees and b not in self._trees:
            return a, True
        return b, False

    def reachable(self, a: str, b: str) -> bool:
        if a == b:
            return a in self._adj
        root, flipped = self._root(a, b)
        return (b if flipped else a) in self.tree(root).cost

    def wan_latency(self, a: str, b: str) -> Ms | None:
        if a == b:
            return ZERO
        root, flipped = self._root(a, b)
        return self.tree(root).latency.get(b if flipped else a)

    def wan_cost(self, a: str, b: str) -> float | None:
        if a == b:
            return 0.0
        root, flipped = self._root(a, b)
        return self.tree(root).cost.get(b if flipped else a)

    def wan_path(self, a: str, b: str) -> list[str]:
        """Sites from a to b inclusive (empty when b cannot be reached)."""
        if a == b:
            return [a]
        root, flipped = self._root(a, b)
        leaf = b if flipped else a
        t = self.tree(root)
        if leaf not in t.cost:
            return []
        out = [leaf]
        while out[-1] != root:
            out.append(t.toward[out[-1]])
        if flipped:
            out.reverse()
        return out

    def link_latency(self, a: str, b: str) -> Ms:
        for v, _, lat in self._adj.get(a, ()):
            if v == b:
                return lat
        return ZERO

    # -- customer side -----------------------------------------------------------------------
    def admits(self, circuit: str, community: str | None) -> bool:
        return community is not None and community in self._admits.get(circuit, frozenset())

    def er_circuits(self, site: str, cls: DestClass, *, scoped: bool = True) -> list[Candidate]:
        """Circuits that give ``site`` a route for ``cls`` (ignoring route scope if not scoped)."""
        design = self.design
        if not cls.express_route:
            return []
        if scoped and not design.sites[site].er_routes:
            return []
        key = (site, cls.community, cls.region if cls.regional else None, cls.regional)
        cached = self._er.get(key)
        if cached is not None:
            return list(cached)
        out: list[Candidate] = []
        for name, c in design.circuits.items():
            if not c.up or not self.admits(name, cls.community):
                continue
            igp = self.wan_cost(site, c.site)
            if igp is None:
                continue
            lp = c.local_preference
            ignored = False
            if c.region_preference:
                if cls.regional and cls.region is not None and cls.region in c.region_preference:
                    lp = c.region_preference[cls.region]
                elif not cls.regional:
                    ignored = True
            out.append(Candidate(name, lp, igp, ignored))
        self._er[key] = tuple(out)
        return out

    def lookup(self, site: str, cls: DestClass) -> RouteChoice:
        if not cls.regional and cls.region is not None:
            cls = DestClass(cls.express_route, cls.community, None, False)
        key = (site, cls)
        got = self._choices.get(key)
        if got is not None:
            return got
        cands = self.er_circuits(site, cls)
        if cands:
            cands.sort(key=lambda c: (-c.local_preference, c.igp, c.circuit))
            best = cands[0]
            tied = tuple(
                c.circuit
                for c in cands
                if c.local_preference == best.local_preference and c.igp == best.igp
            )
            why = "highest local preference" if len(cands) > 1 else "only ExpressRoute route"
            if len(cands) > 1 and cands[1].local_preference == best.local_preference:
                why = "lowest IGP distance" if len(tied) == 1 else "tie broken by circuit name"
            got = RouteChoice(
                Via.EXPRESSROUTE,
                circuit=best.circuit,
                candidates=tuple(cands),
                tie_break=tied if len(tied) > 1 else (),
                why=why,
            )
        else:
            b = self.design.site_breakout(site)
            if b is not None and b in self.design.breakouts and self.design.breakouts[b].up:
                bsite = self.design.breakouts[b].site
                if self.reachable(site, bsite):
                    got = RouteChoice(Via.INTERNET, breakout=b, why="default route")
            if got is None:
                got = RouteChoice(Via.NONE, why=self._no_route_reason(site, cls, b))
        self._choices[key] = got
        return got

    def _no_route_reason(self, site: str, cls: DestClass, breakout: str | None) -> str:
        if breakout is None:
            return "no ExpressRoute route and no internet breakout"
        if breakout not in self.design.breakouts:
            return f"breakout {breakout} is not defined"
        if not self.design.breakouts[breakout].up:
            return f"no ExpressRoute route and breakout {breakout} is down"
        return f"no ExpressRoute route and breakout {breakout} cannot be reached over the WAN"

    # -- Microsoft side ----------------------------------------------------------------------
    def _microsoft_adverts(self) -> list[Advert]:
        out: list[Advert] = []
        for name, c in self.design.circuits.items():
            if not c.up:
                continue
            pasn = c.prepend_asn if c.prepend_asn is not None else c.peer_asn
            for p in c.advertises:
                extra = c.prepend.get(p, 0)
                # Microsoft strips private ASNs from the path: prepending one adds nothing.
                if is_private_asn(pasn):
                    extra = 0
                out.append(Advert(p, Via.EXPRESSROUTE, name, 1 + extra))
        for name, b in self.design.breakouts.items():
            if not b.up:
                continue
            for p in b.advertises:
                out.append(Advert(p, Via.INTERNET, name))
            for n in b.nat:
                if not any(n.subnet_of(p) for p in b.advertises):
                    out.append(Advert(n, Via.INTERNET, name, implicit=True))
        return out

    def microsoft_choice(self, addr: IPv4Address) -> tuple[Advert, ...]:
        """Every route Microsoft may use toward ``addr`` (ECMP keeps them all)."""
        got = self._ms_choice.get(addr)
        if got is not None:
            return got
        covering = [a for a in self.adverts if addr in a.prefix]
        if not covering:
            got = ()
        else:
            longest = max(a.length for a in covering)
            best = [a for a in covering if a.length == longest]
            if any(a.via is Via.EXPRESSROUTE for a in best):
                best = [a for a in best if a.via is Via.EXPRESSROUTE]
            shortest = min(a.as_path for a in best)
            best = [a for a in best if a.as_path == shortest]
            seen: set[tuple[Via, str]] = set()
            uniq: list[Advert] = []
            for a in sorted(best, key=lambda a: (a.via.value, a.name)):
                if (a.via, a.name) not in seen:
                    seen.add((a.via, a.name))
                    uniq.append(a)
            got = tuple(uniq)
        self._ms_choice[addr] = got
        return got

    def competing(self, addr: IPv4Address) -> list[Advert]:
        """Every advertisement covering ``addr`` (for explaining a choice)."""
        return [a for a in self.adverts if addr in a.prefix]
