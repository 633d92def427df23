"""Parallel WAN links built for real: two of equal cost (OSPF ECMP over both) and a third
down between the same two sites; every flow of the site without a way out crosses them and
the model agrees flow for flow (erplan.analyses.agreement)."""

from __future__ import annotations

import pytest

from _semantics import breakout, circuit, design, site
from emulation.conftest_helpers import assert_agrees, describe, flows, run_mapping

pytestmark = pytest.mark.emulation


def test_parallel_wan_links_one_down_carry_every_flow_as_the_model_says() -> None:
    wan = [
        {"between": ["a", "b"], "latency_ms": 5, "cost": 10},
        {"between": ["b", "a"], "latency_ms": 150, "cost": 10},
        {"between": ["a", "b"], "latency_ms": 2, "cost": 10, "up": False},
    ]
    data = design(
        sites={
            "a": site("New York", "10.1.0.0/16", users=100),
            "b": site("New York", "10.2.0.0/16"),
        },
        wan=wan,
        breakouts={"b-inet": breakout("b", "20.2.4.1/32", "20.2.4.0/24")},
        circuits={"b-er": circuit("b", "New York", "20.2.2.0/29")},
    )
    report = run_mapping(data, connections=8)
    by_key = flows(report)
    mine = sorted(k for k in by_key if k.startswith("out/a/"))
    assert mine
    for key in mine:
        f = by_key[key]
        assert f.completed == f.attempted > 0, describe(f)
    assert_agrees(data, report, sorted(by_key))
