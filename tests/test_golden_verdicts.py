"""Every shipped example reproduces what its guide states (tests/golden/*.verdicts.yaml): the
verdict, the share of connections, the cause and the design object the fix must change, the
circuits or breakouts each flow leaves and comes back by, and the latency where the guide gives
one. Each entry quotes the sentence that decides it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from ruamel.yaml import YAML

from erplan.analyses.verdicts import FlowResult, verify
from erplan.catalogs import load_catalogs
from erplan.engine import Path as FlowPath
from erplan.load import load_design

ROOT = Path(__file__).resolve().parent.parent
GOLDEN = sorted((ROOT / "tests" / "golden").glob("*.verdicts.yaml"))
EXAMPLES = sorted((ROOT / "examples").glob("*.yaml"))
DYNAMICS_SETS = frozenset(r.id for r in load_catalogs().dynamics_regions)


def path_owner(p: FlowPath | None) -> str:
    """The circuit or breakout a path leaves or enters by, or heads for when it ends first."""
    if p is None:
        return "none"
    if p.edge is not None:
        return p.edge.split("/", 1)[0]
    for h in p.hops:
        kind, _, rest = h.node.partition(":")
        if kind in ("ce", "link"):
            return "circuit:" + rest.split("/", 1)[0]
        if kind == "edge":
            return "breakout:" + rest
        if kind == "device" and "@" in rest:
            where = rest.split("@", 1)[1]
            if not where.startswith("site:"):
                return where.split("/", 1)[0]
    return "none"


def to_network_ms(r: FlowResult) -> float:
    """Round trip from the users to where the request enters Microsoft's network."""
    worst = 0.0
    for b in r.trace.branches:
        total = 0.0
        for h in b.forward.hops:
            total += h.ms
            if h.node.startswith("msee:") or h.node == "internet":
                break
        worst = max(worst, 2 * total)
    return worst


def _matches(r: FlowResult, select: dict[str, Any]) -> bool:
    f = r.flow
    got = {
        "direction": f.direction.value,
        "origin": f.origin,
        "express_route": f.express_route,
        "third_party": f.third_party,
        "kind": f.kind,
        "endpoint_set": f.endpoint_set,
        "dynamics": f.endpoint_set in DYNAMICS_SETS,
    }
    return all(got[k] == v for k, v in select.items())


def test_every_example_has_a_golden_file() -> None:
    stems = {p.name.removesuffix(".verdicts.yaml") for p in GOLDEN}
    assert {p.stem for p in EXAMPLES} <= stems


@pytest.mark.parametrize("golden", GOLDEN, ids=lambda p: p.name.removesuffix(".verdicts.yaml"))
def test_example_matches_its_guide(golden: Path) -> None:
    text = golden.read_text()
    assert text.startswith("# Source: guide"), "the golden file names the guide section first"
    doc: dict[str, Any] = YAML(typ="safe").load(text)
    catalogs = load_catalogs()
    report = verify(load_design(ROOT / "examples" / doc["example"], catalogs), catalogs)
    unmatched = list(report.results)
    for entry in doc["flows"]:
        assert entry["because"].strip(), "every expectation quotes the sentence deciding it"
        rows = [r for r in report.results if _matches(r, entry["select"])]
        assert rows, f"nothing matches {entry['select']}"
        for r in rows:
            where = f"{r.flow.key}: {entry['select']}"
            assert r.verdict.value == entry["verdict"], where
            if r.verdict.value != "ok":
                assert r.share == pytest.approx(entry["share"], abs=1e-3), where
                assert r.cause_key == entry["cause"], where
                assert ".".join(map(str, r.culprit)) == entry["culprit"], where
            fwd = sorted({path_owner(b.forward) for b in r.trace.branches})
            back = sorted({path_owner(b.back) for b in r.trace.branches})
            assert fwd == sorted(entry["forward"]), where
            assert back == sorted(entry["return"]), where
            if "to_network_ms" in entry:
                assert to_network_ms(r) == pytest.approx(entry["to_network_ms"], abs=0.5), where
            unmatched = [u for u in unmatched if u is not r]
    assert not unmatched, f"rows no entry selects: {[r.flow.key for r in unmatched]}"
    codes = sorted({f.code for f in report.findings if f.code.startswith("ERP8")})
    assert codes == sorted(doc["flow_findings"])
