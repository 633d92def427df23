"""The fourth review's points built for real (tests/emulation/designs_review4*.py): an inbound
pool pulled to another circuit, per-link pools with one link down, a static NAT beside a
firewall, prepending against local preference, a private ASN's prepends, a prefix limit on one
of a pair, an entry whose customer edge prefers the other circuit, a scoped site answered
through a hub, a tie between two hubs, each compared with the model flow for flow
(erplan.analyses.agreement)."""

from __future__ import annotations

import pytest

from emulation import designs_review4 as designs
from emulation import designs_review4_routing as routing
from emulation.conftest_helpers import assert_agrees, describe, edges, flows, run_mapping

pytestmark = pytest.mark.emulation

ER_SETS = (1, 2, 9, 10)
C1 = {"circuit:c1/primary", "circuit:c1/secondary"}
C2 = {"circuit:c2/primary", "circuit:c2/secondary"}


def _lost_at(flow: object) -> set[str]:
    return {node for c in flow.connections if not c.ok for node, _ in c.drops}  # type: ignore[attr-defined]


def test_an_inbound_pool_half_pulled_to_another_circuit_loses_that_half() -> None:
    data = designs.inbound_pool_pulled_by_a_more_specific_pool()
    report = run_mapping(data, connections=24)
    f = flows(report)["in/app/Boydton/443"]
    # Entered by c1 only; the replies to the /30 that is c2's pool go to c2's edge.
    assert 0 < f.completed < f.attempted and edges(f) <= C1, describe(f)
    assert _lost_at(f) == {"circuit c2 customer edge"}, describe(f)
    assert_agrees(data, report, sorted(flows(report)))


def test_per_link_pools_with_one_link_down_all_come_back() -> None:
    data = designs.link_pools_one_link_down()
    report = run_mapping(data, connections=16)
    by_key = flows(report)
    for s in ER_SETS:
        f = by_key[f"out/hq/{s}"]
        assert f.completed == f.attempted > 0, describe(f)
        assert edges(f) == edges(f, back=True) == {"circuit:c1/primary"}, describe(f)
    assert_agrees(data, report, sorted(by_key))


def test_a_static_nat_beside_a_firewall_keeps_the_firewalls_state() -> None:
    data = designs.static_nat_beside_a_firewall()
    report = run_mapping(data, connections=24)
    by_key = flows(report)
    inbound = by_key["in/app/Boydton/443"]
    # Entries by c2 cross its firewall; the replies leave by c1 (preferred): lost.
    assert 0 < inbound.completed < inbound.attempted, describe(inbound)
    assert edges(inbound) & C2 and edges(inbound, back=True) <= C1, describe(inbound)
    server = by_key["srv/mx/1"]
    assert 0 < server.completed < server.attempted and edges(server) <= C1, describe(server)
    assert _lost_at(server) == _lost_at(inbound) == {"device fw (firewall)"}, describe(server)
    assert_agrees(data, report, sorted(by_key))


@pytest.mark.parametrize(
    ("make", "out", "back"),
    [
        (designs.prepend_against_local_preference, C1, C2),
        (designs.private_asn_prepends_stripped, C2, C1),
    ],
)
def test_prepends_decide_the_return_whatever_local_preference_says(
    make: object, out: set[str], back: set[str]
) -> None:
    data = make()  # type: ignore[operator]
    report = run_mapping(data, connections=12)
    by_key = flows(report)
    for s in ER_SETS:
        # The requests by the preferred circuit, the replies by the one Microsoft prefers (the
        # private ASN's prepends stripped), to a firewall that never saw the requests.
        f = by_key[f"out/hq/{s}"]
        assert f.completed == 0 < f.attempted and edges(f) <= out, describe(f)
    assert_agrees(data, report, sorted(by_key))


def test_a_prefix_limit_on_one_circuit_of_a_shared_pool_pair_leaves_the_other_whole() -> None:
    data = designs.prefix_limit_on_one_of_a_shared_pool_pair()
    report = run_mapping(data, connections=8)
    by_key = flows(report)
    for s in ER_SETS:
        f = by_key[f"out/hq/{s}"]
        assert f.completed == f.attempted > 0, describe(f)
        assert edges(f) <= C2 and edges(f, back=True) <= C2, describe(f)
    assert_agrees(data, report, sorted(by_key))


def test_inbound_source_nat_does_not_bring_a_reply_back_past_a_preferred_circuit() -> None:
    data = designs.inbound_on_two_circuits_one_prepended(inbound_snat=True)
    report = run_mapping(data, connections=16)
    f = flows(report)["in/app/Boydton/443"]
    # Entered by c2 (c1 prepends); c2's edge translates the reply back and sends it to c1,
    # preferred, whose edge never saw the connection.
    assert f.completed == 0 < f.attempted and edges(f) <= C2, describe(f)
    assert _lost_at(f) == {"circuit c1 customer edge"}, describe(f)
    assert_agrees(data, report, sorted(flows(report)))


def test_a_scoped_site_is_answered_through_the_hubs_circuit() -> None:
    data = routing.scoped_site_published_on_the_hubs_circuit()
    report = run_mapping(data, connections=16)
    f = flows(report)["in/app/Boydton/443"]
    assert f.completed == f.attempted > 0, describe(f)
    assert edges(f) <= C1 and edges(f, back=True) <= C1, describe(f)
    assert_agrees(data, report, sorted(flows(report)))


def test_a_tie_between_two_hubs_sends_half_to_the_broken_circuit() -> None:
    data = routing.wan_tie_between_two_hubs()
    report = run_mapping(data, connections=24)
    by_key = flows(report)
    for s in ER_SETS:
        f = by_key[f"out/spoke/{s}"]
        assert 0 < f.completed < f.attempted, describe(f)
        assert edges(f) & C1 and edges(f) & C2, describe(f)
    assert_agrees(data, report, sorted(by_key))


def test_one_pool_on_three_circuits_loses_about_two_thirds() -> None:
    data = designs.pool_on_three_circuits()
    report = run_mapping(data, connections=24)
    by_key = flows(report)
    for s in ER_SETS:
        f = by_key[f"out/hq/{s}"]
        assert 0 < f.completed < f.attempted and edges(f) <= C1, describe(f)
    assert_agrees(data, report, sorted(by_key))


def test_an_internet_entry_announced_by_two_breakouts_loses_the_other_breakouts_half() -> None:
    data = designs.internet_entry_on_two_breakouts()
    report = run_mapping(data, connections=24)
    f = flows(report)["in/app/internet/443"]
    assert 0 < f.completed < f.attempted, describe(f)
    assert edges(f) == {"breakout:b1", "breakout:b2"}, describe(f)
    assert edges(f, back=True) == {"breakout:b1"}, describe(f)
    assert_agrees(data, report, sorted(flows(report)))


def test_breakouts_designated_crosswise_loop() -> None:
    """a designates b's breakout, b designates a's. Every site router learns every breakout's
    default route and applies its own designation: a sends its internet traffic to b, whose
    router sends it back towards a-inet. The kernel's TTL ends the loop; no query or
    connection leaves by either breakout."""
    data = routing.breakouts_designated_crosswise()
    report = run_mapping(data, connections=8)
    by_key = flows(report)
    dns = by_key["dns/a"]
    assert dns.completed == 0 < dns.attempted and not edges(dns), describe(dns)
    for key in ("out/a/1", "out/a/8"):
        f = by_key[key]
        assert f.completed == 0 < f.attempted and not edges(f), describe(f)
    assert_agrees(data, report, sorted(by_key))


def test_a_distant_designated_breakout_is_used_over_a_nearer_one() -> None:
    """No circuit: every set and the resolver's queries leave by spoke's designation, across
    the WAN, the nearer hub-inet unused, and come back by it."""
    data = routing.distant_designated_breakout()
    report = run_mapping(data, connections=8)
    by_key = flows(report)
    internet = [f for key, f in by_key.items() if key.startswith(("dns/", "out/"))]
    assert internet
    for f in internet:
        assert f.completed == f.attempted > 0, describe(f)
        assert edges(f) == edges(f, back=True) == {"breakout:far-inet"}, describe(f)
    assert_agrees(data, report, sorted(by_key))
