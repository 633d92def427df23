"""Each kind of flow traced: what must work before it (its DNS query, engine/dns.py; its legs
to the proxies, engine/legs.py) and the connection itself, from where it really starts: a
proxied flow starts again at the last proxy, every geoDNS answer with its share; inbound flows
from Microsoft or the internet to a service.
"""

from __future__ import annotations

from erplan.catalogs import FrontEnd
from erplan.engine.connect import connect
from erplan.engine.dns import Dns
from erplan.engine.earlier import combine, failed, failing_culprit, failing_reason
from erplan.engine.igp import INF, Igp
from erplan.engine.legs import Legs
from erplan.engine.origins import Origins, ProxyHop, Resolving, Sources, resolving_at
from erplan.engine.sessions import Context
from erplan.engine.trace import Branch, Flow, FlowTrace
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
        self.geo = geo
        self.igp = igp
        self.walker = walker
        self.o = o
        self.legs = Legs(walker, o)
        self.names = Dns(design, geo, self.legs, o, resolvers_down)

    def traced(self) -> tuple[dict[str, FlowTrace], dict[tuple[object, ...], list[Branch]]]:
        """The DNS traces (by site) and internal legs worked out so far."""
        return self.names.traces, self.legs.memo

    def adopt(
        self, dns: dict[str, FlowTrace], legs: dict[tuple[object, ...], list[Branch]]
    ) -> None:
        """Take DNS traces and legs worked out by another tracer that hold here too (a failed
        state takes the baseline's that cross nothing that failed: analyses/failed_state.py)."""
        self.names.traces.update(dns)
        self.legs.memo.update(legs)

    # -- DNS (engine/dns.py) -------------------------------------------------------------------
    def forget_dns(self, site: str) -> None:
        """Drop the DNS trace of ``site`` (``Dns.forget``)."""
        self.names.forget(site)

    def dns(self, site: str) -> FlowTrace:
        """The DNS trace of ``site``'s clients."""
        return self.names.dns(site)

    def resolved(self, r: Resolving) -> FlowTrace:
        """The DNS trace the names of flows resolved by ``r`` depend on (``Dns.resolved``)."""
        return self.names.resolved(r)

    def resolving(self, flow: Flow) -> Resolving:
        """Who resolves an outbound flow's names (``resolving_at``)."""
        chain = self.chain(flow)
        return resolving_at(flow.origin if chain else flow.start, chain)

    def answers(self, r: Resolving) -> list[tuple[FrontEnd, float]]:
        """The front ends geoDNS answers ``r``'s queries with (``Dns.answers``)."""
        return self.names.answers(r)

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
        """The proxies an outbound flow goes through, first to last (``Legs.chain``)."""
        return self.legs.chain(flow)

    def proxy_legs(self, flow: Flow, chain: tuple[ProxyHop, ...]) -> list[tuple[str, list[Branch]]]:
        """The connections a proxied flow needs first (``Legs.proxy_legs``)."""
        return self.legs.proxy_legs(flow, chain)

    def far_end(self, flow: Flow) -> str:
        """Where an outbound request must be delivered: Microsoft's network for a Microsoft
        front end, the internet for a third party's host."""
        if not flow.third_party and self.o.tables.external.is_microsoft(flow.destination):
            return "microsoft"
        return "internet"

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
