"""Failures: what each single failure (or pair) does to the people and flows of a design.

A failure is applied by building the design with that element down (``up: false`` on a
circuit, a link, a breakout, a device or a WAN link; a peering location: every circuit there)
and tracing again. A resolver egress failure is the resolvers that forward out of that egress
answering nothing while the breakout still carries traffic: the design cannot state it, the
engine is told (``Engine(..., resolvers_down=...)``). The DNS rows of the sites that name it fail,
and so does every row whose names those resolvers resolve (``Tracer.resolving``): a proxy that
resolves by itself asks none of them. The breakout itself failing is the breakout case.

Recomputation is incremental: the baseline records which design elements each row's trace (and
the DNS and proxy legs it needs first) crosses; a failure re-derives only the origins whose rows
cross the failed element, and re-traces those of their rows that cross it, whose paths do not
all work, or whose flows the failure regroups (``failed_state.kept_row``). The other rows
cannot change: a failure only removes paths, so a router's choice among paths that stay up is
the same, and only a row judged suboptimal can change its verdict (the best the design offers
can only get worse): those are judged again against the failed design. After a link failure
whose circuit keeps its other link up, a row crossing the circuit is derived from its baseline
trace where that is provably the same answer (``link_failure``), else traced again.
``evaluate(..., full=True)`` recomputes everything, and the tests check that both agree on
every example.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from erplan.analyses.failed_state import (
    Known,
    KnownInbound,
    KnownOptions,
    Traced,
    adopt_traces,
    branch_touch,
    dns_of_flow,
    failed_engine,
    flows_by_origin,
    in_order,
    inbound_of,
    judged_again,
    kept_row,
    same_services,
)
from erplan.analyses.failure_atoms import Atom, apply, touch_keys
from erplan.analyses.fastest import Inherit
from erplan.analyses.judge import Judge
from erplan.analyses.link_failure import derived_trace, failed_link
from erplan.analyses.paths import touched
from erplan.analyses.relevance import SlowRows
from erplan.analyses.summary import FlowState, index, state_of
from erplan.analyses.verdicts import FlowResult, Verdicts
from erplan.analyses.workload import loads
from erplan.catalogs import Catalogs, EndpointSet
from erplan.engine import Branch, Direction, Engine, Flow
from erplan.engine.connect import connect
from erplan.engine.igp import Igp
from erplan.engine.origins import Resolving
from erplan.engine.sessions import Context
from erplan.model import Design
from erplan.tables import Table

Origin = tuple[str, str]  # ("users"|"server"|"service"|"dns", name)


# -- origins and what their rows depend on ---------------------------------------------------
def origin_of(flow: Flow) -> Origin:
    if flow.direction is Direction.DNS:
        return ("dns", flow.origin)
    if flow.direction is Direction.INBOUND:
        return ("service", flow.origin)
    return ("server" if flow.kind == "server" else "users", flow.origin)


def state_origin(s: FlowState) -> Origin:
    if s.direction == "dns":
        return ("dns", s.origin)
    if s.direction == "inbound":
        return ("service", s.origin)
    return ("server" if s.kind == "server" else "users", s.origin)


def resolving_sites(engine: Engine) -> dict[str, None]:
    """The sites whose DNS flows the engine traces (``Engine.resolving_sites``)."""
    return engine.resolving_sites()


def origin_groups(
    engine: Engine,
    wanted: set[Origin],
    resolving: dict[str, None] | None = None,
    known: Known | None = None,
) -> Iterator[list[Flow]]:
    """``Engine.groups()`` for some origins only (the same flows, grouped by the same class
    key; a test checks the two agree). ``known``: the flows the baseline already made that
    hold in this engine (``failed_state.Known``)."""
    d, o = engine.design, engine.origins
    sets = known.sets if known is not None else o.endpoint_sets()
    dns_sites = {n for k, n in wanted if k == "dns"}
    if dns_sites:
        for name in resolving if resolving is not None else resolving_sites(engine):
            if name in dns_sites:
                yield [o.dns(name)]
    for name in in_order(d.sites, {n for k, n in wanted if k == "users"}):
        if d.sites[name].users > 0:
            flows = known.flows(("users", name)) if known is not None else None
            if flows is None:
                flows = list(engine.origin_flows(name, sets))
            yield from (members for _, members in engine.grouped(flows))
    for name in in_order(d.servers, {n for k, n in wanted if k == "server"}):
        srv = d.servers[name]
        flows = known.flows(("server", name)) if known is not None else None
        if flows is None:
            flows = list(engine.origin_flows(name, o.server_sets(srv), srv))
        yield from (members for _, members in engine.grouped(flows))
    if known is not None:
        yield from inbound_of(known.inbound, wanted)
    elif any(k == "service" for k, _ in wanted):
        groups: dict[tuple[object, ...], list[Flow]] = {}
        for flow in o.inbound():
            if ("service", flow.origin) in wanted:
                groups.setdefault(engine.class_key(flow), []).append(flow)
        yield from groups.values()


def resolver_leg(engine: Engine, site: str) -> list[Branch]:
    """The clients' connection to their resolver at another site (the DNS trace shows it only
    when it fails)."""
    d = engine.design
    resolver = d.site_resolver_egress(site)
    rsite = d.breakouts[resolver].site if resolver is not None else site
    users = engine.origins.users(site)
    if rsite == site or users is None:
        return []
    raddr = engine.origins.resolver_address(rsite)
    return connect(
        engine.walker,
        f"lan:{site}",
        users.addresses(),
        raddr,
        Context(microsoft_end=False),
        home=f"lan:{site}",
        expect=raddr,
        delivered_at=f"lan:{rsite}",
    )


class _Deps:
    def __init__(self, engine: Engine) -> None:
        self.e = engine
        self._dns: dict[Resolving, set[str]] = {}

    def dns(self, r: Resolving) -> set[str]:
        """The failure keys the DNS that ``r`` resolves by crosses (a site's clients' leg to
        their resolver too, and the resolvers at its resolver egress)."""
        got = self._dns.get(r)
        if got is None:
            got = touched(self.e.tracer.resolved(r), self.e.tables)
            if r.proxy is None:
                for b in resolver_leg(self.e, r.site):
                    got |= branch_touch(b, self.e.tables)
                if (egress := r.egress(self.e.design)) is not None:
                    got.add(f"resolver:{egress}")
            self._dns[r] = got
        return got

    def of(self, r: FlowResult) -> set[str]:
        f = r.flow
        keys = touched(r.trace, self.e.tables)
        if f.direction is Direction.DNS:
            return keys | self.dns(Resolving(f.origin))
        if f.direction is Direction.OUTBOUND:
            for got in dns_of_flow(self.e, f):
                keys |= self.dns(got)
            chain = self.e.tracer.chain(f)
            for hop in chain:
                keys.add(f"device:{hop.name}")
            for _, legs in self.e.tracer.proxy_legs(f, chain):
                for b in legs:
                    keys |= branch_touch(b, self.e.tables)
        return keys


# -- the baseline and one failure -----------------------------------------------------------
@dataclass
class Baseline:
    """The design as written, traced once, with what each origin's rows depend on."""

    design: Design
    catalogs: Catalogs
    engine: Engine
    results: list[FlowResult]
    states: list[FlowState]
    by_key: dict[str, FlowState]
    rows_of: dict[Origin, list[int]]  # origin -> indexes into results/states
    deps: dict[str, set[Origin]]  # touch key -> origins whose rows cross it
    suboptimal: list[int]
    slow: SlowRows
    resolving: dict[str, None]
    judge: Judge | None = None  # the baseline's judge, its fastest-egress tables searched
    origin_states: dict[Origin, list[FlowState]] = field(default_factory=dict)
    load_by_site: dict[str, dict[str, float]] = field(default_factory=dict)
    load_total: dict[str, float] | None = None  # load_by_site summed per egress (impact.py)
    traced: Traced | None = None  # DNS traces and legs a failed state may take
    inside_igp: Igp | None = None  # the IGP whose trees failures inside sites share
    inbound: list[list[Flow]] = field(default_factory=list)  # the groups of flows to services
    sets: list[EndpointSet] = field(default_factory=list)  # the tenant's endpoint sets
    # Per site's users and server: who resolves its flows' names, and the flows (one per
    # endpoint set, in the engine's order, without their UDP twins).
    flows_of: dict[Origin, tuple[tuple[Resolving, ...], list[Flow]]] = field(default_factory=dict)
    # Each WAN link's pair of sites (sorted), and how many links join each pair.
    wan_pairs: list[tuple[str, ...]] = field(default_factory=list)
    wan_pair_count: Counter[tuple[str, ...]] = field(default_factory=Counter)
    # Per row, the touch keys its trace and the legs it needs cross (``_Deps.of``), and each
    # row by the key of its first flow: a row of a traced origin that crosses nothing down is
    # taken as it was (``kept_row``).
    row_keys: list[frozenset[str]] = field(default_factory=list)
    row_at: dict[str, int] = field(default_factory=dict)
    _set_flows: dict[Origin, dict[int | None, Flow]] = field(default_factory=dict)

    @classmethod
    def build(cls, design: Design, catalogs: Catalogs) -> Baseline:
        from erplan.analyses.verdicts import rows

        engine = Engine(design, catalogs)
        verdicts = Verdicts(engine)
        results = rows(engine, verdicts)
        states = [state_of(engine, r) for r in results]
        rows_of: dict[Origin, list[int]] = {}
        deps: dict[str, set[Origin]] = {}
        finder = _Deps(engine)
        row_keys: list[frozenset[str]] = []
        for i, r in enumerate(results):
            o = origin_of(r.flow)
            rows_of.setdefault(o, []).append(i)
            row_keys.append(frozenset(finder.of(r)))
            for k in row_keys[-1]:
                deps.setdefault(k, set()).add(o)
        sub = [i for i, r in enumerate(results) if r.verdict.value == "suboptimal"]
        slow = SlowRows(engine, results, sub)
        base = cls(
            design,
            catalogs,
            engine,
            results,
            states,
            index(states),
            rows_of,
            deps,
            sub,
            slow,
            resolving_sites(engine),
        )
        base.judge = verdicts.judge
        base.load_by_site = loads(design, catalogs, states).by_site
        base.origin_states = {o: [states[i] for i in idx] for o, idx in rows_of.items()}
        base.traced = Traced.of(engine, rows_of)
        services = {o for o in rows_of if o[0] == "service"}
        base.inbound = list(origin_groups(engine, services)) if services else []
        base.sets = engine.origins.endpoint_sets()
        base.flows_of = flows_by_origin(engine, results, rows_of)
        base.row_keys = row_keys
        base.row_at = {r.flows[0].key: i for i, r in enumerate(results)}
        return base

    def set_flows(self, origin: Origin) -> dict[int | None, Flow]:
        """An outbound origin's flows (``flows_of``) by endpoint set."""
        got = self._set_flows.get(origin)
        if got is None:
            flows = self.flows_of.get(origin, ((), []))[1]
            got = self._set_flows[origin] = {f.endpoint_set: f for f in flows}
        return got


@dataclass(frozen=True, slots=True)
class Outcome:
    """The failed state: every row's state, keyed by flow, and how much was recomputed."""

    atoms: tuple[Atom, ...]
    origins: dict[Origin, list[FlowState]]  # every origin that changed: all its rows after
    retraced_rows: int
    load_by_site: dict[str, dict[str, float]]
    base: Baseline

    @property
    def by_key(self) -> dict[str, FlowState]:
        """Every row's state after the failure, keyed by flow (built when asked: a sweep
        reads only the origins that changed)."""
        by_key = dict(self.base.by_key)
        for o, states in self.origins.items():
            for st in self.base.origin_states.get(o, []):
                for k in st.keys:
                    by_key.pop(k, None)
            for st in states:
                for k in st.keys:
                    by_key[k] = st
        return by_key


def down_keys(base: Baseline, failed: Sequence[Atom]) -> set[str]:
    """The touch keys (``paths.touched``) of everything the failures take down."""
    return {k for a in failed for k in touch_keys(a, base.design)}


def crossing(base: Baseline, down: set[str]) -> set[Origin]:
    """The origins whose rows (or the DNS and proxy legs they need) cross a key in ``down``."""
    out: set[Origin] = set()
    for k in down:
        out |= base.deps.get(k, set())
    return out


def evaluate(base: Baseline, failed: Sequence[Atom], *, full: bool = False) -> Outcome:
    design = apply(base.design, failed)
    resolvers = frozenset(a.name for a in failed if a.kind == "resolver")
    slow: set[int] = set()
    down = down_keys(base, failed)
    if full:
        affected = set(base.rows_of)
    else:
        affected = crossing(base, down)
        for a in failed:
            # The best the design offers may have got worse: the slow rows whose best (or the
            # circuits weighed for their cause) the failure can change are judged again.
            slow.update(base.slow.affected(a.kind, a.name, alone=len(failed) == 1))
    new_states: list[FlowState] = []
    retraced = 0
    if full or affected or slow:
        # The full recompute builds its engine the plain way: it is the reference.
        engine = (
            Engine(design, base.catalogs, resolvers_down=resolvers)
            if full
            else failed_engine(design, base, resolvers)
        )
        verdicts = Verdicts(engine)
        known = None
        if not full:
            adopt_traces(engine, base, affected, down)
            if same_services(engine, base):
                known = Known(engine, base)
        if not full and base.judge is not None:
            j = base.judge
            verdicts.judge.inherit = Inherit(j.table, j.starts, base.engine.net.site_links())
            verdicts.judge.egress_ms = base.judge.egress_ms  # the same geography
            verdicts.judge.known_inbound = KnownInbound(engine, j.inbound())
            wan_only = all(a.kind == "wan" for a in failed)
            verdicts.judge.known_options = KnownOptions(engine, j.options(), wan_only=wan_only)
            if wan_only:
                # The egresses and the stubs that lead to them are the baseline's.
                verdicts.judge.known_starts = j.starts
        alone = len(failed) == 1 and not full
        link = failed_link(base, failed[0].kind, failed[0].name) if alone else None
        for flows in origin_groups(engine, affected, base.resolving, known):
            i = None if full else kept_row(base, flows, down)
            if i is None:
                derived = None if link is None else derived_trace(base, flows, down, link)
                if derived is not None:
                    # The row over the circuit's other link (link_failure.py): judged anew.
                    r = verdicts.result(tuple(flows), derived)
                    new_states.append(state_of(engine, r))
                    continue
                r = verdicts.result(tuple(flows), engine.trace(flows[0]))
                new_states.append(state_of(engine, r))
                retraced += 1
                continue
            # The row as the baseline traced it, judged again if it is slow.
            new_states.append(
                judged_again(engine, verdicts, base, i) if i in slow else base.states[i]
            )
        for i in sorted(slow):
            if origin_of(base.results[i].flow) in affected:
                continue
            st = judged_again(engine, verdicts, base, i)
            if st is not base.states[i]:
                new_states.append(st)
    # The failed state of every origin that changed: its rows, in full.
    after: dict[Origin, list[FlowState]] = {o: [] for o in affected}
    for st in new_states:
        o = state_origin(st)
        if o in affected:
            after[o].append(st)
            continue
        # A row judged again: the origin's other rows stay as they were.
        rows = after.setdefault(o, list(base.origin_states.get(o, [])))
        rows[:] = [x for x in rows if x.keys[0] not in st.keys] + [st]
    sites = {n for k, n in after if k == "users"}
    moved = [st for o, states in after.items() if o[0] == "users" for st in states]
    by_site = loads(design, base.catalogs, moved).by_site
    load = {site: by_site.get(site, {}) for site in sites}
    return Outcome(tuple(failed), after, retraced, load, base)


def report_tables(loaded: Any, catalogs: Catalogs, report: object) -> list[Table]:
    """The single-failure ranking in ``erplan report`` (``PLANNING_HOOKS``)."""
    from erplan.analyses.sweep import REPORT_KINDS, report_sweep
    from erplan.plan_tables import failure_tables

    _, results = report_sweep(loaded.design, catalogs, report)
    first, *details = failure_tables(results, 3)
    more = f"failures of each {', '.join(REPORT_KINDS)}; `erplan failures` studies every kind"
    return [Table(first.title, first.head, first.body, [*first.notes, more]), *details]
