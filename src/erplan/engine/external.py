"""The tables of the networks beyond the customer's: what Microsoft learns on each link's BGP
session and the internet from each breakout, and where each of them sends a packet for an
address (docs/flow-semantics.md "Microsoft", "Internet"). Longest prefix first; at Microsoft an
ExpressRoute route before the internet's at equal length, then the shortest AS path, then every
remaining link."""

from __future__ import annotations

import copy
from ipaddress import IPv4Network

from erplan.catalogs import MICROSOFT_INTERNET_BLOCK
from erplan.engine.network import Network
from erplan.engine.ranges import PrefixTable
from erplan.engine.routes import Act, Decision, MsRoute
from erplan.facts import LINKS, as_path_length, internet_routes, learned_prefixes
from erplan.model import Design, LinkName


class ExternalRoutes:
    """Microsoft's and the internet's routes towards the customer, and whose an address is."""

    def __init__(self, net: Network) -> None:
        self.net = net
        design = net.design
        # Present or not is all these two hold (a value is never read).
        self.microsoft_hosts: PrefixTable[bool] = PrefixTable()
        self.customer_space: PrefixTable[bool] = PrefixTable()
        self.microsoft_hosts.add(MICROSOFT_INTERNET_BLOCK, True)
        for es in net.catalogs.endpoint_sets:
            for p in es.ips:
                self.microsoft_hosts.add(p, True)
        for p in net.customer_prefixes():
            self.customer_space.add(p, True)
        # What Microsoft learns on each link's session, and the internet from each breakout.
        self.learned = {
            (name, link): _learned(design, name, link) for name in design.circuits for link in LINKS
        }
        self.advertised = {name: internet_routes(design, name) for name in design.breakouts}
        self.ms_routes: PrefixTable[tuple[MsRoute, ...]] = PrefixTable()
        self.inet_routes: PrefixTable[tuple[str, ...]] = PrefixTable()
        self._route_tables()

    def down(self, design: Design) -> ExternalRoutes:
        """These routes for ``design``: this one's design with circuits, links, breakouts or
        devices down and nothing else changed. What Microsoft learns is taken again for the
        circuits that changed, what the internet learns for the breakouts that changed; these
        very routes when neither learns anything else."""
        old = self.net.design
        learned = {
            (c, link): r if design.circuits[c] is old.circuits[c] else _learned(design, c, link)
            for (c, link), r in self.learned.items()
        }
        advertised = {
            b: r if design.breakouts[b] is old.breakouts[b] else internet_routes(design, b)
            for b, r in self.advertised.items()
        }
        if learned == self.learned and advertised == self.advertised:
            return self
        got = copy.copy(self)
        got.learned, got.advertised = learned, advertised
        got._route_tables()
        return got

    def _route_tables(self) -> None:
        """Microsoft's and the internet's routes from what each session and breakout
        advertises (``learned``, ``advertised``)."""
        ms: dict[IPv4Network, list[MsRoute]] = {}
        for learned in self.learned.values():
            for p, r in learned:
                ms.setdefault(p, []).append(r)
        inet: dict[IPv4Network, list[str]] = {}
        for name, prefixes in self.advertised.items():
            for p in prefixes:
                ms.setdefault(p, []).append(MsRoute("internet"))
                inet.setdefault(p, []).append(f"edge:{name}")
        self.ms_routes = PrefixTable()
        self.inet_routes = PrefixTable()
        for p, routes in ms.items():
            self.ms_routes.add(p, tuple(dict.fromkeys(routes)))
        for p, edges in inet.items():
            self.inet_routes.add(p, tuple(dict.fromkeys(edges)))

    def is_customer(self, dst: int) -> bool:
        return self.customer_space.covers(dst)

    def is_microsoft(self, dst: int) -> bool:
        return self.microsoft_hosts.covers(dst)

    def microsoft_decision(self, dst: int) -> Decision:
        if self.is_microsoft(dst):
            return Decision(Act.DELIVER, route="a Microsoft address")
        found = self.ms_routes.lookup(dst)
        if found is not None:
            length, routes = found
            er = [r for r in routes if r.express_route]
            if er:
                shortest = min(r.as_path for r in er)
                nexts = tuple(sorted(r.node for r in er if r.as_path == shortest))
                names = ", ".join(_edge_id(self.net, n) for n in nexts)
                return Decision(
                    Act.FORWARD, nexts, route=f"/{length} learned over ExpressRoute ({names})"
                )
            return Decision(
                Act.FORWARD, ("internet",), route=f"/{length} learned from the internet"
            )
        if self.is_customer(dst):
            return Decision(Act.NO_ROUTE, route="Microsoft has no route to this address")
        return Decision(Act.FORWARD, ("internet",), route="an internet address")

    def internet_decision(self, dst: int) -> Decision:
        if self.is_microsoft(dst):
            return Decision(Act.FORWARD, ("microsoft",), route="a Microsoft address")
        found = self.inet_routes.lookup(dst)
        if found is not None:
            length, edges = found
            names = ", ".join(self.net.nodes[e].name for e in edges)
            return Decision(Act.FORWARD, edges, route=f"/{length} advertised by {names}")
        if self.is_customer(dst):
            return Decision(Act.NO_ROUTE, route="no breakout advertises this address")
        return Decision(Act.DELIVER, route="an internet host")


def _learned(
    design: Design, circuit: str, link: LinkName
) -> tuple[tuple[IPv4Network, MsRoute], ...]:
    """The routes Microsoft installs from one link's session."""
    node = f"msee:{circuit}/{link}"
    return tuple(
        (p, MsRoute(node, as_path_length(design, circuit, p)))
        for p in learned_prefixes(design, circuit, link)
    )


def _edge_id(net: Network, node: str) -> str:
    edge = net.nodes[node].edge
    return edge.id if edge is not None else node
