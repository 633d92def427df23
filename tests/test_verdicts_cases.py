"""Cases the guides imply but do not draw: each asserts paths and verdicts."""

from __future__ import annotations

from _designs import circuit, pick, run, two_sites, verdicts
from erplan.flows import Outcome


def test_three_circuits_each_site_uses_its_own() -> None:
    d = two_sites()
    d["sites"]["apac"] = {"location": "Singapore", "users": 200, "prefixes": ["10.3.0.0/16"]}
    d["wan"].append({"between": ["apac", "eu"], "latency_ms": 160})
    d["breakouts"]["apac-inet"] = {
        "site": "apac",
        "nat": ["20.2.6.1/32"],
        "advertises": ["20.2.6.0/24"],
    }
    d["circuits"]["apac-er"] = circuit("apac", "Singapore", "20.2.2.16/29")
    rep = run(d)
    for site in ("us", "eu", "apac"):
        er = pick(rep, site, er=True)
        assert {r.flow.trace.egress for r in er} == {f"expressroute:{site}-er"}
        assert verdicts(pick(rep, site)) == {"ok"}
        assert all(len(r.flow.trace.returns) == 1 for r in er)


def test_one_prefix_on_two_circuits_with_prepend_returns_by_the_short_path() -> None:
    d = two_sites()
    for c in d["circuits"].values():
        c["advertises"] = ["20.2.2.0/28"]
    d["circuits"]["eu-er"]["prepend"] = {"20.2.2.0/28": 2}
    rep = run(d)
    assert verdicts(pick(rep, "us", er=True)) == {"ok"}
    eu = pick(rep, "eu", er=True)
    assert verdicts(eu) == {"asymmetric"}  # no stateful device on the way: works
    ret = eu[0].flow.trace.returns
    assert [p.via for p in ret] == ["expressroute:us-er"] and not ret[0].symmetric


def test_private_asn_prepend_leaves_microsoft_balancing_over_both() -> None:
    d = two_sites()
    for c in d["circuits"].values():
        c["advertises"] = ["20.2.2.0/28"]
        c["devices"] = []
    d["circuits"]["eu-er"]["prepend"] = {"20.2.2.0/28": 3}
    d["circuits"]["eu-er"]["prepend_asn"] = 65010
    rep = run(d)
    us = pick(rep, "us", er=True)[0].flow.trace
    assert sorted(p.via for p in us.returns) == ["expressroute:eu-er", "expressroute:us-er"]
    assert us.outcome is Outcome.ASYMMETRIC


def test_proxy_at_a_distant_site_is_suboptimal() -> None:
    d = two_sites(tenant={"geography": "EU"})
    d["sites"]["eu"]["proxy"] = {"mode": "all", "site": "us"}
    rep = run(d)
    eu = pick(rep, "eu")
    assert all(r.flow.start_site == "us" and r.flow.proxied for r in eu)
    assert verdicts(eu) == {"suboptimal"}
    assert {r.cause_key for r in eu} == {"proxy"}


def test_site_without_breakout() -> None:
    d = two_sites()
    d["sites"]["branch"] = {"location": "Boston", "users": 50, "prefixes": ["10.4.0.0/16"]}
    d["wan"].append({"between": ["branch", "us"], "latency_ms": 8})
    rep = run(d)
    er = pick(rep, "branch", er=True)
    assert verdicts(er) == {"ok"} and {r.flow.trace.egress for r in er} == {"expressroute:us-er"}
    cdn = pick(rep, "branch", er=False)
    assert verdicts(cdn) == {"unreachable"}
    assert "no internet breakout" in cdn[0].cause
    assert any(f.code == "ERP805" for f in rep.findings)


def test_non_expressroute_set_from_a_site_with_er_routes_goes_to_the_internet() -> None:
    rep = run(two_sites())
    cdn = pick(rep, "us", er=False)
    assert {r.flow.trace.egress for r in cdn} == {"internet:us-inet"}
    hops = cdn[0].flow.trace.forward.hops
    assert any(h.action == "snat" and h.src == "20.2.4.1" for h in hops)
    assert verdicts(cdn) == {"ok"}


def test_route_filter_missing_a_service_sends_it_to_the_far_circuit() -> None:
    d = two_sites()
    d["circuits"]["eu-er"]["route_filter"] = ["Exchange"]
    rep = run(d)
    eu = pick(rep, "eu", er=True)
    spo = [r for r in eu if r.flow.trace.route and r.flow.trace.route.circuit == "us-er"]
    exo = [r for r in eu if r.flow.trace.route and r.flow.trace.route.circuit == "eu-er"]
    assert spo and exo
    assert verdicts(spo) == {"suboptimal"} and verdicts(exo) == {"ok"}


def test_circuit_down_fails_over_to_the_other_circuit() -> None:
    d = two_sites()
    d["circuits"]["eu-er"]["up"] = False
    rep = run(d)
    eu = pick(rep, "eu", er=True)
    assert {r.flow.trace.egress for r in eu} == {"expressroute:us-er"}
    assert all(p.via == "expressroute:us-er" for r in eu for p in r.flow.trace.returns)


def test_source_outside_the_circuit_advertisements_is_dropped_on_entry() -> None:
    d = two_sites()
    d["circuits"]["us-er"]["advertises"] = ["20.9.9.0/24"]
    rep = run(d)
    us = pick(rep, "us", er=True)
    assert verdicts(us) == {"dropped"}
    assert "inbound filter" in us[0].cause and us[0].flow.trace.returns == ()


def test_private_source_on_the_microsoft_peering_is_dropped() -> None:
    d = two_sites()
    del d["circuits"]["us-er"]["snat_pool"]
    rep = run(d)
    us = pick(rep, "us", er=True)
    assert verdicts(us) == {"dropped"} and "private source 10.1.0.1" in us[0].cause


def test_internet_nat_advertised_over_expressroute_attracts_the_return() -> None:
    d = two_sites(devices={"fw-us": {"kind": "firewall", "site": "us"}})
    d["circuits"]["us-er"]["advertises"] = ["20.2.2.0/29", "20.2.4.0/24"]
    d["circuits"]["us-er"]["devices"] = ["fw-us"]
    rep = run(d)
    cdn = pick(rep, "us", er=False)
    assert verdicts(cdn) == {"dropped"}
    assert cdn[0].flow.trace.returns[0].via == "expressroute:us-er"


def test_inbound_without_covering_advertisement_is_unreachable() -> None:
    d = two_sites()
    d["services"] = {
        "mail": {
            "fqdn": "mail.contoso.com",
            "dns_record": "30.1.1.1",
            "public_address": "30.1.1.1",
            "site": "us",
        }
    }
    rep = run(d)
    mail = pick(rep, "mail")
    assert verdicts(mail) == {"unreachable"}
    assert any(f.code == "ERP815" for f in rep.findings)


def test_public_server_replying_through_another_circuits_firewall_is_dropped() -> None:
    d = two_sites(devices={"fw-eu": {"kind": "firewall", "site": "eu"}})
    d["circuits"]["eu-er"]["devices"] = ["fw-eu"]
    d["circuits"]["us-er"]["advertises"] = ["20.2.2.0/29", "20.2.3.10/32"]
    d["circuits"]["us-er"]["local_preference"] = 50  # the server's site prefers eu-er
    d["services"] = {
        "adfs": {
            "fqdn": "sts.contoso.com",
            "dns_record": "20.2.3.10",
            "public_address": "20.2.3.10",
            "site": "us",
            "entry": ["expressroute"],
        }
    }
    rep = run(d)
    adfs = pick(rep, "adfs")
    assert [r.flow.entry for r in adfs] == ["expressroute:us-er"]
    assert verdicts(adfs) == {"dropped"} and "fw-eu" in adfs[0].cause
