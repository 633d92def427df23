"""Tables of the planning analyses: aligned text, CSV and Markdown from one shape (the report
shows the same tables as HTML). Cells carry design names: escaped for Markdown, never a
spreadsheet formula in CSV (the text renderer's caller escapes for the terminal)."""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field

# A figure or the "-" placeholder: a spreadsheet reads it as the number it is, not a formula.
_FIGURE = re.compile(r"-|-?[0-9][0-9,.]*%?")


@dataclass(frozen=True, slots=True)
class Table:
    title: str
    head: list[str]
    body: list[list[str]]
    notes: list[str] = field(default_factory=list)


def render_table(t: Table, fmt: str) -> str:
    from erplan.generators.safe import markdown_cell, spreadsheet_cell

    if fmt == "csv":
        out = io.StringIO()
        w = csv.writer(out, lineterminator="\n")
        for r in (t.head, *t.body):
            w.writerow([c if _FIGURE.fullmatch(c) else spreadsheet_cell(c) for c in r])
        return out.getvalue()
    if fmt == "markdown":
        md = markdown_cell
        lines = [f"### {md(t.title)}", "", "| " + " | ".join(md(h) for h in t.head) + " |"]
        lines.append("|" + "|".join("---" for _ in t.head) + "|")
        lines.extend("| " + " | ".join(md(c) for c in r) + " |" for r in t.body)
        if t.notes:
            lines.append("")
            lines.extend(md(n) for n in t.notes)
        return "\n".join(lines) + "\n"
    widths = [len(h) for h in t.head]
    for r in t.body:
        for i, c in enumerate(r):
            widths[i] = max(widths[i], len(c))
    lines = [t.title, "  ".join(h.ljust(widths[i]) for i, h in enumerate(t.head)).rstrip()]
    lines.extend("  ".join(c.ljust(widths[i]) for i, c in enumerate(r)).rstrip() for r in t.body)
    lines.extend(t.notes)
    return "\n".join(lines) + "\n"
