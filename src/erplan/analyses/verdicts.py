"""Per-flow verdicts and the findings that sum them up; ``verify`` runs the whole check.

Verdicts (design notes, "Flow semantics"): ``ok``; ``suboptimal`` (warning: slower than the best
the design offers that origin by more than ``analysis.suboptimal_ms`` and
``analysis.suboptimal_ratio`` times); ``asymmetric`` (warning: works, different path back);
``dropped``, ``blackhole``, ``unreachable`` (errors). Findings (``ERP8xx``) aggregate flows that
share a cause and an origin, and point at the design object responsible.
"""

from __future__ import annotations

import gc
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Protocol

from erplan.analyses.rules import lint
from erplan.catalogs import Catalogs
from erplan.diagnostics import Finding, Location, Severity, sort_key
from erplan.flows import Direction, Entry, Flow, FlowEngine, OriginFlows, Outcome
from erplan.latency import Ms
from erplan.model import Design
from erplan.routing import DestClass, Via


class SourceLike(Protocol):
    def where(self, path: Iterable[str | int]) -> Location | None: ...


class LoadedLike(Protocol):
    @property
    def design(self) -> Design: ...

    @property
    def source(self) -> SourceLike: ...


class Verdict(StrEnum):
    OK = "ok"
    SUBOPTIMAL = "suboptimal"
    ASYMMETRIC = "asymmetric"
    DROPPED = "dropped"
    BLACKHOLE = "blackhole"
    UNREACHABLE = "unreachable"

    @property
    def severity(self) -> Severity | None:
        if self in (Verdict.OK,):
            return None
        if self in (Verdict.SUBOPTIMAL, Verdict.ASYMMETRIC):
            return Severity.WARNING
        return Severity.ERROR


VERDICT_ORDER = tuple(Verdict)

# Finding codes: one per verdict and direction, plus notes about the route choice.
CODES: dict[tuple[Direction, Verdict], str] = {
    (Direction.OUTBOUND, Verdict.SUBOPTIMAL): "ERP801",
    (Direction.OUTBOUND, Verdict.ASYMMETRIC): "ERP802",
    (Direction.OUTBOUND, Verdict.DROPPED): "ERP803",
    (Direction.OUTBOUND, Verdict.BLACKHOLE): "ERP804",
    (Direction.OUTBOUND, Verdict.UNREACHABLE): "ERP805",
    (Direction.INBOUND, Verdict.SUBOPTIMAL): "ERP811",
    (Direction.INBOUND, Verdict.ASYMMETRIC): "ERP812",
    (Direction.INBOUND, Verdict.DROPPED): "ERP813",
    (Direction.INBOUND, Verdict.BLACKHOLE): "ERP814",
    (Direction.INBOUND, Verdict.UNREACHABLE): "ERP815",
}
CODE_REGION_PREFERENCE = "ERP820"
CODE_TIE_BREAK = "ERP821"

# Causes of suboptimal flows, with the fixes the guides list and where they say so.
_CAUSES: dict[str, tuple[str, str, str]] = {
    "propagated": (
        "Microsoft routes learned over a distant circuit are propagated to this site: its "
        "users hairpin through the circuit and back over the Microsoft backbone",
        "1. stop propagating the Microsoft routes to this site (route scope, er_routes: false); "
        "2. resolve DNS (or proxy) at the circuit's site; 3. add a circuit near this site",
        "guide 000 §3 (Figure 4), guide 001 'Determine the appropriate meet-me location'",
    ),
    "resolver": (
        "DNS queries leave at a distant resolver egress: geoDNS answers with a front end far "
        "from where the traffic enters Microsoft's network",
        "resolve DNS at the breakout of the site where the traffic leaves (local DNS with local "
        "egress), or send the traffic out where DNS is resolved",
        "guide 000 §3 (fix 2, Figure 5)",
    ),
    "local-preference": (
        "an active/passive local preference sends this site's traffic to a distant circuit "
        "although a nearer one offers the same routes",
        "make the circuits active/active: equal local preference and IGP metrics ('hot potato'), "
        "with a separate SNAT pool per circuit",
        "guide 000 §7.1 (Figure 15) and §7.3.1",
    ),
    "proxy": (
        "the traffic is sent to a proxy at a distant site",
        "send ExpressRoute-able URLs DIRECT with a PAC file, or use a proxy near the users",
        "guide 000 §2.2 (Figure 3), guide 001 'Design Client Connectivity Configuration'",
    ),
    "breakout": (
        "the site's internet traffic leaves by a distant breakout",
        "use a local internet breakout for this site (selective internet breakout)",
        "guide 001 'Determine the appropriate meet-me location'",
    ),
    "far-entry": (
        "Microsoft enters by a circuit far from the server while a nearer entry exists",
        "prepend the AS path (with a public ASN) on the far circuit's advertisement of this "
        "address",
        "guide 000 §7.4.1 (Figure 18)",
    ),
    "hairpin": (
        "the path is much slower than the best this site has",
        "route this site's traffic to the nearest circuit or its local breakout",
        "guide 001 'Determine the appropriate meet-me location'",
    ),
}

_FIXES: dict[tuple[Direction, Verdict], tuple[str, str]] = {
    (Direction.OUTBOUND, Verdict.ASYMMETRIC): (
        "source-NAT each circuit into its own pool and advertise each pool only on its circuit",
        "guide 000 §7.2-§7.3.2 (Figures 16, 17), guide 001 'Ensuring route symmetry'",
    ),
    (Direction.OUTBOUND, Verdict.DROPPED): (
        "source-NAT each circuit into its own pool, advertised only on that circuit (and more "
        "specific than any internet advertisement); keep stateful devices before the link split",
        "guide 000 §6.1, §7.2-§7.3.2; guide 001 'Design outbound service connectivity'",
    ),
    (Direction.OUTBOUND, Verdict.BLACKHOLE): (
        "advertise the translated source on the path the request leaves by, and make sure "
        "returns reach the NAT that translated it",
        "guide 001 'Design outbound service connectivity'",
    ),
    (Direction.OUTBOUND, Verdict.UNREACHABLE): (
        "give the site a route: an internet breakout, or ExpressRoute routes for the service",
        "guide 000 §2.1 (internet access is still required)",
    ),
    (Direction.INBOUND, Verdict.ASYMMETRIC): (
        "source-NAT inbound connections at the entry (Solution 1a/2), or keep ExpressRoute "
        "routes away from the server's segment (Solution 1b)",
        "guide 001 Problems 1 and 2; guide 000 §7.4.2",
    ),
    (Direction.INBOUND, Verdict.DROPPED): (
        "source-NAT inbound connections at the entry (Solution 1a/2), or keep ExpressRoute "
        "routes away from the server's segment (Solution 1b)",
        "guide 001 Problems 1 and 2; guide 000 §7.4.2 (Figure 19)",
    ),
    (Direction.INBOUND, Verdict.BLACKHOLE): (
        "hold the destination-NAT mapping at every entry Microsoft may use",
        "guide 000 §6.2-§6.4 (Figure 13), §7.4.3 (Figure 20)",
    ),
    (Direction.INBOUND, Verdict.UNREACHABLE): (
        "publish the service's public address in public DNS and advertise a covering prefix",
        "guide 000 §6.2-§6.3 (Figure 13); guide 001 'Design inbound service connectivity'",
    ),
}


@dataclass(frozen=True, slots=True)
class FlowResult:
    flow: Flow
    verdict: Verdict
    cause: str
    cause_key: str
    fix: str
    source: str
    latency: Ms
    best: Ms | None
    culprit: tuple[str, ...]

    def to_dict(self, *, with_trace: bool = False) -> dict[str, Any]:
        out = self.flow.to_dict(with_trace=with_trace)
        out.update(
            {
                "verdict": self.verdict.value,
                "cause": self.cause,
                "fix": self.fix,
                "guide": self.source,
                "latency_ms": round(self.latency.ms, 1),
                "estimated": self.latency.estimated,
                "best_ms": None if self.best is None else round(self.best.ms, 1),
            }
        )
        return out


class Report:
    """Findings, every flow with its verdict, and a summary.

    ``results`` is built on first use: a verify of thousands of sites keeps its outbound flows
    as one shared judgement per trace (``JudgedFlows``), and the summary, findings and JSON are
    computed from that without a ``Flow`` per endpoint set.
    """

    def __init__(
        self,
        findings: list[Finding],
        results: list[FlowResult] | None = None,
        summary: dict[str, Any] | None = None,
        *,
        judged: JudgedFlows | None = None,
    ) -> None:
        self.findings = findings
        self.summary: dict[str, Any] = {} if summary is None else summary
        self._results = results
        self._judged = judged

    @property
    def results(self) -> list[FlowResult]:
        if self._results is None:
            self._results = self._judged.results() if self._judged is not None else []
        return self._results

    @results.setter
    def results(self, value: list[FlowResult]) -> None:
        self._results = value
        self._judged = None

    def _rows(self) -> Iterator[tuple[FlowResult, str, int | None]]:
        if self._results is None and self._judged is not None:
            return self._judged.rows()
        return ((r, r.flow.fqdn, r.flow.endpoint_set) for r in self.results)

    @property
    def has_errors(self) -> bool:
        return any(f.severity is Severity.ERROR and f.silenced is None for f in self.findings)

    def to_dict(self) -> dict[str, Any]:
        """Stable JSON: flows that share a trace and a verdict are listed together (one entry
        per origin and trace, with every endpoint set), and each trace is given once."""
        with _collector_paused():
            return self._to_dict()

    def _to_dict(self) -> dict[str, Any]:
        traces: dict[int, str] = {}
        trace_docs: dict[str, Any] = {}
        groups: dict[tuple[int, str], dict[str, Any]] = {}
        for r, fqdn, endpoint_set in self._rows():
            t = r.flow.trace
            tid = traces.get(id(t))
            if tid is None:
                tid = f"t{len(traces) + 1}"
                traces[id(t)] = tid
                trace_docs[tid] = t.to_dict()
            key = (id(t), r.flow.origin)
            g = groups.get(key)
            if g is None:
                # The first flow of a group is the one its judgement was made on.
                g = r.to_dict()
                g["fqdn"] = fqdn
                g["trace"] = tid
                g["endpoint_sets"] = []
                g["fqdns"] = []
                del g["endpoint_set"]
                groups[key] = g
            if endpoint_set is not None:
                g["endpoint_sets"].append(endpoint_set)
            g["fqdns"].append(fqdn)
        return {
            "summary": self.summary,
            "findings": [f.to_dict() for f in self.findings],
            "flows": list(groups.values()),
            "traces": trace_docs,
        }


class JudgedFlows:
    """Every flow of a verify with its verdict, kept per origin as one judgement per trace.

    Outbound flows of one origin that share a trace share its judgement (``Judge.judge``);
    here each origin holds, per outbound set, that shared ``FlowResult`` (made on the first
    flow of the trace). ``rows`` yields (judgement, FQDN, endpoint set) per flow in order;
    ``results`` builds the per-flow objects, equal to what judging every flow gives.
    """

    def __init__(self, engine: FlowEngine, judge: Judge) -> None:
        self.engine = engine
        self.sets = engine.outbound_sets()
        self.names = engine.outbound_names()
        self.origins: list[tuple[OriginFlows, tuple[FlowResult, ...]]] = []
        self.all_ok: list[bool] = []  # per origin: every flow ok
        self.distinct: list[tuple[FlowResult, ...]] = []  # per origin: its judgements
        for o in engine.outbound_origins():
            memo: dict[int, FlowResult] = {}  # traces are never shared between origins
            reps: list[FlowResult] = []
            for i, t in enumerate(o.traces):
                r = memo.get(id(t))
                if r is None:
                    r = memo[id(t)] = judge.judge(engine.outbound_flow(o, i))
                reps.append(r)
            self.origins.append((o, tuple(reps)))
            self.distinct.append(tuple(memo.values()))
            self.all_ok.append(all(r.verdict is Verdict.OK for r in memo.values()))
        self.inbound: list[FlowResult] = [
            judge.judge(f) for service in engine.design.services for f in engine.inbound(service)
        ]

    def rows(self, *, problems_only: bool = False) -> Iterator[tuple[FlowResult, str, int | None]]:
        """(judgement, FQDN, endpoint set) per flow, in flow order; ``problems_only`` skips
        the origins whose flows are all ok (their rows would all be ``ok``)."""
        names = self.names
        ids = [es.id for es in self.sets]
        for (_, reps), fine in zip(self.origins, self.all_ok, strict=True):
            if not (problems_only and fine):
                yield from zip(reps, names, ids, strict=True)
        for r in self.inbound:
            yield r, r.flow.fqdn, r.flow.endpoint_set

    def tally(self) -> list[tuple[FlowResult, int]]:
        """Each distinct judgement with the number of flows it stands for."""
        out: list[tuple[FlowResult, int]] = []
        for (_, reps), distinct in zip(self.origins, self.distinct, strict=True):
            counts = Counter(map(id, reps))
            out.extend((r, counts[id(r)]) for r in distinct)
        out.extend((r, 1) for r in self.inbound)
        return out

    def results(self) -> list[FlowResult]:
        with _collector_paused():
            return self._results()

    def _results(self) -> list[FlowResult]:
        out: list[FlowResult] = []
        for o, reps in self.origins:
            first: set[int] = set()
            for i, r in enumerate(reps):
                if id(r) not in first:  # the flow the judgement was made on
                    first.add(id(r))
                    out.append(r)
                    continue
                flow = self.engine.outbound_flow(o, i)
                out.append(
                    FlowResult(
                        flow,
                        r.verdict,
                        r.cause,
                        r.cause_key,
                        r.fix,
                        r.source,
                        r.latency,
                        r.best,
                        r.culprit,
                    )
                )
        out.extend(self.inbound)
        return out


class Judge:
    """Turns traces into verdicts; keeps the per-origin best latency it computes."""

    def __init__(self, engine: FlowEngine) -> None:
        self.engine = engine
        self.design = engine.design
        self.geo = engine.geo
        self.routing = engine.routing
        self._best: dict[tuple[str, bool, str | None], Ms | None] = {}
        self._best_er: dict[int, Ms | None] = {}  # by id of a tuple the routing keeps
        self._via: dict[str, dict[str, tuple[Ms, Ms]]] = {}
        self._best_in: dict[str, Ms | None] = {}
        self._memo: dict[int, FlowResult] = {}
        self._legs: dict[str, Ms] = {}
        self._inet: dict[str, Ms | None] = {}

    # -- the best the design offers an origin --------------------------------------------------
    def best_outbound(self, site: str, express_route: bool, community: str | None) -> Ms | None:
        key = (site, express_route, community)
        if key in self._best:
            return self._best[key]
        internet = self._best_internet(site)
        cands = (
            self.routing.er_candidates(site, DestClass(True, community, None), scoped=False)
            if express_route
            else ()
        )
        if not cands:
            best = internet
        elif id(cands) in self._best_er:
            # Classes whose community the same circuits admit share the candidates tuple.
            best = self._best_er[id(cands)]
        else:
            # The first fastest option, internet first (as ``min`` over the options would
            # pick it); only the winner's sum is made an ``Ms``.
            best = internet
            best_ms = internet.ms if internet is not None else 0.0
            win: tuple[Ms, Ms] | None = None
            via = self._via_circuit(site)
            for cand in cands:
                got = via.get(cand.circuit)
                if got is not None:
                    ms = got[0].ms + got[1].ms
                    if (best is None and win is None) or ms < best_ms:
                        best, best_ms, win = None, ms, got
            if win is not None:
                best = win[0] + win[1]
            self._best_er[id(cands)] = best
        self._best[key] = best
        return best

    def _via_circuit(self, site: str) -> dict[str, tuple[Ms, Ms]]:
        """Per circuit up that ``site`` reaches: WAN to the circuit's site, and its leg."""
        got = self._via.get(site)
        if got is None:
            got = {
                name: (wan, self._circuit_leg(name))
                for name, (_, wan) in self.routing.circuit_distances(site).items()
            }
            self._via[site] = got
        return got

    def _circuit_leg(self, circuit: str) -> Ms:
        """Circuit site -> peering location -> the front end nearest it -> tenant data."""
        got = self._legs.get(circuit)
        if got is None:
            peering = self.geo.peering(circuit)
            near = self.geo.nearest_front_end(peering)
            got = (
                self.geo.circuit_access(circuit)
                + self.geo.backbone(peering, self.geo.fe_point(near))
                + self.engine.relay(near)
            )
            self._legs[circuit] = got
        return got

    def _best_internet(self, site: str) -> Ms | None:
        if site in self._inet:
            return self._inet[site]
        design = self.design
        breakouts = {b for b in self.routing.breakouts_at.get(site, ()) if design.breakouts[b].up}
        own = self.routing.site_breakout(site)
        if own is not None and own in design.breakouts and design.breakouts[own].up:
            breakouts.add(own)
        options: list[Ms] = []
        for b in sorted(breakouts):
            bsite = design.breakouts[b].site
            wan = self.routing.wan_latency(site, bsite)
            if wan is None:
                continue
            leg, near = self.geo.breakout_internet(b)
            if bsite == site and design.sites[site].internet_latency_ms is not None:
                leg = Ms(design.sites[site].internet_latency_ms or 0.0, False)
            options.append(wan + leg + self.engine.relay(near))
        best = min(options, key=lambda m: m.ms) if options else None
        self._inet[site] = best
        return best

    def best_inbound(self, service: str) -> Ms | None:
        if service in self._best_in:
            return self._best_in[service]
        s = self.design.services[service]
        eng = self.engine
        _, fe = eng.initiator(service)
        fe = fe or eng.tenant_front_end
        options: list[Ms] = []
        if fe is not None:
            for name, c in self.design.circuits.items():
                if not c.up:
                    continue
                wan = self.routing.wan_latency(c.site, s.site)
                if wan is None:
                    continue
                e = Entry(Via.EXPRESSROUTE, name)
                options.append(
                    self.geo.backbone(self.geo.fe_point(fe), self.geo.peering(name))
                    + eng._entry_leg(e)
                    + wan
                )
            b = self.routing.site_breakout(s.site)
            if b is not None and b in self.design.breakouts and self.design.breakouts[b].up:
                wan = self.routing.wan_latency(self.design.breakouts[b].site, s.site)
                if wan is not None:
                    leg, near = self.geo.breakout_internet(b)
                    options.append(self.geo.backbone_fe(fe, near) + leg + wan)
        best = min(options, key=lambda m: m.ms) if options else None
        self._best_in[service] = best
        return best

    def slower(self, latency: Ms, best: Ms | None) -> bool:
        if best is None:
            return False
        a = self.design.analysis
        return latency.ms > best.ms + a.suboptimal_ms and latency.ms > best.ms * a.suboptimal_ratio

    # -- verdicts ------------------------------------------------------------------------------
    def judge(self, flow: Flow) -> FlowResult:
        """The verdict of a flow; outbound flows sharing a trace share the judgement."""
        if flow.direction is not Direction.OUTBOUND:
            return self._judge(flow)
        done = self._memo.get(id(flow.trace))
        if done is None:
            done = self._judge(flow)
            self._memo[id(flow.trace)] = done
            return done
        return FlowResult(
            flow,
            done.verdict,
            done.cause,
            done.cause_key,
            done.fix,
            done.source,
            done.latency,
            done.best,
            done.culprit,
        )

    def _judge(self, flow: Flow) -> FlowResult:
        t = flow.trace
        d = flow.direction
        if t.outcome is not Outcome.OK and t.outcome is not Outcome.ASYMMETRIC:
            v = Verdict(t.outcome.value)
            fix, src = _FIXES[(d, v)]
            return FlowResult(flow, v, t.reason, v.value, fix, src, t.latency, None, t.culprit)
        if d is Direction.OUTBOUND:
            es = self.engine.catalogs.endpoint_set(flow.endpoint_set or -1)
            best = self.best_outbound(
                flow.origin, flow.express_route, es.community if es is not None else None
            )
        else:
            best = self.best_inbound(flow.origin)
        if t.outcome is Outcome.ASYMMETRIC:
            fix, src = _FIXES[(d, Verdict.ASYMMETRIC)]
            return FlowResult(
                flow,
                Verdict.ASYMMETRIC,
                t.reason,
                "asymmetric",
                fix,
                src,
                t.latency,
                best,
                t.culprit,
            )
        if self.slower(t.latency, best):
            key, culprit = self._cause(flow)
            cause, fix, src = _CAUSES[key]
            return FlowResult(
                flow, Verdict.SUBOPTIMAL, cause, key, fix, src, t.latency, best, culprit
            )
        return FlowResult(flow, Verdict.OK, "", "ok", "", "", t.latency, best, ())

    def _cause(self, flow: Flow) -> tuple[str, tuple[str, ...]]:
        t = flow.trace
        design = self.design
        a = design.analysis
        if flow.direction is Direction.INBOUND:
            name = (flow.entry or "").split(":", 1)[-1].split("/")[0]
            if name in design.circuits:
                return "far-entry", ("circuits", name, "prepend")
            return "hairpin", ("services", flow.origin, "entry")
        if flow.proxied and flow.start_site != flow.origin:
            wan = self.routing.wan_latency(flow.origin, flow.start_site)
            if wan is not None and wan.ms > a.suboptimal_ms:
                return "proxy", ("sites", flow.origin, "proxy")
        start = flow.start_site
        route = t.route
        if route is not None and route.via is Via.EXPRESSROUTE and route.circuit is not None:
            chosen = route.chosen
            if chosen is not None:
                better = [
                    c
                    for c in route.candidates
                    if c.local_preference < chosen.local_preference and c.igp < chosen.igp
                ]
                if better:
                    return "local-preference", ("circuits", route.circuit, "local_preference")
        if self._distant_resolver(flow):
            return "resolver", ("sites", start, "resolver_egress")
        if route is not None and route.via is Via.EXPRESSROUTE:
            return "propagated", ("sites", start, "er_routes")
        if route is not None and route.via is Via.INTERNET and route.breakout is not None:
            bsite = design.breakouts[route.breakout].site
            wan = self.routing.wan_latency(start, bsite)
            if bsite != start and wan is not None and wan.ms > a.suboptimal_ms:
                return "breakout", ("sites", start, "breakout")
        return "hairpin", ("sites", flow.origin)

    def _distant_resolver(self, flow: Flow) -> bool:
        """The front end geoDNS chose is not the one nearest to where the traffic enters."""
        t = flow.trace
        if flow.resolver is None or t.front_end is None:
            return False
        rsite = self.design.breakouts[flow.resolver].site
        if t.entry_site is None or rsite == t.entry_site:
            return False
        return rsite != flow.start_site


# -- findings ----------------------------------------------------------------------------------
def _findings(
    rows: Iterable[tuple[FlowResult, str, int | None]], loaded: LoadedLike
) -> list[Finding]:
    """Findings from (judgement, FQDN, endpoint set) per flow (``Report._rows``)."""
    groups: dict[tuple[str, str, tuple[str, ...], str], list[tuple[FlowResult, str]]] = defaultdict(
        list
    )
    for r, fqdn, _ in rows:
        if r.verdict is Verdict.OK:
            continue
        code = CODES[(r.flow.direction, r.verdict)]
        groups[(code, r.flow.origin, r.culprit, r.cause_key)].append((r, fqdn))
    out: list[Finding] = []
    design = loaded.design
    for (code, origin, culprit, _), members in groups.items():
        rs = [r for r, _ in members]
        first = rs[0]
        v = first.verdict
        sev = v.severity or Severity.INFO
        users = design.sites[origin].users if origin in design.sites else 0
        lat = max(r.latency.ms for r in rs)
        est = any(r.latency.estimated for r in rs)
        if first.flow.direction is Direction.OUTBOUND:
            fqdns = sorted({fqdn for _, fqdn in members})
            shown = ", ".join(fqdns[:3]) + (f" and {len(fqdns) - 3} more" if len(fqdns) > 3 else "")
            plural = "s" if len(rs) != 1 else ""
            who = f"{len(rs)} flow{plural} from site {origin} ({users} users; {shown})"
        else:
            entries = sorted({r.flow.entry or "" for r in rs})
            who = f"inbound service {origin} ({first.flow.fqdn}) via {', '.join(entries)}"
        lat_txt = f"{lat:.0f} ms{' (estimated)' if est else ''}"
        if v is Verdict.SUBOPTIMAL and first.best is not None:
            lat_txt += f" against {first.best.ms:.0f} ms at best"
        message = f"{v.value}: {who}: {first.cause} [{lat_txt}]"
        loc = loaded.source.where(culprit) if culprit else loaded.source.where(("sites", origin))
        out.append(
            Finding(
                code,
                sev,
                message,
                loc,
                fix=first.fix,
                source=first.source,
                subject=".".join(str(p) for p in culprit) if culprit else origin,
                data={
                    "verdict": v.value,
                    "flows": len(rs),
                    "users": users,
                    "latency_ms": round(lat, 1),
                    "estimated": est,
                    "origin": origin,
                },
            )
        )
    return out


def _route_notes(
    engine: FlowEngine, loaded: LoadedLike, tally: Iterable[tuple[FlowResult, int]]
) -> list[Finding]:
    """Notes on route choices; ``tally``: each judgement with its number of flows."""
    out: list[Finding] = []
    design = loaded.design
    for name, c in design.circuits.items():
        if c.region_preference:
            out.append(
                Finding(
                    CODE_REGION_PREFERENCE,
                    Severity.WARNING,
                    f"region_preference of circuit {name} has no effect on Microsoft 365 "
                    "prefixes: they carry service communities only, no regional ones; the "
                    "engine treats it as absent for them",
                    loaded.source.where(("circuits", name, "region_preference")),
                    fix="steer Microsoft 365 traffic with local preference and IGP metrics "
                    "('hot potato'); cold potato needs regional communities",
                    source="guide 000 §7.3.1",
                    subject=f"circuits.{name}.region_preference",
                )
            )
    ties: dict[tuple[str, tuple[str, ...]], int] = {}
    for r, count in tally:
        route = r.flow.trace.route
        if route is not None and route.tie_break:
            k = (r.flow.start_site, route.tie_break)
            ties[k] = ties.get(k, 0) + count
    for (site, tied), n in sorted(ties.items()):
        out.append(
            Finding(
                CODE_TIE_BREAK,
                Severity.INFO,
                f"site {site}: circuits {', '.join(tied)} tie on local preference and IGP "
                f"distance; {n} flows take {tied[0]} (tie broken by circuit name)",
                loaded.source.where(("sites", site)),
                fix="set local preference or WAN costs so the choice is explicit",
                source="guide 000 §7.3.1",
                subject=f"sites.{site}",
            )
        )
    return out


def _silence(findings: list[Finding], design: Design) -> list[Finding]:
    out = []
    for f in findings:
        reason = None
        if f.subject:
            parts = f.subject.split(".")
            if len(parts) >= 2:
                coll = getattr(design, parts[0], None)
                if isinstance(coll, dict) and parts[1] in coll:
                    reason = getattr(coll[parts[1]], "silence", {}).get(f.code)
        if reason is not None and f.silenced is None:
            f = Finding(
                f.code,
                f.severity,
                f.message,
                f.location,
                f.fix,
                f.source,
                f.subject,
                reason,
                f.data,
            )
        out.append(f)
    return out


def judge_flows(engine: FlowEngine) -> list[FlowResult]:
    return JudgedFlows(engine, Judge(engine)).results()


def summarize(results: Iterable[FlowResult], design: Design) -> dict[str, Any]:
    counts: dict[int, list[Any]] = {}
    for r in results:
        got = counts.get(id(r))
        if got is None:
            counts[id(r)] = [r, 1]
        else:
            got[1] += 1
    return _summary([(r, n) for r, n in counts.values()], design)


def _summary(tally: Iterable[tuple[FlowResult, int]], design: Design) -> dict[str, Any]:
    """Counts per verdict from each judgement and the number of flows it stands for."""
    by_verdict = {v.value: 0 for v in VERDICT_ORDER}
    users_by: dict[str, set[str]] = {v.value: set() for v in VERDICT_ORDER}
    flows = 0
    for r, n in tally:
        flows += n
        by_verdict[r.verdict.value] += n
        if r.flow.direction is Direction.OUTBOUND:
            users_by[r.verdict.value].add(r.flow.origin)
    affected = {s for v, sites in users_by.items() if v != Verdict.OK.value for s in sites}
    return {
        "flows": flows,
        "by_verdict": by_verdict,
        "users_by_verdict": {
            v: sum(design.sites[s].users for s in sites) for v, sites in users_by.items()
        },
        "users": sum(s.users for s in design.sites.values()),
        "users_affected": sum(design.sites[s].users for s in affected),
        "inbound_services": len(design.services),
    }


@contextmanager
def _collector_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector: a large verify allocates millions of small,
    acyclic objects that all stay alive, and each full collection walks all of them again
    (a third of the time at 10,000 sites). What is garbage is collected when it resumes."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def verify(loaded: LoadedLike, catalogs: Catalogs) -> Report:
    """Every flow with its verdict, the findings (rules and flows) and a summary."""
    with _collector_paused():
        return _verify(loaded, catalogs)


def _verify(loaded: LoadedLike, catalogs: Catalogs) -> Report:
    engine = FlowEngine(loaded.design, catalogs, detail=False)
    judged = JudgedFlows(engine, Judge(engine))
    findings = list(lint(loaded, catalogs))  # type: ignore[arg-type]
    tally = judged.tally()
    flow_findings = _findings(judged.rows(problems_only=True), loaded) + _route_notes(
        engine, loaded, tally
    )
    findings.extend(_silence(flow_findings, loaded.design))
    findings.sort(key=sort_key)
    return Report(findings, summary=_summary(tally, loaded.design), judged=judged)
