"""The HTML report without a browser: self-contained, every finding in it, names as text, the
strokes of the guides' figures, and the command's files (render first, write last)."""

from __future__ import annotations

import base64
import hashlib
import html as htmllib
import json
import os
import re
from pathlib import Path

import pytest

from _report import EXAMPLES, HOSTILE, HOSTILE_NAME, catalogs, html, run_cli, verified
from erplan.report import sketch
from erplan.report.html import design_topology
from erplan.report.problems import problem_groups
from erplan.report.sketch import Status, Style

FIG04 = EXAMPLES / "g000-fig04-single-us-circuit.yaml"
FIG16 = EXAMPLES / "g000-fig16-shared-pool.yaml"
FIG17 = EXAMPLES / "g000-fig17-per-circuit-pools.yaml"


def _data(page: str) -> dict[str, object]:
    m = re.search(r'<script type="application/json" id="erplan-data">(.*?)</script>', page, re.S)
    assert m is not None
    data: dict[str, object] = json.loads(m.group(1))
    return data


def test_self_contained_and_locked_down() -> None:
    page = html(FIG16)
    # Nothing to fetch: no URL in any src/href, no external style or script.
    assert not re.search(r'(?:src|href)\s*=\s*"(?!#)', page)
    assert "http://" not in page.replace("http://www.w3.org/2000/svg", "")
    assert "https://" not in page
    # The policy admits exactly the inline style and script, by hash, and nothing else.
    csp = re.search(r'http-equiv="Content-Security-Policy" content="([^"]+)"', page)
    assert csp is not None
    policy = htmllib.unescape(csp.group(1))
    assert "default-src 'none'" in policy
    for tag in ("style", "script"):
        bodies = re.findall(rf"<{tag}>(.*?)</{tag}>", page, re.S)
        assert len(bodies) == 1
        digest = base64.b64encode(hashlib.sha256(bodies[0].encode()).digest()).decode()
        assert f"{tag}-src 'sha256-{digest}'" in policy


def test_every_finding_is_in_the_report() -> None:
    _, report = verified(FIG16)
    page = html(FIG16)
    text = htmllib.unescape(page)
    assert report.findings
    for f in report.findings:
        assert f.message in text, f.code
        if f.fix:
            assert f.fix in text
        if f.source:
            assert f.source in text
    # Errors come first in the findings list.
    order = re.findall(r'<li class="finding sev-(\w+)', page)
    assert order == sorted(order, key=["error", "warning", "info"].index)


def test_summary_counts_flows_by_verdict() -> None:
    _, report = verified(FIG16)
    page = html(FIG16)
    for verdict, n in report.summary["by_verdict"].items():
        row = re.search(rf'<tr class="v-{verdict}[^"]*">.*?<td class="num">(\d+)</td>', page)
        assert row is not None and int(row.group(1)) == n


def test_hostile_names_are_text() -> None:
    page = html(HOSTILE)
    # Only the report's own two script elements; the name is there, escaped.
    assert page.count("<script") == 2
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "<img src=x" not in page and "&lt;img src=x onerror=alert(2)&gt;" in page
    assert "]]><!--" not in page
    # The data the script reads cannot close its element, and gives the names back exactly.
    data = _data(page)
    assert HOSTILE_NAME in json.dumps(data, ensure_ascii=False)
    assert any(HOSTILE_NAME in str(n[0]) for n in data["nodes"])  # type: ignore[attr-defined]


def test_problem_groups_match_the_flow_findings() -> None:
    _, report = verified(FIG16)
    groups = problem_groups(report)
    flow_findings = [f for f in report.findings if f.code.startswith("ERP80")]
    assert len(groups) == len(flow_findings) == 2
    for g in groups:
        assert g.rows and g.flows == g.finding.data["flows"]
        assert all(r.verdict.value == g.verdict for r in g.rows)
        assert {r.flow.origin for r in g.rows} == {g.origin}


def _strokes(path: Path, origin: str) -> list[sketch.Stroke]:
    loaded, report = verified(path)
    topo = design_topology(loaded.design, catalogs(), report)
    row = next(
        r for r in report.results if r.flow.origin == origin and r.flow.key.startswith("out/")
    )
    return list(sketch.strokes(topo, row, loaded.design.analysis))


def test_figure_16_returns_by_the_other_circuit_are_red_and_marked() -> None:
    drawn = _strokes(FIG16, "eu")
    replies = [s for s in drawn if s.direction == "reply"]
    failed = [s for s in replies if s.failed_at]
    assert failed and all(s.status is Status.BAD for s in failed)
    # The cross is where the session is missing: the other circuit's customer edge.
    assert {s.failed_at for s in failed} == {"ce:us-er"}
    # Requests leave by the EU circuit and work; the backbone leg is dashed.
    for s in drawn:
        if s.direction == "request":
            assert s.status is Status.OK and "ce:eu-er" in s.points
            assert s.styles[-1] is Style.BACKBONE and s.points[-1].startswith("fe:")


def test_figure_17_every_path_is_green() -> None:
    for origin in ("us", "eu"):
        drawn = _strokes(FIG17, origin)
        assert drawn and all(s.status is Status.OK and s.failed_at is None for s in drawn)


def test_figure_4_hairpin_is_red() -> None:
    drawn = _strokes(FIG04, "eu")
    # EU users reach the Amsterdam front end through the US circuit: slow, there and back.
    assert drawn and all(s.status is Status.BAD for s in drawn)
    request = next(s for s in drawn if s.direction == "request")
    assert request.points[:3] == ("lan:eu", "site:eu", "site:us")
    assert request.points[-1] == "fe:Amsterdam"


Cli = tuple[pytest.CaptureFixture[str], pytest.MonkeyPatch]


@pytest.fixture
def cli(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> Cli:
    return capsys, monkeypatch


def test_report_command_writes_one_file(tmp_path: Path, cli: Cli) -> None:
    out = tmp_path / "report.html"
    code, _, err = run_cli(["report", str(FIG16), "-o", str(out)], *cli)
    assert code == 1  # the design has errors; the report is written all the same
    assert out.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")
    assert [p.name for p in tmp_path.iterdir()] == ["report.html"]  # no temporary left
    assert "wrote" in err


def test_report_command_bad_input_writes_nothing(tmp_path: Path, cli: Cli) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("erplan: 1\nsites: [\n", encoding="utf-8")
    out = tmp_path / "report.html"
    code, _, err = run_cli(["report", str(bad), "-o", str(out)], *cli)
    assert code == 2
    assert re.match(rf"{re.escape(str(bad))}:\d+:\d+: ", err)
    assert len(err.strip().splitlines()) == 1
    assert not out.exists()


def test_report_command_refuses_links_devices_and_its_input(tmp_path: Path, cli: Cli) -> None:
    design = tmp_path / "design.yaml"
    design.write_text(FIG17.read_text(encoding="utf-8"), encoding="utf-8")
    target = tmp_path / "kept.html"
    target.write_text("keep me", encoding="utf-8")
    link = tmp_path / "link.html"
    link.symlink_to(target)
    for out in (link, Path(os.devnull), design, tmp_path):
        code, _, err = run_cli(["report", str(design), "-o", str(out)], *cli)
        assert code == 2, out
        assert "will not write" in err
    assert link.is_symlink() and target.read_text(encoding="utf-8") == "keep me"
    assert design.read_text(encoding="utf-8") == FIG17.read_text(encoding="utf-8")


@pytest.mark.parametrize("path", sorted(EXAMPLES.glob("*.yaml"))[:40], ids=lambda p: p.stem)
def test_every_example_renders(path: Path) -> None:
    page = html(path)
    data = _data(page)
    _, report = verified(path)
    assert len(data["rows"]) == len(report.results)  # type: ignore[arg-type]
    assert page.count("<script") == 2


def test_planning_tables_come_through_the_hook(monkeypatch: pytest.MonkeyPatch) -> None:
    """A planning module named in PLANNING_HOOKS fills a section; one that is missing does not."""
    import sys
    import types
    from dataclasses import dataclass

    from erplan.report import planning_sections, render_report
    from erplan.report import sections as hook

    @dataclass
    class Table:
        title: str
        head: list[str]
        body: list[list[str]]
        notes: list[str]

    module = types.ModuleType("erplan_test_meetme")
    seen = []

    def report_tables(loaded: object, cats: object, report: object) -> list[Table]:
        seen.append(report)
        return [Table("Meet-me", ["site", "egress"], [[HOSTILE_NAME, "us-er"]], ["a note"])]

    module.report_tables = report_tables  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "erplan_test_meetme", module)
    monkeypatch.setattr(
        hook,
        "PLANNING_HOOKS",
        (("erplan_test_missing_module", "report_tables"), ("erplan_test_meetme", "report_tables")),
    )
    loaded, report = verified(FIG17)
    found = planning_sections(loaded, catalogs(), report)
    assert seen == [report] and [s.title for s in found] == ["Meet-me"]
    page = render_report(loaded.design, catalogs(), report, source=FIG17, sections=found)
    assert '<h2 id="plan-1-h">Meet-me</h2>' in page
    assert "<td>&lt;script&gt;alert(1)&lt;/script&gt;</td><td>us-er</td>" in page
    assert page.count("<script") == 2
