"""Two states of a design compared flow by flow: what a change does before it is made.

A flow (by key, the same key in both states) changed when its verdict, its paths (the nodes of
every branch there and back), the addresses its requests leave with, or its latency (by a
millisecond or more) differ. Rules raised or cleared are the findings of one state and not the
other (by code and subject). A change *breaks* a flow when a larger share of its connections
fails than before: that is what `erplan diff` exits 1 for.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from erplan.analyses.summary import ERRORS, FlowState, index, state_of
from erplan.analyses.verdicts import Report, verify
from erplan.catalogs import Catalogs
from erplan.diagnostics import Finding, Severity
from erplan.engine import Engine
from erplan.load import LoadedDesign
from erplan.model import Design

LATENCY_MS = 1.0  # a latency change smaller than this is noise


@dataclass(frozen=True, slots=True)
class Snapshot:
    """One state: the design, its flows' states by key, and every finding."""

    design: Design
    by_key: dict[str, FlowState]
    findings: tuple[Finding, ...]
    report: Report


def snapshot(loaded: LoadedDesign, catalogs: Catalogs) -> Snapshot:
    report = verify(loaded, catalogs)
    engine = Engine(loaded.design, catalogs)  # the same design: the same legs for latencies
    states = [state_of(engine, r) for r in report.results]
    return Snapshot(loaded.design, index(states), tuple(report.findings), report)


@dataclass(frozen=True, slots=True)
class FlowChange:
    key: str
    origin: str
    direction: str
    what: tuple[str, ...]  # verdict, path, translated, latency, added, removed
    before: FlowState | None
    after: FlowState | None

    @property
    def breaks(self) -> bool:
        if self.before is None or self.after is None:
            return False
        return self.after.failing > self.before.failing + 1e-9

    def to_dict(self) -> dict[str, Any]:
        b, a = self.before, self.after
        out: dict[str, Any] = {
            "key": self.key,
            "origin": self.origin,
            "direction": self.direction,
            "changed": list(self.what),
            "breaks": self.breaks,
        }
        if b is not None:
            out["before"] = _brief(b)
        if a is not None:
            out["after"] = _brief(a)
        return out


def _brief(s: FlowState) -> dict[str, Any]:
    return {
        "verdict": s.verdict,
        "share": round(s.share, 6),
        "cause": s.cause or None,
        "egress": [e for e, _ in s.edges],
        "translated": list(s.translated),
        "latency_ms": None if s.latency_ms is None else round(s.latency_ms, 1),
    }


@dataclass(frozen=True, slots=True)
class Diff:
    flows: tuple[FlowChange, ...]
    raised: tuple[Finding, ...]
    cleared: tuple[Finding, ...]
    users_affected: int  # people at sites with a changed flow
    users_broken: int  # people whose flows fail more than before
    sites: tuple[str, ...]

    @property
    def breaks(self) -> bool:
        return any(c.breaks for c in self.flows)

    def to_dict(self) -> dict[str, Any]:
        return {
            "breaks": self.breaks,
            "flows_changed": len(self.flows),
            "flows_broken": sum(1 for c in self.flows if c.breaks),
            "users_affected": self.users_affected,
            "users_broken": self.users_broken,
            "sites_affected": list(self.sites),
            "rules_raised": [f.to_dict() for f in self.raised],
            "rules_cleared": [f.to_dict() for f in self.cleared],
            "flows": [c.to_dict() for c in self.flows],
        }


def _finding_key(f: Finding) -> tuple[str, str]:
    return (f.code, f.subject or f.message)


def _changes(b: FlowState, a: FlowState) -> tuple[str, ...]:
    what: list[str] = []
    if b.verdict != a.verdict or abs(b.share - a.share) > 1e-9:
        what.append("verdict")
    if b.paths != a.paths:
        what.append("path")
    if b.translated != a.translated:
        what.append("translated")
    for x, y in ((b.latency_ms, a.latency_ms), (b.network_ms, a.network_ms)):
        if (x is None) != (y is None) or (
            x is not None and y is not None and abs(x - y) >= LATENCY_MS
        ):
            what.append("latency")
            break
    return tuple(what)


def compare(old: Snapshot, new: Snapshot) -> Diff:
    flows: list[FlowChange] = []
    for key in sorted(old.by_key.keys() | new.by_key.keys()):
        b, a = old.by_key.get(key), new.by_key.get(key)
        if b is None:
            assert a is not None
            flows.append(FlowChange(key, a.origin, a.direction, ("added",), None, a))
        elif a is None:
            flows.append(FlowChange(key, b.origin, b.direction, ("removed",), b, None))
        else:
            what = _changes(b, a)
            if what:
                flows.append(FlowChange(key, a.origin, a.direction, what, b, a))
    before = {_finding_key(f): f for f in old.findings if f.silenced is None}
    after = {_finding_key(f): f for f in new.findings if f.silenced is None}
    raised = tuple(f for k, f in after.items() if k not in before)
    cleared = tuple(f for k, f in before.items() if k not in after)
    users, broken, sites = _users(new.design, old.design, flows)
    return Diff(tuple(flows), raised, cleared, users, broken, sites)


def _users(
    new: Design, old: Design, flows: Iterable[FlowChange]
) -> tuple[int, int, tuple[str, ...]]:
    touched: set[str] = set()
    worse: dict[str, float] = {}
    for c in flows:
        if c.direction == "inbound":
            continue
        touched.add(c.origin)
        if c.breaks and c.before is not None and c.after is not None:
            worse[c.origin] = max(worse.get(c.origin, 0.0), c.after.failing - c.before.failing)

    def people(site: str) -> int:
        s = new.sites.get(site) or old.sites.get(site)
        return 0 if s is None else s.users

    sites = tuple(sorted(s for s in touched if people(s) > 0))
    return (
        sum(people(s) for s in sites),
        round(sum(people(s) * x for s, x in worse.items())),
        sites,
    )


def errors(snap: Snapshot) -> int:
    """Unsilenced error findings of a state."""
    return sum(1 for f in snap.findings if f.severity is Severity.ERROR and f.silenced is None)


def newly_failing(d: Diff) -> list[FlowChange]:
    return [c for c in d.flows if c.after is not None and c.after.verdict in ERRORS and c.breaks]
