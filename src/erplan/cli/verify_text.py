"""`erplan verify` as text people read: a summary table, one line per problem flow group, the
fixes once per cause, the rule findings, and on request (``--flows``) one line per flow.

Colour only on a terminal. Piped, nothing is cut or wrapped at 80 columns: the console is as
wide as the longest line. Codes, verdicts, cause keys and flow keys are the ones the JSON
output and the HTML report use.
"""

from __future__ import annotations

import io
import sys
from typing import TextIO

from rich import box
from rich.color import ColorSystem
from rich.console import Console
from rich.style import Style
from rich.table import Table
from rich.text import Text

from erplan.analyses.causes import CAUSES
from erplan.analyses.verdicts import FlowResult, Report, Verdict
from erplan.diagnostics import Severity, sort_key
from erplan.engine import Branch
from erplan.engine import Path as FlowPath
from erplan.output import counts
from erplan.report.problems import problem_groups, row_code, rule_findings
from erplan.untrusted import escape_text

UNLIMITED = 100_000  # columns when piped: a line is as long as it needs to be

STYLE = {
    "error": "bold red",
    "warning": "yellow",
    "info": "blue",
    "ok": "green",
}


def verdict_style(v: Verdict | str) -> str:
    verdict = Verdict(v)
    return STYLE[verdict.severity.value] if verdict.severity is not None else STYLE["ok"]


def text_console(stream: TextIO) -> Console:
    """Colour and the terminal's width on a terminal; else plain and unlimited."""
    terminal = stream.isatty()
    return Console(
        file=stream,
        highlight=False,
        soft_wrap=not terminal,
        width=None if terminal else UNLIMITED,
        no_color=None if terminal else True,
    )


def _table(title: str) -> Table:
    return Table(
        box=box.SIMPLE_HEAD,
        title=title,
        title_justify="left",
        show_edge=False,
        pad_edge=False,
    )


def tenths(ms: float) -> int:
    """A hop's figure as shown (0.1 ms); paths and round trips are sums of these, so what a
    trace shows adds up (the JSON keeps the exact figures)."""
    return round(ms * 10)


def path_tenths(p: FlowPath) -> int:
    return sum(tenths(h.ms) for h in p.hops)


def branch_tenths(b: Branch) -> int:
    """Round trip: the request one way plus the reply the other (the request twice without)."""
    there = path_tenths(b.forward)
    return there + (path_tenths(b.back) if b.back is not None else there)


def row_tenths(r: FlowResult) -> int | None:
    """A row's latency as its branches show it: the slowest that works."""
    working = [branch_tenths(b) for b in r.trace.branches if b.outcome.works]
    return max(working) if working else None


def shown_ms(t: int) -> str:
    return f"{t / 10:.1f} ms"


def _pct(share: float) -> str:
    return f"{share:.0%}" if share >= 0.01 or share == 0 else "<1%"


def _columns(table: Table, names: list[str], fixed: set[str]) -> None:
    """``name>`` is right-aligned; ``fixed`` columns never wrap (short codes and numbers),
    the others fold on a narrow terminal rather than lose characters."""
    widths = {"code": 6, "verdict": 11, "flows>": 5, "conns>": 5, "users>": 5, "ms>": 4}
    for name in names:
        table.add_column(
            name.rstrip(">"),
            justify="right" if name.endswith(">") else "left",
            no_wrap=name in fixed,
            min_width=widths.get(name) if name in fixed else None,
            overflow="fold",
        )


def summary_table(report: Report) -> Table:
    s = report.summary
    flows = max(int(s["flows"]), 1)
    table = _table("Flows by verdict")
    table.add_column("verdict")
    table.add_column("flows", justify="right")
    table.add_column("share", justify="right")
    table.add_column("users", justify="right")
    order = sorted(
        Verdict,
        key=lambda v: (v.severity is None, v.severity is Severity.WARNING, list(Verdict).index(v)),
    )
    for v in order:
        n = s["by_verdict"][v.value]
        style = verdict_style(v) if n else "dim"
        table.add_row(
            Text(v.value, style=style),
            Text(str(n), style=style),
            Text(f"{n / flows:.1%}", style=style),
            Text(str(s["users_by_verdict"][v.value]), style=style),
        )
    return table


def problems_table(report: Report) -> Table | None:
    groups = problem_groups(report)
    if not groups:
        return None
    table = _table(f"Problem flows ({len(groups)} group{'s' if len(groups) != 1 else ''})")
    _columns(
        table,
        ["code", "verdict", "origin", "flows>", "conns>", "users>", "cause", "where", "example"],
        fixed={"code", "verdict", "flows>", "conns>", "users>"},
    )
    for g in groups:
        f = g.finding
        style = STYLE[f.severity.value]
        table.add_row(
            Text(f.code, style=style),
            Text(g.verdict, style=verdict_style(g.verdict)),
            Text(escape_text(g.who)),
            Text(str(g.flows)),
            Text(_pct(float(f.data["share"]))),
            Text(str(f.data.get("users_affected", 0))),
            Text(g.cause_key),
            Text(escape_text(str(f.location)) if f.location else ""),
            Text(escape_text(g.example)),
        )
    return table


def fixes_text(report: Report) -> list[str]:
    """One line per cause met: what it means, the fix and the guide (said once, not per group;
    once per fix where the fix depends on the way the flows took, as an inbound one's entry)."""
    lines = []
    met: dict[tuple[str, str, str], None] = {}
    for g in problem_groups(report):
        what, fix, source = CAUSES.get(g.cause_key, (g.cause_key, "", ""))
        for r in g.rows:
            met[(g.cause_key, r.fix or fix, r.source or source)] = None
        if not g.rows:
            met[(g.cause_key, fix, source)] = None
    for key, fix, source in met:
        what = CAUSES[key][0] if key in CAUSES else key
        lines.append(f"{key}: {what}")
        if fix:
            lines.append(f"    fix: {fix}")
        if source:
            lines.append(f"    see: {source}")
    return lines


def _edges(r: FlowResult, back: bool) -> str:
    seen: dict[str, None] = {}
    for b in r.trace.branches:
        path = b.back if back else b.forward
        if path is not None:
            seen[path.edge or "-"] = None
    return ", ".join(seen)


_SYSTEMS = {
    "standard": ColorSystem.STANDARD,
    "256": ColorSystem.EIGHT_BIT,
    "truecolor": ColorSystem.TRUECOLOR,
    "windows": ColorSystem.WINDOWS,
}
FLOW_COLUMNS = ("flow", "verdict", "code", "conns", "ms", "to", "out by", "back by", "cause")
_RIGHT = {"conns", "ms"}


def flow_rows(report: Report) -> list[tuple[str, ...]]:
    """One row per flow (a row of the report stands for the flows that share a trace)."""
    out: list[tuple[str, ...]] = []
    for r in report.results:
        t = row_tenths(r)
        lat = "" if t is None else f"{t / 10:.1f}{'~' if r.latency and r.latency.estimated else ''}"
        share = _pct(r.share) if r.verdict is not Verdict.OK else ""
        cause = "" if r.verdict is Verdict.OK else r.cause_key
        there, back = _edges(r, back=False), _edges(r, back=True)
        for f in r.flows:
            target = f.fqdn or (f"set {f.endpoint_set}" if f.endpoint_set is not None else "")
            out.append(
                (f.key, r.verdict.value, row_code(r) or "", share, lat, target, there, back, cause)
            )
    return out


def flows_lines(report: Report, console: Console) -> list[str]:
    """The per-flow table as plain aligned lines (tens of thousands of rows: a rich table
    would take minutes), the verdict coloured on a terminal."""
    rows = flow_rows(report)
    widths = [max([len(c)] + [len(r[i]) for r in rows]) for i, c in enumerate(FLOW_COLUMNS)]
    system = None if console.no_color else _SYSTEMS.get(console.color_system or "")
    painted = {
        v.value: Style.parse(verdict_style(v)).render(v.value.ljust(widths[1]), color_system=system)
        for v in Verdict
    }

    def line(cells: tuple[str, ...], paint: bool) -> str:
        parts = []
        for i, cell in enumerate(cells):
            if paint and i == 1 and system is not None:
                parts.append(painted[cell])
            elif FLOW_COLUMNS[i] in _RIGHT:
                parts.append(cell.rjust(widths[i]))
            else:
                parts.append(cell.ljust(widths[i]))
        return "  ".join(parts).rstrip()

    out = ["Flows", line(FLOW_COLUMNS, False), "-" * (sum(widths) + 2 * (len(widths) - 1))]
    out.extend(line(r, True) for r in rows)
    out.append("ms: round trip of the slowest branch that works; ~ estimated from distance")
    return out


def render_verify(report: Report, *, flows: bool = False, out: TextIO | None = None) -> None:
    stream = out or sys.stdout
    if stream.isatty():
        _verify(text_console(stream), report, flows)
        return
    # Piped: no trailing blanks (tables pad their cells), nothing cut.
    buffer = io.StringIO()
    _verify(text_console(buffer), report, flows)
    stream.write("".join(line.rstrip() + "\n" for line in buffer.getvalue().splitlines()))


def _verify(console: Console, report: Report, flows: bool) -> None:
    s = report.summary
    console.print(summary_table(report))
    console.print(
        f"{s['flows']} flows ({s['inbound_services']} inbound services); "
        f"{s['users_affected']} of {s['users']} users affected",
        markup=False,
    )
    problems = problems_table(report)
    if problems is not None:
        console.print()
        console.print(problems)
        console.print("Causes and fixes:", markup=False)
        for line in fixes_text(report):
            console.print(line, markup=False)
        console.print(
            "`erplan trace DESIGN --flow KEY` follows one flow hop by hop; "
            "`erplan report DESIGN -o FILE.html` draws them all on a map.",
            markup=False,
            style="dim",
        )
    if flows:
        console.print()
        console.file.write("".join(line + "\n" for line in flows_lines(report, console)))
    others = sorted(rule_findings(report.findings), key=sort_key)
    console.print()
    console.print("Rule findings:" if others else "No rule findings.", markup=False)
    for f in others:
        said = Text(escape_text(f"{f.location}: ") if f.location else "")
        said.append(f.code, style=STYLE[f.severity.value])
        said.append(f" {f.severity.value}", style=STYLE[f.severity.value])
        if f.silenced is not None:
            said.append(f" (silenced: {f.silenced})", style="dim")
        said.append(escape_text(f" {f.message}"))
        console.print(said)
        if f.silenced is None:
            if f.fix:
                console.print(escape_text(f"    fix: {f.fix}"), markup=False)
            if f.source:
                console.print(escape_text(f"    see: {f.source}"), markup=False)
    c = counts(report.findings)  # every finding, the flow groups' included
    tail = f"{c['error']} errors, {c['warning']} warnings, {c['info']} info"
    if c["silenced"]:
        tail += f" ({c['silenced']} silenced)"
    console.print(tail, markup=False)
