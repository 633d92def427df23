"""What `erplan failures` derives for one failure equals `erplan verify` of the same design
written with that element `up: false`: the design text edited, loaded and checked as a person
would, every flow's verdict, share, cause, edges and latency compared (the sweep's incremental
state against a fresh check of another file, not against its own full recompute)."""

from __future__ import annotations

import copy
import inspect
from pathlib import Path
from typing import Any

import pytest
import yaml

from erplan.analyses.failure_atoms import Atom, atoms
from erplan.analyses.failures import Baseline, evaluate
from erplan.analyses.summary import FlowState, state_of
from erplan.analyses.verdicts import verify
from erplan.catalogs import load_catalogs
from erplan.load import load_mapping

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = sorted((ROOT / "examples").glob("*.yaml"))
CATALOGS = load_catalogs()
# Every kind a design can write as `up: false` (a resolver failure has no such field).
KINDS = ("circuit", "link", "location", "breakout", "device", "wan")


def _small_designs() -> list[tuple[str, dict[str, Any]]]:
    """The small designs of the semantic reviews: proxies, static NAT, filters, pools."""
    from emulation import (
        designs,
        designs_returns,
        designs_review2,
        designs_review3,
        designs_review4,
        designs_review4_routing,
        designs_review5,
    )

    out = []
    modules = (designs, designs_returns, designs_review2, designs_review3, designs_review4)
    for module in (*modules, designs_review4_routing, designs_review5):
        for name, make in vars(module).items():
            if name.startswith("_") or getattr(make, "__module__", "") != module.__name__:
                continue
            if name in ("design", "site", "circuit", "breakout"):
                continue  # the helpers
            label = f"{module.__name__.rsplit('.', 1)[1]}.{name}"
            params = list(inspect.signature(make).parameters.values())
            if not params:
                out.append((label, make()))
            elif len(params) == 1 and params[0].annotation in (bool, "bool"):
                out += [(f"{label}[{v}]", make(v)) for v in (False, True)]
    return out


DESIGNS = [
    (p.stem, yaml.safe_load(p.read_text(encoding="utf-8"))) for p in EXAMPLES
] + _small_designs()


def _written_down(data: dict[str, Any], atom: Atom) -> dict[str, Any]:
    """The design text with ``atom`` marked `up: false`, as a person would edit it."""
    d = copy.deepcopy(data)
    if atom.kind in ("circuit", "breakout", "device"):
        d[atom.kind + "s"][atom.name]["up"] = False
    elif atom.kind == "location":
        for c in d["circuits"].values():
            if c["peering_location"] == atom.name:
                c["up"] = False
    elif atom.kind == "link":
        circuit, _, link = atom.name.rpartition("/")
        links = d["circuits"][circuit].setdefault("links", {})
        (links.get(link) or links.setdefault(link, {}))["up"] = False
    else:  # wan: ``A|B#index``
        d["wan"][int(atom.name.rsplit("#", 1)[1])]["up"] = False
    return d


def _facts(s: FlowState) -> tuple[object, ...]:
    return (s.verdict, round(s.share, 9), s.cause, s.edges, s.latency_ms, s.paths)


@pytest.mark.parametrize(("name", "data"), DESIGNS, ids=[n for n, _ in DESIGNS])
def test_each_failure_equals_the_design_written_with_it_down(
    name: str, data: dict[str, Any]
) -> None:
    base = Baseline.build(load_mapping(copy.deepcopy(data), name, CATALOGS).design, CATALOGS)
    checked = 0
    for atom in atoms(base.design, KINDS):
        swept = evaluate(base, (atom,)).by_key
        loaded = load_mapping(_written_down(data, atom), name, CATALOGS)
        report = verify(loaded, CATALOGS)
        fresh = {
            k: st for r in report.results for st in [state_of(report.engine, r)] for k in st.keys
        }
        assert set(swept) == set(fresh), (atom, sorted(set(swept) ^ set(fresh)))
        for key, st in fresh.items():
            assert _facts(swept[key]) == _facts(st), (atom, key, _facts(swept[key]), _facts(st))
        checked += 1
    assert checked == len(atoms(base.design, KINDS))
