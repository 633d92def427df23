"""Text and JSON rendering, atomic writes, and the exit codes of lint / rules / explain."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from erplan.diagnostics import Finding, Location, Severity
from erplan.output import counts, has_errors, render_text, to_json, write_atomic

ROOT = Path(__file__).resolve().parent.parent
AS_WRITTEN = ROOT / "examples" / "g000-fig13-as-written.yaml"
CORRECT = ROOT / "examples" / "g000-fig17-per-circuit-pools.yaml"

FINDINGS = [
    Finding("ERP502", Severity.ERROR, "b", Location("d.yaml", 9, 4), fix="do this"),
    Finding("ERP701", Severity.WARNING, "a", Location("d.yaml", 3, 23), silenced="why"),
    Finding("ERP404", Severity.WARNING, "c", Location("d.yaml", 9, 2)),
]


def test_text_lines_sorted_with_fix_and_summary() -> None:
    lines = render_text(FINDINGS).splitlines()
    assert lines[0] == "d.yaml:3:23: ERP701 warning (silenced: why) a"
    assert lines[1] == "d.yaml:9:2: ERP404 warning c"
    assert lines[2] == "d.yaml:9:4: ERP502 error b"
    assert lines[3] == "    fix: do this"
    assert lines[-1] == "1 error, 1 warning, 0 info (1 silenced)"


def test_counts_ignore_silenced() -> None:
    assert counts(FINDINGS) == {"error": 1, "warning": 1, "info": 0, "silenced": 1}
    assert has_errors(FINDINGS)
    silenced_error = [Finding("ERP502", Severity.ERROR, "b", silenced="accepted")]
    assert not has_errors(silenced_error)


def test_json_document() -> None:
    doc = to_json(FINDINGS)
    assert doc["erplan"] == 1 and doc["summary"]["silenced"] == 1
    assert [f["code"] for f in doc["findings"]] == ["ERP701", "ERP404", "ERP502"]
    assert doc["findings"][0]["silenced"] == "why"
    assert doc["findings"][2]["location"] == {"file": "d.yaml", "line": 9, "column": 4}


def test_write_atomic_replaces_and_leaves_no_temporary(tmp_path: Path) -> None:
    target = tmp_path / "report.txt"
    target.write_text("old")
    os.chmod(target, 0o640)
    write_atomic(target, "new ünicode\n")
    assert target.read_text(encoding="utf-8") == "new ünicode\n"
    assert (target.stat().st_mode & 0o777) == 0o640
    assert [p.name for p in tmp_path.iterdir()] == ["report.txt"]


def test_write_atomic_failure_keeps_the_old_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "report.txt"
    target.write_text("old")

    def fail(*args: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", fail)
    with pytest.raises(OSError):
        write_atomic(target, "new")
    assert target.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["report.txt"]


def _erplan(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    code = "from erplan.cli import main; main()"
    return subprocess.run(
        [sys.executable, "-c", code, *args], cwd=cwd, capture_output=True, text=True, check=False
    )


def test_lint_exit_codes_and_formats(tmp_path: Path) -> None:
    bad = _erplan("lint", str(AS_WRITTEN))
    assert bad.returncode == 1
    assert "g000-fig13-as-written.yaml:53:17: ERP501 error" in bad.stdout
    good = _erplan("lint", str(CORRECT), "--format", "json")
    assert good.returncode == 0
    assert json.loads(good.stdout)["summary"]["error"] == 0
    out = tmp_path / "report.sarif"
    sarif = _erplan("lint", str(AS_WRITTEN), "--format", "sarif", "--output", str(out))
    assert sarif.returncode == 1 and sarif.stdout == ""
    assert json.loads(out.read_text())["version"] == "2.1.0"


def test_lint_bad_input_exits_2_and_writes_nothing(tmp_path: Path) -> None:
    design = tmp_path / "bad.yaml"
    design.write_text("erplan: 1\ntenant: [\n")
    out = tmp_path / "out.json"
    run = _erplan("lint", str(design), "--format", "json", "--output", str(out))
    assert run.returncode == 2
    assert str(design) + ":" in run.stderr and "Traceback" not in run.stderr
    assert not out.exists()


def test_rules_and_explain() -> None:
    listing = _erplan("rules", "--format", "json")
    assert listing.returncode == 0
    assert "ERP305" in [r["code"] for r in json.loads(listing.stdout)]
    explained = _erplan("explain", "erp502")
    assert explained.returncode == 0 and "20.2.2.63/32" in explained.stdout
    unknown = _erplan("explain", "ERP52")
    assert unknown.returncode == 2 and "did you mean ERP502" in unknown.stderr
