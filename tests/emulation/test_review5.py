"""The fifth review's points built for real (tests/emulation/designs_review5.py): a resolver
egress cut off by a dead firewall or a WAN link, per-link pools with one advertised on both
links, a server's /32 on another circuit than its /24, one inbound pool on a circuit and a
breakout, and an entry across the WAN from its server, each compared with the model flow for
flow (erplan.analyses.agreement)."""

from __future__ import annotations

import pytest

from emulation import designs_review5 as designs
from emulation.conftest_helpers import assert_agrees, describe, edges, flows, run_mapping

pytestmark = pytest.mark.emulation

ER_SETS = (1, 2, 9, 10)
C1 = {"circuit:c1/primary", "circuit:c1/secondary"}
C2 = {"circuit:c2/primary", "circuit:c2/secondary"}


def test_a_resolver_egress_behind_a_dead_firewall_resolves_nothing() -> None:
    """b-inet's firewall is down: the resolver's queries leave by a-inet, not by the egress it
    forwards through, and get no answer; no flow of a starts."""
    data = designs.resolver_behind_a_dead_firewall()
    report = run_mapping(data, connections=8)
    by_key = flows(report)
    dns = by_key["dns/a"]
    assert dns.completed == 0 < dns.attempted, describe(dns)
    assert edges(dns) == {"breakout:a-inet"}, describe(dns)
    for s in ER_SETS:
        f = by_key[f"out/a/{s}"]
        assert f.completed == 0 < f.attempted and not edges(f), describe(f)
    assert_agrees(data, report, sorted(by_key))


def test_a_resolver_cut_off_by_the_wan_resolves_nothing_though_the_circuit_is_up() -> None:
    data = designs.resolver_cut_off_by_the_wan()
    report = run_mapping(data, connections=8)
    by_key = flows(report)
    for key in ("dns/spoke", *(f"out/spoke/{s}" for s in ER_SETS)):
        f = by_key[key]
        assert f.completed == 0 < f.attempted and not edges(f), describe(f)
    assert_agrees(data, report, sorted(by_key))


def test_per_link_pools_with_the_primarys_on_both_links_lose_about_a_quarter() -> None:
    data = designs.link_pools_primary_advertised_on_both()
    report = run_mapping(data, connections=24)
    by_key = flows(report)
    for s in ER_SETS:
        f = by_key[f"out/hq/{s}"]
        # Lost: the primary's connections Microsoft answers by the secondary link.
        assert 0 < f.completed < f.attempted, describe(f)
        assert edges(f, back=True) == C1, describe(f)
    assert_agrees(data, report, sorted(by_key))


def test_a_servers_slash32_on_another_circuit_loses_every_server_connection() -> None:
    data = designs.server_slash32_beside_its_covering_prefix()
    report = run_mapping(data, connections=12)
    by_key = flows(report)
    server = by_key["srv/mx/1"]
    assert server.completed == 0 < server.attempted, describe(server)
    assert edges(server) <= C1 and edges(server, back=True) <= C2, describe(server)
    assert_agrees(data, report, sorted(by_key))


def test_one_inbound_pool_on_a_circuit_and_a_breakout_loses_about_half_of_each() -> None:
    data = designs.one_inbound_pool_on_a_circuit_and_a_breakout()
    report = run_mapping(data, connections=24)
    by_key = flows(report)
    for key in ("in/app/Boydton/443", "in/app/internet/443"):
        f = by_key[key]
        assert 0 < f.completed < f.attempted, describe(f)
    assert_agrees(data, report, sorted(by_key))


@pytest.mark.parametrize("inbound_snat", [False, True])
def test_an_entry_across_the_wan_needs_inbound_source_nat(inbound_snat: bool) -> None:
    data = designs.entry_across_the_wan_without_inbound_snat(inbound_snat)
    report = run_mapping(data, connections=12)
    f = flows(report)["in/app/Boydton/443"]
    assert edges(f) <= C1, describe(f)
    if inbound_snat:
        assert f.completed == f.attempted > 0 and edges(f, back=True) <= C1, describe(f)
    else:
        # The server's site answers by its own circuit, past c1's destination NAT.
        assert f.completed == 0 < f.attempted, describe(f)
    assert_agrees(data, report, sorted(flows(report)))
