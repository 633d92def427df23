"""The public API is what the command line uses: load, lint, verify."""

from __future__ import annotations

from pathlib import Path

import pytest

import erplan
from erplan.diagnostics import InputError, Severity

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


def test_verify_reports_the_shared_pool_drop_and_not_the_fix() -> None:
    broken = erplan.verify(erplan.load_design(EXAMPLES / "g000-fig16-shared-pool.yaml"))
    fixed = erplan.verify(erplan.load_design(EXAMPLES / "g000-fig17-per-circuit-pools.yaml"))
    broken_verdicts = {r.verdict.value for r in broken.results}
    fixed_verdicts = {r.verdict.value for r in fixed.results}
    assert "dropped" in broken_verdicts
    assert fixed_verdicts <= {"ok", "suboptimal"}
    assert any(f.severity is Severity.ERROR for f in broken.findings)


def test_lint_finds_the_guides_three_addresses_for_one_server() -> None:
    findings = erplan.lint(erplan.load_design(EXAMPLES / "g000-fig13-as-written.yaml"))
    codes = {f.code for f in findings if f.severity is Severity.ERROR}
    assert {"ERP501", "ERP502"} <= codes


def test_load_raises_input_error_with_positions(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("erplan: 1\ntenant: {geography: US}\nsites: {a: {location: Atlantis}}\n")
    with pytest.raises(InputError) as err:
        erplan.load_design(bad)
    (finding,) = err.value.findings
    assert finding.location is not None
    assert (finding.location.line, finding.location.column) == (3, 23)
    assert "did you mean 'Atlanta'" in finding.message
