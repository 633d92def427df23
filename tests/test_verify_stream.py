"""`verify` judging rows one at a time: the summary, findings and rows of a run that keeps no
rows are those of the run that keeps them all, and the JSON rows spooled give the same bytes."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

import pytest
from ruamel.yaml import YAML

from erplan import output
from erplan.analyses.rules import lint
from erplan.analyses.rules.registry import Context, Traces, run
from erplan.analyses.rules.security import reads_traces
from erplan.analyses.verdicts import FlowResult, Report, Verdict, rows, verify
from erplan.catalogs import Catalogs, load_catalogs
from erplan.diagnostics import Finding
from erplan.engine import Engine
from erplan.engine.aging import Aging
from erplan.load import LoadedDesign, load_design, load_text
from erplan.output import Spool, dumps, dumps_chunks

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = sorted((ROOT / "examples").glob("*.yaml"))
# With problems of every kind, a security policy (path rules), ties and route notes.
CHOSEN = [
    "g000-fig04-single-us-circuit.yaml",
    "g000-fig13-as-written.yaml",
    "g001-contoso-securing-expressroute.yaml",
    "g001-security-ipvpn-hairpin.yaml",
    "g001-problem1-inbound-internet-no-snat.yaml",
    "g001-regional-california-hongkong-bangladesh.yaml",
]


@cache
def _catalogs() -> Catalogs:
    return load_catalogs()


@cache
def _loaded(name: str) -> LoadedDesign:
    return load_design(ROOT / "examples" / name, _catalogs())


@cache
def _whole(name: str) -> Report:
    return verify(_loaded(name), _catalogs())


def _head(report: Report) -> dict[str, Any]:
    return json.loads(dumps(report.head()))  # type: ignore[no-any-return]


@pytest.mark.parametrize("name", CHOSEN)
def test_a_run_that_keeps_no_rows_finds_the_same(name: str) -> None:
    whole = _whole(name)
    handed: list[dict[str, Any]] = []
    lean = verify(
        _loaded(name), _catalogs(), each=lambda r: handed.append(r.to_dict()), keep=lambda r: False
    )
    assert _head(lean) == _head(whole)
    assert lean.has_errors == whole.has_errors
    assert json.loads(dumps(handed)) == json.loads(dumps([r.to_dict() for r in whole.results]))
    # The path rules read each row as it is judged: none is kept for them either.
    assert lean.results == []


def test_keep_chooses_the_rows_held() -> None:
    name = "g000-fig04-single-us-circuit.yaml"
    whole = _whole(name)
    problems = verify(_loaded(name), _catalogs(), keep=lambda r: r.verdict is not Verdict.OK)
    assert not reads_traces(_loaded(name).design)
    assert problems.results  # the example has problems, and ok rows too
    assert len(problems.results) < len(whole.results)
    expected = [r.to_dict() for r in whole.results if r.verdict is not Verdict.OK]
    assert [r.to_dict() for r in problems.results] == expected


def test_the_path_rules_see_every_row_when_the_design_has_a_policy() -> None:
    """A policy whose replies bypass the stateless IDS (ERP730, read from the traced paths)."""
    text = (ROOT / "tests" / "data" / "security-return-bypass.yaml").read_text()
    loaded = load_text(text, "d.yaml", _catalogs())
    assert reads_traces(loaded.design)
    whole = verify(loaded, _catalogs())
    assert any(f.code == "ERP730" for f in whole.findings)
    lean = verify(loaded, _catalogs(), keep=lambda r: False)
    assert [f.to_dict() for f in lean.findings] == [f.to_dict() for f in whole.findings]
    assert lean.results == [] and whole.results


def _path_rule_designs() -> list[Any]:
    """The rule cases of the path rules (those that read rows) and examples with a policy."""
    from test_rules import compose

    yaml = YAML(typ="safe")
    out = []
    for code in ("ERP730", "ERP731", "ERP732", "ERP735"):
        path = ROOT / "tests" / "rule_cases" / f"{code}.yaml"
        for i, case in enumerate(yaml.load(path.read_text(encoding="utf-8"))["cases"]):
            out.append(pytest.param(compose(case["design"]), id=f"{path.stem}-{i}"))
    for name in CHOSEN[2:4]:
        out.append(pytest.param((ROOT / "examples" / name).read_text(), id=name))
    return out


@pytest.mark.parametrize("text", _path_rule_designs())
def test_path_rules_read_rows_as_judged_as_from_the_rows_kept(text: str) -> None:
    """Fed one row at a time by verify, traced by lint itself, or read from rows a caller holds
    (erplan security): the same findings, in the same order, at the same places."""
    loaded = load_text(text, "d.yaml", _catalogs())
    assert reads_traces(loaded.design)
    lean = verify(loaded, _catalogs(), keep=lambda r: False)
    engine = Engine(loaded.design, _catalogs())
    traced = (engine, rows(engine))
    held = run(Context(loaded.design, loaded.source, _catalogs(), Traces(traced)))
    alone = lint(loaded, _catalogs())

    def paths(findings: list[Finding]) -> list[dict[str, Any]]:
        return [f.to_dict() for f in findings if f.code.startswith("ERP73")]

    assert paths(lean.findings) == paths(alone) == paths(held)


@pytest.mark.parametrize("name", CHOSEN[:3])
def test_an_engine_that_keeps_no_traces_traces_the_same(name: str) -> None:
    design = _loaded(name).design
    kept, lean = Engine(design, _catalogs()), Engine(design, _catalogs(), keep_traces=False)
    assert lean.walker.hop_pool is None
    pairs = zip(kept.groups(), lean.groups(), strict=True)
    for (key, flows), (lean_key, lean_flows) in pairs:
        assert (key, flows) == (lean_key, lean_flows)
        assert kept.trace(flows[0]) == lean.trace(lean_flows[0])
    # Asked again after the site's flows are done, a DNS trace is made again, the same.
    for site in lean.resolving_sites():
        assert lean.dns(site) == kept.dns(site)


def _rows(n: int) -> list[dict[str, Any]]:
    return [{"key": f"out/s-{i}", "share": i / 7, "n": i} for i in range(n)]


@pytest.mark.parametrize("n", [0, 3, 50, 400])
def test_a_spool_gives_the_bytes_of_dumps_chunks(n: int, monkeypatch: pytest.MonkeyPatch) -> None:
    """Below the limit the rows stay data (indented as dumps does), above it compact text in
    a file; the limit is small here so both happen."""
    monkeypatch.setattr(output, "_INDENT_LIMIT", 2_000)
    fields = {"summary": {"flows": n}, "findings": [{"code": "ERP801", "message": "é"}]}
    spool = Spool()
    for row in _rows(n):
        spool.add(row)
    got = b"".join(spool.chunks(fields, "flows"))
    assert got == b"".join(dumps_chunks(fields, "flows", _rows(n)))
    assert json.loads(got)["flows"] == _rows(n)
    assert (b"\n  " in got) == (n < 20)  # indented while small


def test_a_spool_with_a_head_beyond_64_bits(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(output, "_INDENT_LIMIT", 500)
    fields = {"summary": {"big": 1 << 70}}
    spool = Spool()
    for row in _rows(100):
        spool.add(row)
    got = b"".join(spool.chunks(fields, "flows"))
    assert got == b"".join(dumps_chunks(fields, "flows", _rows(100)))
    assert json.loads(got)["summary"]["big"] == 1 << 70


def test_an_aging_memo_keeps_what_is_asked_for_again() -> None:
    memo: Aging[str, int] = Aging(3)
    memo["a"], memo["b"] = 1, 2
    memo["c"] = 3  # the newer generation is full: it becomes the older
    assert len(memo) == 0 and memo.get("a") == 1  # found in the older, and kept
    memo["d"], memo["e"] = 4, 5  # full again: "b" and "c" were not asked for
    assert memo.get("b") is None and memo.get("c", -1) == -1
    assert memo.get("a") == 1 and memo.get("e") == 5


def test_an_aging_memo_finds_what_its_newer_generation_holds() -> None:
    memo: Aging[str, int] = Aging(3)
    memo["a"] = 1
    assert memo.get("a") == 1 and memo.get("b") is None and memo.get("b", 7) == 7
    memo["b"] = 2
    assert memo.get("b") == 2 and len(memo) == 2 and memo.older == {}


def test_the_rows_handed_out_are_every_row_in_order() -> None:
    name = "g000-fig13-as-written.yaml"
    keys: list[str] = []

    def each(r: FlowResult) -> None:
        keys.append(r.flow.key)

    verify(_loaded(name), _catalogs(), each=each, keep=lambda r: False)
    assert keys == [r.flow.key for r in _whole(name).results]
