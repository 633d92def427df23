"""Semantic points where the model and the emulation must agree for the same reason: each small
design is built for real, and every flow both sides have is compared (share failed, outcome
classes, edges out and back: erplan.analyses.agreement), besides what the point itself says must
happen to real connections (the answers, the edges, who refused)."""

from __future__ import annotations

from collections import Counter
from ipaddress import IPv4Address, IPv4Network

import pytest

from emulation import designs, designs_returns, designs_review2
from emulation.conftest_helpers import (
    CATALOGS,
    assert_agrees,
    describe,
    edges,
    flows,
    model_flows,
    run_mapping,
)
from erplan.analyses.agreement import DEFAULT_ALPHA, DEFAULT_SLACK, within
from erplan.emulate.results import PINNED, FlowResult

pytestmark = pytest.mark.emulation


def _front_end_answer(set_id: int, place: str) -> IPv4Address:
    """What geoDNS answers for a set to a query leaving near ``place`` (from the catalog)."""
    where = CATALOGS.place(place)
    es = CATALOGS.endpoint_set(set_id)
    assert where is not None and es is not None
    return CATALOGS.front_end_address(es, CATALOGS.nearest_front_end(where.lat, where.lon))


def _shared(data: dict[str, object], report_flows: dict[str, FlowResult]) -> list[str]:
    """Every flow the emulation ran, each of which the model has too."""
    model = model_flows(data)
    assert set(report_flows) <= set(model), sorted(set(report_flows) - set(model))
    return sorted(report_flows)


def test_geodns_answers_split_with_their_shares() -> None:
    data = designs.split_queries()
    report = run_mapping(data, connections=32)
    by_key = flows(report)
    dns = by_key["dns/r"]
    assert dns.completed == dns.attempted, describe(dns)
    for edge in ("breakout:a-inet", "breakout:b-inet"):
        share = dns.edge_shares(back=False).get(edge, 0.0)
        assert within(0.5, share, dns.effective_n, DEFAULT_ALPHA, DEFAULT_SLACK), describe(dns)
    for s in designs.ER_SETS:
        f = by_key[f"out/r/{s}"]
        assert f.completed == f.attempted, describe(f)
        # Each connection resolved for itself: the answer is the front end nearest to the
        # breakout its query left by, New York or Amsterdam, each for about half of them.
        answers = Counter(c.answer for c in f.connections)
        expected = {str(_front_end_answer(s, p)) for p in ("New York", "Amsterdam")}
        assert set(answers) == expected, (answers, expected)
        for a in expected:
            observed = answers[a] / f.attempted
            assert within(0.5, observed, f.attempted, DEFAULT_ALPHA, DEFAULT_SLACK), answers
        assert edges(f) <= {"circuit:er/primary", "circuit:er/secondary"}, describe(f)
    assert_agrees(data, report, _shared(data, by_key))


def test_resolver_out_of_reach_leaves_every_flow_unreachable_without_an_edge() -> None:
    data = designs.resolver_cut_off()
    report = run_mapping(data, connections=8)
    by_key = flows(report)
    for key, f in by_key.items():
        # Not even the ExpressRoute sets, whose routes and circuit are there: no name resolved,
        # so no request was sent and no edge was crossed either way.
        assert f.completed == 0, describe(f)
        assert {c.outcome for c in f.connections} == {"unreachable"}, describe(f)
        assert not edges(f) and not edges(f, back=True), describe(f)
        assert key == "dns/eu" or {c.stage for c in f.connections} == {"dns"}, describe(f)
    assert_agrees(data, report, _shared(data, by_key))


def test_a_front_end_inside_a_site_prefix_is_not_reached() -> None:
    answer = _front_end_answer(1, "New York")
    captured = IPv4Network(f"{answer}/24", strict=False)
    data = designs.front_end_inside_a_site(str(captured))
    report = run_mapping(data, connections=12)
    by_key = flows(report)
    lost = [k for k, f in by_key.items() if f.spec.endpoint_set is not None and f.completed == 0]
    assert "out/hq/1" in lost, [describe(f) for f in by_key.values()]
    for key in lost:
        f = by_key[key]
        # The request stayed inside: delivered to the site's own hosts, which refused it.
        assert all(IPv4Address(c.answer or "0.0.0.0") in captured for c in f.connections)
        assert not edges(f) and {c.outcome for c in f.connections} == {"dropped"}, describe(f)
        assert all(c.refused for c in f.connections), describe(f)
    for key in set(by_key) - set(lost):
        assert by_key[key].completed == by_key[key].attempted, describe(by_key[key])
    assert_agrees(data, report, _shared(data, by_key))


def test_a_firewall_crossed_twice_holds_one_session() -> None:
    data = designs.firewall_crossed_twice()
    report = run_mapping(data, connections=12)
    by_key = flows(report)
    for f in by_key.values():
        assert {c.outcome for c in f.connections} == {"ok"}, describe(f)
    for s in designs.ER_SETS:
        f = by_key[f"out/hq/{s}"]
        assert edges(f) == {"circuit:c1/primary", "circuit:c1/secondary"}, describe(f)
    assert_agrees(data, report, _shared(data, by_key))


def test_a_default_route_advertised_is_ignored_for_the_more_specific_pool() -> None:
    data = designs.default_route_advertised()
    report = run_mapping(data, connections=12)
    by_key = flows(report)
    circuit = {"circuit:c1/primary", "circuit:c1/secondary"}
    for s in designs.ER_SETS:
        f = by_key[f"out/hq/{s}"]
        assert f.completed == f.attempted, describe(f)
        assert edges(f) <= circuit and edges(f, back=True) <= circuit, describe(f)
    third = by_key[f"out/hq/{designs.THIRD_PARTY_SET}"]
    assert edges(third) == edges(third, back=True) == {"breakout:hq-inet"}, describe(third)
    assert_agrees(data, report, _shared(data, by_key))


def test_a_named_resolver_egress_that_is_down_does_not_fail_over() -> None:
    data = designs.pinned_resolver_egress(egress_up=False)
    report = run_mapping(data, connections=8)
    by_key = flows(report)
    # One resolver at dc, one route out (hq's breakout): dc's queries are answered there,
    # hq's are pinned to dc's breakout and are not.
    dc, hq = by_key["dns/dc"], by_key["dns/hq"]
    assert dc.completed == dc.attempted and edges(dc) == {"breakout:hq-inet"}, describe(dc)
    assert hq.completed == 0 and edges(hq) == {"breakout:hq-inet"}, describe(hq)
    assert not edges(hq, back=True) and {c.outcome for c in hq.connections} == {"unreachable"}
    hq_out = [f for key, f in by_key.items() if key.startswith("out/hq/")]
    dc_out = [f for key, f in by_key.items() if key.startswith("out/dc/")]
    assert hq_out and dc_out
    for f in hq_out:
        assert f.attempted > 0 and f.completed == 0 and not edges(f), describe(f)
        assert {c.stage for c in f.connections} == {"dns"}, describe(f)
    for f in dc_out:
        assert f.attempted > 0 and f.completed == f.attempted, describe(f)
    assert_agrees(data, report, _shared(data, by_key))


def test_a_named_resolver_egress_the_route_does_not_lead_to_gets_no_answer() -> None:
    data = designs.pinned_beside_the_preferred_breakout()
    report = run_mapping(data, connections=8)
    by_key = flows(report)
    dns = by_key["dns/hq"]
    assert dns.completed == 0 and edges(dns) == {"breakout:hq-inet"}, describe(dns)
    assert {reason for c in dns.connections for _, reason in c.drops} == {PINNED}, describe(dns)
    for f in by_key.values():
        assert {c.outcome for c in f.connections} == {"unreachable"}, describe(f)
    assert_agrees(data, report, _shared(data, by_key))


@pytest.mark.parametrize("egress_up", [True, False])
def test_a_proxy_leaves_by_its_own_egress_and_does_not_fall_over(egress_up: bool) -> None:
    data = designs.proxy_egress(egress_up)
    report = run_mapping(data, connections=8)
    by_key = flows(report)
    dns = by_key["dns/hq"]
    # The clients' own queries follow hq's router: its designated breakout.
    assert dns.completed == dns.attempted and edges(dns) == {"breakout:hq-inet"}, describe(dns)
    outbound = [f for key, f in by_key.items() if key.startswith("out/")]
    assert outbound
    for f in outbound:
        key = f.spec.key
        assert f.attempted > 0, describe(f)
        assert f.spec.proxy_address == IPv4Address("10.180.255.10"), key
        if egress_up:
            # The proxy's connections leave at dc, not by the breakout hq's router prefers.
            assert f.completed == f.attempted, describe(f)
            assert edges(f) == edges(f, back=True) == {"breakout:dc-inet"}, describe(f)
        else:
            assert f.completed == 0 and not edges(f), describe(f)
            assert {c.outcome for c in f.connections} == {"unreachable"}, describe(f)
    assert_agrees(data, report, _shared(data, by_key))


def test_a_circuit_firewall_down_moves_the_routes_to_the_other_circuit() -> None:
    data = designs.device_down("circuit")
    report = run_mapping(data, connections=12)
    by_key = flows(report)
    us_er = {"circuit:us-er/primary", "circuit:us-er/secondary"}
    for s in designs.ER_SETS:
        # A path through a device that is down is down: eu's router fails over to us-er, and
        # every connection works; none is lost at the dead firewall.
        f = by_key[f"out/eu/{s}"]
        assert f.completed == f.attempted, describe(f)
        assert edges(f) <= us_er and edges(f, back=True) <= us_er, describe(f)
    assert_agrees(data, report, _shared(data, by_key))


def test_a_link_firewall_down_leaves_the_other_link_but_not_microsofts_returns() -> None:
    data = designs.device_down("link")
    report = run_mapping(data, connections=24)
    by_key = flows(report)
    for s in designs.ER_SETS:
        # The customer edge sends by the secondary link only; Microsoft's session on the
        # primary does not cross the firewall, so it returns about half into it.
        f = by_key[f"out/eu/{s}"]
        assert 0 < f.completed < f.attempted, describe(f)
        assert edges(f) == {"circuit:eu-er/secondary"}, describe(f)
        lost = [c for c in f.connections if not c.ok]
        assert all(c.drops == [("device fw-eu (firewall, down)", "device down")] for c in lost)
    assert_agrees(data, report, _shared(data, by_key))


def test_an_entry_edge_sends_a_reply_it_translated_back_to_the_preferred_circuit() -> None:
    # Inbound source NAT brings every reply back to c1's edge; translated back, the reply is
    # forwarded by that edge's own table, where c2's route (local preference 200, learned
    # over iBGP) wins over its own session's: it leaves inwards, to c2, and is lost there.
    data = designs_returns.entry_beside_a_preferred_circuit(inbound_snat=True)
    report = run_mapping(data, connections=8)
    by_key = flows(report)
    entered = [f for key, f in by_key.items() if not key.endswith("/internet/443")]
    assert entered
    for f in entered:
        assert f.attempted > 0 and f.completed == 0, describe(f)
        assert edges(f) <= {"circuit:c1/primary", "circuit:c1/secondary"}, describe(f)
        assert not edges(f, back=True), describe(f)
        assert {node for c in f.connections for node, _ in c.drops} == {
            "circuit c2 customer edge"
        }, describe(f)
    assert_agrees(data, report, _shared(data, by_key))


def test_geodns_answers_queries_from_a_breakout_that_does_not_translate() -> None:
    # The breakout sends the resolver's own public address; geoDNS still knows where it is.
    # Microsoft then returns to the site's /24 by ExpressRoute, past the breakout's firewall.
    data = designs_returns.untranslated_breakout()
    report = run_mapping(data, connections=8)
    by_key = flows(report)
    dns = by_key["dns/hq"]
    assert dns.completed == dns.attempted and edges(dns) == {"breakout:hq-inet"}, describe(dns)
    outbound = [f for key, f in by_key.items() if key.startswith("out/")]
    assert outbound
    for f in outbound:
        assert f.attempted > 0 and f.completed == 0, describe(f)
        assert edges(f) == {"breakout:hq-inet"}, describe(f)
        assert edges(f, back=True) <= {"circuit:c1/primary", "circuit:c1/secondary"}, describe(f)
        assert {c.outcome for c in f.connections} == {"dropped"}, describe(f)
    assert_agrees(data, report, _shared(data, by_key))


def test_a_server_behind_a_firewall_and_its_sites_dns_match_the_model_flow_for_flow() -> None:
    data = designs_review2.server_behind_firewall_pool()
    report = run_mapping(data, connections=16)
    by_key = flows(report)
    # Nobody works at dc, but its server resolves there: the site's DNS is a flow on both sides.
    assert set(by_key) == set(model_flows(data)), (sorted(by_key), sorted(model_flows(data)))
    dns = by_key["dns/dc"]
    assert dns.completed == dns.attempted and edges(dns) == {"breakout:dc-inet"}, describe(dns)
    srv = by_key["srv/mx/1"]
    # Half c1's pool is pulled back by c2's more specific prefix, past the firewall and NAT.
    assert 0 < srv.completed < srv.attempted, describe(srv)
    assert edges(srv) <= {"circuit:c1/primary", "circuit:c1/secondary"}, describe(srv)
    assert edges(srv, back=True) & {"circuit:c2/primary", "circuit:c2/secondary"}, describe(srv)
    assert_agrees(data, report, sorted(by_key))


def test_a_dns_query_out_of_a_breakout_that_translates_nothing_is_lost_on_the_way_back() -> None:
    data = designs_review2.static_nat_at_the_breakout()
    report = run_mapping(data, connections=8)
    by_key = flows(report)
    # A static NAT at the breakout cannot use its pool: the resolver's query leaves with its
    # private source and no answer comes back by any edge, a blackhole as the model says.
    dns = by_key["dns/dc"]
    assert dns.completed == 0 and edges(dns) == {"breakout:dc-inet"}, describe(dns)
    assert not edges(dns, back=True) and not any(c.drops for c in dns.connections)
    assert {c.outcome for c in dns.connections} == {"blackhole"}, describe(dns)
    for key in ("srv/mx/1", "srv/mx/8"):
        assert {c.outcome for c in by_key[key].connections} == {"unreachable"}, key
    assert_agrees(data, report, sorted(by_key))


def test_a_proxy_with_an_egress_of_its_own_resolves_there() -> None:
    data = designs_review2.proxy_resolving_at_its_egress()
    report = run_mapping(data, connections=8)
    by_key = flows(report)
    dns = by_key["dns/hq"]
    assert dns.completed == 0, describe(dns)
    proxied = [f for key, f in by_key.items() if key.startswith("out/hq/")]
    assert proxied
    for f in proxied:
        # Its own query left by ams-inet: the answer is Amsterdam's front end, as for a client
        # there, and the connection leaves there too; hq's failed resolver plays no part.
        assert f.completed == f.attempted, describe(f)
        assert edges(f) == {"breakout:ams-inet"}, describe(f)
        if f.spec.endpoint_set is not None and not f.spec.third_party:
            want = str(_front_end_answer(f.spec.endpoint_set, "Amsterdam"))
            assert {c.answer for c in f.connections} == {want}, describe(f)
    assert_agrees(data, report, _shared(data, by_key))
