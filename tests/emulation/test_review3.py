"""The third review's points built for real (tests/emulation/designs_review3.py): a proxy chain,
half a circuit pool announced to the internet more specifically, one NAT device on two
circuits, and a pool pulled back behind a WAN link that is down, each compared with the model
flow for flow (erplan.analyses.agreement)."""

from __future__ import annotations

import pytest

from emulation import designs_review3 as designs
from emulation.conftest_helpers import assert_agrees, describe, edges, flows, run_mapping

pytestmark = pytest.mark.emulation

ER_SETS = (1, 2, 9, 10)
C1 = {"circuit:c1/primary", "circuit:c1/secondary"}
C2 = {"circuit:c2/primary", "circuit:c2/secondary"}


def test_a_proxy_chain_connects_out_from_its_last_proxy() -> None:
    data = designs.proxy_chain_to_a_site_with_a_circuit()
    report = run_mapping(data, connections=12)
    by_key = flows(report)
    for s in ER_SETS:
        # hq's clients reach px1, px1 forwards to px2 at dc, which connects by dc's preferred
        # circuit c2, from its own address (never from the clients' or px1's).
        f = by_key[f"out/hq/{s}"]
        assert f.completed == f.attempted > 0, describe(f)
        assert edges(f) <= C2 and edges(f, back=True) <= C2, describe(f)
    f = by_key["out/hq/8"]
    assert f.completed == f.attempted > 0 and edges(f) == {"breakout:dc-inet"}, describe(f)
    assert_agrees(data, report, sorted(by_key))


def test_half_a_pool_announced_to_the_internet_comes_back_by_the_breakout() -> None:
    data = designs.pool_on_internet_more_specific()
    report = run_mapping(data, connections=16)
    by_key = flows(report)
    for s in ER_SETS:
        f = by_key[f"out/hq/{s}"]
        assert 0 < f.completed < f.attempted, describe(f)
        assert edges(f) <= C1, describe(f)
        for c in f.connections:
            # The /30 the breakout announces decides: those replies come by the internet, to an
            # edge that saw no request, and are dropped there.
            translated = [a for node, a in c.nat if node.startswith("circuit c1")]
            assert translated, describe(f)
            upper = int(translated[0].rsplit(".", 1)[1]) >= 4
            assert c.ok is not upper, describe(f)
            if upper:
                assert c.back == ["breakout:hq-inet"] or not c.back, describe(f)
    assert_agrees(data, report, sorted(by_key))


def test_one_nat_device_on_two_circuits_holds_the_replies_of_both() -> None:
    data = designs.one_nat_device_on_two_circuits()
    report = run_mapping(data, connections=16)
    by_key = flows(report)
    for s in ER_SETS:
        # Exchange leaves by c2 alone (c1's filter refuses it); Microsoft returns by both, and
        # the replies by c1 meet the same NAT device, which holds their sessions.
        f = by_key[f"out/hq/{s}"]
        assert f.completed == f.attempted > 0, describe(f)
        assert edges(f) <= C2, describe(f)
        assert edges(f, back=True) & C1 and edges(f, back=True) & C2, describe(f)
    assert_agrees(data, report, sorted(by_key))


def test_a_reply_pulled_back_behind_a_cut_wan_is_dropped_at_the_edge_that_never_saw_it() -> None:
    data = designs.pool_pulled_back_wan_down()
    report = run_mapping(data, connections=16)
    by_key = flows(report)
    eu = {"circuit:eu-er/primary", "circuit:eu-er/secondary"}
    for s in ER_SETS:
        # eu-er's link edges have no route to us-er's pool with the WAN down: their default
        # route takes the pulled-back replies inwards, to eu-er's customer edge, which drops them.
        f = by_key[f"out/us/{s}"]
        assert 0 < f.completed < f.attempted, describe(f)
        assert edges(f, back=True) & eu, describe(f)
        lost = [c for c in f.connections if not c.ok]
        assert {c.outcome for c in lost} == {"dropped"}, describe(f)
        assert {node for c in lost for node, _ in c.drops} == {"circuit eu-er customer edge"}
    assert_agrees(data, report, sorted(by_key))
