"""Every shipped example reproduces the verdicts its guide states (tests/golden/*.verdicts.yaml)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from ruamel.yaml import YAML

from erplan.analyses.verdicts import FlowResult, verify
from erplan.catalogs import load_catalogs
from erplan.load import load_design

ROOT = Path(__file__).resolve().parent.parent
GOLDEN = sorted((ROOT / "tests" / "golden").glob("*.verdicts.yaml"))
EXAMPLES = sorted((ROOT / "examples").glob("*.yaml"))


def _selector(r: FlowResult) -> tuple[str, str, str]:
    f = r.flow
    if f.direction.value == "outbound":
        return ("outbound", f.origin, "expressroute-able" if f.express_route else "internet-only")
    return ("inbound", f.origin, f.entry or "")


def test_every_example_has_a_golden_file() -> None:
    stems = {p.name.removesuffix(".verdicts.yaml") for p in GOLDEN}
    assert {p.stem for p in EXAMPLES} <= stems


@pytest.mark.parametrize("golden", GOLDEN, ids=lambda p: p.name.removesuffix(".verdicts.yaml"))
def test_example_verdicts(golden: Path) -> None:
    text = golden.read_text()
    assert text.startswith("# Source: guide"), "the golden file names the guide section first"
    doc: dict[str, Any] = YAML(typ="safe").load(text)
    catalogs = load_catalogs()
    report = verify(load_design(ROOT / "examples" / doc["example"], catalogs), catalogs)
    got: dict[tuple[str, str, str], set[tuple[str, str]]] = {}
    for r in report.results:
        got.setdefault(_selector(r), set()).add((r.verdict.value, r.flow.trace.egress))
    want: dict[tuple[str, str, str], set[tuple[str, str]]] = {}
    for e in doc["flows"]:
        sel = e.get("sets", e.get("entry"))
        want.setdefault((e["direction"], e["origin"], sel), set()).add((e["verdict"], e["via"]))
    assert got == want
    codes = sorted({f.code for f in report.findings if f.code.startswith("ERP8")})
    assert codes == sorted(doc["flow_findings"])
