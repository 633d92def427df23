"""Each router's own table: where it sends a packet for a destination, and why.

Customer routers: the IGP for internal prefixes, the ExpressRoute routes their BGP decision
keeps, the default route (docs/flow-semantics.md "Inside the customer network"). Microsoft's and
the internet's tables are theirs (``engine.external``); a destination's class holds their
decisions too. Decisions depend on the destination only, so they are remembered per router and
destination class.
"""

from __future__ import annotations

import copy
from array import array
from ipaddress import IPv4Network

from erplan.engine.aging import Aging
from erplan.engine.external import ExternalRoutes
from erplan.engine.igp import INF, Igp
from erplan.engine.network import Network, device_address
from erplan.engine.nodes import Kind
from erplan.engine.ranges import PrefixTable
from erplan.engine.routes import (
    Act,
    Decision,
    DstClass,
    Entry,
    Internal,
    Microsoft365,
    Regional,
    RouteClass,
    SrcClass,
)
from erplan.facts import LINKS, circuit_communities, region_preferences, session_up, source_filter


class Tables:
    def __init__(self, net: Network, igp: Igp) -> None:
        self.net = net
        self.igp = igp
        design, catalogs = net.design, net.catalogs
        self.customer: PrefixTable[Entry] = PrefixTable()
        # Microsoft's and the internet's routes: what they learn from the design.
        self.external = ExternalRoutes(net)
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
            self.customer.add(p, Microsoft365(frozenset(cs), frozenset(regional.get(p, ()))))
        # Internal routes win over a Microsoft prefix; shorter ones first, so that each knows
        # the entry it falls back to when no holder is reachable.
        for p, owners in sorted(anchors.items(), key=lambda kv: kv[0].prefixlen):
            self.customer.add(p, Internal(tuple(owners), self.customer.covering(p)))
        # Per circuit: what its route filter admits, its usable links, its local preference
        # per regional community (guide 000 §7.3.1: only routes that carry one match it).
        self.admits = {c: circuit_communities(design, catalogs, c) for c in design.circuits}
        self.region_prefs = {c: region_preferences(design, catalogs, c) for c in design.circuits}
        self.links_up = self._links_up()
        self._memo: dict[tuple[str, object, str | None], Decision] = {}
        self.circuit_names = tuple(design.circuits)
        self._reach: dict[str, array[int]] = {}
        self._prefs: dict[frozenset[str], tuple[int, ...]] = {}
        # Clients that may not reach the internet directly (guide 000 §2.2); the hosts that
        # stand apart from them (proxies, resolvers, servers) may.
        self.no_direct: PrefixTable[str] = PrefixTable()
        for name, site in design.sites.items():
            if not site.proxy.direct_internet:
                for p in site.prefixes:
                    self.no_direct.add(p, name)
        self.may_leave = net.apart
        self.proxies: set[int] = set()  # proxies on the internet the clients may reach
        # Proxies whose connections leave by a breakout of their own (device `egress`).
        self.egress: dict[int, str] = {}
        for dev in design.devices.values():
            if dev.egress is not None and dev.egress in design.breakouts:
                address = device_address(design, dev)
                if address is not None:
                    self.egress[address] = dev.egress
        self._admitting: dict[frozenset[str], frozenset[str]] = {}
        # Microsoft's inbound filter on each circuit: the public prefixes advertised on it.
        self.filters: dict[str, PrefixTable[bool]] = {}
        for name in design.circuits:
            t: PrefixTable[bool] = PrefixTable()
            for p in source_filter(design, name):
                t.add(p, True)
            self.filters[name] = t
        # Classes are numbered (a number hashes fast in the walk's memo keys).
        self.dst_classes: list[DstClass] = []
        self.src_classes: list[SrcClass] = []
        self._dst_ids: dict[int, int] = {}
        self._src_ids: dict[int, int] = {}
        self._dst_numbers: dict[DstClass, int] = {}
        self._src_numbers: dict[SrcClass, int] = {}

    def over(self, net: Network, igp: Igp) -> Tables:
        """These tables over the same network with only WAN wires down (``net``, ``igp``):
        prefixes, filters, circuits and classes of addresses do not depend on the WAN; the
        routers' decisions do and start afresh."""
        got = copy.copy(self)
        got.net, got.igp = net, igp
        got._memo, got._reach = {}, {}
        got.proxies = set(self.proxies)
        got._admitting = dict(self._admitting)
        got.dst_classes, got.src_classes = list(self.dst_classes), list(self.src_classes)
        got._dst_ids, got._src_ids = dict(self._dst_ids), dict(self._src_ids)
        got._dst_numbers, got._src_numbers = dict(self._dst_numbers), dict(self._src_numbers)
        return got

    def down(self, net: Network, igp: Igp) -> Tables:
        """These tables over the same network with circuits, links, breakouts or devices down
        and nothing else changed (``Network.with_down``): prefixes, filters, preferences and
        proxies' egresses do not depend on what is up. What Microsoft and the internet learn is
        taken again where it changed (``ExternalRoutes.down``); classes of addresses are kept
        only when it did not. The routers' decisions and the usable links start afresh."""
        got = copy.copy(self)
        got.net, got.igp = net, igp
        got._memo, got._reach = {}, {}
        got.proxies = set(self.proxies)
        got._admitting = dict(self._admitting)
        got.external = self.external.down(net.design)
        got.links_up = got._links_up()
        if got.external is self.external:
            # Microsoft's and the internet's decisions are the same: so is every class.
            got.dst_classes, got.src_classes = list(self.dst_classes), list(self.src_classes)
            got._dst_ids, got._src_ids = dict(self._dst_ids), dict(self._src_ids)
            got._dst_numbers, got._src_numbers = dict(self._dst_numbers), dict(self._src_numbers)
            return got
        got.dst_classes, got.src_classes = [], []
        got._dst_ids, got._src_ids, got._dst_numbers, got._src_numbers = {}, {}, {}, {}
        return got

    def _links_up(self) -> dict[str, tuple[str, ...]]:
        """Per circuit, the links whose session is up and whose wires are."""
        net, design = self.net, self.net.design
        out: dict[str, tuple[str, ...]] = {}
        for name in design.circuits:
            usable = []
            for link in LINKS:
                lid = f"link:{name}/{link}"
                if (
                    session_up(design, name, link)
                    and net.wires[f"ce:{name}"][lid].up
                    and net.wires[lid][f"msee:{name}/{link}"].up
                ):
                    usable.append(lid)
            out[name] = tuple(usable)
        return out

    # -- classes of addresses -------------------------------------------------------------------
    def dst_class(self, dst: int) -> int:
        """The number of the destination's class: everything a routed stretch decides from a
        destination (the customer routers' route class, Microsoft's and the internet's decisions,
        and whether it stays in the customer's space or is a proxy the clients may reach).
        Packets whose destinations share a class are routed alike."""
        got = self._dst_ids.get(dst)
        if got is None:
            external = self.external
            inside = external.is_customer(dst) or dst in self.proxies
            cls = DstClass(
                self.route_class(dst),
                external.microsoft_decision(dst),
                external.internet_decision(dst),
                inside,
            )
            got = self._dst_numbers.setdefault(cls, len(self.dst_classes))
            if got == len(self.dst_classes):
                self.dst_classes.append(cls)
            self._dst_ids[dst] = got
        return got

    def src_class(self, src: int) -> int:
        """The number of the source's class: the circuits whose inbound filter admits it, and
        the site whose perimeter keeps it from the internet."""
        got = self._src_ids.get(src)
        if got is None:
            admitted = frozenset(c for c, t in self.filters.items() if t.covers(src))
            blocked = None
            if src not in self.may_leave:
                found = self.no_direct.lookup(src)
                blocked = None if found is None else found[1]
            cls = SrcClass(admitted, blocked, self.egress.get(src))
            got = self._src_numbers.setdefault(cls, len(self.src_classes))
            if got == len(self.src_classes):
                self.src_classes.append(cls)
            self._src_ids[src] = got
        return got

    def entry(self, dst: int) -> Entry | None:
        found = self.customer.lookup(dst)
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
        return max(matched) if matched else self.net.design.circuits[circuit].local_preference

    # -- customer routers -----------------------------------------------------------------------
    def customer_decision(self, router: str, dst: int) -> Decision:
        return self.customer_decision_for(router, self.dst_classes[self.dst_class(dst)].route)

    def customer_decision_for(
        self, router: str, cls: RouteClass, egress: str | None = None
    ) -> Decision:
        key = (router, cls, egress)
        got = self._memo.get(key)
        if got is None:
            got = self._decide(router, cls, egress)
            self._memo[key] = got
        return got

    def _decide(self, router: str, cls: RouteClass, egress: str | None) -> Decision:
        if isinstance(cls, Internal):
            inside = self._internal(router, cls)
            if inside.act is not Act.NO_ROUTE:
                return inside
            # No holder reachable: the prefix is not in this router's table, and the next
            # longest match decides (a covering prefix, else the default route).
            return self._decide(router, self.class_of(cls.covering), egress)
        if isinstance(cls, Regional):
            got = self._expressroute(router, cls.circuits, cls.regional)
            if got is not None:
                return got
        elif cls is not None:
            got = self._expressroute(router, cls)
            if got is not None:
                return got
        if egress is not None and self.net.nodes[router].kind is Kind.SITE:
            return self._policy(router, egress)
        return self._default(router)

    def reaches(self, router: str, entry: Internal) -> bool:
        """Whether the router has a route to a holder of the internal prefix (or is one)."""
        return self._internal(router, entry).act is not Act.NO_ROUTE

    def _policy(self, router: str, egress: str) -> Decision:
        """The default route of a source that leaves by its own breakout (a proxy's egress):
        towards that breakout, wherever the packet is."""
        target = f"edge:{egress}"
        if self.net.design.breakouts[egress].up and self.igp.reachable(router, target):
            nexts = self.igp.toward(router, target)
            if nexts:
                return Decision(
                    Act.FORWARD,
                    tuple(sorted(nexts)),
                    route=f"policy route to breakout {egress}",
                    toward=(target,),
                )
        return Decision(
            Act.NO_ROUTE,
            route=f"no route to breakout {egress}, this source's egress",
            culprit=("breakouts", egress),
        )

    def _internal(self, router: str, entry: Internal) -> Decision:
        if router in entry.anchors:
            return Decision(Act.DELIVER, route="its own address")
        best, nexts = INF, set()
        nodes, igp = self.net.nodes, self.igp
        for anchor in entry.anchors:
            node = nodes[anchor]
            if node.kind is Kind.DEVICE:
                wire = self.net.device_wire[anchor]
                if not wire.up:
                    continue
                hops: tuple[str, ...]
                if router in (wire.a, wire.b):
                    d, hops = 0, (wire.b if router == wire.a else wire.a,)
                else:
                    d = igp.distance(router, wire.a)
                    hops = igp.toward(router, wire.a)
            else:
                d = igp.distance(router, anchor)
                hops = igp.toward(router, anchor)
            if d >= INF or not hops:
                continue
            if d < best:
                best, nexts = d, set(hops)
            elif d == best:
                nexts.update(hops)
        if not nexts:
            return Decision(
                Act.NO_ROUTE, route="no route to the internal prefix (its holders are unreachable)"
            )
        where = ", ".join(self.net.nodes[a].label for a in entry.anchors)
        return Decision(Act.FORWARD, tuple(sorted(nexts)), route=f"internal route to {where}")

    def _expressroute(
        self, router: str, admitting: frozenset[str], regional: frozenset[str] = frozenset()
    ) -> Decision | None:
        net, design = self.net, self.net.design
        node = net.nodes[router]
        if node.kind in (Kind.LAN, Kind.BREAKOUT):
            return None
        if node.kind is Kind.SITE and not design.sites[node.name].er_routes:
            return None
        # BGP's ranking: local preference, then the router's own circuit, then IGP distance
        # (``_reached``: -1 for its own); every circuit tied at the top is kept.
        reach, prefs = self._reached(router), self._preferences(regional)
        top: tuple[int, int] | None = None
        best: list[str] = []
        for i, name in enumerate(self.circuit_names):
            d = reach[i]
            if d >= INF or name not in admitting:
                continue
            rank = (-prefs[i], d)
            if top is None or rank < top:
                top, best = rank, [name]
            elif rank == top:
                best.append(name)
        if top is None:
            return None
        nexts: set[str] = set()
        for name in best:
            if node.kind is Kind.CE and node.name == name:
                nexts.update(self.links_up[name])
            elif node.kind is Kind.LINK and node.name == name and router in self.links_up[name]:
                nexts.add(f"msee:{name}/{node.link}")
            else:
                nexts.update(self.igp.toward(router, f"ce:{name}"))
        if not nexts:
            return None
        tie = ""
        if len(best) > 1 and not (node.kind is Kind.SITE and design.sites[node.name].multipath):
            tie = (
                f"{node.label}: circuits {', '.join(best)} tie on local preference and IGP distance"
            )
        route = f"ExpressRoute route via {', '.join(best)}"
        if regional and any(r in self.region_prefs[n] for n in best for r in regional):
            tagged = ", ".join(sorted(regional))
            route += f" (local preference {-top[0]} for regional community {tagged})"
        return Decision(
            Act.FORWARD,
            tuple(sorted(nexts)),
            route=route,
            tie=tie,
            culprit=("circuits", best[0]),
            toward=tuple(f"ce:{n}" for n in best),
        )

    def age_decisions(self, limit: int) -> None:
        """Keep the routers' decisions in two generations of ``limit`` (``Aging``), for a run
        that moves on site by site and keeps no traces: a site's own routers are seldom asked
        again once its flows are done, and the decisions are functions of their keys."""
        self._memo = Aging(limit)

    def _reached(self, router: str) -> array[int]:
        """Per circuit in the design's order, how far the router is from its customer edge
        by IGP: -1 for the router's own circuit, INF for one it cannot use (no usable link,
        unreachable). The same whatever a route's filter or communities, so worked out once
        per router, and kept flat: one 8-byte number per circuit (a tuple of rank and name
        per circuit took about 30 MB at 10,000 sites)."""
        got = self._reach.get(router)
        if got is not None:
            return got
        node = self.net.nodes[router]
        got = array("q")
        for name in self.circuit_names:
            if not self.links_up[name]:
                got.append(INF)
            elif (node.kind is Kind.CE and node.name == name) or (
                node.kind is Kind.LINK and node.name == name and router in self.links_up[name]
            ):
                got.append(-1)
            else:
                got.append(min(self.igp.distance(router, f"ce:{name}"), INF))
        self._reach[router] = got
        return got

    def _preferences(self, regional: frozenset[str]) -> tuple[int, ...]:
        """Each circuit's local preference for routes with these regional communities (in
        the design's order; what is up does not change them)."""
        got = self._prefs.get(regional)
        if got is None:
            got = tuple(self.preference(name, regional) for name in self.circuit_names)
            self._prefs[regional] = got
        return got

    def _default(self, router: str) -> Decision:
        net = self.net
        node = net.nodes[router]
        if node.kind is Kind.BREAKOUT:
            if net.wires[router]["internet"].up:
                return Decision(Act.FORWARD, ("internet",), route="default route to the internet")
            return Decision(
                Act.NO_ROUTE,
                route=f"breakout {node.name} is down",
                culprit=("breakouts", node.name),
            )
        if node.kind is not Kind.SITE:
            parent = node.parent
            if parent is not None and net.wires[router][parent].up:
                where = "to the site router" if node.kind is Kind.LAN else "inwards"
                return Decision(Act.FORWARD, (parent,), route=f"default route {where}")
            return Decision(Act.NO_ROUTE, route="no default route")
        design = net.design
        igp = self.igp
        designated = design.site_breakout(node.name)
        if (
            designated is not None
            and design.breakouts[designated].up
            and igp.reachable(router, f"edge:{designated}")
        ):
            chosen = [f"edge:{designated}"]
            route = f"default route to breakout {designated}"
        else:
            reachable = [
                f"edge:{b}"
                for b, bk in design.breakouts.items()
                if bk.up and igp.reachable(router, f"edge:{b}")
            ]
            chosen = self._nearest(router, reachable)
            if not chosen:
                return Decision(
                    Act.NO_ROUTE,
                    route="no default route: no breakout is reachable",
                    culprit=("sites", node.name, "breakout"),
                )
            names = ", ".join(net.nodes[e].name for e in chosen)
            route = f"default route to the nearest breakout ({names})"
        nexts: set[str] = set()
        for e in chosen:
            nexts.update(self.igp.toward(router, e))
        return Decision(Act.FORWARD, tuple(sorted(nexts)), route=route, toward=tuple(chosen))

    def _nearest(self, router: str, targets: list[str]) -> list[str]:
        """The targets nearest to a site router by IGP, every tie (one tree, of the router's
        site, instead of one per target)."""
        if not targets:
            return []
        nodes = self.net.nodes
        dist = self.igp.tree(router)
        best, out = INF, []
        for t in targets:
            d = dist.get(f"site:{nodes[t].site}", INF)
            if d < best:
                best, out = d, [t]
            elif d == best and d < INF:
                out.append(t)
        return out
