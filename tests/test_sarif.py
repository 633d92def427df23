"""SARIF 2.1.0 output, validated against the official OASIS schema (tests/data)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from erplan.analyses.rules import all_rules, lint
from erplan.catalogs import Catalogs, load_catalogs
from erplan.diagnostics import Finding, Location, Severity
from erplan.load import load_design
from erplan.output import to_sarif

ROOT = Path(__file__).resolve().parent.parent
SCHEMA = json.loads((Path(__file__).parent / "data" / "sarif-schema-2.1.0.json").read_text())


@pytest.fixture(scope="module")
def catalogs() -> Catalogs:
    return load_catalogs()


def _validate(doc: dict[str, Any]) -> None:
    validator = jsonschema.Draft4Validator(SCHEMA, format_checker=jsonschema.FormatChecker())
    errors = sorted(validator.iter_errors(doc), key=lambda e: list(e.path))
    assert not errors, "\n".join(f"{list(e.path)}: {e.message}" for e in errors[:5])


def test_example_report_is_valid_sarif(catalogs: Catalogs, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)
    path = Path("examples/g000-fig13-as-written.yaml")
    findings = lint(load_design(path, catalogs), catalogs)
    doc = to_sarif(findings, all_rules())
    _validate(doc)
    run = doc["runs"][0]
    driver = run["tool"]["driver"]
    assert driver["name"] == "erplan" and driver["version"]
    ids = [r["id"] for r in driver["rules"]]
    assert ids == [r.code for r in all_rules()]
    for descriptor in driver["rules"]:
        assert descriptor["shortDescription"]["text"] and descriptor["fullDescription"]["text"]
        assert descriptor["help"]["text"]
        assert descriptor["defaultConfiguration"]["level"] in {"error", "warning", "note"}
    assert len(run["results"]) == len(findings)
    dns = next(r for r in run["results"] if r["ruleId"] == "ERP501")
    assert dns["level"] == "error" and "20.2.2.29" in dns["message"]["text"]
    loc = dns["locations"][0]["physicalLocation"]
    assert loc["artifactLocation"]["uri"] == "examples/g000-fig13-as-written.yaml"
    assert loc["region"] == {"startLine": 53, "startColumn": 17}
    assert ids[dns["ruleIndex"]] == "ERP501"


def test_silenced_finding_becomes_a_suppression_and_unknown_codes_get_descriptors() -> None:
    findings = [
        Finding("ERP701", Severity.WARNING, "one circuit", Location("d.yaml", 3, 5), silenced="ok"),
        Finding("ERP801", Severity.ERROR, "flow dropped", Location("d.yaml", 9, 1)),
        Finding("ERP002", Severity.ERROR, "no location"),
    ]
    doc = to_sarif(findings, all_rules(), base=Path.cwd(), default_file="d.yaml")
    _validate(doc)
    results = doc["runs"][0]["results"]
    silenced = next(r for r in results if r["ruleId"] == "ERP701")
    assert silenced["suppressions"] == [{"kind": "inSource", "justification": "ok"}]
    ids = [d["id"] for d in doc["runs"][0]["tool"]["driver"]["rules"]]
    assert "ERP801" in ids and "ERP002" in ids
    placed = next(r for r in results if r["ruleId"] == "ERP002")
    assert placed["locations"][0]["physicalLocation"]["region"]["startLine"] == 1


def test_schema_rejects_a_broken_log() -> None:
    """The validator is really applied: a result without a message fails."""
    doc = to_sarif([Finding("ERP701", Severity.WARNING, "x", Location("d.yaml", 1, 1))], [])
    del doc["runs"][0]["results"][0]["message"]
    with pytest.raises(AssertionError):
        _validate(doc)


def test_verify_sarif_carries_the_flow_verdicts(monkeypatch: pytest.MonkeyPatch) -> None:
    """The dropped flows of Figure 16 reach code scanning as errors, with their positions."""
    import contextlib
    import io
    import sys

    from erplan.cli import main

    monkeypatch.chdir(ROOT)
    out = io.StringIO()
    monkeypatch.setattr(
        sys, "argv", ["erplan", "verify", "examples/g000-fig16-shared-pool.yaml", "-f", "sarif"]
    )
    with contextlib.redirect_stdout(out), pytest.raises(SystemExit) as done:
        main()
    assert done.value.code == 1
    doc = json.loads(out.getvalue())
    _validate(doc)
    dropped = [r for r in doc["runs"][0]["results"] if r["ruleId"] == "ERP803"]
    assert dropped and all(r["level"] == "error" for r in dropped)
    assert all(r["locations"][0]["physicalLocation"]["region"]["startLine"] > 0 for r in dropped)
