"""One small design per semantic point of docs/flow-semantics.md, built for real.

Every assertion states what the semantics say must happen to real connections (some but not
all succeed, all succeed, which edges they cross, who drops them); none comes from a model.
"""

from __future__ import annotations

import pytest

from emulation import designs
from emulation.conftest_helpers import describe, edges, flows, run_mapping

pytestmark = pytest.mark.emulation


def test_stateful_device_on_the_forward_path_only() -> None:
    report = run_mapping(designs.forward_only_state())
    for s in designs.ER_SETS:
        f = flows(report)[f"out/hq/{s}"]
        assert f.completed == 0, describe(f)
        assert edges(f) == {"circuit:c1/primary", "circuit:c1/secondary"}, describe(f)
        assert edges(f, back=True) <= {"circuit:c2/primary", "circuit:c2/secondary"}, describe(f)
        assert any(node.startswith("device fw1") for c in f.connections for node, _ in c.drops)
        assert {c.outcome for c in f.connections} == {"dropped"}
    # Its DNS and third-party flows leave by the breakout and are untouched.
    assert flows(report)["dns/hq"].completed == flows(report)["dns/hq"].attempted


def test_tie_between_a_working_and_a_broken_circuit() -> None:
    report = run_mapping(designs.tie_working_broken())
    seen: set[str] = set()
    for s in designs.ER_SETS:
        f = flows(report)[f"out/hq/{s}"]
        assert 0 < f.completed < f.attempted, describe(f)
        # Both tied circuits carry connections; what came back, came back by the working one
        # (Microsoft dropped the broken one's translated sources on entry).
        seen |= edges(f)
        assert edges(f, back=True) <= {"circuit:c1/primary", "circuit:c1/secondary"}
        lost = [c for c in f.connections if not c.ok]
        assert lost and {c.outcome for c in lost} == {"dropped"}, describe(f)
        assert all(not c.back for c in lost), describe(f)
    # Each customer edge balances over both its links.
    assert {"circuit:c1/primary", "circuit:c1/secondary"} <= seen
    assert seen & {"circuit:c2/primary", "circuit:c2/secondary"}


def test_pool_half_pulled_back_by_a_more_specific_prefix() -> None:
    report = run_mapping(designs.pool_pulled_back())
    for s in designs.ER_SETS:
        f = flows(report)[f"out/us/{s}"]
        assert 0 < f.completed < f.attempted, describe(f)
        assert edges(f) <= {"circuit:us-er/primary", "circuit:us-er/secondary"}
        back = edges(f, back=True)
        assert back & {"circuit:eu-er/primary", "circuit:eu-er/secondary"}, describe(f)
        for c in f.connections:
            # The translated address decides: the pulled-back half fails, the rest works.
            translated = [a for node, a in c.nat if node.startswith("circuit us-er")]
            assert translated, describe(f)
            pulled_back = translated[0].rsplit(".", 1)[1] in {"4", "5", "6", "7"}
            assert c.ok is not pulled_back, f"{c.source} via {translated}: {describe(f)}"


def test_site_with_a_public_and_a_private_prefix() -> None:
    report = run_mapping(designs.public_and_private())
    for s in designs.ER_SETS:
        f = flows(report)[f"out/hq/{s}"]
        # The two /24s weigh the same: exactly half the addresses fail, the private half.
        assert f.share_failed == pytest.approx(0.5), describe(f)
        for c in f.connections:
            assert c.ok is c.source.startswith("20.70."), describe(f)
            if not c.ok:
                assert c.drops and "Microsoft's filter" in c.drops[0][1]


def test_scoped_site_reaches_microsoft_through_a_site_with_expressroute_routes() -> None:
    report = run_mapping(designs.scoped_transit())
    for s in designs.ER_SETS:
        f = flows(report)[f"out/branch/{s}"]
        assert f.completed == f.attempted, describe(f)
        assert edges(f) <= {"circuit:c1/primary", "circuit:c1/secondary"}, describe(f)
        assert edges(f, back=True) <= {"circuit:c1/primary", "circuit:c1/secondary"}
    third = flows(report)[f"out/branch/{designs.THIRD_PARTY_SET}"]
    assert third.completed == third.attempted and edges(third) == {"breakout:hub-inet"}


def test_same_destination_nat_on_two_stateful_edges_breaks_half() -> None:
    report = run_mapping(designs.dnat_two_edges_stateful())
    f = flows(report)["in/app/Boydton/443"]
    assert 0 < f.completed < f.attempted, describe(f)
    assert edges(f) & {"circuit:c1/primary", "circuit:c1/secondary"}
    assert edges(f) & {"circuit:c2/primary", "circuit:c2/secondary"}
    for c in f.connections:
        entered_c2 = any(e.startswith("circuit:c2") for e in c.forward)
        assert c.ok is not entered_c2, describe(f)


def test_same_destination_nat_on_two_static_nat_devices_works_asymmetrically() -> None:
    report = run_mapping(designs.dnat_two_edges_static())
    f = flows(report)["in/app/Boydton/443"]
    assert f.completed == f.attempted, describe(f)
    outcomes = {c.outcome for c in f.connections}
    assert outcomes == {"ok", "asymmetric"}, describe(f)
    for c in f.connections:
        if any(e.startswith("circuit:c2") for e in c.forward):
            assert c.outcome == "asymmetric" and all(e.startswith("circuit:c1") for e in c.back)


def test_one_inbound_snat_pool_on_two_devices() -> None:
    report = run_mapping(designs.inbound_snat_two_devices())
    f = flows(report)["in/app/Boydton/443"]
    assert 0 < f.completed < f.attempted, describe(f)
    for c in f.connections:
        entered_c2 = any(e.startswith("circuit:c2") for e in c.forward)
        assert c.ok is not entered_c2, describe(f)
        if not c.ok:
            assert any(node.startswith("device nat1") for node, _ in c.drops), describe(f)


def test_per_link_nat_with_one_pool() -> None:
    report = run_mapping(designs.per_link_nat_one_pool())
    for s in designs.ER_SETS:
        f = flows(report)[f"out/hq/{s}"]
        assert 0 < f.completed < f.attempted, describe(f)
        for c in f.connections:
            assert len(c.forward) == 1, describe(f)
            assert c.ok is (c.back == c.forward), describe(f)


def test_designated_breakout_behind_a_transit_site_with_its_own() -> None:
    report = run_mapping(designs.transit_breakout())
    f = flows(report)[f"out/c/{designs.THIRD_PARTY_SET}"]
    assert f.completed == f.attempted, describe(f)
    assert edges(f) == {"breakout:b-inet"} == edges(f, back=True), describe(f)
    # Its DNS is asked at the resolver of the designated breakout's site: it leaves there.
    dns = flows(report)["dns/c"]
    assert dns.completed == dns.attempted and edges(dns) == {"breakout:a-inet"}, describe(dns)


def test_resolver_egress_at_a_distant_breakout_changes_the_answer() -> None:
    report = run_mapping(designs.distant_resolver())
    answers = {
        site: {c.answer for c in flows(report)[f"out/{site}/1"].connections}
        for site in ("us", "eu1", "eu2")
    }
    assert len(answers["us"]) == 1 and len(answers["eu1"]) == 1, answers
    assert answers["eu2"] == answers["us"] != answers["eu1"], answers
    # The query itself left by the US breakout, as the answer says.
    assert edges(flows(report)["dns/eu2"]) == {"breakout:us-inet"}


@pytest.mark.parametrize(("extra", "over"), [(199, False), (200, True)])
def test_microsoft_drops_a_session_over_200_prefixes(extra: int, over: bool) -> None:
    report = run_mapping(designs.prefix_limit(extra), connections=8)
    f = flows(report)["out/hq/1"]
    assert f.completed == f.attempted, describe(f)
    if over:
        assert edges(f) == {"breakout:hq-inet"}, describe(f)
    else:
        assert edges(f) <= {"circuit:c1/primary", "circuit:c1/secondary"}, describe(f)
