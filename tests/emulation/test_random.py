"""A bounded batch of small random designs (bench/gen_design.py, mistakes included) must build,
converge and run every flow cleanly, and the model must agree with what the network did, flow
by flow: the share that failed, the outcome classes and the edges crossed each way
(erplan.analyses.agreement). The long run is bench/bench_emulate.py."""

from __future__ import annotations

import sys

import pytest

from emulation.conftest_helpers import ROOT, assert_agrees, run_mapping

sys.path.insert(0, str(ROOT / "bench"))

from ruamel.yaml import YAML

import gen_design

pytestmark = pytest.mark.emulation

# (sites, circuits, seed, mistake rate). At 0.3 every DNS record misses its service (all inbound
# flows fail, hiding the inbound source NAT missing on an ExpressRoute entry); at 0.05 the
# services work and a quarter, or a half, of some outbound flows is dropped.
CASES = [(3, 2, 1, 0.3), (4, 2, 2, 0.05), (3, 3, 3, 0.05), (5, 2, 4, 0.3)]


@pytest.mark.parametrize(("sites", "circuits", "seed", "problems"), CASES)
def test_random_design_runs_and_agrees_with_the_model(
    sites: int, circuits: int, seed: int, problems: float
) -> None:
    text = gen_design.generate(sites, circuits, seed=seed, problems=problems)
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
    # Not only works/fails: the model's verdict, share and edges per flow, every flow.
    assert_agrees(data, report, sorted(f.spec.key for f in report.flows))
