"""The cost of security placement (``erplan security``) as text, Markdown and JSON documents.

One table per circuit: the sites whose ExpressRoute connections take it, the latency as traced
and under each placement option of guide 001's table for the circuit's model, side by side, with
the users each option slows down, as guide 001's Contoso example weighs them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from erplan.analyses.placement import GUIDE, CircuitCost
from erplan.analyses.verdicts import Report
from erplan.catalogs import Catalogs
from erplan.diagnostics import Finding
from erplan.generators.safe import markdown_cell
from erplan.latency import Ms

TLS_NOTE = (
    'guide 001: "If there are any latency or TCP congestion issues found in your testing, you '
    "may need to move the egress closer to the people using Microsoft 365 or remove intensive "
    'network scanning such as SSL decryption/inspection."'
)


def _ms(m: Ms | None, added: float | None = None) -> str:
    if m is None:
        return "—"
    text = f"{m.ms:.1f}{'~' if m.estimated else ''}"
    if added is not None and added >= 0.05:
        text += f" (+{added:.1f})"
    return text


def rows(cost: CircuitCost) -> tuple[list[str], list[list[str]]]:
    head = ["site", "users", "as designed (traced)"] + [
        f"{i + 1}. {name}" for i, (name, _) in enumerate(cost.options)
    ]
    body = []
    for s in cost.sites:
        match = cost.closest(s)
        designed = _ms(s.designed) + (f" (= option {match + 1})" if match is not None else "")
        cells = [f"{_ms(o, s.added(i))} via {s.via[i] or '—'}" for i, o in enumerate(s.options)]
        body.append([s.site, str(s.users), designed, *cells])
    return head, body


def totals(cost: CircuitCost) -> list[str]:
    return [
        f"{i + 1}. {name}: +{cost.weighted_added(i):.1f} ms user-weighted; "
        f'{cost.users_affected(i)} users slowed by 1 ms or more — guide: "{text}"'
        for i, (name, text) in enumerate(cost.options)
    ]


def tls_lines(cost: CircuitCost) -> list[str]:
    heavy: dict[str, list[str]] = {}
    for s in cost.sites:
        for d in s.tls:
            heavy.setdefault(d, []).append(s.site)
    return [
        f"TLS inspection: {d} decrypts the ExpressRoute traffic of {', '.join(sites)}"
        for d, sites in heavy.items()
    ]


def _header(cost: CircuitCost) -> str:
    where = ", ".join(cost.locations) or "none (no firewall on an internet breakout)"
    return (
        f"circuit {cost.circuit} ({cost.connectivity.value}); security locations: {where}; "
        "round trip to the Microsoft edge in ms (~ estimated)"
    )


def text(costs: list[CircuitCost], findings: list[Finding], unstated: list[str]) -> str:
    out: list[str] = []
    for cost in costs:
        head, body = rows(cost)
        widths = [max(len(r[i]) for r in [head, *body]) for i in range(len(head))]
        out.append(_header(cost))
        for r in [head, *body]:
            line = "  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True))
            out.append("  " + line.rstrip())
        out.extend("  " + line for line in _notes(cost))
        out.append("")
    if unstated:
        out.append(
            f"circuits without a stated connectivity model (no options shown): "
            f"{', '.join(unstated)}"
        )
    if not costs and not unstated:
        out.append("no circuits")
    out.append(f"source: {GUIDE}")
    out.extend(f.render() for f in findings)
    return "\n".join(out) + "\n"


def markdown(costs: list[CircuitCost], findings: list[Finding], unstated: list[str]) -> str:
    out = ["# Security placement", "", f"Source: {GUIDE}.", ""]
    for cost in costs:
        head, body = rows(cost)
        out += [f"## {_cell(_header(cost))}", ""]
        out.append("| " + " | ".join(_cell(c) for c in head) + " |")
        out.append("|" + "---|" * len(head))
        out += ["| " + " | ".join(_cell(c) for c in r) + " |" for r in body]
        out.append("")
        out += [f"- {_cell(line)}" for line in totals(cost) + tls_lines(cost)]
        out.append("")
    if unstated:
        names = _cell(", ".join(unstated))
        out += [f"Circuits without a stated connectivity model: {names}.", ""]
    if findings:
        out += ["## Findings", ""]
        out += [f"- `{f.code}` {_cell(f.message)}" for f in findings]
        out.append("")
    return "\n".join(out)


def document(costs: list[CircuitCost], findings: list[Finding], unstated: list[str]) -> Any:
    return {
        "source": GUIDE,
        "circuits": [c.to_dict() for c in costs],
        "unstated": unstated,
        "findings": [f.to_dict() for f in findings],
    }


def _cell(text: str) -> str:
    return markdown_cell(text.replace("\n", " "))


@dataclass(frozen=True)
class ReportTable:
    """One circuit's placement options as a report section (``erplan.report.sections``)."""

    title: str
    head: tuple[str, ...]
    body: tuple[tuple[str, ...], ...]
    notes: tuple[str, ...]


def _notes(cost: CircuitCost) -> list[str]:
    """Below a circuit's table: the totals, then any TLS inspection with the guide's note."""
    tls = tls_lines(cost)
    return [*totals(cost), *tls, *([TLS_NOTE] if tls else [])]


def report_tables(loaded: Any, catalogs: Catalogs, report: Report) -> list[ReportTable]:
    """The security section of the HTML report: per circuit with a stated connectivity model,
    its placement options side by side, measured on the report's own traces."""
    from erplan.analyses.placement import Placement

    design = loaded.design
    if not any(c.connectivity is not None for c in design.circuits.values()):
        return []
    out = []
    for cost in Placement(report.engine, report.results).all():
        head, body = rows(cost)
        notes = (_header(cost), *_notes(cost))
        out.append(
            ReportTable(
                f"Security placement: circuit {cost.circuit} ({cost.connectivity.value})",
                tuple(head),
                tuple(tuple(r) for r in body),
                notes,
            )
        )
    return out
