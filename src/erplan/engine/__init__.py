"""The flow engine: the design as a network, and every flow forwarded through it.

Pipeline inside the package (each module depends only on those before it)::

    ranges → network → igp → tables → trace → walk → origins → (this module: Engine)

``Engine(design, catalogs)`` builds the network once; ``flows()`` lists every flow the design
implies and ``trace(flow)`` follows one, branch by branch. The semantics are in
docs/flow-semantics.md.
"""

from __future__ import annotations

from collections.abc import Iterator

from erplan.catalogs import Catalogs, FrontEnd
from erplan.engine.connect import connect
from erplan.engine.igp import Igp
from erplan.engine.network import Network
from erplan.engine.origins import Origins, Sources
from erplan.engine.sessions import Context
from erplan.engine.tables import Tables
from erplan.engine.trace import (
    Branch,
    Direction,
    Disposition,
    Flow,
    FlowTrace,
    Hop,
    Outcome,
    Path,
)
from erplan.engine.walk import Walker
from erplan.latency import Geo, Ms
from erplan.model import Design

__all__ = [
    "Branch",
    "Direction",
    "Disposition",
    "Engine",
    "Flow",
    "FlowTrace",
    "Hop",
    "Outcome",
    "Path",
]


class Engine:
    def __init__(self, design: Design, catalogs: Catalogs) -> None:
        self.design = design
        self.catalogs = catalogs
        self.geo = Geo(design, catalogs)
        self.net = Network(design, catalogs, self.geo)
        self.igp = Igp(self.net)
        self.tables = Tables(self.net, self.igp)
        self.walker = Walker(self.net, self.igp, self.tables)
        self.origins = Origins(self.net, self.tables)
        self._dns: dict[str, FlowTrace] = {}
        self._proxy_legs: dict[tuple[str, str], list[Branch]] = {}

    # -- which flows ------------------------------------------------------------------------------
    def flows(self) -> Iterator[Flow]:
        """Every flow: DNS of each site that resolves, outbound per site and set, inbound."""
        for _, group in self.groups():
            yield from group

    def groups(self) -> Iterator[tuple[tuple[object, ...], list[Flow]]]:
        """Every flow, in groups that share a trace (``class_key``), made per site in one pass:
        a large design has hundreds of thousands of flows."""
        d, o = self.design, self.origins
        sets = o.endpoint_sets()
        resolving: dict[str, None] = {}
        for name, site in d.sites.items():
            if site.users > 0:
                resolving[name] = None
                for es in sets:
                    p = o.proxied(name, es)
                    if p is not None:
                        resolving[p] = None
        for name in resolving:
            flow = o.dns(name)
            yield self.class_key(flow), [flow]
        answers: dict[str, FrontEnd | None] = {}
        facts = [(es, *o.set_facts(es)) for es in sets]
        classes: dict[tuple[int, str | None], object] = {}
        for name, site in d.sites.items():
            if site.users <= 0:
                continue
            groups: dict[tuple[object, ...], list[Flow]] = {}
            for es, port, proto, fqdn, third in facts:
                proxy = o.proxied(name, es)
                start = proxy or name
                if start in answers:
                    fe = answers[start]
                else:
                    fe = answers[start] = self.answer(start)
                dst = o.answer_address(es, fe)
                fe_name = fe.name if fe is not None and not third else None
                ck = (es.id, fe_name)
                if ck not in classes:
                    classes[ck] = self.tables.route_class(dst)
                key = ("out", name, start, proxy, classes[ck], third, fe_name, dst == 0)
                flow = Flow(
                    f"out/{name}/{es.id}",
                    Direction.OUTBOUND,
                    name,
                    port,
                    proto,
                    es.id,
                    fqdn,
                    start,
                    proxy,
                    d.site_resolver_egress(start),
                    fe_name,
                    dst,
                    None,
                    es.express_route,
                    third,
                )
                got = groups.get(key)
                if got is None:
                    groups[key] = [flow]
                else:
                    got.append(flow)
            yield from groups.items()
        inbound: dict[tuple[object, ...], list[Flow]] = {}
        for flow in o.inbound():
            inbound.setdefault(self.class_key(flow), []).append(flow)
        yield from inbound.items()

    def outbound(self, site: str, set_id: int) -> Flow:
        es = self.catalogs.endpoint_set(set_id)
        assert es is not None
        start = self.origins.proxied(site, es) or site
        return self.origins.outbound(site, es, self.answer(start))

    # -- DNS --------------------------------------------------------------------------------------
    def dns(self, site: str) -> FlowTrace:
        got = self._dns.get(site)
        if got is None:
            got = self._trace_dns(self.origins.dns(site))
            self._dns[site] = got
        return got

    def answer(self, site: str) -> FrontEnd | None:
        """The front end geoDNS answers the site's queries with: the one nearest to the breakout
        they leave by (the most-travelled one when they leave by several)."""
        by: dict[str, float] = {}
        for b in self.dns(site).branches:
            if b.outcome.works and b.forward.edge is not None:
                by[b.forward.edge] = by.get(b.forward.edge, 0.0) + b.weight
        if not by:
            return None
        edge = max(sorted(by), key=lambda e: by[e])
        _, fe = self.geo.breakout_internet(edge.split(":", 1)[1])
        return fe

    def _trace_dns(self, flow: Flow) -> FlowTrace:
        d, o = self.design, self.origins
        site = flow.origin
        resolver = d.site_resolver_egress(site)
        # Without a resolver egress or a breakout, the site resolves itself and its queries
        # leave by its default route.
        rsite = d.breakouts[resolver].site if resolver is not None else site
        raddr = o.resolver_address(rsite)
        before: list[Branch] = []
        if rsite != site:
            users = o.users(site)
            if users is None:
                return _failed(
                    flow,
                    f"site {site} has no prefixes: its clients have no address",
                    ("sites", site, "prefixes"),
                )
            before = connect(
                self.walker,
                f"lan:{site}",
                users.addresses(),
                raddr,
                Context(microsoft_end=False),
                home=f"lan:{site}",
                expect=raddr,
                delivered_at=f"lan:{rsite}",
            )
        main = connect(
            self.walker,
            f"lan:{rsite}",
            Sources.one(raddr).addresses(),
            o.dns_host,
            Context(microsoft_end=False),
            home=f"lan:{rsite}",
        )
        return _combine(
            flow, before, main, f"the clients cannot reach the resolver at {rsite}", "resolver"
        )

    # -- one flow ---------------------------------------------------------------------------------
    def class_key(self, flow: Flow) -> tuple[object, ...]:
        """Flows with the same key have the same branches (routing depends on the destination's
        class, not its address): they are traced once."""
        if flow.direction is Direction.OUTBOUND:
            return (
                "out",
                flow.origin,
                flow.start,
                flow.proxy,
                self.tables.route_class(flow.destination),
                flow.third_party,
                flow.front_end,
                flow.destination == 0,
            )
        if flow.direction is Direction.INBOUND:
            return ("in", flow.origin, flow.front_end, flow.destination, flow.source)
        return ("dns", flow.origin)

    def trace(self, flow: Flow) -> FlowTrace:
        if flow.direction is Direction.DNS:
            return self.dns(flow.origin)
        if flow.direction is Direction.INBOUND:
            return self._trace_inbound(flow)
        return self._trace_outbound(flow)

    def _trace_outbound(self, flow: Flow) -> FlowTrace:
        o = self.origins
        dns = self.dns(flow.start)
        if (flow.front_end is None and not flow.third_party) or flow.destination == 0:
            return _failed(
                flow,
                f"DNS does not resolve: {_why(dns)}",
                _culprit(dns),
                Outcome.UNREACHABLE,
                "dns",
            )
        fe = self.catalogs.front_end(flow.front_end) if flow.front_end else None
        ctx = Context(
            ms_point=self.geo.fe_point(fe) if fe is not None else None,
            microsoft_end=not flow.third_party,
            given=self._given(flow.start),
        )
        pre: list[Branch] = []
        if flow.proxy is not None:
            pre = self._proxy_leg(flow.origin, flow.proxy)
            src = o.proxy_address(flow.proxy)
            if src is None:
                return _failed(
                    flow,
                    f"the proxy site {flow.proxy} has no prefixes: the proxy has no address",
                    ("sites", flow.proxy, "prefixes"),
                )
            sources = Sources.one(src)
        else:
            users = o.users(flow.start)
            if users is None:
                return _failed(
                    flow,
                    f"site {flow.start} has no prefixes: its users have no address",
                    ("sites", flow.start, "prefixes"),
                    Outcome.UNREACHABLE,
                )
            sources = users
        main = connect(
            self.walker,
            f"lan:{flow.start}",
            sources.addresses(),
            flow.destination,
            ctx,
            home=f"lan:{flow.start}",
        )
        out = _combine(
            flow, pre, main, f"the clients cannot reach their proxy at {flow.proxy}", "proxy"
        )
        fail = 1.0 - sum(b.weight for b in dns.branches if b.outcome.works)
        if fail > 1e-12:
            out = _combine(
                flow,
                list(dns.branches),
                list(out.branches),
                "DNS queries do not get through",
                "dns",
            )
        return out

    def _given(self, site: str) -> tuple[str, Ms] | None:
        """The leg from a site's breakout to Microsoft that its given internet latency implies:
        the given figure is users -> Microsoft network, of which the WAN legs are part."""
        d = self.design
        given = d.sites[site].internet_latency_ms
        own = d.site_breakout(site)
        if given is None or own is None:
            return None
        wan = self.igp.latency(f"site:{site}", f"site:{d.breakouts[own].site}")
        return own, Ms(max(0.0, given - (wan.ms if wan is not None else 0.0)), False)

    def _proxy_leg(self, site: str, proxy: str) -> list[Branch]:
        key = (site, proxy)
        got = self._proxy_legs.get(key)
        if got is None:
            paddr = self.origins.proxy_address(proxy)
            users = self.origins.users(site)
            if site == proxy or paddr is None or users is None:
                got = []
            else:
                got = connect(
                    self.walker,
                    f"lan:{site}",
                    users.addresses(),
                    paddr,
                    Context(microsoft_end=False),
                    home=f"lan:{site}",
                    expect=paddr,
                    delivered_at=f"lan:{proxy}",
                )
            self._proxy_legs[key] = got
        return got

    def _trace_inbound(self, flow: Flow) -> FlowTrace:
        svc = self.design.services[flow.origin]
        fe = self.catalogs.front_end(flow.front_end or "")
        ctx = Context(ms_point=self.geo.fe_point(fe) if fe is not None else None)
        assert flow.source is not None
        target = int(svc.internal_address or svc.public_address)
        main = connect(
            self.walker,
            "microsoft",
            Sources.one(flow.source).addresses(),
            flow.destination,
            ctx,
            home="microsoft",
            expect=target,
            delivered_at=f"lan:{svc.site}",
        )
        return FlowTrace(flow, tuple(main))


def _failed(
    flow: Flow,
    why: str,
    culprit: tuple[str | int, ...],
    outcome: Outcome = Outcome.UNREACHABLE,
    cause: str = "no-route",
) -> FlowTrace:
    path = Path((), Disposition(outcome.value), why, None, culprit, cause)
    return FlowTrace(flow, (Branch(1.0, path, None, outcome, why, culprit),))


def _combine(
    flow: Flow, before: list[Branch], main: list[Branch], why: str, cause: str
) -> FlowTrace:
    """A flow that needs an earlier connection (to the resolver, to the proxy) to work first:
    that connection's failing share fails the flow, the rest goes on as ``main``."""
    failed = [b for b in before if not b.outcome.works]
    share = sum(b.weight for b in failed)
    out = [
        Branch(
            b.weight,
            b.forward._replace(cause=cause),
            b.back,
            Outcome.UNREACHABLE,
            f"{why}: {b.reason}",
            b.culprit,
            b.ties,
        )
        for b in failed
    ]
    out.extend(b._replace(weight=b.weight * (1.0 - share)) for b in main)
    notes = ((why, share, _why_list(failed)),) if failed else ()
    return FlowTrace(flow, tuple(out), notes)


def _why(trace: FlowTrace) -> str:
    reasons = [b.reason for b in trace.branches if not b.outcome.works]
    return reasons[0] if reasons else "no answer"


def _why_list(branches: list[Branch]) -> str:
    return "; ".join(dict.fromkeys(b.reason for b in branches))


def _culprit(trace: FlowTrace) -> tuple[str | int, ...]:
    for b in trace.branches:
        if not b.outcome.works and b.culprit:
            return b.culprit
    return ()
