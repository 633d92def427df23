"""DNS as a flow: a site's clients ask the resolver at their resolver egress's site, the
resolver asks the internet out of its breakout (a named resolver egress pins it); a proxy with
an egress of its own resolves by itself. geoDNS answers each with the front ends nearest to the
breakouts its queries leave by (design notes, "DNS")."""

from __future__ import annotations

from erplan.catalogs import FrontEnd
from erplan.engine.connect import connect
from erplan.engine.earlier import combine, failed
from erplan.engine.legs import Legs
from erplan.engine.origins import Origins, ProxyHop, Resolving, Sources
from erplan.engine.sessions import Context, Culprit
from erplan.engine.trace import Branch, Direction, Disposition, Flow, FlowTrace, Outcome
from erplan.latency import Geo
from erplan.model import Design


class Dns:
    def __init__(
        self,
        design: Design,
        geo: Geo,
        legs: Legs,
        o: Origins,
        resolvers_down: frozenset[str],
    ) -> None:
        self.design = design
        # The resolver egresses whose resolvers are down (docs/flow-semantics.md "Resolver").
        self.resolvers_down = resolvers_down
        self.geo = geo
        self.legs = legs
        self.walker = legs.walker
        self.o = o
        self.traces: dict[str, FlowTrace] = {}
        self._answers: dict[Resolving, list[tuple[FrontEnd, float]]] = {}
        self._proxy_dns: dict[ProxyHop, FlowTrace] = {}

    def forget(self, site: str) -> None:
        """Drop the DNS trace of ``site`` and the leg to its resolvers (made again, the same,
        if asked for later): for a caller that keeps no traces once it has judged a site's."""
        self.traces.pop(site, None)
        self.legs.memo.pop(("dns", site), None)

    def dns(self, site: str) -> FlowTrace:
        got = self.traces.get(site)
        if got is None:
            got = self._trace_dns(self.o.dns(site))
            self.traces[site] = got
        return got

    def resolved(self, r: Resolving) -> FlowTrace:
        """The DNS trace the names of flows resolved by ``r`` depend on: its site's clients',
        or a proxy's own."""
        if r.proxy is None:
            return self.dns(r.site)
        got = self._proxy_dns.get(r.proxy)
        if got is None:
            got = self._proxy_dns[r.proxy] = self._trace_proxy_dns(r.site, r.proxy)
        return got

    def answers(self, r: Resolving) -> list[tuple[FrontEnd, float]]:
        """The front ends geoDNS answers ``r``'s queries with, each the one nearest to a
        breakout they leave by, with its share of the queries that get an answer (most
        answered first; ties by the front end's name, never the design's)."""
        got = self._answers.get(r)
        if got is None:
            got = self._answers[r] = self._answer(r)
        return got

    def _answer(self, r: Resolving) -> list[tuple[FrontEnd, float]]:
        by: dict[str, tuple[FrontEnd, float]] = {}
        total = 0.0
        for b in self.resolved(r).branches:
            if b.outcome.works and b.forward.edge is not None:
                _, fe = self.geo.breakout_internet(b.forward.edge.split(":", 1)[1])
                got = by.get(fe.name)
                by[fe.name] = (fe, (got[1] if got else 0.0) + b.weight)
                total += b.weight
        if total <= 0.0:
            return []
        return sorted(
            ((fe, w / total) for fe, w in by.values()), key=lambda x: (-round(x[1], 9), x[0].name)
        )

    def _trace_proxy_dns(self, site: str, hop: ProxyHop) -> FlowTrace:
        """A proxy with an egress of its own resolves by itself: its query goes from its
        address to the internet's DNS server, and its policy route (``Tables.egress``) lets it
        out by that egress only, as its connections."""
        o = self.o
        flow = Flow(
            f"dns/{hop.name}",
            Direction.DNS,
            site,
            53,
            "udp",
            start=site,
            resolver=hop.egress,
            destination=o.dns_host,
            kind="dns",
        )
        if hop.address is None:
            return failed(flow, f"the proxy {hop.name} has no address", ("sites", site, "prefixes"))
        main = connect(
            self.walker,
            f"lan:{site}",
            [(hop.address, 1.0)],
            o.dns_host,
            Context(microsoft_end=False),
            home=f"lan:{site}",
            delivered_at="internet",
        )
        return FlowTrace(flow, tuple(main))

    def _trace_dns(self, flow: Flow) -> FlowTrace:
        d, o = self.design, self.o
        site = flow.origin
        resolver = d.site_resolver_egress(site)
        if resolver is not None and resolver in self.resolvers_down:
            why = f"the resolvers at egress {resolver}, which site {site} uses, are down"
            return failed(flow, why, ("sites", site, "resolver_egress"), cause="dns")
        # Without a resolver egress or a breakout, the site resolves itself and its queries
        # leave by its default route.
        rsite = d.breakouts[resolver].site if resolver is not None else site
        raddr = o.resolver_address(rsite)
        before: list[Branch] = []
        if rsite != site:
            users = o.users(site)
            if users is None:
                return failed(
                    flow,
                    f"site {site} has no prefixes: its clients have no address",
                    ("sites", site, "prefixes"),
                )
            before = self.legs.leg(f"lan:{site}", users, raddr, f"lan:{rsite}")
        # The resolver's own queries are the same for every site that uses it: walked once.
        main = self.legs.memo.get(("dns", rsite))
        if main is None:
            main = self.legs.memo[("dns", rsite)] = connect(
                self.walker,
                f"lan:{rsite}",
                Sources.one(raddr).addresses(),
                o.dns_host,
                Context(microsoft_end=False),
                home=f"lan:{rsite}",
                delivered_at="internet",
            )
        if d.sites[site].resolver_egress is not None and resolver is not None:
            main = self._pinned(main, site, resolver)
        return combine(
            flow, before, main, f"the clients cannot reach the resolver at {rsite}", "resolver"
        )

    def _pinned(self, main: list[Branch], site: str, resolver: str) -> list[Branch]:
        """A named resolver egress is where the queries must leave (DESIGN.md, outbound step
        2): the resolver forwards through that breakout, so queries that would leave by
        another one, because it is down or off their route, get no answer."""
        egress = f"breakout:{resolver}"
        out = []
        for b in main:
            if not b.outcome.works or b.forward.edge == egress:
                out.append(b)
                continue
            # Read from the network, which a failure sweep marks down without a new design.
            net, cause = self.walker.net, "dns"
            dead = [
                n
                for n in self.design.breakouts[resolver].devices
                if any(not net.nodes[p].up for p in net.device_positions(n))
            ]
            if not net.nodes[f"edge:{resolver}"].up:
                why = f"breakout {resolver}, the resolver egress of site {site}, is down"
                culprit: Culprit = ("breakouts", resolver)
            elif dead:
                # The breakout is up but cut off: the device is the fix, not the egress.
                why = (
                    f"device {dead[0]} on the way to breakout {resolver}, the resolver egress "
                    f"of site {site}, is down"
                )
                culprit, cause = ("devices", dead[0], "up"), "dns-device-down"
            else:
                why = (
                    f"the resolver's queries would leave by {b.forward.edge}, not by breakout "
                    f"{resolver}, the resolver egress of site {site}"
                )
                culprit = ("sites", site, "resolver_egress")
            # The path names the breakout too: the row stands on its state and its device's.
            on = ("breakouts", resolver) if cause == "dns-device-down" else culprit
            fwd = b.forward._replace(
                disposition=Disposition.UNREACHABLE, reason=why, culprit=on, cause=cause
            )
            out.append(Branch(b.weight, fwd, None, Outcome.UNREACHABLE, why, culprit, b.ties))
        return out
