"""Tables of the planning analyses: aligned text, CSV and Markdown from one shape (the report
shows the same tables as HTML)."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True)
class Table:
    title: str
    head: list[str]
    body: list[list[str]]
    notes: list[str] = field(default_factory=list)


def render_table(t: Table, fmt: str) -> str:
    if fmt == "csv":
        out = io.StringIO()
        w = csv.writer(out, lineterminator="\n")
        w.writerow(t.head)
        w.writerows(t.body)
        return out.getvalue()
    if fmt == "markdown":
        lines = [f"### {t.title}", "", "| " + " | ".join(t.head) + " |"]
        lines.append("|" + "|".join("---" for _ in t.head) + "|")
        lines.extend("| " + " | ".join(c.replace("|", "\\|") for c in r) + " |" for r in t.body)
        if t.notes:
            lines.append("")
            lines.extend(t.notes)
        return "\n".join(lines) + "\n"
    widths = [len(h) for h in t.head]
    for r in t.body:
        for i, c in enumerate(r):
            widths[i] = max(widths[i], len(c))
    lines = [t.title, "  ".join(h.ljust(widths[i]) for i, h in enumerate(t.head)).rstrip()]
    lines.extend("  ".join(c.ljust(widths[i]) for i, c in enumerate(r)).rstrip() for r in t.body)
    lines.extend(t.notes)
    return "\n".join(lines) + "\n"
