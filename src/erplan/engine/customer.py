"""The routes every customer router's table holds, whatever is up.

Internal prefixes with the nodes that hold them, Microsoft 365 prefixes with their communities,
which circuits' route filters admit each, and the local preference each circuit's customer edge
gives a route (docs/flow-semantics.md "Inside the customer network"). What a router then decides
from them depends on what is up (``engine.tables``).
"""

from __future__ import annotations

from ipaddress import IPv4Network

from erplan.engine.network import Network
from erplan.engine.ranges import PrefixTable
from erplan.engine.routes import Entry, Internal, Microsoft365, Regional, RouteClass
from erplan.facts import circuit_communities, region_preferences


class CustomerRoutes:
    def __init__(self, net: Network) -> None:
        design, catalogs = net.design, net.catalogs
        self.table: PrefixTable[Entry] = PrefixTable()
        anchors: dict[IPv4Network, list[str]] = {}
        for prefix, anchor in net.owned:
            anchors.setdefault(prefix, [])
            if anchor not in anchors[prefix]:
                anchors[prefix].append(anchor)
        communities: dict[IPv4Network, set[str]] = {}
        regional: dict[IPv4Network, set[str]] = {}
        for es in catalogs.endpoint_sets:
            if es.express_route and es.community is not None:
                for p in es.ips:
                    communities.setdefault(p, set()).add(es.community)
                    if es.regional_community is not None:
                        regional.setdefault(p, set()).add(es.regional_community)
        for p, cs in communities.items():
            self.table.add(p, Microsoft365(frozenset(cs), frozenset(regional.get(p, ()))))
        # Internal routes win over a Microsoft prefix; shorter ones first, so that each knows
        # the entry it falls back to when no holder is reachable.
        for p, owners in sorted(anchors.items(), key=lambda kv: kv[0].prefixlen):
            self.table.add(p, Internal(tuple(owners), self.table.covering(p)))
        # Per circuit: what its route filter admits, its local preference per regional
        # community (guide 000 §7.3.1: only routes that carry one match it).
        self.circuit_names = tuple(design.circuits)
        self.admits = {c: circuit_communities(design, catalogs, c) for c in design.circuits}
        self.region_prefs = {c: region_preferences(design, catalogs, c) for c in design.circuits}
        self._local = {name: c.local_preference for name, c in design.circuits.items()}
        self._admitting: dict[frozenset[str], frozenset[str]] = {}
        self._prefs: dict[frozenset[str], tuple[int, ...]] = {}

    def entry(self, dst: int) -> Entry | None:
        found = self.table.lookup(dst)
        return None if found is None else found[1]

    def route_class(self, dst: int) -> RouteClass:
        """What every customer router's decision for ``dst`` depends on: the holders of an
        internal prefix, or the circuits whose route filter admits the Microsoft prefix (none:
        the default route decides)."""
        return self.class_of(self.entry(dst))

    def class_of(self, entry: Entry | None) -> RouteClass:
        """The route class of a table entry (``route_class``)."""
        if isinstance(entry, Microsoft365):
            got = self._admitting.get(entry.communities)
            if got is None:
                got = frozenset(c for c, cs in self.admits.items() if cs & entry.communities)
                self._admitting[entry.communities] = got
            if got and entry.regional:
                return Regional(got, entry.regional)
            return got or None
        return entry

    def preference(self, circuit: str, regional: frozenset[str] = frozenset()) -> int:
        """The local preference a circuit's customer edge gives a route with these regional
        communities: the highest of its per-region preferences that match one, else its
        local preference."""
        prefs = self.region_prefs[circuit]
        matched = [prefs[r] for r in regional if r in prefs]
        return max(matched) if matched else self._local[circuit]

    def preferences(self, regional: frozenset[str]) -> tuple[int, ...]:
        """Each circuit's local preference for routes with these regional communities (in
        the design's order; what is up does not change them)."""
        got = self._prefs.get(regional)
        if got is None:
            got = tuple(self.preference(name, regional) for name in self.circuit_names)
            self._prefs[regional] = got
        return got
