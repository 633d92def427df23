"""Cases the guides imply but do not draw: each small design asserts edges, verdict and cause."""

from __future__ import annotations

from _designs import (
    circuit,
    forward_edges,
    pick,
    return_edges,
    run,
    shares,
    two_sites,
    verdicts,
)


def test_three_circuits_each_site_uses_its_own() -> None:
    """Guide 000 §7.3.1: 'hot potato' — each site hands its traffic to the nearest circuit."""
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
        assert forward_edges(er) == {f"circuit:{site}-er"}
        assert return_edges(er) == {f"circuit:{site}-er"}
        assert verdicts(pick(rep, site)) == {"ok"}


def test_one_prefix_on_two_circuits_with_prepend_returns_by_the_short_path() -> None:
    """Guide 000 §7.4.1: Microsoft prefers the shorter AS path; without state on the way the
    reply through the other circuit works (asymmetric, a warning)."""
    d = two_sites()
    for c in d["circuits"].values():
        c["advertises"] = ["20.2.2.0/28"]
    d["circuits"]["eu-er"]["prepend"] = {"20.2.2.0/28": 2}
    rep = run(d)
    assert verdicts(pick(rep, "us", er=True)) == {"ok"}
    eu = pick(rep, "eu", er=True)
    assert return_edges(eu) == {"circuit:us-er"}
    # The EU circuit's customer edge translates into the pool: the reply misses its session.
    assert verdicts(eu) == {"dropped"} and shares(eu) == {1.0}
    assert {r.cause_key for r in eu} == {"return-elsewhere"}
    assert {r.culprit for r in eu} == {("circuits", "us-er", "advertises", 0)}


def test_private_asn_prepend_leaves_microsoft_balancing_over_both() -> None:
    """FACTS §1.3: Microsoft strips private ASNs, so prepending one changes nothing: returns
    are balanced over both circuits, and the half through the other edge is dropped."""
    d = two_sites()
    for c in d["circuits"].values():
        c["advertises"] = ["20.2.2.0/28"]
    d["circuits"]["eu-er"]["prepend"] = {"20.2.2.0/28": 3}
    d["circuits"]["eu-er"]["prepend_asn"] = 65010
    rep = run(d)
    us = pick(rep, "us", er=True)
    assert return_edges(us) == {"circuit:us-er", "circuit:eu-er"}
    assert verdicts(us) == {"dropped"} and shares(us) == {0.5}


def test_proxy_at_a_distant_site_starts_the_flow_there() -> None:
    """Guide 000 §3 fix 2 (Figure 5): proxied traffic is resolved and sent from the proxy."""
    d = two_sites(tenant={"geography": "EU"})
    d["sites"]["eu"]["proxy"] = {"mode": "all", "site": "us"}
    rep = run(d)
    eu = pick(rep, "eu")
    assert {r.flow.start for r in eu} == {"us"} and {r.flow.proxy for r in eu} == {"site:us"}
    assert forward_edges(pick(rep, "eu", er=True)) == {"circuit:us-er"}
    assert forward_edges(pick(rep, "eu", er=False)) == {"breakout:us-inet"}


def test_site_without_breakout_uses_the_nearest_one() -> None:
    """A default route from every breakout (docs/flow-semantics.md): a site without its own
    leaves by the nearest one."""
    d = two_sites()
    d["sites"]["branch"] = {"location": "Boston", "users": 50, "prefixes": ["10.4.0.0/16"]}
    d["wan"].append({"between": ["branch", "us"], "latency_ms": 8})
    rep = run(d)
    assert forward_edges(pick(rep, "branch", er=True)) == {"circuit:us-er"}
    assert forward_edges(pick(rep, "branch", er=False)) == {"breakout:us-inet"}
    assert verdicts(pick(rep, "branch")) == {"ok"}


def test_no_breakout_at_all_makes_internet_flows_unreachable() -> None:
    """Guide 000 §2.1: internet access is still required (DNS, CDNs)."""
    d = two_sites(breakouts={})
    rep = run(d)
    us = pick(rep, "us")
    assert verdicts(us) == {"unreachable"}
    assert {r.cause_key for r in us} == {"dns", "no-route"} & {r.cause_key for r in us}
    assert any(f.code == "ERP806" for f in rep.findings)


def test_non_expressroute_set_from_a_site_with_er_routes_goes_to_the_internet() -> None:
    rep = run(two_sites())
    cdn = pick(rep, "us", er=False)
    assert forward_edges(cdn) == {"breakout:us-inet"}
    hops = cdn[0].trace.branches[0].forward.hops
    assert any(h.src_before is not None and h.src == 0x14020401 for h in hops)  # 20.2.4.1
    assert verdicts(cdn) == {"ok"}


def test_route_filter_missing_a_service_sends_it_to_the_far_circuit() -> None:
    """A circuit whose route filter lacks SharePoint gives the site no SharePoint route there:
    it takes the other circuit's (guide 000 Figure 15's hairpin)."""
    d = two_sites()
    d["circuits"]["eu-er"]["route_filter"] = ["Exchange"]
    rep = run(d)
    eu = pick(rep, "eu", er=True)
    spo = [r for r in eu if forward_edges([r]) == {"circuit:us-er"}]
    exo = [r for r in eu if forward_edges([r]) == {"circuit:eu-er"}]
    assert spo and exo
    assert verdicts(spo) == {"suboptimal"} and verdicts(exo) == {"ok"}


def test_circuit_down_fails_over_to_the_other_circuit() -> None:
    d = two_sites()
    d["circuits"]["eu-er"]["up"] = False
    rep = run(d)
    eu = pick(rep, "eu", er=True)
    assert forward_edges(eu) == {"circuit:us-er"} and return_edges(eu) == {"circuit:us-er"}


def test_source_outside_the_circuit_advertisements_is_dropped_on_entry() -> None:
    """FACTS §1.4: the advertised prefixes are Microsoft's inbound filter."""
    d = two_sites()
    d["circuits"]["us-er"]["advertises"] = ["20.9.9.0/24"]
    rep = run(d)
    us = pick(rep, "us", er=True)
    assert verdicts(us) == {"dropped"} and shares(us) == {1.0}
    assert {r.cause_key for r in us} == {"source-filter"}
    assert all(b.back is None for r in us for b in r.trace.branches)


def test_private_source_on_the_microsoft_peering_is_dropped() -> None:
    """Guide 000 §5: every datagram on the Microsoft peering needs a public source."""
    d = two_sites()
    del d["circuits"]["us-er"]["snat_pool"]
    rep = run(d)
    us = pick(rep, "us", er=True)
    assert verdicts(us) == {"dropped"} and {r.cause_key for r in us} == {"source-filter"}
    assert "10.1." in us[0].cause  # a client address of the site


def test_internet_nat_advertised_over_expressroute_attracts_the_return() -> None:
    """Guide 000 §5: internet NAT addresses must differ from the Microsoft-peering ones, or
    Microsoft's replies to other traffic come back over ExpressRoute."""
    d = two_sites(devices={"fw-us": {"kind": "firewall", "site": "us"}})
    d["circuits"]["us-er"]["advertises"] = ["20.2.2.0/29", "20.2.4.0/24"]
    d["circuits"]["us-er"]["devices"] = ["fw-us"]
    rep = run(d)
    ms_internet = [
        r for r in pick(rep, "us", er=False) if not r.flow.third_party
    ]  # Microsoft hosts reached over the internet
    assert verdicts(ms_internet) == {"dropped"}
    assert return_edges(ms_internet) == {"circuit:us-er"}
    third = [r for r in pick(rep, "us", er=False) if r.flow.third_party]
    assert verdicts(third) == {"ok"}  # a third party's reply never crosses Microsoft


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
    assert {r.cause_key for r in mail} == {"inbound-no-route"}
    assert any(f.code == "ERP815" for f in rep.findings)


def test_public_server_replying_through_another_circuits_firewall_is_dropped() -> None:
    """Guide 001 Problem 2 without NAT at all: the server's site prefers the other circuit.
    us-er's own edge prefers it too, so inbound source NAT alone would not help: the cause is
    the entry's lower local preference."""
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
    adfs = [r for r in pick(rep, "adfs") if r.flow.kind == "microsoft-365"]
    assert forward_edges(adfs) == {"circuit:us-er"}
    assert verdicts(adfs) == {"dropped"}
    assert {r.cause_key for r in adfs} == {"entry-prefers-another-circuit"}
    assert {r.culprit for r in adfs} == {("circuits", "us-er", "local_preference")}
