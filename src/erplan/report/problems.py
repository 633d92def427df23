"""Problem flow groups: each flow finding (``ERP8xx``) with the rows it sums up.

``verify`` groups the rows that are not ``ok`` by (code, origin, the design object to change,
cause) into one finding each. The terminal output shows one line per group and the HTML report a
"show on the map" button per finding: both need the rows back, so both take them from here and
speak of the same groups, codes and cause keys.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from erplan.analyses.causes import CAUSES
from erplan.analyses.verdicts import CODES, FlowResult, Report, Verdict
from erplan.diagnostics import Finding, Severity
from erplan.engine import Direction

SEVERITY_ORDER = {Severity.ERROR: 0, Severity.WARNING: 1, Severity.INFO: 2}


def row_code(r: FlowResult) -> str | None:
    """The finding code of a row's verdict (None for ``ok``)."""
    if r.verdict is Verdict.OK:
        return None
    return CODES[(r.flow.direction, r.verdict)]


def row_subject(r: FlowResult) -> str:
    """What the row's finding is about: the design object to change, else the origin."""
    return ".".join(str(p) for p in r.culprit) if r.culprit else r.flow.origin


def _key(code: str, origin: str, subject: str, cause: str) -> tuple[str, str, str, str]:
    return (code, origin, subject, cause)


@dataclass(frozen=True, slots=True)
class ProblemGroup:
    """One flow finding and the rows behind it."""

    finding: Finding
    rows: tuple[FlowResult, ...]

    @property
    def verdict(self) -> str:
        return str(self.finding.data.get("verdict", ""))

    @property
    def cause_key(self) -> str:
        return str(self.finding.data.get("cause_key", ""))

    @property
    def cause(self) -> str:
        """The cause in a few words (the same for every group with this cause key)."""
        known = CAUSES.get(self.cause_key)
        return known[0] if known else self.cause_key

    @property
    def flows(self) -> int:
        return sum(len(r.flows) for r in self.rows)

    @property
    def origin(self) -> str:
        return str(self.finding.data.get("origin", ""))

    @property
    def who(self) -> str:
        """The origin as people name it: a site, a server, an inbound service, a site's DNS."""
        first = self.rows[0].flow if self.rows else None
        if first is None:
            return self.origin
        if first.direction is Direction.INBOUND:
            return f"service {self.origin}"
        if first.direction is Direction.DNS:
            return f"DNS of {self.origin}"
        if first.kind == "server":
            return f"server {self.origin}"
        return f"site {self.origin}"

    @property
    def example(self) -> str:
        """A flow key to trace (``erplan trace --flow``) or select in the report."""
        return self.rows[0].flow.key if self.rows else ""


def problem_groups(report: Report) -> list[ProblemGroup]:
    """Every flow finding with its rows, errors first, then by share of connections."""
    by_key: dict[tuple[str, str, str, str], list[FlowResult]] = {}
    for r in report.results:
        code = row_code(r)
        if code is not None:
            key = _key(code, r.flow.origin, row_subject(r), r.cause_key)
            by_key.setdefault(key, []).append(r)
    out = []
    for f in report.findings:
        if "cause_key" not in f.data or "origin" not in f.data:
            continue
        key = _key(f.code, str(f.data["origin"]), f.subject or "", str(f.data["cause_key"]))
        out.append(ProblemGroup(f, tuple(by_key.get(key, ()))))
    out.sort(key=lambda g: (SEVERITY_ORDER[g.finding.severity], -float(g.finding.data["share"])))
    return out


def is_flow_finding(f: Finding) -> bool:
    return "cause_key" in f.data and "origin" in f.data


def rule_findings(findings: Iterable[Finding]) -> list[Finding]:
    """The findings that are not flow groups (rules, notes about route choices)."""
    return [f for f in findings if not is_flow_finding(f)]
