"""The network built from the design (engine/network.py), and the same network with elements
down as `erplan failures` derives it from the baseline's (``Network.with_down``): a failed
circuit link, breakout or device is down where the packets meet it, with its own cause, and the
baseline it was derived from stays as it was (docs/flow-semantics.md "The network"; DESIGN.md
"Failures")."""

from __future__ import annotations

import copy
from typing import Any

from _semantics import (
    CATALOGS,
    edges,
    flow,
    inbound,
    load,
    one_site,
    owners,
    results,
    service,
    share,
    two_sites,
)
from erplan.analyses.failed_state import failed_engine
from erplan.analyses.failure_atoms import Atom, apply
from erplan.analyses.failures import Baseline
from erplan.analyses.verdicts import FlowResult, rows
from erplan.report import topology


def _failed(base: Baseline, *failed: Atom) -> list[FlowResult]:
    """The rows of the baseline's design with ``failed`` down, on the network derived from the
    baseline's."""
    return rows(failed_engine(apply(base.design, failed), base))


def _base(data: dict[str, Any]) -> Baseline:
    return Baseline.build(load(data).design, CATALOGS)


# -- customer edges and links ----------------------------------------------------------------------
def test_a_reply_stopped_at_a_customer_edge_that_translates_names_that_circuit() -> None:
    """us-er also advertises the breakout's NAT range: Microsoft returns the replies of us's
    internet traffic by ExpressRoute, and the customer edge, which translates into the
    circuit's pool and never saw the request, drops them: each branch names the circuit."""
    d = one_site()
    d["circuits"]["us-er"]["advertises"].append("20.2.4.0/24")
    r = flow(results(d), "out/us/8")
    assert (r.verdict.value, share(r), r.cause_key) == ("dropped", 1.0, "internet-nat-overlap")
    assert owners(r, "back") == {"circuit:us-er": 1.0}
    for b in r.trace.branches:
        assert b.back is not None and b.back.cause == "no-session"
        assert b.back.hops[-1].node == "ce:us-er"
        assert b.culprit == ("circuits", "us-er")


def test_a_reply_stopped_at_a_link_that_translates_names_that_link() -> None:
    """Each link of us-er translates into its own pool (state per link); mail is published by
    us-er. Microsoft returns half the replies by the other link, whose edge holds no session:
    the branch names that link of the circuit as what to fix, the flow a link split."""
    d = one_site(
        links={
            "primary": {"snat_pool": "20.2.2.16/29", "advertises": ["20.2.2.16/29"]},
            "secondary": {"snat_pool": "20.2.2.24/29", "advertises": ["20.2.2.24/29"]},
        }
    )
    del d["circuits"]["us-er"]["snat_pool"]
    d["services"] = {"mail": service("us", "20.2.2.17", "10.1.5.5", ["us-er"])}
    r = inbound(results(d), "mail")
    assert (r.verdict.value, share(r), r.cause_key) == ("dropped", 0.5, "link-split")
    assert edges(r) == {
        ("circuit:us-er/primary", "circuit:us-er/primary", "ok"): 0.5,
        ("circuit:us-er/primary", None, "dropped"): 0.5,
    }
    (stopped,) = [b for b in r.trace.branches if b.outcome.value == "dropped"]
    assert stopped.back is not None and stopped.back.cause == "no-session"
    assert stopped.culprit == ("circuits", "us-er", "links", "secondary")


# -- circuit links that fail ---------------------------------------------------------------------
def test_a_link_the_design_does_not_list_goes_down_alone() -> None:
    """The primary link of us-er, which the design does not list, fails: Exchange leaves and
    comes back by the secondary link alone; then the secondary fails instead, derived from the
    same baseline: the primary carries it all (the first failure left the baseline as it was)."""
    base = _base(one_site())
    for down, up in (("primary", "secondary"), ("secondary", "primary")):
        r = flow(_failed(base, Atom("link", f"us-er/{down}")), "out/us/1")
        assert r.verdict.value == "ok"
        assert edges(r) == {(f"circuit:us-er/{up}", f"circuit:us-er/{up}", "ok"): 1.0}


# -- devices ---------------------------------------------------------------------------------------
def test_a_failed_link_firewall_blackholes_what_microsoft_returns_into_that_link() -> None:
    """fw1 stands on us-er's primary link and fails: requests leave by the secondary link, but
    Microsoft still returns half the replies into the primary, where they die at fw1 - the
    device is the cause, as in a design written with fw1 down."""
    d = one_site(links={"primary": {"devices": ["fw1"]}})
    d["devices"] = {"fw1": {"site": "us"}}
    base = _base(d)
    r = flow(_failed(base, Atom("device", "fw1")), "out/us/1")
    assert (r.verdict.value, share(r), r.cause_key) == ("blackhole", 0.5, "device-down")
    assert r.culprit == ("devices", "fw1", "up")
    assert "fw1 stands between us-er primary link and the site" in r.cause
    assert edges(r) == {
        ("circuit:us-er/secondary", "circuit:us-er/primary", "blackhole"): 0.5,
        ("circuit:us-er/secondary", "circuit:us-er/secondary", "ok"): 0.5,
    }
    assert flow(base.results, "out/us/1").verdict.value != "blackhole"


def test_a_failed_site_device_cuts_its_site_off_and_no_other() -> None:
    """docs/design-format.md sites.devices: "every flow of the site crosses them": with us's
    core device failed, us resolves nothing; eu, over the WAN, is untouched."""
    d = two_sites()
    d["sites"]["us"]["devices"] = ["core"]
    d["devices"] = {"core": {"site": "us"}}
    got = _failed(_base(d), Atom("device", "core"))
    for key in ("dns/us", "out/us/1", "out/us/8"):
        r = flow(got, key)
        assert (r.verdict.value, share(r)) == ("unreachable", 1.0), key
    assert flow(got, "out/eu/1").share_affected == 0.0


def test_a_site_device_that_is_down_is_named_as_the_cause_not_a_missing_route() -> None:
    """us's core device is down, in the design and as a failure derived from the baseline: the
    hosts of us reach nothing, and the cause is the device between them and the site router
    (its fix: bring it up), not a missing default route (the hosts have one, to the site
    router; "give the origin a route" would be the wrong fix)."""
    d = two_sites()
    d["sites"]["us"]["devices"] = ["core"]
    d["devices"] = {"core": {"site": "us"}}
    down = copy.deepcopy(d)
    down["devices"]["core"]["up"] = False
    for rs in (results(down), _failed(_base(d), Atom("device", "core"))):
        r = flow(rs, "dns/us")
        assert (r.verdict.value, share(r), r.cause_key) == ("unreachable", 1.0, "device-down")
        assert r.culprit == ("devices", "core", "up")
        assert "core stands between hosts of us and the site" in r.cause


def test_the_flows_of_a_site_whose_device_is_down_name_the_device_as_their_dns_row_does() -> None:
    """us's core device is down: every flow of us fails because its DNS does, and names what
    the DNS row names - the device (its fix: bring it up) and that it is down - not the DNS
    branch's own words (the hosts' missing way out, culprit the site). Its cause is the device
    on the way to the resolver egress, and so is its fix (bring the device back), not the
    resolver egress's path to the internet (cause ``dns``)."""
    d = two_sites()
    d["sites"]["us"]["devices"] = ["core"]
    d["devices"] = {"core": {"site": "us"}}
    down = copy.deepcopy(d)
    down["devices"]["core"]["up"] = False
    for rs in (results(down), _failed(_base(d), Atom("device", "core"))):
        dns = flow(rs, "dns/us")
        assert (dns.verdict.value, share(dns), dns.cause_key) == ("unreachable", 1.0, "device-down")
        assert dns.culprit == ("devices", "core", "up")
        for key in ("out/us/1", "out/us/8"):
            r = flow(rs, key)
            got = (r.verdict.value, share(r), r.cause_key)
            assert got == ("unreachable", 1.0, "dns-device-down"), key
            assert r.culprit == ("devices", "core", "up"), key
            assert r.fix.startswith("bring the device back up"), key
            assert "resolver egress a working path" not in r.fix, key
            assert r.cause == f"DNS does not resolve: {dns.cause}", key
            assert "core stands between hosts of us and the site" in r.cause, key


def test_the_proxied_flows_of_a_site_whose_device_is_down_name_the_device() -> None:
    """eu's users go through the proxy at us, and eu's core device is down: their leg to the
    proxy fails between the hosts and the site router, and their flows name the device, as
    eu's DNS row does, not the hosts' missing way out (culprit the site); cause and fix are
    the device's (bring it back), not the proxy's ("give the site a path to its proxy")."""
    d = two_sites()
    d["sites"]["eu"]["proxy"] = {"mode": "all", "site": "us"}
    d["sites"]["eu"]["devices"] = ["core"]
    d["devices"] = {"core": {"site": "eu", "up": False}}
    rs = results(d)
    assert flow(rs, "dns/eu").culprit == ("devices", "core", "up")
    for key in ("out/eu/1", "out/eu/8"):
        r = flow(rs, key)
        got = (r.verdict.value, share(r), r.cause_key)
        assert got == ("unreachable", 1.0, "proxy-device-down"), key
        assert r.culprit == ("devices", "core", "up"), key
        assert r.fix.startswith("bring the device back up"), key
        assert "core stands between hosts of eu and the site" in r.cause, key
    assert flow(rs, "out/us/1").verdict.value == "ok"


def test_a_failed_circuit_firewall_sends_the_site_to_the_other_circuit() -> None:
    """eu-er's firewall fails: eu's Exchange traffic takes us-er both ways (its pool is
    advertised there), as in the design written with the firewall down: slower, not broken."""
    d = two_sites()
    d["circuits"]["eu-er"]["devices"] = ["fw-eu"]
    d["devices"] = {"fw-eu": {"site": "eu"}}
    r = flow(_failed(_base(d), Atom("device", "fw-eu")), "out/eu/1")
    assert (r.verdict.value, r.share_affected) == ("suboptimal", 0.0)
    assert owners(r, "forward") == {"circuit:us-er": 1.0}
    assert owners(r, "back") == {"circuit:us-er": 1.0}


def test_a_failed_nat_device_sends_the_site_to_the_circuit_that_still_translates() -> None:
    """us-er's pool is translated at its NAT device nat-us, which fails: the pool no longer
    leads anywhere, and us's Exchange traffic leaves, translated, by eu's circuit over the WAN
    (every branch works, slower)."""
    d = two_sites()
    d["circuits"]["us-er"]["devices"] = ["nat-us"]
    d["devices"] = {"nat-us": {"site": "us", "kind": "nat"}}
    base = _base(d)
    assert owners(flow(base.results, "out/us/1")) == {"circuit:us-er": 1.0}
    r = flow(_failed(base, Atom("device", "nat-us")), "out/us/1")
    assert (r.verdict.value, r.share_affected, r.cause_key) == ("suboptimal", 0.0, "propagated")
    assert owners(r, "forward") == {"circuit:eu-er": 1.0}
    assert owners(r, "back") == {"circuit:eu-er": 1.0}


# -- breakouts -------------------------------------------------------------------------------------
def test_a_failed_breakout_sends_its_site_to_the_other_breakout() -> None:
    """eu-inet fails (eu resolves at us-inet): eu's internet traffic takes us-inet both ways."""
    d = two_sites()
    d["sites"]["eu"]["resolver_egress"] = "us-inet"
    r = flow(_failed(_base(d), Atom("breakout", "eu-inet")), "out/eu/8")
    assert (r.verdict.value, r.share_affected) == ("ok", 0.0)
    assert edges(r) == {("breakout:us-inet", "breakout:us-inet", "ok"): 1.0}


def test_a_failed_nat_device_that_publishes_a_service_is_named_as_the_cause() -> None:
    """mail is published at us-er's NAT device, which fails: Microsoft's requests die at the
    links, whose way in crosses the dead device - the device is named, as in the design written
    with it down (tests/test_semantics_failures.py)."""
    d = one_site(devices=["nat-us"], advertises=["20.2.2.0/29", "20.2.3.0/24"])
    d["devices"] = {"nat-us": {"site": "us", "kind": "nat"}}
    d["services"] = {"mail": service("us", "20.2.3.59", "10.1.5.5", ["us-er"])}
    base = _base(d)
    assert inbound(base.results, "mail").verdict.value == "ok"
    r = inbound(_failed(base, Atom("device", "nat-us")), "mail")
    assert (r.verdict.value, share(r), r.cause_key) == ("blackhole", 1.0, "device-down")
    assert r.culprit == ("devices", "nat-us", "up")
    assert owners(r, "forward") == {"circuit:us-er": 1.0}


def test_a_failed_device_that_stands_on_no_path_changes_nothing() -> None:
    """spare is declared at us but stands on no path: its failure leaves every flow as it
    was."""
    d = one_site()
    d["devices"] = {"spare": {"site": "us"}}
    base = _base(d)
    got = _failed(base, Atom("device", "spare"))
    before = {r.flow.key: (r.verdict.value, r.share, edges(r)) for r in base.results}
    assert {r.flow.key: (r.verdict.value, r.share, edges(r)) for r in got} == before
    assert before["out/us/1"][0] == "ok"


# -- the network as the map draws it ---------------------------------------------------------------
def test_the_map_draws_a_link_and_a_breakout_that_are_down_as_down() -> None:
    """us-er's primary link and the breakout us-inet are down in the design: the map (erplan
    report) draws the primary link and its access leg to the MSEE as down, with the leg's
    round trip, the secondary and its leg as up, and the breakout as down; with everything up,
    everything is drawn up."""
    every = topology.build(load(one_site()).design, CATALOGS).nodes
    assert all(every[n].up is True for n in ("edge:us-inet", "link:us-er/primary", "ce:us-er"))
    d = one_site(links={"primary": {"up": False}})
    d["breakouts"]["us-inet"]["up"] = False
    topo = topology.build(load(d).design, CATALOGS)
    nodes = topo.nodes
    assert not nodes["link:us-er/primary"].up and nodes["link:us-er/secondary"].up
    assert not nodes["edge:us-inet"].up and nodes["ce:us-er"].up
    access = {(e.a, e.b): e for e in topo.edges if e.kind == "access"}
    for link, up in (("primary", False), ("secondary", True)):
        e = access[(f"link:us-er/{link}", f"msee:us-er/{link}")]
        assert e.up is up
        assert (
            e.title
            == f"us-er {link} link to MSEE us-er {link} (New York), 2 ms (estimated) round trip"
        )


def test_a_reply_stopped_at_a_breakout_firewall_heads_for_that_breakout() -> None:
    """mail, at eu, is published through us-inet; the server's replies to an internet user
    follow eu's default route to eu-inet, whose stateful firewall never saw the request and
    drops them before the edge: the reply is still said to head for eu-inet (the breakout whose
    path the firewall stands on), so the cause is a return by another breakout."""
    d = two_sites()
    d["devices"] = {"fw-eu": {"site": "eu"}}
    d["breakouts"]["eu-inet"]["devices"] = ["fw-eu"]
    d["services"] = {"mail": service("eu", "20.2.4.10", "10.2.5.5", ["us-inet"])}
    r = inbound(results(d), "mail", "internet")
    assert (r.verdict.value, share(r), r.cause_key) == ("dropped", 1.0, "inbound-return-elsewhere")
    assert r.culprit == ("services", "mail", "inbound_snat")
    assert "the server's reply heads for breakout:eu-inet" in r.cause
    (b,) = r.trace.branches
    assert b.back is not None and (b.back.edge, b.back.cause) == (None, "no-session")
    assert b.back.hops[-1].node == "device:fw-eu@breakout:eu-inet"


def test_the_internet_and_microsoft_are_hops_named_as_such() -> None:
    """us's internet-only set leaves by us-inet and crosses the internet to the Microsoft
    network; its Exchange set leaves by us-er straight to the Microsoft network: each hop is
    named so."""
    rs = results(one_site())
    for key, named in (
        ("out/us/8", {"internet": "internet", "microsoft": "Microsoft network"}),
        ("out/us/1", {"microsoft": "Microsoft network"}),
    ):
        for b in flow(rs, key).trace.branches:
            labels = {h.node: h.label for h in b.forward.hops}
            assert {n: labels.get(n) for n in ("internet", "microsoft")} == {
                "internet": named.get("internet"),
                "microsoft": named["microsoft"],
            }, key


def test_the_map_draws_a_wan_link_that_is_down_as_down_with_its_round_trip() -> None:
    """The WAN link between us and eu is down in the design: the map draws it down, with the
    round trip the design gives it."""
    d = two_sites()
    d["wan"][0]["up"] = False
    (wan,) = [e for e in topology.build(load(d).design, CATALOGS).edges if e.kind == "wan"]
    assert {wan.a, wan.b} == {"site:us", "site:eu"}
    assert (wan.up, wan.title.split(", ")[-1]) == (False, "80 ms round trip")


def test_two_equally_cheap_parallel_wan_links_each_carry_half_the_traffic() -> None:
    """us and eu are joined twice at one IGP cost: each link is a path, half the connections
    over each at its own latency (80 and 30 ms), there and back; a cheaper link (30 ms at a
    lower cost) carries everything. eu leaves by us."""
    d = two_sites()
    d["circuits"] = {}
    del d["breakouts"]["eu-inet"]
    d["wan"] = [
        {"between": ["us", "eu"], "latency_ms": 80, "cost": 10},
        {"between": ["eu", "us"], "latency_ms": 30, "cost": 10},
    ]
    r = flow(results(d), "out/eu/8")
    assert edges(r) == {("breakout:us-inet", "breakout:us-inet", "ok"): 1.0}
    out: dict[float, float] = {}
    for b in r.trace.branches:
        (ms,) = [h.ms for h in b.forward.hops if h.node == "site:us"]
        out[ms] = out.get(ms, 0.0) + b.weight
    assert out == {40.0: 0.5, 15.0: 0.5}  # half each link's round trip, each way
    (wan,) = [e for e in topology.build(load(d).design, CATALOGS).edges if e.kind == "wan"]
    assert wan.title.split(", ")[-2:] == ["2 equal-cost links", "30 ms and 80 ms round trip"]
    d["wan"][1]["cost"] = 9
    (b,) = flow(results(d), "out/eu/8").trace.branches
    assert [h.ms for h in b.forward.hops if h.node == "site:us"] == [15.0]
    (wan,) = [e for e in topology.build(load(d).design, CATALOGS).edges if e.kind == "wan"]
    assert wan.title.split(", ")[-1] == "30 ms round trip"
