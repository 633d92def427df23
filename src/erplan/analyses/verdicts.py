"""Per-flow verdicts, the findings that sum them up, and ``verify``: the whole check.

Verdicts (design notes, "Flow semantics"): ``ok``; ``suboptimal`` (warning); ``asymmetric``
(warning: works, comes back by another circuit or breakout, crossing no state); ``dropped``,
``blackhole``, ``unreachable`` (errors). A flow takes its worst branch's verdict with the share
of connections that have it. Flows whose destinations the network treats alike share one trace
and one judgement: a *row* stands for all of them and lists their keys.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Protocol

from erplan import silencing
from erplan.analyses.causes import CAUSES, Culprit
from erplan.analyses.design_causes import design_rank
from erplan.analyses.failure_causes import FailureCauses
from erplan.analyses.judge import Judge
from erplan.analyses.missing_routes import KEYS as MISSING_KEYS
from erplan.analyses.missing_routes import destinations, not_expressroutable
from erplan.catalogs import Catalogs
from erplan.diagnostics import Finding, Location, Severity, sort_key
from erplan.engine import Branch, Direction, Engine, Flow, FlowTrace, Outcome
from erplan.engine.ranges import addr
from erplan.latency import Ms
from erplan.memory import collector_paused
from erplan.model import Design


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
        if self is Verdict.OK:
            return None
        if self in (Verdict.SUBOPTIMAL, Verdict.ASYMMETRIC):
            return Severity.WARNING
        return Severity.ERROR


VERDICT_ORDER = tuple(Verdict)

# Finding codes: one per verdict and direction; DNS has one; notes about route choices.
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
for _v in (Verdict.SUBOPTIMAL, Verdict.ASYMMETRIC):
    CODES[(Direction.DNS, _v)] = CODES[(Direction.OUTBOUND, _v)]
for _v in (Verdict.DROPPED, Verdict.BLACKHOLE, Verdict.UNREACHABLE):
    CODES[(Direction.DNS, _v)] = "ERP806"
CODE_REGION_PREFERENCE = "ERP820"
CODE_TIE = "ERP821"
CODE_QOS = "ERP822"
CODE_ROUTE_LEFT = "ERP816"


@dataclass(frozen=True, slots=True)
class FlowResult:
    """The verdict of one or more flows that share a trace (a row of the report)."""

    flows: Sequence[Flow]  # a tuple, or ``Members`` (which makes them again when read)
    trace: FlowTrace
    verdict: Verdict
    share_affected: float  # connections that fail
    share_warned: float  # connections with the warning (asymmetric, slow)
    cause_key: str
    cause: str
    fix: str
    source: str
    culprit: Culprit
    latency: Ms | None
    best: Ms | None
    relay: Ms | None
    tie: bool
    users: int

    @property
    def flow(self) -> Flow:
        return self.flows[0]

    @property
    def share(self) -> float:
        """The share of connections the verdict applies to."""
        if self.verdict.severity is Severity.ERROR:
            return self.share_affected
        if self.verdict is Verdict.OK:
            return 0.0
        return self.share_warned

    @property
    def users_affected(self) -> int:
        return round(self.users * self.share)

    def to_dict(self, *, detail: bool = False) -> dict[str, Any]:
        f = self.flow
        flows = tuple(self.flows)  # made once
        out: dict[str, Any] = {
            "keys": [x.key for x in flows],
            "count": len(flows),
            "direction": f.direction.value,
            "origin": f.origin,
            "start": f.start,
        }
        if f.direction is Direction.OUTBOUND:
            out["endpoint_sets"] = [x.endpoint_set for x in flows]
            out["fqdns"] = [x.fqdn for x in flows]
            out["proxy"] = f.proxy
            out["express_route"] = f.express_route
        else:
            out["fqdn"] = f.fqdn
            out["port"] = f.port
        out.update(
            {
                "resolver": f.resolver,
                "front_end": f.front_end,
                "destination": addr(f.destination) if f.destination else None,
                "answers": [
                    {"front_end": name, "destination": addr(a), "share": round(w, 6)}
                    for name, a, w in f.answers
                ]
                or None,
                "verdict": self.verdict.value,
                "share_affected": round(self.share_affected, 6),
                "share_warned": round(self.share_warned, 6),
                "tie": self.tie,
                "cause_key": self.cause_key if self.verdict is not Verdict.OK else None,
                "cause": self.cause or None,
                "fix": self.fix or None,
                "guide": self.source or None,
                "culprit": dotted(self.culprit) if self.culprit else None,
                "latency_ms": None if self.latency is None else round(self.latency.ms, 1),
                "estimated": None if self.latency is None else self.latency.estimated,
                "best_ms": None if self.best is None else round(self.best.ms, 1),
                "relay_ms": None if self.relay is None else round(self.relay.ms, 1),
                "users": self.users,
                "users_affected": self.users_affected,
                "branches": [b.to_dict() if detail else b.summary() for b in self.trace.branches],
            }
        )
        return out

    def per_flow(self) -> Iterator[dict[str, Any]]:
        """One dict per flow in the comparison format of docs/flow-semantics.md."""
        branches = [b.summary() for b in self.trace.branches]
        for f in self.flows:
            yield {
                "key": f.key,
                "direction": f.direction.value,
                "origin": f.origin,
                "verdict": self.verdict.value,
                "share_affected": round(self.share_affected, 6),
                "tie": self.tie,
                "branches": branches,
            }


def dotted(path: Culprit) -> str:
    """A design path as a subject: ("circuits", "us-er", "links") -> circuits.us-er.links."""
    return ".".join(str(p) for p in path)


class Verdicts:
    """Judges traces into rows."""

    def __init__(self, engine: Engine) -> None:
        self.judge = Judge(engine)
        self.failures = FailureCauses(engine)
        self.design = engine.design
        self._ranks: dict[Culprit, tuple[str | int, ...]] = {}

    def _worst(self, t: FlowTrace, failed: list[Branch]) -> tuple[Branch, tuple[str, str, Culprit]]:
        """The failure that names the flow: the worst outcome, then the cause with the largest
        share (ties by the outcome's and the cause's own names, never the design's)."""
        groups: dict[tuple[int, str, str], list[tuple[Branch, tuple[str, str, Culprit]]]] = {}
        for b in failed:
            why = self.failures.failure(t, b)
            groups.setdefault((b.outcome.rank, b.outcome.value, why[0]), []).append((b, why))

        def rank(k: tuple[int, str, str]) -> tuple[int, float, str, str]:
            return (k[0], round(sum(b.weight for b, _ in groups[k]), 9), k[1], k[2])

        members = groups[max(groups, key=rank)]
        heaviest = round(max(b.weight for b, _ in members), 9)
        tied = [m for m in members if round(m[0].weight, 9) == heaviest]
        # Equal weights: the culprit first in design order (branches come in name order).
        return tied[0] if len(tied) == 1 else min(tied, key=lambda m: self._rank(m[1][2]))

    def _rank(self, culprit: Culprit) -> tuple[str | int, ...]:
        got = self._ranks.get(culprit)
        if got is None:
            got = self._ranks[culprit] = design_rank(self.design, culprit)
        return got

    def result(self, flows: Sequence[Flow], t: FlowTrace) -> FlowResult:
        f = flows[0]
        users = self.design.sites[f.origin].users if f.origin in self.design.sites else 0
        if f.direction is Direction.DNS:
            users = self.design.sites[f.origin].users
        failed = [b for b in t.branches if not b.outcome.works]
        ties = t.ties
        tie = bool(ties) and len({b.outcome.works for b in t.branches}) > 1
        fe = self.judge.front_end(t)
        relay = self.judge.relay(t, fe)
        working = [b for b in t.branches if b.outcome.works]
        latency = (
            max((Ms(b.ms, b.estimated) for b in working), key=lambda m: m.ms) if working else None
        )
        if failed:
            worst, (key, why, culprit) = self._worst(t, failed)
            if key in MISSING_KEYS and len(flows) > 1:
                # A row of several endpoint sets: the reason names every service it covers.
                key, why, culprit = self.failures.failure(t, worst, destinations(flows))
                if key in MISSING_KEYS:  # the sets no ExpressRoute route can ever carry
                    why += not_expressroutable(flows)
            share = sum(b.weight for b in failed)
            verdict = Verdict(worst.outcome.value)
            fix, src = self.failures.fix(key, worst)
            if f.direction is Direction.DNS and key not in ("dns",):
                fix = f"{fix} (every flow of the site needs DNS)"
            return FlowResult(
                flows,
                t,
                verdict,
                share,
                0.0,
                key,
                why,
                fix,
                src,
                culprit,
                latency,
                None,
                relay,
                tie,
                users,
            )
        asym = [b for b in t.branches if b.outcome is Outcome.ASYMMETRIC]
        if asym:
            heaviest = max(asym, key=lambda b: b.weight)
            key, why, culprit = self.failures.failure(t, heaviest)
            fix, src = self.failures.fix(key, heaviest)
            share = sum(b.weight for b in asym)
            return FlowResult(
                flows,
                t,
                Verdict.ASYMMETRIC,
                0.0,
                share,
                key,
                why,
                fix,
                src,
                culprit,
                latency,
                None,
                relay,
                tie,
                users,
            )
        slow = self.judge.slowness(t)
        if slow is not None:
            key, culprit, lat, best, share, via = slow
            what, _, src = CAUSES[key]
            fix = self.judge.fix(key, culprit)
            if via:  # every option tied for the best, not only the one listed first
                what = f"{what} (the best this origin has: {via})"
            return FlowResult(
                flows,
                t,
                Verdict.SUBOPTIMAL,
                0.0,
                share,
                key,
                what,
                fix,
                src,
                culprit,
                lat,
                best,
                relay,
                tie,
                users,
            )
        best = None
        return FlowResult(
            flows, t, Verdict.OK, 0.0, 0.0, "ok", "", "", "", (), latency, best, relay, tie, users
        )


class Report:
    """Findings, every flow with its verdict (as rows), and a summary. ``results`` holds every
    row unless ``verify`` was told to keep fewer (the summary and findings count them all)."""

    def __init__(
        self,
        findings: list[Finding],
        results: list[FlowResult],
        summary: dict[str, Any],
        engine: Engine,
    ) -> None:
        self.findings = findings
        self.results = results
        self.summary = summary
        self.engine = engine  # what traced the results (analyses that read paths reuse it)

    @property
    def has_errors(self) -> bool:
        return any(f.severity is Severity.ERROR and f.silenced is None for f in self.findings)

    def flows(self) -> Iterator[tuple[Flow, FlowResult]]:
        for r in self.results:
            for f in r.flows:
                yield f, r

    def per_flow(self) -> list[dict[str, Any]]:
        """Every flow in the comparison format (docs/flow-semantics.md)."""
        return [d for r in self.results for d in r.per_flow()]

    def to_dict(self) -> dict[str, Any]:
        return {**self.head(), "flows": [r.to_dict() for r in self.results]}

    def head(self) -> dict[str, Any]:
        """``to_dict`` without the flows, which ``rows_dicts`` gives one at a time."""
        return {"summary": self.summary, "findings": [f.to_dict() for f in self.findings]}

    def rows_dicts(self) -> Iterator[dict[str, Any]]:
        return (r.to_dict() for r in self.results)


def rows(engine: Engine, verdicts: Verdicts | None = None) -> list[FlowResult]:
    """Every flow of the design, traced once per class and judged once per trace."""
    verdicts = verdicts or Verdicts(engine)
    return [
        verdicts.result(engine.members(flows), engine.trace(flows[0]))
        for _, flows in engine.groups()
    ]


# -- findings ------------------------------------------------------------------------------------
class Tally:
    """The report's summary, counted row by row as the rows are judged."""

    def __init__(self, design: Design) -> None:
        self.design = design
        self.flows = 0
        self.by_verdict = {v.value: 0 for v in VERDICT_ORDER}
        self.users_by: dict[str, set[str]] = {v.value: set() for v in VERDICT_ORDER}
        self.affected: dict[str, float] = {}

    def add(self, r: FlowResult) -> None:
        n = len(r.flows)
        self.flows += n
        self.by_verdict[r.verdict.value] += n
        if r.flow.direction is not Direction.INBOUND and r.flow.origin in self.design.sites:
            self.users_by[r.verdict.value].add(r.flow.origin)
            if r.verdict is not Verdict.OK:
                o = r.flow.origin
                self.affected[o] = max(self.affected.get(o, 0.0), r.share)

    def summary(self) -> dict[str, Any]:
        design = self.design
        return {
            "design": design.name,
            "description": design.description,
            "flows": self.flows,
            "by_verdict": self.by_verdict,
            "users_by_verdict": {
                v: sum(design.sites[s].users for s in sites) for v, sites in self.users_by.items()
            },
            "users": sum(s.users for s in design.sites.values()),
            "users_affected": round(
                sum(design.sites[s].users * x for s, x in self.affected.items())
            ),
            "inbound_services": len(design.services),
        }


def summarize(results: Iterable[FlowResult], design: Design) -> dict[str, Any]:
    tally = Tally(design)
    for r in results:
        tally.add(r)
    return tally.summary()


def verify(
    loaded: LoadedLike,
    catalogs: Catalogs,
    *,
    each: Callable[[FlowResult], object] | None = None,
    keep: Callable[[FlowResult], bool] | None = None,
) -> Report:
    """Every flow with its verdict, the findings (rules and flows) and a summary.

    Each row is summed up into the summary and the flow findings as it is judged, and handed to
    ``each`` (a renderer that writes it at once). ``keep`` chooses the rows the report holds
    (default: all); a row not kept is dropped with its trace as soon as it is judged. The path
    rules that read the design's traced rows (``reads_traces``) read each as it is judged too.
    """
    from erplan.analyses.flow_findings import FlowFindings
    from erplan.analyses.rules import lint
    from erplan.analyses.rules.security import PathRows, reads_traces

    with collector_paused():
        engine = Engine(loaded.design, catalogs, keep_traces=keep is None)
        verdicts = Verdicts(engine)
        tally = Tally(loaded.design)
        about_flows = FlowFindings(engine, loaded, catalogs)
        # Fed every row, so that no path rule traces the design again.
        paths = PathRows(engine) if reads_traces(loaded.design) else None
        results: list[FlowResult] = []
        for _, flows in engine.groups():
            r = verdicts.result(engine.members(flows), engine.trace(flows[0]))
            tally.add(r)
            about_flows.add(r)
            if paths is not None:
                paths.add(r)
            if each is not None:
                each(r)
            if keep is None or keep(r):
                results.append(r)
        findings = list(lint(loaded, catalogs, paths=paths))  # type: ignore[arg-type]
        findings.extend(silencing.apply(about_flows.findings(), loaded.design))
        findings.sort(key=sort_key)
        return Report(findings, results, tally.summary(), engine)
