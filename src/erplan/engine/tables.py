"""Each router's own table: where it sends a packet for a destination, and why.

Customer routers: the IGP for internal prefixes, the ExpressRoute routes their BGP decision
keeps, the default route (docs/flow-semantics.md "Inside the customer network"). What their
tables hold whatever is up is ``engine.customer``'s; Microsoft's and the internet's tables are
theirs (``engine.external``); a destination's class (``engine.classes``) holds their decisions
too. Decisions depend on the destination only, so they are remembered per router and
destination class.
"""

from __future__ import annotations

import copy
from collections.abc import Callable

from erplan.engine.aging import Aging
from erplan.engine.classes import AddressClasses
from erplan.engine.customer import CustomerRoutes
from erplan.engine.external import ExternalRoutes
from erplan.engine.igp import INF, Igp
from erplan.engine.network import Network
from erplan.engine.nodes import Kind
from erplan.engine.reach import CircuitReach
from erplan.engine.routes import Act, Decision, DstClass, Internal, Regional, RouteClass, SrcClass


class Tables:
    # The walk asks these for every packet: bound to ``classes``'s own (``_bind``), so that
    # no call goes through it.
    dst_class: Callable[[int], int]
    src_class: Callable[[int], int]
    dst_classes: list[DstClass]
    src_classes: list[SrcClass]

    def __init__(self, net: Network, igp: Igp) -> None:
        self.net = net
        self.igp = igp
        self.routes = CustomerRoutes(net)
        # Microsoft's and the internet's routes: what they learn from the design.
        self.external = ExternalRoutes(net)
        self.classes = AddressClasses(net, self.routes, self.external)
        self._bind()
        self.reach = CircuitReach(net, igp, self.routes.circuit_names)
        self.links_up = self.reach.links_up
        self._memo: dict[tuple[str, object, str | None], Decision] = {}

    def _bind(self) -> None:
        c = self.classes
        self.dst_class, self.src_class = c.dst_class, c.src_class
        self.dst_classes, self.src_classes = c.dst_classes, c.src_classes

    def over(self, net: Network, igp: Igp) -> Tables:
        """These tables over the same network with only WAN wires down (``net``, ``igp``):
        prefixes, filters, circuits and classes of addresses do not depend on the WAN; the
        routers' decisions do and start afresh."""
        got = copy.copy(self)
        got.net, got.igp = net, igp
        got._memo = {}
        got.reach = CircuitReach(net, igp, self.routes.circuit_names, self.links_up)
        got.classes = self.classes.again(self.external)
        got._bind()
        return got

    def down(self, net: Network, igp: Igp) -> Tables:
        """These tables over the same network with circuits, links, breakouts or devices down
        and nothing else changed (``Network.with_down``): prefixes, filters, preferences and
        proxies' egresses do not depend on what is up. What Microsoft and the internet learn is
        taken again where it changed (``ExternalRoutes.down``); classes of addresses are kept
        only when it did not. The routers' decisions and the usable links start afresh."""
        got = copy.copy(self)
        got.net, got.igp = net, igp
        got._memo = {}
        got.external = self.external.down(net.design)
        got.reach = CircuitReach(net, igp, self.routes.circuit_names)
        got.links_up = got.reach.links_up
        got.classes = self.classes.again(got.external)
        got._bind()
        return got

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
            return self._decide(router, self.routes.class_of(cls.covering), egress)
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
        # (``CircuitReach.of``: -1 for its own); every circuit tied at the top is kept.
        reach, prefs = self.reach.of(router), self.routes.preferences(regional)
        top: tuple[int, int] | None = None
        best: list[str] = []
        for i, name in enumerate(self.routes.circuit_names):
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
        if regional and any(r in self.routes.region_prefs[n] for n in best for r in regional):
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
