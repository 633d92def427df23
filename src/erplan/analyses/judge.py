"""Whether a working flow is slower than it should be, and why (what failed and why:
``failure_causes``).

Optimality (design notes, "Flow semantics"): the
latency from the user to the front end, the same legs for ExpressRoute and the internet, against
the best the design offers that origin for the same front end in the same state (for a flow
whose proxy resolves by itself, also for the front end the users' own resolver answers); then
against the front end a resolver at the flow's own egress would have answered (a distant
resolver).
"""

from __future__ import annotations

from erplan.analyses.causes import CAUSES, Culprit
from erplan.analyses.fastest import Option
from erplan.analyses.offers import Offers, tied_options
from erplan.analyses.wan_cost import WanCosts
from erplan.catalogs import FrontEnd
from erplan.engine import Branch, Direction, Engine, Flow, FlowTrace
from erplan.engine.nodes import Kind
from erplan.engine.routes import Microsoft365
from erplan.engine.trace import edge_owner
from erplan.latency import ZERO, Ms, Point

TENANT_AREAS = frozenset({"Exchange", "SharePoint", "Skype"})
# (cause key, culprit, latency, best, share slow, the best options in words)
Slowness = tuple[str, Culprit, Ms, Ms | None, float, str]


class Judge(Offers):
    """Whether each working flow is slower than the best the design offers it (``Offers``),
    and the cause of a slow one."""

    def __init__(self, engine: Engine) -> None:
        super().__init__(engine)
        self.costs = WanCosts(engine)

    def slower(self, latency: Ms, best: Ms) -> bool:
        a = self.design.analysis
        return latency.ms > best.ms + a.suboptimal_ms and latency.ms > best.ms * a.suboptimal_ratio

    def relay(self, t: FlowTrace, fe: FrontEnd | None) -> Ms | None:
        """Front end -> the tenant's data, for tenant-bound workloads (shown, never compared)."""
        f = t.flow
        if fe is None or f.endpoint_set is None:
            return None
        es = self.e.catalogs.endpoint_set(f.endpoint_set)
        if es is None or es.service_area not in TENANT_AREAS:
            return None
        home = self.e.catalogs.home_front_end(self.design.tenant.geography)
        if home is None:
            return None
        return self.geo.backbone(self.geo.fe_point(fe), self.geo.fe_point(home))

    def slowness(self, t: FlowTrace) -> Slowness | None:
        """(cause key, culprit, latency, best, share slow, the best options named) when the flow
        is suboptimal: per front end geoDNS answered, the slow shares added, the cause of the
        slowest."""
        groups: dict[str | None, list[Branch]] = {}
        for b in t.branches:
            groups.setdefault(b.front_end or t.flow.front_end, []).append(b)
        found = []
        for name, branches in groups.items():
            fe = self.e.catalogs.front_end(name) if name else None
            got = self._slowness(t, fe, branches)
            if got is not None:
                found.append(got)
        if not found:
            return None
        key, culprit, worst, best, _, via = max(found, key=lambda x: (x[2].ms, x[0]))
        return key, culprit, worst, best, sum(x[4] for x in found), via

    def _slowness(
        self, t: FlowTrace, fe: FrontEnd | None, branches: list[Branch]
    ) -> Slowness | None:
        f = t.flow
        working = [b for b in branches if b.outcome.works]
        if fe is None or not working:
            return None
        if max(b.ms for b in working) <= self.design.analysis.suboptimal_ms:
            return None  # nothing is faster than nothing: it cannot be that much slower
        if f.direction is Direction.INBOUND:
            opts = self.inbound_options(t, fe)
            if not opts:
                return None
            best = min(opts, key=lambda o: o.latency.ms)
            tied = tied_options(best, opts)
        else:
            found = self.best_for(t, fe)
            if found is None:
                return None
            best, opts, tied = found, [], [found]
        slow = [b for b in working if self.slower(_ms(b), best.latency)]
        if f.direction is Direction.INBOUND:
            slow = [b for b in slow if self._far_region(b, opts)]
        if slow:
            worst = max(slow, key=lambda b: b.ms)
            if not opts:
                opts = self.outbound_options(t, fe)
                tied = self.tied_outbound(t.flow, fe, best)
            key, culprit = self._latency_cause(t, worst, tied, opts)
            share = sum(b.weight for b in slow)
            return key, culprit, _ms(worst), best.latency, share, _named(tied)
        if f.direction is Direction.OUTBOUND and not f.third_party and not self._pinned(f):
            return self._resolver_check(t, working, fe)
        return None

    def _pinned(self, f: Flow) -> bool:
        """Whether the flow's set lives in one region (Dynamics 365): no resolver changes where
        it is answered, so a distant resolver is never the cause."""
        es = self.e.catalogs.endpoint_set(f.endpoint_set) if f.endpoint_set is not None else None
        return es is not None and es.region is not None

    def _far_region(self, b: Branch, opts: list[Option]) -> bool:
        """Inbound: an active/active pair inside one region is a design choice, not a defect;
        an entry in another geopolitical region than the best circuit's is (guide 000
        §7.4.1). Of circuits tied for best, one in the entry's region is enough."""
        edge = _owner(b.forward.edge)
        circuits = [o for o in opts if o.kind == "circuit"]
        if edge is None or not edge.startswith("circuit:") or not circuits:
            return True
        circuits = tied_options(min(circuits, key=lambda o: o.latency.ms), circuits)
        cat, d = self.e.catalogs, self.design
        here = cat.peering_location(d.circuits[edge.split(":", 1)[1]].peering_location)
        if here is None:
            return True
        there = [cat.peering_location(d.circuits[o.name].peering_location) for o in circuits]
        return all(x is None or x.region != here.region for x in there)

    def _costs_past(self, site: str | None, nearer: str, taken: str) -> bool:
        """Whether the WAN costs, not the distances, lead ``site`` to circuit ``taken``: the
        faster circuit ``nearer`` (same routes, same preference) is also nearer by WAN
        latency, so only a cost that disagrees with the latency can have ranked it lower."""
        if site is None:
            return False
        igp, circuits = self.e.igp, self.design.circuits
        start = f"site:{site}"
        there = igp.latency(start, f"site:{circuits[nearer].site}")
        here = igp.latency(start, f"site:{circuits[taken].site}")
        return there is not None and here is not None and there.ms < here.ms

    def _latency_cause(
        self, t: FlowTrace, b: Branch, tied: list[Option], opts: list[Option]
    ) -> tuple[str, Culprit]:
        """The cause of a slow branch; ``tied``: every option as fast as the best (the cause
        never depends on which of them the design lists first)."""
        f = t.flow
        by_circuit = any(o.kind == "circuit" for o in tied)
        edge = _owner(b.forward.edge) or ""
        kind, _, name = edge.partition(":")
        if f.direction is Direction.INBOUND:
            if kind == "circuit":
                return "far-entry", ("circuits", name, "prepend")
            return "hairpin", ("services", f.origin, "entry")
        if f.kind == "users" and f.proxy is not None and f.start != f.origin:
            return "distant-proxy", ("sites", f.origin, "proxy")
        if kind == "circuit":
            lat = _ms(b)
            better = [
                o
                for o in opts
                if o.kind == "circuit" and o.name != name and self.slower(lat, o.latency)
            ]
            if not better and by_circuit:
                # The options follow the IGP's own paths; the fastest path is by a circuit the
                # IGP leads elsewhere (or to this one by longer links): its metric is the fix.
                better = [o for o in tied if o.kind == "circuit"]
            if better:
                alts = tied_options(min(better, key=lambda o: o.latency.ms), better)
                tables = self.e.tables
                entry = tables.routes.entry(f.destination)
                regional = entry.regional if isinstance(entry, Microsoft365) else frozenset()
                mine = tables.routes.preference(name, regional)
                # Only where every fastest circuit loses on preference is preference the cause;
                # one that loses on the IGP alone makes the metric the fix.
                if all(mine > tables.routes.preference(alt.name, regional) for alt in alts):
                    if any(r in tables.routes.region_prefs[name] for r in regional):
                        return "region-preference", ("circuits", name, "region_preference")
                    return "local-preference", ("circuits", name, "local_preference")
                if by_circuit or any(self._costs_past(f.start, a.name, name) for a in alts):
                    return "igp-metric", self._costly(t, b, alts)
            circ = self.design.circuits[name]
            if circ.site == f.start or self.slow_at_home(t, b, name):
                # The site's own circuit, or one slow from its own site too: no route travels
                # far, the circuit's way to Microsoft is slow (guide 001's meet-me table) - as
                # measured, or, estimated, because it peers far from its site (DESIGN.md
                # "Latency": distance decides the estimate). Not propagating the routes to a
                # site near it would not be the fix.
                if circ.access_latency_ms is not None:
                    return "slow-circuit", ("circuits", name, "access_latency_ms")
                return "distant-peering-location", ("circuits", name, "peering_location")
            return "propagated", ("sites", f.start, "er_routes")
        # By a breakout: a working request always leaves by a circuit or a breakout.
        if not by_circuit:
            # A breakout at the site itself is not distant: its own internet path is slow.
            local = self.design.breakouts[name].site == f.start
            device = self._proxy_egress(f, name)
            if device is not None:
                # The proxy device's own egress sends it there, not the site's breakout.
                key = "slow-breakout" if local else "proxy-breakout"
                return key, ("devices", device, "egress")
            return "slow-breakout" if local else "breakout", ("sites", f.start, "breakout")
        return "not-propagated", ("sites", f.start, "er_routes")

    def _costly(self, t: FlowTrace, b: Branch, alts: list[Option]) -> Culprit:
        """The WAN link whose cost leads branch ``b`` past the faster circuits ``alts``: its
        path from the flow's site (where it leaves it last) against the fastest to theirs."""
        start = f"site:{t.flow.start}"
        sites = [h.node for h in b.forward.hops if self.e.net.nodes[h.node].kind is Kind.SITE]
        taken = sites[len(sites) - 1 - sites[::-1].index(start) :] if start in sites else []
        targets = (f"site:{self.design.circuits[o.name].site}" for o in alts)
        return self.costs.culprit(taken, start, targets)

    def fix(self, key: str, culprit: Culprit) -> str:
        """The fix of slowness ``key``, naming the WAN link a cost culprit points at."""
        fix = CAUSES[key][1]
        link = self.costs.words(culprit)
        return fix if link is None else f"{fix}; {link}"

    def slow_at_home(self, t: FlowTrace, b: Branch, circuit: str) -> bool:
        """Whether ``circuit`` is slow from its own site as well: its own way to Microsoft
        (access and backbone) is slower than the best that site has towards the branch's front
        end."""
        name = b.front_end or t.flow.front_end
        fe = self.e.catalogs.front_end(name) if name else None
        if fe is None:
            return False
        home = self.fastest_from(t.flow, fe, self.design.circuits[circuit].site)
        if home is None:
            return False
        geo = self.geo
        own = geo.circuit_access(circuit) + geo.backbone(geo.peering(circuit), geo.fe_point(fe))
        return self.slower(own, home.latency)

    def _proxy_egress(self, f: Flow, breakout: str) -> str | None:
        """The proxy device whose own ``egress`` sends the flow out by ``breakout``, if any."""
        chain = self.e.tracer.chain(f)
        last = self.design.devices.get(chain[-1].name) if chain else None
        return chain[-1].name if last is not None and last.egress == breakout else None

    def _resolver_check(self, t: FlowTrace, working: list[Branch], fe: FrontEnd) -> Slowness | None:
        """Against the front end a resolver where the flow leaves would have answered."""
        geo = self.geo
        slow: list[tuple[Branch, Ms]] = []
        answered = geo.fe_point(fe)
        for b in working:
            entry = self._entry_point(b)
            if entry is None:
                continue
            near = geo.nearest_front_end(entry)
            if near.name == fe.name:
                continue
            there = geo.backbone(entry, answered).ms - geo.backbone(entry, geo.fe_point(near)).ms
            local = Ms(max(0.0, _ms(b).ms - there), _ms(b).estimated)
            if self.slower(_ms(b), local):
                slow.append((b, local))
        if not slow:
            return None
        worst, local = max(slow, key=lambda x: x[0].ms)
        culprit = ("sites", t.flow.start, "resolver_egress")
        share = sum(b.weight for b, _ in slow)
        return "distant-resolver", culprit, _ms(worst), local, share, ""

    def _entry_point(self, b: Branch) -> Point | None:
        edge = _owner(b.forward.edge)
        if edge is None:
            return None
        kind, _, name = edge.partition(":")
        if kind == "circuit":
            return self.geo.peering(name)
        _, near = self.geo.breakout_internet(name)
        return self.geo.fe_point(near)


def _named(tied: list[Option]) -> str:
    """The best options in words: one, or every tied one (the design decides none of them)."""
    names = [f"{o.kind} {o.name}" for o in tied]
    if len(names) < 2:
        return "".join(names)
    return f"{', '.join(names[:-1])} and {names[-1]}, tied"


def _ms(b: Branch) -> Ms:
    return Ms(b.ms, b.estimated)


_owner = edge_owner


__all__ = ["CAUSES", "ZERO", "Judge", "Option"]
