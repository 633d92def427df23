"""The flow engine: the design as a network, and every flow forwarded through it.

Pipeline inside the package (each module depends only on those before it)::

    ranges → network → igp → external → tables → trace → sessions → segments → walk
    → connect → origins → tracer → (this module: Engine)

``Engine(design, catalogs)`` builds the network once; ``groups()`` lists every flow the design
implies, grouped by the trace they share, and ``trace(flow)`` follows one, branch by branch.
The semantics are in docs/flow-semantics.md.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence

from erplan.catalogs import Catalogs, EndpointSet
from erplan.engine.igp import Igp
from erplan.engine.members import Members, has_udp_twin, udp_twin
from erplan.engine.network import Network
from erplan.engine.origins import Origins, Resolving, resolving_at
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
from erplan.engine.tracer import Tracer
from erplan.engine.walk import Walker
from erplan.facts import tenant_catalogs
from erplan.latency import Geo
from erplan.model import Design, Server

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

GroupKey = tuple[object, ...]
# Routers' decisions in the newer generation when no traces are kept (``Tables.age_decisions``).
DECISIONS_KEPT = 8192


class Engine:
    # Set only when false: an engine assembled stage by stage (a failed state) keeps traces.
    keep_traces = True

    def __init__(
        self,
        design: Design,
        catalogs: Catalogs,
        *,
        resolvers_down: frozenset[str] = frozenset(),
        keep_traces: bool = True,
    ) -> None:
        """``resolvers_down``: resolver egresses whose resolvers answer nothing although the
        breakout still carries traffic (a failure the design cannot state: ``Tracer``).
        ``keep_traces``: whether the caller keeps the traces after judging them (a report's
        rows, the failure sweep's baseline); if not, equal hops of different paths are not
        made one object, the routers' decisions age (``Tables.age_decisions``) and ``groups``
        drops a site's DNS trace once its flows are done."""
        self.design = design
        # The tenant's Dynamics 365 sets join the catalog: every stage looks sets up here.
        self.catalogs = catalogs = tenant_catalogs(design, catalogs)
        self.geo = Geo(design, catalogs)
        self.net = Network(design, catalogs, self.geo)
        self.igp = Igp(self.net)
        self.tables = Tables(self.net, self.igp)
        self.walker = Walker(self.net, self.igp, self.tables)
        if not keep_traces:
            self.keep_traces = False
            self.walker.hop_pool = None
            self.tables.age_decisions(DECISIONS_KEPT)
        self.origins = Origins(self.net, self.tables)
        self.tracer = Tracer(
            design, self.geo, self.igp, self.walker, self.origins, resolvers_down=resolvers_down
        )

    # -- which flows ---------------------------------------------------------------------------
    def flows(self) -> Iterator[Flow]:
        """Every flow: DNS of each site that resolves, outbound per site or server and set,
        inbound per service, initiator and port."""
        for _, group in self.groups():
            yield from group

    def resolving_sites(self) -> dict[str, None]:
        """The sites whose DNS flows are traced, in order: sites with people, the sites whose
        resolvers answer for their proxies (``resolving_at``), servers' sites. The design alone
        decides them."""
        d, o = self.design, self.origins
        resolving: dict[str, None] = {}
        # A proxy chain depends on whether the set is ExpressRoute-able: one set of each kind.
        kinds = list({es.express_route: es for es in o.endpoint_sets()}.values())
        for name, site in d.sites.items():
            if site.users > 0:
                resolving[name] = None
                for es in kinds:
                    r = resolving_at(name, o.proxy_chain(name, es))
                    if r.proxy is None:
                        resolving[r.site] = None
        for srv in d.servers.values():
            resolving[srv.site] = None
        return resolving

    def groups(self) -> Iterator[tuple[GroupKey, list[Flow]]]:
        """Every flow, in groups that share a trace (``class_key``), made per origin in one pass:
        a large design has hundreds of thousands of flows."""
        d, o = self.design, self.origins
        sets = o.endpoint_sets()
        for name in self.resolving_sites():
            flow = o.dns(name)
            yield self.class_key(flow), [flow]
        for name, site in d.sites.items():
            if site.users > 0:
                yield from self.grouped(self.origin_flows(name, sets))
                if not self.keep_traces:
                    self.tracer.forget_dns(name)
        for name, srv in d.servers.items():
            yield from self.grouped(self.origin_flows(name, o.server_sets(srv), srv))
        inbound: dict[GroupKey, list[Flow]] = {}
        for flow in o.inbound():
            inbound.setdefault(self.class_key(flow), []).append(flow)
        yield from inbound.items()

    def origin_flows(
        self, origin: str, sets: list[EndpointSet], server: Server | None = None
    ) -> Iterator[Flow]:
        """The outbound flows of a site's users (or of a server) to ``sets``."""
        for listed in sets:
            es = self.catalogs.endpoint_set(listed.id)
            assert es is not None
            yield self._outbound(origin, es, server)

    def grouped(self, flows: Iterable[Flow]) -> Iterator[tuple[GroupKey, list[Flow]]]:
        """Outbound flows in groups that share a trace, each set's UDP flow beside its TCP
        flow: media and QUIC over UDP take the same path, NAT and state."""
        groups: dict[GroupKey, list[Flow]] = {}
        for flow in flows:
            members = groups.setdefault(self.class_key(flow), [])
            members.append(flow)
            es = self.catalogs.endpoint_set(flow.endpoint_set or 0)
            if es is not None and has_udp_twin(es):
                members.append(udp_twin(flow, es))
        yield from groups.items()

    def members(self, flows: list[Flow]) -> Sequence[Flow]:
        """A group's flows as a report row keeps them: outbound ones as their first flow and
        their endpoint sets (``Members``), the others as they are."""
        first = flows[0]
        if first.direction is not Direction.OUTBOUND or len(flows) == 1:
            return tuple(flows)
        sets = tuple(dict.fromkeys(f.endpoint_set or 0 for f in flows))
        return Members(self._remake, first, sets, len(flows))

    def _remake(self, first: Flow, sets: tuple[int, ...]) -> Iterator[Flow]:
        """The flows of ``first``'s origin to ``sets`` as ``grouped`` lists them, ``first``
        itself for the first set."""
        srv = self.design.servers[first.origin] if first.kind == "server" else None
        for set_id in sets:
            es = self.catalogs.endpoint_set(set_id)
            assert es is not None
            flow = first if set_id == first.endpoint_set else self._outbound(first.origin, es, srv)
            yield flow
            if has_udp_twin(es):
                yield udp_twin(flow, es)

    def outbound(self, origin: str, set_id: int, *, server: bool = False) -> Flow:
        """The flow of a site's users (or of a server) to one endpoint set."""
        es = self.catalogs.endpoint_set(set_id)
        assert es is not None
        return self._outbound(origin, es, self.design.servers[origin] if server else None)

    def _outbound(self, origin: str, es: EndpointSet, srv: Server | None) -> Flow:
        o = self.origins
        if srv is not None:
            resolving = Resolving(srv.site)
        else:
            resolving = resolving_at(origin, o.proxy_chain(origin, es))
        answers = self.tracer.answers(resolving)
        if es.region is not None and answers:
            # A Dynamics 365 environment lives in one region: every resolver gets its address.
            home = self.catalogs.region_front_end(es.region)
            answers = [(home, 1.0)] if home is not None else answers
        split: tuple[tuple[str, int, float], ...] = ()
        if len(answers) > 1 and not o.set_facts(es)[3]:  # a third party's CDN answers alike
            split = tuple((fe.name, o.answer_address(es, fe), w) for fe, w in answers)
        return o.outbound(origin, es, answers[0][0] if answers else None, server=srv, answers=split)

    def class_key(self, flow: Flow) -> GroupKey:
        """Flows with the same key have the same branches (routing depends on the destination's
        class, not its address): they are traced once."""
        if flow.direction is Direction.OUTBOUND:
            return (
                "out",
                flow.kind,
                flow.origin,
                flow.start,
                flow.proxy,
                self.tables.dst_class(flow.destination),
                flow.third_party,
                flow.front_end,
                flow.answers,
                flow.destination == 0,
                flow.resolver,
            )
        if flow.direction is Direction.INBOUND:
            return ("in", flow.origin, flow.kind, flow.front_end, flow.destination, flow.shares)
        return ("dns", flow.origin)

    # -- tracing -------------------------------------------------------------------------------
    def dns(self, site: str) -> FlowTrace:
        return self.tracer.dns(site)

    def trace(self, flow: Flow) -> FlowTrace:
        if flow.direction is Direction.DNS:
            return self.tracer.dns(flow.origin)
        if flow.direction is Direction.INBOUND:
            return self.tracer.inbound(flow)
        return self.tracer.outbound(flow)
