"""Designs rendered once per test session for the report and diagram tests."""

from __future__ import annotations

import sys
from functools import cache
from pathlib import Path

import pytest

from erplan.analyses.verdicts import Report, verify
from erplan.catalogs import Catalogs, load_catalogs
from erplan.cli import main
from erplan.load import LoadedDesign, load_design
from erplan.report import render_report

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"
HOSTILE = ROOT / "tests" / "data" / "hostile-names.yaml"
HOSTILE_NAME = "<script>alert(1)</script>"
# The three examples the browser tests open and photograph: the guide's figures 4, 16 and 20.
SHOWCASE = (
    EXAMPLES / "g000-fig04-single-us-circuit.yaml",
    EXAMPLES / "g000-fig16-shared-pool.yaml",
    EXAMPLES / "g001-problem2-inbound-er-no-snat.yaml",
)


@cache
def catalogs() -> Catalogs:
    return load_catalogs()


@cache
def verified(path: Path) -> tuple[LoadedDesign, Report]:
    loaded = load_design(path, catalogs())
    return loaded, verify(loaded, catalogs())


@cache
def html(path: Path) -> str:
    loaded, report = verified(path)
    return render_report(loaded.design, catalogs(), report, source=path)


def run_cli(
    args: list[str], capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> tuple[int, str, str]:
    """The console-script entry point, in process: (exit code, stdout, stderr)."""
    monkeypatch.setattr(sys, "argv", ["erplan", *args])
    with pytest.raises(SystemExit) as info:
        main()
    out, err = capsys.readouterr()
    code = info.value.code
    return (code if isinstance(code, int) else 0 if code is None else 1), out, err
