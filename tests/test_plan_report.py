"""`erplan report` shows the planning tables through its hook (PLANNING_HOOKS), with the same
rows the planning commands print."""

from __future__ import annotations

import csv
import io

import pytest

from _cli import run
from _report import EXAMPLES, catalogs, verified
from erplan.analyses.sweep import REPORT_KINDS
from erplan.report import planning_sections, render_report
from erplan.tables import Table, render_table

HA = EXAMPLES / "g001-sharepoint-outbound.yaml"


def _csv_blocks(text: str) -> list[list[list[str]]]:
    """The tables of a CSV output (one block per table, separated by a blank line)."""
    return [list(csv.reader(io.StringIO(b))) for b in text.split("\n\n") if b.strip()]


def test_report_shows_meetme_failures_and_bandwidth(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    loaded, report = verified(HA)
    found = planning_sections(loaded, catalogs(), report)
    by_title = {s.title: s for s in found}
    assert [s.title for s in found][:2] == ["meet-me", "failures, most users affected first"]
    assert {"circuit load and headroom", "outbound NAT pools"} <= set(by_title)

    meet = _csv_blocks(run(["meetme", str(HA), "-f", "csv"], capsys, monkeypatch).out)[0]
    assert [list(by_title["meet-me"].head), *map(list, by_title["meet-me"].body)] == meet

    kinds = ",".join(REPORT_KINDS)
    swept = run(["failures", str(HA), "--kinds", kinds, "-f", "csv"], capsys, monkeypatch)
    ranking = by_title["failures, most users affected first"]
    assert [list(ranking.head), *map(list, ranking.body)] == _csv_blocks(swept.out)[0]
    assert any(r[0] == "location:Chicago" for r in ranking.body)

    bw = _csv_blocks(run(["bandwidth", str(HA), "-f", "csv"], capsys, monkeypatch).out)
    load = by_title["circuit load and headroom"]
    assert [list(load.head), *map(list, load.body)] == bw[0]

    page = render_report(loaded.design, catalogs(), report, source=HA, sections=found)
    assert '<h2 id="plan-1-h">meet-me</h2>' in page
    assert "location:Chicago" in page


def test_table_cells_are_escaped_for_markdown_and_spreadsheets() -> None:
    """Cells carry design names: Markdown shows them as text; a spreadsheet never evaluates one
    as a formula, while figures (negative headroom, the "-" placeholder) stay numbers."""
    t = Table("a|b", ["site", "headroom"], [["<script>", "-5%"], ["=cmd|x", "-"]], ["*note*"])
    md = render_table(t, "markdown")
    assert "### a\\|b" in md and "| \\<script\\> | -5% |" in md
    assert "| =cmd\\|x | - |" in md and "\\*note\\*" in md
    rows = list(csv.reader(io.StringIO(render_table(t, "csv"))))
    assert rows == [["site", "headroom"], ["<script>", "-5%"], ["'=cmd|x", "-"]]
