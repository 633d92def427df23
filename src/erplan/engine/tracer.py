"""Each kind of flow traced: what must work before it (DNS, the legs to the proxies) and the
connection itself, from where it really starts.

A DNS query is a flow: the client asks the resolver at its resolver egress's site, the resolver
asks the internet. Its failing share fails every flow of the site (design notes, "DNS"). A
proxied flow needs the client's leg to the proxy (and the proxy's to its upstream) first; the
connection to Microsoft starts again at the last proxy.
"""

from __future__ import annotations

from erplan.catalogs import FrontEnd
from erplan.engine.connect import connect
from erplan.engine.earlier import combine, failed, failing_culprit, failing_reason, proxy_down
from erplan.engine.igp import INF, Igp
from erplan.engine.origins import Origins, ProxyHop, Resolving, Sources, resolving_at
from erplan.engine.sessions import Context, Culprit
from erplan.engine.trace import Branch, Direction, Disposition, Flow, FlowTrace, Outcome
from erplan.engine.walk import Walker
from erplan.latency import Geo, Ms
from erplan.model import Design


class Tracer:
    def __init__(
        self,
        design: Design,
        geo: Geo,
        igp: Igp,
        walker: Walker,
        o: Origins,
        *,
        resolvers_down: frozenset[str] = frozenset(),
    ) -> None:
        self.design = design
        # The resolver egresses whose resolvers are down (docs/flow-semantics.md "Resolver").
        self.resolvers_down = resolvers_down
        self.geo = geo
        self.igp = igp
        self.walker = walker
        self.o = o
        self._dns: dict[str, FlowTrace] = {}
        self._legs: dict[tuple[object, ...], list[Branch]] = {}
        self._answers: dict[Resolving, list[tuple[FrontEnd, float]]] = {}
        self._proxy_dns: dict[ProxyHop, FlowTrace] = {}

    def traced(self) -> tuple[dict[str, FlowTrace], dict[tuple[object, ...], list[Branch]]]:
        """The DNS traces (by site) and internal legs worked out so far."""
        return self._dns, self._legs

    def adopt(
        self, dns: dict[str, FlowTrace], legs: dict[tuple[object, ...], list[Branch]]
    ) -> None:
        """Take DNS traces and legs worked out by another tracer that hold here too (a failed
        state takes the baseline's that cross nothing that failed: analyses/failed_state.py)."""
        self._dns.update(dns)
        self._legs.update(legs)

    # -- DNS -----------------------------------------------------------------------------------
    def forget_dns(self, site: str) -> None:
        """Drop the DNS trace of ``site`` and the leg to its resolvers (made again, the same,
        if asked for later): for a caller that keeps no traces once it has judged a site's."""
        self._dns.pop(site, None)
        self._legs.pop(("dns", site), None)

    def dns(self, site: str) -> FlowTrace:
        got = self._dns.get(site)
        if got is None:
            got = self._trace_dns(self.o.dns(site))
            self._dns[site] = got
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

    def resolving(self, flow: Flow) -> Resolving:
        """Who resolves an outbound flow's names (``resolving_at``)."""
        chain = self.chain(flow)
        return resolving_at(flow.origin if chain else flow.start, chain)

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
            before = self._leg(f"lan:{site}", users, raddr, f"lan:{rsite}")
        # The resolver's own queries are the same for every site that uses it: walked once.
        main = self._legs.get(("dns", rsite))
        if main is None:
            main = self._legs[("dns", rsite)] = connect(
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

    # -- outbound ------------------------------------------------------------------------------
    def outbound(self, flow: Flow) -> FlowTrace:
        """A site's users (through their proxies) or a server, to an endpoint set: once per
        front end geoDNS answers, each with its share."""
        if not flow.answers:
            return self._outbound(flow)
        branches: list[Branch] = []
        before: tuple[tuple[str, float, str], ...] = ()
        for name, destination, share in flow.answers:
            one = flow._replace(front_end=name, destination=destination, answers=())
            got = self._outbound(one)
            before = before or got.before
            branches.extend(
                b._replace(weight=b.weight * share, front_end=name) for b in got.branches
            )
        return FlowTrace(flow, tuple(branches), before)

    def _outbound(self, flow: Flow) -> FlowTrace:
        d, o = self.design, self.o
        es = o.catalogs.endpoint_set(flow.endpoint_set or 0)
        assert es is not None
        chain = self.chain(flow)
        resolving = self.resolving(flow)
        if (flow.front_end is None and not flow.third_party) or flow.destination == 0:
            dns = self.resolved(resolving)
            return failed(
                flow,
                f"DNS does not resolve: {failing_reason(dns)}",
                failing_culprit(dns),
                cause="dns",
            )
        fe = o.catalogs.front_end(flow.front_end) if flow.front_end else None
        ms_point = self.geo.fe_point(fe) if fe is not None else None
        if chain and chain[-1].cloud:
            # A cloud proxy connects from the internet: Microsoft answers it there.
            ctx = Context(ms_point=ms_point, microsoft_end=not flow.third_party)
            last = chain[-1]
            assert last.address is not None
            main = connect(
                self.walker,
                "internet",
                [(last.address, 1.0)],
                flow.destination,
                ctx,
                home="internet",
                delivered_at=self.far_end(flow),
            )
        else:
            ctx = Context(
                ms_point=ms_point, microsoft_end=not flow.third_party, given=self.given(flow)
            )
            if chain:
                address = chain[-1].address
                if address is None:
                    return failed(
                        flow,
                        f"the proxy {chain[-1].name} has no address",
                        ("sites", flow.start, "prefixes"),
                    )
                sources = Sources.one(address)
            elif flow.kind == "server":
                sources = Sources.one(int(d.servers[flow.origin].address))
            else:
                users = o.users(flow.start)
                if users is None:
                    return failed(
                        flow,
                        f"site {flow.start} has no prefixes: its users have no address",
                        ("sites", flow.start, "prefixes"),
                    )
                sources = users
            main = connect(
                self.walker,
                f"lan:{flow.start}",
                sources.addresses(),
                flow.destination,
                ctx,
                home=f"lan:{flow.start}",
                delivered_at=self.far_end(flow),
            )
        out = FlowTrace(flow, tuple(main))
        for what, pre in reversed(self.proxy_legs(flow, chain)):
            out = combine(flow, pre, list(out.branches), what, "proxy", out.before, lead=True)
        dns = self.resolved(resolving)
        if 1.0 - sum(b.weight for b in dns.branches if b.outcome.works) > 1e-12:
            out = combine(
                flow,
                list(dns.branches),
                list(out.branches),
                "DNS queries do not get through",
                "dns",
                out.before,
            )
        return out

    def chain(self, flow: Flow) -> tuple[ProxyHop, ...]:
        if flow.kind != "users" or flow.proxy is None:
            return ()
        es = self.o.catalogs.endpoint_set(flow.endpoint_set or 0)
        assert es is not None
        return self.o.proxy_chain(flow.origin, es)

    def proxy_legs(self, flow: Flow, chain: tuple[ProxyHop, ...]) -> list[tuple[str, list[Branch]]]:
        """The connections a proxied flow needs first: client to the first proxy, each proxy to
        its upstream."""
        o = self.o
        out: list[tuple[str, list[Branch]]] = []
        if not chain:
            return out
        prev_site: str | None = flow.origin
        prev_sources = o.users(flow.origin)
        for hop in chain:
            what = f"the connection to the proxy {hop.name} fails"
            if not hop.up and (None in (hop.address, prev_sources) or hop.site == prev_site):
                out.append((what, [proxy_down(hop, None)]))
                break
            if hop.address is None or prev_sources is None or prev_site is None:
                # Nothing reaches a proxy without an address, nor leaves clients without one.
                owner = hop.site if hop.address is None else prev_site
                why = (
                    f"the proxy {hop.name} has no address"
                    if hop.address is None
                    else f"site {owner} has no prefixes: its users have no address"
                )
                lost = failed(flow, why, ("sites", owner or "", "prefixes"))
                out.append((what, list(lost.branches)))
                break
            if hop.cloud:
                ctx = Context(microsoft_end=False)
                pre = self._leg(f"lan:{prev_site}", prev_sources, hop.address, "internet", ctx)
            elif hop.site == prev_site:
                pre = []  # the proxy is on the clients' own network
            else:
                pre = self._leg(f"lan:{prev_site}", prev_sources, hop.address, f"lan:{hop.site}")
            if not hop.up:
                # The clients' connections go where the network sends them (a cloud proxy:
                # out of their breakout) and find nothing answering there.
                out.append((what, [proxy_down(hop, b) if b.outcome.works else b for b in pre]))
                break
            out.append((what, pre))
            if hop.cloud:
                break
            prev_site, prev_sources = hop.site, Sources.one(hop.address)
        return out

    def far_end(self, flow: Flow) -> str:
        """Where an outbound request must be delivered: Microsoft's network for a Microsoft
        front end, the internet for a third party's host."""
        if not flow.third_party and self.o.tables.external.is_microsoft(flow.destination):
            return "microsoft"
        return "internet"

    def _leg(
        self, start: str, sources: Sources, dst: int, at: str, ctx: Context | None = None
    ) -> list[Branch]:
        """An internal connection a flow needs first (to a resolver, to a proxy)."""
        key = (start, sources, dst, at)
        got = self._legs.get(key)
        if got is None:
            got = connect(
                self.walker,
                start,
                sources.addresses(),
                dst,
                ctx or Context(microsoft_end=False),
                home=start,
                expect=dst,
                delivered_at=at,
            )
            self._legs[key] = got
        return got

    def given(self, flow: Flow) -> tuple[tuple[str, Ms], ...]:
        """The legs from the origin's internet egress to Microsoft that its given internet
        latency implies, per breakout: the given figure is users -> Microsoft network over
        that egress, of which the WAN legs to it are part."""
        d = self.design
        site = flow.start
        if site not in d.sites:
            return ()
        given = d.sites[site].internet_latency_ms
        if given is None:
            return ()
        out = []
        for own in self.internet_egress(site):
            wan = self.igp.latency(f"site:{site}", f"site:{d.breakouts[own].site}")
            out.append((own, Ms(max(0.0, given - (wan.ms if wan is not None else 0.0)), False)))
        return tuple(out)

    def internet_egress(self, site: str) -> tuple[str, ...]:
        """The breakouts a site's given internet latency was measured over: the one it names
        (or the one at the site), else the nearest by IGP, every tie - up or not: a breakout
        taken only because a nearer one is down is not the way the figure describes."""
        d = self.design
        own = d.site_breakout(site)
        if own is not None:
            return (own,)
        dist = self.igp.tree(f"site:{site}")
        far = {b: dist.get(f"site:{bk.site}", INF) for b, bk in d.breakouts.items()}
        best = min(far.values(), default=INF)
        return tuple(b for b, x in far.items() if x == best < INF)

    # -- inbound -------------------------------------------------------------------------------
    def inbound(self, flow: Flow) -> FlowTrace:
        svc = self.design.services[flow.origin]
        fe = self.o.catalogs.front_end(flow.front_end or "")
        internet = flow.kind == "internet"
        ctx = Context(
            ms_point=self.geo.fe_point(fe) if fe is not None else None, microsoft_end=not internet
        )
        target = int(svc.internal_address or svc.public_address)
        main = connect(
            self.walker,
            "internet" if internet else "microsoft",
            list(flow.shares),
            flow.destination,
            ctx,
            home="internet" if internet else "microsoft",
            expect=target,
            delivered_at=f"lan:{svc.site}",
        )
        return FlowTrace(flow, tuple(main))
