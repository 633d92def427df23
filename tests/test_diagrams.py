"""`erplan diagram`: draw.io read back against its XML structure, DOT read by Graphviz itself,
Mermaid's labels, SVG as XML; names from the design exactly as given in every format. (The
Mermaid output is parsed and rendered by Mermaid itself in test_report_browser.py.)"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
import xmlschema

from _report import EXAMPLES, HOSTILE, HOSTILE_NAME, ROOT, catalogs, run_cli, verified
from erplan.report import DiagramFormat, render_diagram
from erplan.report.mermaid import label

FIG16 = EXAMPLES / "g000-fig16-shared-pool.yaml"
SCHEMA = xmlschema.XMLSchema(ROOT / "tests" / "data" / "mxfile.xsd")


def _names(path: Path) -> set[str]:
    d = verified(path)[0].design
    return set(d.sites) | set(d.breakouts) | set(d.circuits)


def _diagram(path: Path, fmt: DiagramFormat, flow: str | None = None) -> str:
    loaded, report = verified(path)
    return render_diagram(loaded.design, catalogs(), report, fmt, flow=flow)


def _problem_key(path: Path) -> str:
    _, report = verified(path)
    return next(r.flow.key for r in report.results if r.verdict.value != "ok")


@pytest.mark.parametrize("path", [FIG16, HOSTILE], ids=["fig16", "hostile"])
def test_drawio_reads_back(path: Path) -> None:
    text = _diagram(path, DiagramFormat.DRAWIO, _problem_key(path))
    SCHEMA.validate(text)  # raises on any element or attribute out of place
    root = ET.fromstring(text)
    cells = root.findall(".//mxCell")
    ids = [c.get("id") for c in cells]
    assert len(ids) == len(set(ids)) and ids[:2] == ["0", "1"]
    known = set(ids)
    for c in cells[1:]:
        assert c.get("parent") in known
        if c.get("edge") == "1":
            assert c.get("source") in known and c.get("target") in known
        # Labels are text in diagrams.net: no style may turn HTML rendering on.
        assert "html=1" not in (c.get("style") or "")
    labels = {c.get("value") for c in cells if c.get("vertex") == "1"}
    assert _names(path) <= labels  # every name back exactly, whatever characters it has
    # A flow's paths are on their own layer, coloured, through existing vertices.
    layer = [c for c in cells if c.get("parent") == "flow"]
    assert layer and any("#d0312d" in (c.get("style") or "") for c in layer)


def _dot_binary() -> str:
    found = shutil.which("dot")
    if found is None:
        if os.environ.get("CI"):
            pytest.fail("Graphviz is missing in CI: scripts/install-sysdeps.sh installs it")
        pytest.skip("Graphviz's dot is not installed (make sysdeps as root installs it)")
    return found


def _graphviz(text: str, fmt: str) -> str:
    done = subprocess.run(
        [_dot_binary(), f"-T{fmt}"], input=text, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    assert "Warning" not in done.stderr and "Error" not in done.stderr, done.stderr
    return done.stdout


@pytest.mark.parametrize("path", [FIG16, HOSTILE], ids=["fig16", "hostile"])
def test_dot_is_read_by_graphviz(path: Path) -> None:
    text = _diagram(path, DiagramFormat.DOT, _problem_key(path))
    # What people see: Graphviz's own drawing shows every name exactly.
    svg = ET.fromstring(_graphviz(text, "svg").encode("utf-8"))
    shown = [t.text or "" for t in svg.iter("{http://www.w3.org/2000/svg}text")]
    for name in _names(path):
        assert any(name in s for s in shown), name
    # Nodes pinned where the map puts them (neato honours pos "...!"); the flow in colour.
    graph = json.loads(_graphviz(text, "json"))
    assert all(str(o.get("pos", "")).count(",") == 1 for o in graph["objects"])
    assert any(e.get("color") == "#d0312d" for e in graph.get("edges", []))


def test_mermaid_labels_cannot_break_out() -> None:
    for name in (HOSTILE_NAME, 'a"] --> b["x', "end", "#quot;", "%%{init: {}}%%", "a\nb"):
        quoted = label(name)
        inner = quoted[1:-1]
        assert quoted.startswith('"') and quoted.endswith('"')
        assert not set(inner) & set('"<>[]{}()|;%#\n') - set("()#;")
        # Entities only where a character was encoded; decoding gives the name back.
        decoded = inner
        for code in {c for c in name if f"#{ord(c)};" in inner}:
            decoded = decoded.replace(f"#{ord(code)};", code)
        assert decoded == name
    text = _diagram(HOSTILE, DiagramFormat.MERMAID, _problem_key(HOSTILE))
    assert text.startswith("flowchart LR\n")
    assert "<script>" not in text and "click" not in text.replace("click A call", "")


def test_svg_diagram_is_xml_with_the_flow(tmp_path: Path) -> None:
    text = _diagram(HOSTILE, DiagramFormat.SVG, _problem_key(HOSTILE))
    root = ET.fromstring(text.encode("utf-8"))
    assert root.tag == "{http://www.w3.org/2000/svg}svg"
    ns = {"s": "http://www.w3.org/2000/svg"}
    titles = [t.text or "" for t in root.iterfind(".//s:title", ns)]
    assert any(HOSTILE_NAME in t for t in titles)
    assert not root.findall(".//s:script", ns)
    assert root.findall(".//s:g[@id='overlay']/s:g", ns)


def test_diagram_command(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    out = tmp_path / "map.drawio"
    code, _, err = run_cli(
        ["diagram", str(FIG16), "-f", "drawio", "-o", str(out)], capsys, monkeypatch
    )
    assert (code, err) == (0, "")
    SCHEMA.validate(out.read_text(encoding="utf-8"))
    code, text, _ = run_cli(["diagram", str(FIG16), "--format", "mermaid"], capsys, monkeypatch)
    assert code == 0 and text.startswith("flowchart LR")
    code, _, err = run_cli(
        ["diagram", str(FIG16), "-f", "svg", "--flow", "out/eu/99"], capsys, monkeypatch
    )
    assert code == 2 and "unknown flow 'out/eu/99'" in err
    code, _, err = run_cli(["diagram", str(FIG16), "-f", "png"], capsys, monkeypatch)
    assert code == 2 and "drawio, mermaid, svg, dot" in err
