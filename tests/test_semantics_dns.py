"""DNS is a flow: clients to the resolver at their resolver egress, the resolver out to the
internet; geoDNS answers with the front end nearest to where the query left
(docs/flow-semantics.md "Flows"; DESIGN.md "Flow semantics", outbound step 2)."""

from __future__ import annotations

from typing import Any

import pytest

from _semantics import (
    breakout,
    circuit,
    design,
    edges,
    flow,
    owners,
    results,
    share,
    site,
    two_sites,
)


def _eu_resolves_in_us() -> dict[str, Any]:
    d = two_sites()
    d["circuits"] = {}
    d["sites"]["eu"]["resolver_egress"] = "us-inet"
    return d


def test_resolver_unreachable_makes_every_flow_of_the_origin_unreachable() -> None:
    """DESIGN.md: "If it cannot get there (device, link or breakout down), the flow is
    unreachable"; flow-semantics: "if it fails, every flow of that origin is unreachable". The
    WAN link to the resolver's site is down."""
    d = _eu_resolves_in_us()
    d["wan"][0]["up"] = False
    rs = results(d)
    assert flow(rs, "dns/eu").verdict.value == "unreachable"
    for key in ("out/eu/1", "out/eu/8"):
        r = flow(rs, key)
        assert (r.verdict.value, share(r), r.cause_key) == ("unreachable", 1.0, "dns"), key


def test_resolver_egress_behind_a_failed_device_with_no_other_way_out() -> None:
    """DESIGN.md: "If it cannot get there (device, link or breakout down), the flow is
    unreachable": the only breakout's perimeter firewall is down. The flows name the firewall
    as their DNS row does (its fix: bring it back), not the resolver egress's path."""
    d = design(
        sites={"us": site("New York", "10.1.0.0/16", users=100)},
        breakouts={"us-inet": breakout("us", "20.2.4.1/32", "20.2.4.0/24", devices=["fw"])},
        devices={"fw": {"site": "us", "up": False}},
    )
    rs = results(d)
    assert flow(rs, "dns/us").verdict.value == "unreachable"
    r = flow(rs, "out/us/8")
    assert (r.verdict.value, share(r), r.cause_key) == ("unreachable", 1.0, "dns-device-down")
    assert r.culprit == ("devices", "fw", "up")


def test_resolver_egress_breakout_down_is_unreachable_even_with_another_breakout() -> None:
    """DESIGN.md "Flow semantics", outbound step 2: "resolution is itself a flow from the origin
    to its resolver egress and out of that breakout. If it cannot get there (device, link or
    breakout down), the flow is unreachable." eu resolves at us-inet, which is down (eu-inet is
    up)."""
    d = _eu_resolves_in_us()
    d["breakouts"]["us-inet"]["up"] = False
    rs = results(d)
    assert flow(rs, "dns/eu").verdict.value == "unreachable"
    r = flow(rs, "out/eu/8")
    assert (r.verdict.value, r.cause_key) == ("unreachable", "dns")


def test_distant_resolver_makes_internet_flows_suboptimal() -> None:
    """DESIGN.md "Optimality": the finding names the cause - "distant resolver egress". eu's
    queries leave in the US: geoDNS answers a US front end, reached from eu's own breakout."""
    r = flow(results(_eu_resolves_in_us()), "out/eu/8")
    assert r.verdict.value == "suboptimal"
    assert r.cause_key == "distant-resolver"
    assert r.culprit == ("sites", "eu", "resolver_egress")
    assert edges(r) == {("breakout:eu-inet", "breakout:eu-inet", "ok"): 1.0}


def test_local_resolver_is_optimal() -> None:
    r = flow(results(two_sites()), "out/eu/8")
    assert r.verdict.value == "ok"


def test_resolver_on_a_site_without_prefixes_runs_on_its_router() -> None:
    """flow-semantics "Resolver": "runs on the first usable address of the first prefix of the
    resolver egress's site (on its site router when that site has no prefixes)". The breakout
    stands at a hub that has no hosts of its own."""
    d = design(
        sites={
            "us": site("New York", "10.1.0.0/16", users=100, breakout="hub-inet"),
            "hub": site("New York", None),
        },
        wan=[{"between": ["us", "hub"], "latency_ms": 2}],
        breakouts={"hub-inet": breakout("hub", "20.2.4.1/32", "20.2.4.0/24")},
    )
    rs = results(d)
    assert flow(rs, "dns/us").verdict.value == "ok"
    assert flow(rs, "out/us/8").verdict.value == "ok"


def _split_queries(a_name: str) -> dict[str, Any]:
    """r's own breakout is down; its queries leave by the two nearest breakouts, at equal IGP
    cost: one near New York (named ``a_name``), one near Amsterdam. The only circuit is in
    New York."""
    return design(
        sites={
            "r": site({"lat": 52.0, "lon": -30.0}, "10.1.0.0/16", users=100),
            "a": site("New York", "10.2.0.0/16"),
            "b": site("Amsterdam", "10.3.0.0/16"),
        },
        wan=[{"between": ["r", "a"], "latency_ms": 10}, {"between": ["r", "b"], "latency_ms": 10}],
        breakouts={
            "r-inet": breakout("r", "20.2.6.1/32", "20.2.6.0/24", up=False),
            a_name: breakout("a", "20.2.4.1/32", "20.2.4.0/24"),
            "b-inet": breakout("b", "20.2.5.1/32", "20.2.5.0/24"),
        },
        circuits={"er": circuit("a", "New York", "20.2.2.0/29")},
    )


def test_queries_split_over_two_breakouts() -> None:
    """flow-semantics "Default route": "else the nearest one by IGP (every tie)"."""
    r = flow(results(_split_queries("a-inet")), "dns/r")
    assert r.verdict.value == "ok"
    assert owners(r, "forward") == {"breakout:a-inet": 0.5, "breakout:b-inet": 0.5}


@pytest.mark.parametrize("a_name", ["a-inet", "z-inet"])
def test_geodns_answer_of_split_queries_does_not_depend_on_names(a_name: str) -> None:
    """flow-semantics "geoDNS": the answer is the front end nearest to "the breakout through
    which the DNS query left"; DESIGN.md "Renaming an object never changes a verdict". Half the
    queries are answered in New York (the circuit is there: fast), half in Amsterdam (New York
    circuit then the backbone to Amsterdam: slow) - whatever the breakouts are called."""
    r = flow(results(_split_queries(a_name)), "out/r/1")
    assert r.verdict.value == "suboptimal"
    assert round(r.share_warned, 6) == 0.5


def _shared_internet_nat() -> dict[str, Any]:
    """Both breakouts translate into 20.2.4.1 and advertise 20.2.4.0/24: the internet returns
    half the replies - DNS answers too - by the breakout that holds no session."""
    d = two_sites()
    d["breakouts"]["eu-inet"] = breakout("eu", "20.2.4.1/32", "20.2.4.0/24")
    return d


def test_dns_that_fails_for_part_of_the_queries_fails_that_part_of_every_flow() -> None:
    """flow-semantics "Resolver": "if it fails, every flow of that origin is unreachable" -
    for the share of queries that fail; the rest of each flow goes on."""
    rs = results(_shared_internet_nat())
    assert share(flow(rs, "dns/us")) == 0.5
    r = flow(rs, "out/us/1")
    assert r.verdict.value == "unreachable"
    assert share(r) == 0.5


def test_a_flow_whose_dns_failed_crossed_no_edge() -> None:
    """flow-semantics "Comparing the model with the emulation": forward_edge is "the edge the
    request crossed ... null when the packet never got that far". Where DNS failed, the flow's
    request was never sent: its failed share crossed no edge."""
    r = flow(results(_shared_internet_nat()), "out/us/1")
    failed = {k: w for k, w in edges(r).items() if k[2] == "unreachable"}
    assert failed == {(None, None, "unreachable"): 0.5}


def test_a_proxy_with_an_egress_of_its_own_but_no_address_resolves_nothing() -> None:
    """flow-semantics "Resolver": a proxy device with an egress of its own resolves its
    clients' names itself, from its address. px1 stands at x, a site without prefixes: it has
    no address, so no query of it is answered and every flow of eu through it fails by DNS,
    blamed on x's prefixes; nothing is sent."""
    d = two_sites()
    d["sites"]["eu"]["proxy"] = {"mode": "all", "device": "px1"}
    d["sites"]["x"] = {"location": "London", "users": 0}
    d["wan"].append({"between": ["x", "eu"], "latency_ms": 5})
    d["breakouts"]["x-inet"] = breakout("x", "20.2.6.1/32", "20.2.6.0/24")
    d["devices"] = {"px1": {"kind": "proxy", "site": "x", "egress": "x-inet"}}
    r = flow(results(d), "out/eu/8")
    assert (r.verdict.value, share(r), r.cause_key) == ("unreachable", 1.0, "dns")
    assert r.cause == "DNS does not resolve: the proxy px1 has no address"
    assert r.culprit == ("sites", "x", "prefixes")
    assert edges(r) == {(None, None, "unreachable"): 1.0}
