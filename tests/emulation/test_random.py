"""A bounded batch of small random designs (bench/gen_design.py, mistakes included) must build,
converge and run every flow cleanly. The long run is bench/bench_emulate.py."""

from __future__ import annotations

import sys

import pytest

from emulation.conftest_helpers import ROOT, run_mapping

sys.path.insert(0, str(ROOT / "bench"))

from ruamel.yaml import YAML

import gen_design

pytestmark = pytest.mark.emulation

CASES = [(3, 2, 1), (4, 2, 2), (3, 3, 3), (5, 2, 4)]  # (sites, circuits, seed)


@pytest.mark.parametrize(("sites", "circuits", "seed"), CASES)
def test_random_design_builds_converges_and_runs(sites: int, circuits: int, seed: int) -> None:
    text = gen_design.generate(sites, circuits, seed=seed, problems=0.3)
    data = YAML(typ="safe", pure=True).load(text)
    report = run_mapping(data, connections=6)
    assert not report.problems, [f.problem for f in report.problems]
    assert report.flows and all(f.attempted > 0 for f in report.flows)
    for f in report.flows:
        for c in f.connections:
            assert c.outcome in ("ok", "asymmetric", "dropped", "blackhole", "unreachable")
            # Every failure carries its evidence: a drop, a stage, or a missing route.
            assert c.ok or c.drops or c.stage or not c.origin_route, (f.spec.key, c)
    # Most of a generated design works: a run where nothing does is a broken build.
    assert sum(f.completed for f in report.flows) > 0
