"""Emulation: the substrate experiment, model-vs-emulation agreement on the guide examples, and
a differential test over random designs. Root, FRR and nftables only (skipped otherwise)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from emulation.conftest_helpers import random_design, skip_reason
from emulation.topologies import ENDPOINT, PORT, USER, two_circuits
from erplan.analyses.verdicts import verify
from erplan.catalogs import load_catalogs
from erplan.emulate import build, cleanup_leftovers, leftover_namespaces
from erplan.emulate.flowspec import flow_specs
from erplan.emulate.netns import CREATED_PREFIXES
from erplan.emulate.run import EmulationReport, emulate
from erplan.load import load_design, load_mapping

pytestmark = [
    pytest.mark.emulation,
    pytest.mark.skipif(skip_reason() is not None, reason=skip_reason() or ""),
]
EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


@pytest.fixture(autouse=True)
def no_leftovers() -> Iterator[None]:
    """Every namespace a test starts is gone afterwards, even when the test fails. Only this
    process's run prefixes count: another erplan run on the machine is not ours to judge."""
    before = set(CREATED_PREFIXES)
    yield
    mine = CREATED_PREFIXES - before
    after = [ns for ns in leftover_namespaces() if ns[:10] in mine]
    if after:
        cleanup_leftovers(mine)
    assert not after, f"namespaces left behind: {sorted(after)}"


def test_shared_pool_fails_partly_distinct_pools_succeed() -> None:
    """Emulation notes: one pool on two circuits -> some but not all of 256 connections
    succeed (ECMP return through the other edge's firewall); distinct pools -> all succeed."""
    with build(two_circuits(("20.2.2.0/29", "20.2.2.0/29"))) as net:
        ok, total = net.probe("client", str(USER), str(ENDPOINT), PORT, 256, 1.2)
        assert 0 < ok < total
        assert net.counters("ce2")["synack_in"] > 0  # returns reached the other edge
    with build(two_circuits(("20.2.2.0/29", "20.2.2.8/29"))) as net:
        ok, total = net.probe("client", str(USER), str(ENDPOINT), PORT, 256, 1.2)
        assert ok == total == 256
        assert net.counters("ce2")["synack_in"] == 0


def test_teardown_on_failure_leaves_nothing() -> None:
    with pytest.raises(RuntimeError), build(two_circuits(("20.2.2.0/29", "20.2.2.8/29"))) as net:
        assert leftover_namespaces()
        raise RuntimeError(net.prefix)


def _emulate_file(path: Path) -> EmulationReport:
    cats = load_catalogs()
    loaded = load_design(path, cats)
    t0 = time.monotonic()
    report = verify(loaded, cats)
    specs = flow_specs(loaded.design, cats, report.results)
    return emulate(loaded.design, specs, connections=24, model_s=time.monotonic() - t0)


def _check(result: EmulationReport) -> None:
    bad = [
        f"{o.spec.id}: model {o.spec.expected}, emulation {o.ok}/{o.total}"
        for o in result.disagreements
    ]
    assert not bad, "\n".join(bad)
    assert all(o.agrees is not None for o in result.outcomes)


@pytest.mark.parametrize(
    ("broken", "fixed"),
    [
        ("g000-fig16-shared-pool", "g000-fig17-per-circuit-pools"),
        ("g001-problem2-inbound-er-no-snat", "g001-solution2-source-nat"),
    ],
)
def test_examples_agree_flow_by_flow(broken: str, fixed: str) -> None:
    bad = _emulate_file(EXAMPLES / f"{broken}.yaml")
    _check(bad)
    assert any(o.spec.expected in ("dropped", "blackhole") and o.ok < o.total for o in bad.outcomes)
    good = _emulate_file(EXAMPLES / f"{fixed}.yaml")
    _check(good)
    assert all(o.ok == o.total for o in good.outcomes)


def test_full_solution_agrees() -> None:
    result = _emulate_file(EXAMPLES / "g000-fig20-full-solution.yaml")
    _check(result)
    inbound = [o for o in result.outcomes if o.spec.direction == "inbound"]
    assert inbound and all(o.ok == o.total for o in inbound)


@pytest.mark.parametrize("seed", range(20))
def test_random_designs_agree(seed: int) -> None:
    cats = load_catalogs()
    loaded = load_mapping(random_design(seed), f"random-{seed}", cats)
    report = verify(loaded, cats)
    specs = flow_specs(loaded.design, cats, report.results)
    result = emulate(loaded.design, specs, connections=16)
    _check(result)
