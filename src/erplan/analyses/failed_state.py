"""The failed state derived from the baseline's: what a failure leaves alone is taken, not
worked out again (each derivation is compared with a fresh computation in
tests/test_failed_state.py).

- The network: the baseline's with circuits, links, breakouts or devices down
  (``Network.with_down``), or with WAN wires down; the IGP's trees that avoid a failed WAN link
  (``Igp.without``), or all of them for a failure inside sites (``Igp.inherit``); for a WAN
  failure the tables over the same prefixes (``Tables.over``).
- The tracer's DNS traces and internal legs (to a resolver, to a proxy) that cross no failed
  element. A failure only removes paths: a router's choice among the paths that stay up is the
  same, so a trace that crosses nothing that failed and names nothing that failed as its culprit
  (``paths.touched``) is the trace a fresh engine makes. The incremental sweep rests on the same
  argument for whole rows (failures.py); here it serves the DNS answers and the legs of the
  origins that are traced again.
- The flows from Microsoft to the design's services: they depend on the services, the tenant
  and the catalog alone, never on what is up.
- The rows of an origin traced again whose paths all work and cross nothing that failed
  (``kept_row``): the argument that keeps whole origins, row by row.
"""

from __future__ import annotations

import copy
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from erplan.analyses.fastest import Option
from erplan.analyses.paths import touched
from erplan.analyses.summary import FlowState, state_of
from erplan.engine import Branch, Direction, Engine, Flow, FlowTrace
from erplan.engine.igp import INF
from erplan.engine.members import Members
from erplan.engine.network import Network
from erplan.engine.origins import Resolving
from erplan.engine.tables import Tables
from erplan.model import CircuitLink, Design, LinkName

if TYPE_CHECKING:
    from erplan.analyses.failures import Baseline, Origin
    from erplan.analyses.verdicts import FlowResult, Verdicts

LegKey = tuple[object, ...]
_UNLISTED = CircuitLink(silence={})  # what a link the design does not list stands for
_LEG = Flow("", Direction.DNS, "", 0)  # stands for a leg a flow needs first


def branch_touch(b: Branch, tables: Tables) -> set[str]:
    """The failure keys a leg's branch crosses (``paths.touched``)."""
    return touched(FlowTrace(_LEG, (b,)), tables)


@dataclass(frozen=True, slots=True)
class Traced:
    """The baseline's DNS traces of the sites with DNS rows, its legs, and for each failure key
    the legs that cross it."""

    dns: dict[str, FlowTrace]
    legs: dict[LegKey, list[Branch]]
    crossing: dict[str, set[LegKey]]

    @classmethod
    def of(cls, engine: Engine, rows: Iterable[Origin]) -> Traced:
        dns, legs = engine.tracer.traced()
        with_rows = {name for kind, name in rows if kind == "dns"}
        crossing: dict[str, set[LegKey]] = {}
        for key, branches in legs.items():
            for b in branches:
                for k in branch_touch(b, engine.tables):
                    crossing.setdefault(k, set()).add(key)
        return cls({s: t for s, t in dns.items() if s in with_rows}, dict(legs), crossing)


def adopt_traces(engine: Engine, base: Baseline, affected: set[Origin], down: set[str]) -> None:
    """The failed engine takes the baseline's DNS traces of the sites whose DNS rows the failure
    leaves alone (``affected``: the origins whose rows cross a failed element), and its legs
    that cross none of the failed keys (``down``)."""
    t = base.traced
    if t is None:
        return
    dns = dict(t.dns)
    for kind, name in affected:
        if kind == "dns":
            dns.pop(name, None)
    legs = dict(t.legs)
    for k in down:
        for key in t.crossing.get(k, ()):
            legs.pop(key, None)
    engine.tracer.adopt(dns, legs)


def same_services(engine: Engine, base: Baseline) -> bool:
    """Whether the failed engine's flows to the services, and its tenant's endpoint sets, are
    the baseline's: the same services, tenant and hosts standing for the initiators (a failure
    changes none of them)."""
    d, old = engine.design, base.design
    return (
        d.services is old.services
        and d.tenant is old.tenant
        and engine.origins.user_host == base.engine.origins.user_host
    )


def dns_of_flow(engine: Engine, f: Flow) -> list[Resolving]:
    """The DNS a row of flow ``f`` stands on: the one resolving its names
    (``Tracer.resolving``), and its origin site's clients' (a DNS row's own)."""
    if f.direction is Direction.INBOUND:
        return []
    own = Resolving(f.origin) if f.origin in engine.design.sites else None
    if f.direction is Direction.DNS:
        return [own] if own is not None else []
    found = engine.tracer.resolving(f)
    return list(dict.fromkeys(x for x in (own, found) if x is not None))


def flows_by_origin(
    engine: Engine, results: Sequence[FlowResult], rows_of: dict[Origin, list[int]]
) -> dict[Origin, tuple[tuple[Resolving, ...], list[Flow]]]:
    """Per site's users and per server, who resolves the names its flows were made from
    (``Tracer.resolving``) and the flows as the engine makes them: one per endpoint set, in the
    order of the sets' ids (both ``endpoint_sets`` and ``server_sets`` sort by id), without the
    UDP twins grouping adds."""
    out: dict[Origin, tuple[tuple[Resolving, ...], list[Flow]]] = {}
    for o, idx in rows_of.items():
        if o[0] not in ("users", "server"):
            continue
        flows = sorted(
            (f for i in idx for f in results[i].flows if not f.key.endswith("/udp")),
            key=lambda f: f.endpoint_set or 0,
        )
        resolving = dict.fromkeys(engine.tracer.resolving(f) for f in flows)
        out[o] = (tuple(resolving), flows)
    return out


class Known:
    """What a failed engine takes from the baseline's flows: the tenant's endpoint sets, the
    flows to the services, and an origin's flows when the DNS answers they were made from are
    the same (a flow depends on the design, the catalog and those answers alone)."""

    __slots__ = ("base", "engine", "inbound", "sets")

    def __init__(self, engine: Engine, base: Baseline) -> None:
        self.engine, self.base = engine, base
        self.sets = base.sets
        self.inbound = base.inbound

    def flows(self, origin: Origin) -> list[Flow] | None:
        got = self.base.flows_of.get(origin)
        if got is None:
            return None
        resolving, flows = got
        mine, theirs = self.engine.tracer, self.base.engine.tracer
        if any(mine.answers(r) != theirs.answers(r) for r in resolving):
            return None
        return flows


class KnownOptions:
    """The circuits and breakouts a failed state's judge offers a site towards a front end
    (``Judge.outbound_options``), taken from the baseline's when the IGP's distances and
    latencies they were made from are the same (``Igp.kept``): a failure only removes, so what
    the baseline did not offer stays out, and what it offered over the same paths is offered
    alike while its links, breakout and stubs are up. None: work them out."""

    __slots__ = ("engine", "known", "wan_only")

    def __init__(
        self,
        engine: Engine,
        known: dict[tuple[object, ...], list[Option]],
        *,
        wan_only: bool = False,
    ) -> None:
        """``wan_only``: only WAN links are down. Then every circuit link, breakout and stub is
        as it was, and a distance that is kept is the baseline's, finite: every option whose
        paths are kept is still usable."""
        self.engine, self.known, self.wan_only = engine, known, wan_only

    def __call__(self, key: tuple[object, ...], site: str) -> list[Option] | None:
        known = self.known.get(key)
        if known is None or not all(self._kept(site, o) for o in known):
            return None
        if self.wan_only:
            return known
        return [o for o in known if self._usable(site, o)]

    def _kept(self, site: str, o: Option) -> bool:
        d = self.engine.design
        where = d.circuits[o.name].site if o.kind == "circuit" else d.breakouts[o.name].site
        return self.engine.igp.kept(f"site:{where}", site)

    def _usable(self, site: str, o: Option) -> bool:
        """What ``outbound_options`` checks besides distances and latencies."""
        e = self.engine
        if o.kind == "circuit":
            return bool(e.tables.links_up[o.name]) and self._reaches(site, f"ce:{o.name}")
        return e.design.breakouts[o.name].up and self._reaches(site, f"edge:{o.name}")

    def _reaches(self, site: str, router: str) -> bool:
        """``igp.distance(site, router) < INF`` for an option whose paths are kept: between
        two sites the distance is the baseline's, finite (the option was offered), so only
        the routers' stubs can cut it off."""
        igp = self.engine.igp
        if self.engine.net.nodes[router].site != site.removeprefix("site:"):
            return igp.stub(site) is not None and igp.stub(router) is not None
        return igp.distance(site, router) < INF


class KnownInbound:
    """The circuits and breakouts by which a front end reaches a service's site
    (``Judge.inbound_options``), taken from the baseline's when the IGP latencies they were
    made from are the same (``Igp.kept``). A failure only removes: a circuit's usable links and
    a breakout being up can only be lost, and a site the WAN did not join stays apart, so what
    the baseline did not offer stays out. None: work them out."""

    __slots__ = ("engine", "known")

    def __init__(self, engine: Engine, known: dict[tuple[str, str], list[Option]]) -> None:
        self.engine, self.known = engine, known

    def __call__(self, site: str, front_end: str) -> list[Option] | None:
        known = self.known.get((site, front_end))
        if known is None:
            return None
        e, target = self.engine, f"site:{site}"
        d = e.design
        out: list[Option] = []
        for o in known:
            circuit = o.kind == "circuit"
            where = d.circuits[o.name].site if circuit else d.breakouts[o.name].site
            if not e.igp.kept(target, f"site:{where}"):
                return None
            if e.tables.links_up[o.name] if circuit else d.breakouts[o.name].up:
                out.append(o)
        return out


def kept_row(base: Baseline, flows: Sequence[Flow], down: set[str]) -> int | None:
    """The baseline's row of a group of flows traced again, when the group is that row's (the
    same flows; a failure can regroup them), every path of its trace works, and the trace and
    the DNS and proxy legs it needs cross nothing in ``down``: then its trace is the one a
    fresh engine makes (the argument that keeps the rows of origins not traced again, row by
    row). None: trace it."""
    i = base.row_at.get(flows[0].key)
    if i is None or base.row_keys[i] & down:
        return None
    if not all(b.outcome.works for b in base.results[i].trace.branches):
        # A path that fails may end at an element it does not list (a firewall on a circuit
        # that drops a reply): only the paths that work list every element they depend on.
        return None
    return i if same_group(base, i, flows) else None


def same_group(base: Baseline, i: int, flows: Sequence[Flow]) -> bool:
    """Whether a group of flows is the baseline's row ``i`` (the same flows; a failure can
    regroup them)."""
    old = base.results[i].flows
    if len(old) != len(flows):
        return False
    if isinstance(old, Members):
        return _same_members(base, old, flows)
    return not any(a is not b and a != b for a, b in zip(old, flows, strict=True))


def _same_members(base: Baseline, old: Members, flows: Sequence[Flow]) -> bool:
    """Whether a group of flows is a baseline row's (of the same length), read without making
    the row's flows again: its flows to each endpoint set are its origin's (``flows_of``),
    and a UDP twin follows from its TCP flow and its set, so the TCP flows decide."""
    first = old.first
    by_set = base.set_flows(("server" if first.kind == "server" else "users", first.origin))
    mine = [f for f in flows if not f.key.endswith("/udp")]
    if len(mine) != len(old.sets):
        return False
    for set_id, f in zip(old.sets, mine, strict=True):
        was = first if set_id == first.endpoint_set else by_set.get(set_id)
        if was is None or (was is not f and was != f):
            return False
    return True


def judged_again(engine: Engine, verdicts: Verdicts, base: Baseline, i: int) -> FlowState:
    """Row ``i`` of the baseline, its trace kept, judged again in the failed state: its
    baseline state when the judgement is the same."""
    r0 = base.results[i]
    r = verdicts.result(r0.flows, r0.trace)
    if (r.verdict, r.share, r.cause_key, r.latency) == (
        r0.verdict,
        r0.share,
        r0.cause_key,
        r0.latency,
    ):
        return base.states[i]
    return state_of(engine, r)


_ORDER: dict[int, tuple[Mapping[str, object], dict[str, int]]] = {}


def in_order(listed: Mapping[str, object], names: set[str]) -> list[str]:
    """``names`` in the order ``listed`` (a design's sites or servers) holds them, without
    walking all of it: a failure asks for a few origins of thousands. The positions are
    kept per mapping (the failed designs of a sweep share the baseline's)."""
    if not names:
        return []
    got = _ORDER.get(id(listed))
    if got is None or got[0] is not listed:
        got = (listed, {n: i for i, n in enumerate(listed)})
        _ORDER[id(listed)] = got
        if len(_ORDER) > 8:
            _ORDER.pop(next(iter(_ORDER)))
    at = got[1]
    return sorted((n for n in names if n in at), key=at.__getitem__)


def inbound_of(groups: Iterable[list[Flow]], wanted: set[Origin]) -> list[list[Flow]]:
    """The groups of inbound flows of the wanted services, in the order the engine makes them."""
    return [g for g in groups if ("service", g[0].origin) in wanted]


def failed_engine(
    design: Design, base: Baseline, resolvers_down: frozenset[str] = frozenset()
) -> Engine:
    """``Engine(design, catalogs, resolvers_down=...)`` for a failed copy of the baseline's
    design, reusing the baseline's geography: coordinates and latency legs do not depend on what
    is up, and working them out is a third of building an engine. The stages are those of
    ``Engine.__init__``; the tests compare this engine's answers with a plain ``Engine``'s
    (``full=True``)."""
    from erplan.engine.igp import Igp
    from erplan.engine.origins import Origins
    from erplan.engine.tables import Tables
    from erplan.engine.tracer import Tracer
    from erplan.engine.walk import Walker

    e = Engine.__new__(Engine)
    e.design = design
    # The baseline engine's catalogs hold the tenant's Dynamics 365 sets; no failure changes them.
    e.catalogs = base.engine.catalogs
    e.geo = base.engine.geo
    wan = _wan_network(design, base)
    if wan is not None:
        # Only WAN wires down: the baseline's IGP trees that avoid them and its tables hold.
        e.net, down = wan
        e.igp = base.engine.igp.without(e.net, down)
        e.tables = base.engine.tables.over(e.net, e.igp)
    else:
        inside = _inside_network(design, base)
        e.net = inside or Network(design, e.catalogs, e.geo)
        # Failures inside sites share one IGP's trees: the WAN is the same for all of them,
        # and a tree one of them grows serves the next (the baseline's stays as it is).
        if base.inside_igp is None:
            base.inside_igp = Igp(base.engine.net)
            base.inside_igp.inherit(base.engine.igp)
        e.igp = Igp(e.net, like=base.inside_igp if inside is not None else None)
        e.igp.inherit(base.inside_igp, share=True)
        # Only elements inside sites down: the baseline's prefixes and filters hold.
        e.tables = (
            base.engine.tables.down(e.net, e.igp) if inside is not None else Tables(e.net, e.igp)
        )
    e.walker = Walker(e.net, e.igp, e.tables)
    e.origins = Origins(e.net, e.tables)
    e.tracer = Tracer(design, e.geo, e.igp, e.walker, e.origins, resolvers_down=resolvers_down)
    return e


def _wan_network(design: Design, base: Baseline) -> tuple[Network, list[tuple[str, str]]] | None:
    """When the only difference from the baseline is WAN links down, each the only link
    between its two sites: the baseline's network with those wires down (a WAN wire carries
    no device and nothing else in the network depends on it), and the site routers of each
    wire down. Else None: build it anew."""
    from erplan.engine.nodes import Wire

    old = base.design
    for mine, theirs in (
        (design.circuits, old.circuits),
        (design.breakouts, old.breakouts),
        (design.devices, old.devices),
    ):
        if mine.keys() != theirs.keys() or any(mine[k] is not theirs[k] for k in mine):
            return None
    down = [i for i, (a, b) in enumerate(zip(old.wan, design.wan, strict=True)) if a is not b]
    if not base.wan_pairs:
        base.wan_pairs = [tuple(sorted(w.between)) for w in old.wan]
        base.wan_pair_count = Counter(base.wan_pairs)
    pairs = base.wan_pairs
    net = copy.copy(base.engine.net)
    net.design = design
    net.wires = dict(net.wires)
    cut: list[tuple[str, str]] = []
    for i in down:
        if base.wan_pair_count[pairs[i]] != 1 or not old.wan[i].up or design.wan[i].up:
            return None
        a, b = (f"site:{x}" for x in pairs[i])
        w = net.wires[a].get(b)
        if w is None or not w.up:
            return None
        gone = Wire(w.a, w.b, w.devices, False, w.leg, w.cost)
        net.wires[a] = {**net.wires[a], b: gone}
        net.wires[b] = {**net.wires[b], a: gone}
        cut.append((a, b))
    net.wires_changed([r for pair in cut for r in pair])
    return net, cut


def _inside_network(design: Design, base: Baseline) -> Network | None:
    """When the only difference from the baseline is circuits, links (that the design lists),
    breakouts or devices down: the baseline's network with them down (``Network.with_down``).
    Else None: build it anew."""
    old = base.design
    same = ("circuits", "breakouts", "devices", "wan")
    if len(design.wan) != len(old.wan) or any(
        a is not b for a, b in zip(design.wan, old.wan, strict=True)
    ):
        return None
    if any(
        getattr(design, f) is not getattr(old, f) for f in type(old).model_fields if f not in same
    ):
        return None
    links: list[tuple[str, LinkName]] = []
    listed: list[tuple[str, LinkName]] = []
    for name, c in design.circuits.items():
        was = old.circuits.get(name)
        if was is None or c is was:
            continue
        if not c.links.keys() >= was.links.keys() or (
            c.model_copy(update={"up": was.up, "links": was.links}) != was
        ):
            return None
        for link in LinkName:
            up_before = was.up and (link not in was.links or was.links[link].up)
            up_now = c.up and (link not in c.links or c.links[link].up)
            if link in c.links and link not in was.links:
                # Listed only to be taken down (``failure_atoms.apply``): nothing else of its own.
                if c.links[link].model_copy(update={"up": True}) != _UNLISTED:
                    return None
                listed.append((name, link))
            elif (
                link in c.links
                and c.links[link].model_copy(update={"up": was.links[link].up}) != was.links[link]
            ):
                return None
            if up_before and not up_now:
                links.append((name, link))
            elif up_now and not up_before:
                return None
    down: dict[str, list[str]] = {"breakouts": [], "devices": []}
    for field_name, found in down.items():
        mine, theirs = getattr(design, field_name), getattr(old, field_name)
        if mine.keys() != theirs.keys():
            return None
        for name, x in mine.items():
            y = theirs[name]
            if x is y:
                continue
            if not y.up or x.up or x.model_copy(update={"up": True}) != y:
                return None
            found.append(name)
    if design.circuits.keys() != old.circuits.keys():
        return None
    return base.engine.net.with_down(design, links, down["breakouts"], down["devices"], listed)
