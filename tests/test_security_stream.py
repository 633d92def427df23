"""`erplan security` reads the rows as they are judged (placement and the path rules sum them
up one at a time): its output is the one the whole list of rows gives, and it never asks for
that list (bench/README.md: peak memory at 10,000 sites)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from _cli import run
from erplan import security_text
from erplan.analyses import security, verdicts
from erplan.analyses.placement import Placement
from erplan.analyses.rules import all_rules
from erplan.analyses.rules.registry import Context, Traces
from erplan.analyses.rules.registry import run as run_rules
from erplan.catalogs import load_catalogs
from erplan.load import load_text
from erplan.output import dumps

ROOT = Path(__file__).resolve().parent.parent
DESIGNS = [
    ROOT / "examples" / "g001-contoso-securing-expressroute.yaml",
    ROOT / "examples" / "g001-security-colocation.yaml",
    ROOT / "examples" / "g001-security-ipvpn-hairpin.yaml",
    ROOT / "tests" / "data" / "security-return-bypass.yaml",
]


def _from_kept_rows(path: Path) -> str:
    """The JSON document made from every row held in a list."""
    catalogs = load_catalogs()
    loaded = load_text(path.read_text(encoding="utf-8"), str(path), catalogs)
    engine, results = security.trace_all(loaded.design, catalogs)
    costs = Placement(engine, results).all()
    unstated = [n for n, c in loaded.design.circuits.items() if c.connectivity is None]
    rules = [r for r in all_rules() if r.code.startswith("ERP73")]
    context = Context(loaded.design, loaded.source, catalogs, Traces((engine, results)))
    return dumps(security_text.document(costs, run_rules(context, rules), unstated))


@pytest.mark.parametrize("path", DESIGNS, ids=lambda p: p.stem)
def test_security_reads_rows_as_judged_and_says_the_same(
    path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    expected = _from_kept_rows(path)

    def no_list(*_: object, **__: object) -> None:
        raise AssertionError("security asked for every row at once")

    monkeypatch.setattr(verdicts, "rows", no_list)
    monkeypatch.setattr(security, "rows", no_list)
    got = run(["security", str(path), "-f", "json"], capsys, monkeypatch)
    assert got.code in (0, 1), got.err
    assert json.loads(got.out) == json.loads(expected)
    assert json.loads(got.out)["circuits"] or json.loads(got.out)["findings"]
