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
    """Shortest paths from every site to one root site over WAN links that are up.

    Grown on demand (``Routing._settle``): Dijkstra runs only as far as the sites asked about,
    and resumes when a farther one is asked. Paused or not, it performs the same steps in the
    same order, so every answer is the one a complete run gives.
    """

    root: str
    cost: dict[str, float] = field(default_factory=dict)
    latency: dict[str, Ms] = field(default_factory=dict)
    toward: dict[str, str] = field(default_factory=dict)  # next site on the way to root
    heap: list[tuple[float, str]] = field(default_factory=list)
    done: set[str] = field(default_factory=set)
    complete: bool = False


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
        # Where shortest-path trees are rooted (``_root``): lower rank first.
        self._rank: dict[str, int] = {}
        for service in design.services.values():
            self._rank[service.site] = 2
        for site in design.sites.values():
            if site.proxy.site is not None:
                self._rank[site.proxy.site] = 2
        for bk in design.breakouts.values():
            self._rank[bk.site] = 1
        for c in design.circuits.values():
            self._rank[c.site] = 0
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
        self._index: dict[int, dict[int, list[tuple[int, Advert]]]] | None = None
        # The circuits up and admitting a community, in design order, and the IGP distance from
        # each site to each circuit that is up: classes that share the admitting circuits share
        # their candidates and route choice, so the work is per site, not per class.
        self._admitting: dict[str | None, tuple[str, ...]] = {}
        self._igp: dict[str, dict[str, float | None]] = {}
        self._er_shared: dict[
            tuple[str, tuple[str, ...], str | None, bool], tuple[Candidate, ...]
        ] = {}
        self._made: dict[tuple[str, str, int, bool], Candidate] = {}  # shared between classes
        self._plain: dict[str, dict[str, Candidate | None]] = {}
        self._to_circuits: dict[str, dict[str, tuple[float, Ms]]] = {}
        self._default: dict[str, RouteChoice] = {}  # without an ExpressRoute route
        self._er_choice: dict[int, RouteChoice] = {}  # by id of a tuple kept in _er_shared

    # -- WAN ---------------------------------------------------------------------------------
    def tree(self, root: str) -> Tree:
        """Dijkstra from ``root`` (the WAN is undirected: distance to root = distance from it)."""
        t = self._trees.get(root)
        if t is None:
            t = self._start(root)
        if not t.complete:
            self._settle(t, None)
        return t

    def _start(self, root: str) -> Tree:
        t = Tree(root)
        if root in self._adj:
            t.cost[root] = 0.0
            t.latency[root] = ZERO
            t.heap.append((0.0, root))
        else:
            t.complete = True
        self._trees[root] = t
        return t

    def _toward(self, root: str, leaf: str) -> Tree:
        """The tree of ``root``, grown until what it says about ``leaf`` is final."""
        t = self._trees.get(root)
        if t is None:
            t = self._start(root)
        if not t.complete:
            c = t.cost.get(leaf)
            if c is None or t.heap[0][0] <= c:  # else final already (see _settle)
                self._settle(t, leaf)
        return t

    def _settle(self, t: Tree, leaf: str | None) -> None:
        """Run Dijkstra on until ``leaf``'s entry is final (``None``: to the end).

        Weights are never negative, so a site popped at a distance above ``leaf``'s can no
        longer change it (nor anything on its path to the root): stopping there is safe.
        """
        heap, done, cost, latency, toward = t.heap, t.done, t.cost, t.latency, t.toward
        adj = self._adj
        while heap:
            if leaf is not None:
                c = cost.get(leaf)
                if c is not None and heap[0][0] > c:
                    return
            d, u = heapq.heappop(heap)
            if u in done:
                continue
            done.add(u)
            for v, w, lat in adj[u]:
                nd = d + w
                old = cost.get(v)
                # Ties: keep the lower-named predecessor, so paths are deterministic.
                if old is None or nd < old or (nd == old and u < toward.get(v, u)):
                    cost[v] = nd
                    latency[v] = latency[u] + lat
                    toward[v] = u
                    heapq.heappush(heap, (nd, v))
        t.complete = True

    def _root(self, a: str, b: str) -> tuple[str, bool]:
        """Which end to root the shortest-path tree at: the infrastructure end (circuit, then
        breakout, then proxy or server site), else ``b``. The choice depends only on the two
        sites, never on what was asked before, so ``trace`` and ``verify`` agree to the last
        bit; and trees stay per infrastructure site, not per site."""
        rank = self._rank
        if rank.get(a, 3) < rank.get(b, 3):
            return a, True
        return b, False

    def reachable(self, a: str, b: str) -> bool:
        if a == b:
            return a in self._adj
        root, flipped = self._root(a, b)
        leaf = b if flipped else a
        return leaf in self._toward(root, leaf).cost

    def wan_latency(self, a: str, b: str) -> Ms | None:
        if a == b:
            return ZERO
        rank = self._rank  # ``_root`` inlined: asked once per (site, class) on the hot path
        if rank.get(a, 3) < rank.get(b, 3):
            return self._toward(a, b).latency.get(b)
        return self._toward(b, a).latency.get(a)

    def wan_cost(self, a: str, b: str) -> float | None:
        if a == b:
            return 0.0
        rank = self._rank
        if rank.get(a, 3) < rank.get(b, 3):
            return self._toward(a, b).cost.get(b)
        return self._toward(b, a).cost.get(a)

    def wan_path(self, a: str, b: str) -> list[str]:
        """Sites from a to b inclusive (empty when b cannot be reached)."""
        if a == b:
            return [a]
        root, flipped = self._root(a, b)
        leaf = b if flipped else a
        t = self._toward(root, leaf)
        if leaf not in t.cost:
            return []
        out = [leaf]
        while out[-1] != root:
            out.append(t.toward[out[-1]])
        if flipped:
            out.reverse()
        return out

    def circuit_distances(self, site: str) -> dict[str, tuple[float, Ms]]:
        """IGP cost and latency from ``site`` to the site of every circuit that is up and
        reachable (``wan_cost`` and ``wan_latency``, asked once per site)."""
        got = self._to_circuits.get(site)
        if got is None:
            got = {}
            for name, c in self.design.circuits.items():
                if not c.up:
                    continue
                if site == c.site:
                    got[name] = (0.0, ZERO)
                    continue
                root, flipped = self._root(site, c.site)  # one tree answers both
                leaf = c.site if flipped else site
                t = self._toward(root, leaf)
                cost = t.cost.get(leaf)
                if cost is not None:
                    got[name] = (cost, t.latency[leaf])
            self._to_circuits[site] = got
        return got

    def link_latency(self, a: str, b: str) -> Ms:
        for v, _, lat in self._adj.get(a, ()):
            if v == b:
                return lat
        return ZERO

    # -- customer side -----------------------------------------------------------------------
    def site_breakout(self, site: str) -> str | None:
        """``Design.site_breakout`` without its scan of every breakout (asked once per site)."""
        explicit = self.design.sites[site].breakout
        if explicit is not None:
            return explicit
        here = self.breakouts_at.get(site)
        return here[0] if here else None

    def site_resolver_egress(self, site: str) -> str | None:
        """``Design.site_resolver_egress``, through ``site_breakout`` above."""
        explicit = self.design.sites[site].resolver_egress
        return explicit if explicit is not None else self.site_breakout(site)

    def admits(self, circuit: str, community: str | None) -> bool:
        return community is not None and community in self._admits.get(circuit, frozenset())

    def er_circuits(self, site: str, cls: DestClass, *, scoped: bool = True) -> list[Candidate]:
        """Circuits that give ``site`` a route for ``cls`` (ignoring route scope if not scoped)."""
        return list(self.er_candidates(site, cls, scoped=scoped))

    def er_candidates(
        self, site: str, cls: DestClass, *, scoped: bool = True
    ) -> tuple[Candidate, ...]:
        """``er_circuits`` as a shared tuple: the same object for every class whose community
        the same circuits admit (callers may key further memos on it)."""
        if not cls.express_route:
            return ()
        if scoped and not self.design.sites[site].er_routes:
            return ()
        key = (site, cls.community, cls.region if cls.regional else None, cls.regional)
        cached = self._er.get(key)
        if cached is not None:
            return cached
        admitting = self._admitting.get(cls.community)
        if admitting is None:
            admitting = tuple(
                name
                for name, c in self.design.circuits.items()
                if c.up and self.admits(name, cls.community)
            )
            self._admitting[cls.community] = admitting
        shared_key = (site, admitting, cls.region if cls.regional else None, cls.regional)
        out = self._er_shared.get(shared_key)
        if out is None:
            out = self._candidates(site, admitting, cls)
            self._er_shared[shared_key] = out
        self._er[key] = out
        return out

    def _candidates(
        self, site: str, admitting: tuple[str, ...], cls: DestClass
    ) -> tuple[Candidate, ...]:
        circuits = self.design.circuits
        # Per site and circuit: the IGP distance (None: unreachable), and the candidate when
        # the circuit's preference does not depend on the class (no region preference).
        plain = self._plain.get(site)
        if plain is None:
            plain = self._plain[site] = {}
        distances = self.circuit_distances(site)
        out: list[Candidate] = []
        for name in admitting:
            if name in plain:
                cand = plain[name]
                if cand is not None:
                    out.append(cand)
                continue
            c = circuits[name]
            dist = distances.get(name)
            igp = None if dist is None else dist[0]
            if not c.region_preference:
                cand = None if igp is None else Candidate(name, c.local_preference, igp, False)
                plain[name] = cand
                if cand is not None:
                    out.append(cand)
                continue
            if igp is None:
                continue
            lp = c.local_preference
            ignored = False
            if cls.regional and cls.region is not None and cls.region in c.region_preference:
                lp = c.region_preference[cls.region]
            elif not cls.regional:
                ignored = True
            key = (site, name, lp, ignored)
            cand = self._made.get(key)
            if cand is None:
                cand = self._made[key] = Candidate(name, lp, igp, ignored)
            out.append(cand)
        return tuple(out)

    def lookup(self, site: str, cls: DestClass) -> RouteChoice:
        if not cls.regional and cls.region is not None:
            cls = DestClass(cls.express_route, cls.community, None, False)
        key = (site, cls)
        got = self._choices.get(key)
        if got is not None:
            return got
        shared = self.er_candidates(site, cls)
        if shared:
            got = self._er_choice.get(id(shared))
            if got is not None:
                self._choices[key] = got
                return got
            cands = sorted(shared, key=lambda c: (-c.local_preference, c.igp, c.circuit))
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
            self._er_choice[id(shared)] = got
        else:
            got = self._default.get(site)
            if got is None:
                b = self.site_breakout(site)
                if b is not None and b in self.design.breakouts and self.design.breakouts[b].up:
                    bsite = self.design.breakouts[b].site
                    if self.reachable(site, bsite):
                        got = RouteChoice(Via.INTERNET, breakout=b, why="default route")
                if got is None:
                    got = RouteChoice(Via.NONE, why=self._no_route_reason(site, cls, b))
                self._default[site] = got
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
        covering = self._covering(addr)
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

    def _covering(self, addr: IPv4Address) -> list[Advert]:
        """``[a for a in self.adverts if addr in a.prefix]`` through an index by prefix length
        (a large design has a thousand advertisements and hundreds of addresses to place)."""
        if self._index is None:
            self._index = {}
            for i, a in enumerate(self.adverts):
                table = self._index.setdefault(a.prefix.prefixlen, {})
                table.setdefault(int(a.prefix.network_address), []).append((i, a))
        x = int(addr)
        found: list[tuple[int, Advert]] = []
        for length, table in self._index.items():
            hit = table.get(x & (0xFFFFFFFF ^ (0xFFFFFFFF >> length)))
            if hit:
                found.extend(hit)
        found.sort(key=lambda ia: ia[0])  # in advertisement order, as the scan gives them
        return [a for _, a in found]

    def competing(self, addr: IPv4Address) -> list[Advert]:
        """Every advertisement covering ``addr`` (for explaining a choice)."""
        return [a for a in self.adverts if addr in a.prefix]
