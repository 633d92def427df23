"""Failures: devices, WAN links, breakouts, circuits and links down - traffic fails over where
the tables offer another way, and is reported broken where none is left
(docs/flow-semantics.md "Inside the customer network": "A path through a device that is down
is down"; DESIGN.md "Failures")."""

from __future__ import annotations

from _semantics import (
    edges,
    flow,
    inbound,
    one_site,
    owners,
    results,
    service,
    share,
    two_sites,
)
from erplan.analyses.causes import CAUSES
from test_semantics_inbound import RF, _filtered


def test_circuit_firewall_down_fails_over_to_the_other_circuit() -> None:
    """A path through a device that is down is down: eu-er's firewall is down, so eu's
    Exchange traffic takes us-er (its own pool, advertised there): failover, not a defect."""
    d = two_sites()
    d["circuits"]["eu-er"]["devices"] = ["fw-eu"]
    d["devices"] = {"fw-eu": {"site": "eu", "up": False}}
    r = flow(results(d), "out/eu/1")
    assert r.share_affected == 0.0
    assert owners(r, "forward") == {"circuit:us-er": 1.0}
    assert owners(r, "back") == {"circuit:us-er": 1.0}


def test_circuit_down_fails_over_to_the_other_circuit() -> None:
    d = two_sites()
    d["circuits"]["us-er"]["up"] = False
    r = flow(results(d), "out/us/1")
    assert r.share_affected == 0.0
    assert owners(r, "forward") == {"circuit:eu-er": 1.0}


def test_link_down_leaves_the_other_link() -> None:
    """flow-semantics: routes are learned on a session that is up (circuit and link up);
    Microsoft uses every remaining link."""
    d = one_site(links={"primary": {"up": False}})
    r = flow(results(d), "out/us/1")
    assert r.verdict.value == "ok"
    assert edges(r) == {("circuit:us-er/secondary", "circuit:us-er/secondary", "ok"): 1.0}


def test_site_device_down_cuts_the_site_off() -> None:
    """docs/design-format.md sites.devices: "every flow of the site crosses them"."""
    d = two_sites()
    d["sites"]["us"]["devices"] = ["core"]
    d["devices"] = {"core": {"site": "us", "up": False}}
    rs = results(d)
    for key in ("dns/us", "out/us/1", "out/us/8"):
        r = flow(rs, key)
        assert r.verdict.value == "unreachable", key
        assert share(r) == 1.0
    assert flow(rs, "out/eu/1").share_affected == 0.0


def test_wan_link_down_sends_a_remote_site_to_its_own_breakout() -> None:
    """eu has no circuit of its own and reaches us-er over the WAN; with the WAN link down no
    ExpressRoute route is reachable and eu's default route takes over."""
    d = two_sites()
    del d["circuits"]["eu-er"]
    d["wan"][0]["up"] = False
    r = flow(results(d), "out/eu/1")
    assert r.share_affected == 0.0
    assert edges(r) == {("breakout:eu-inet", "breakout:eu-inet", "ok"): 1.0}


def test_breakout_down_fails_over_to_the_nearest_other_breakout() -> None:
    """flow-semantics "Default route": "every breakout that is up originates a default route. A
    site router uses its designated breakout ..., else the nearest one by IGP". (eu resolves in
    the US, so its DNS does not depend on eu-inet.)"""
    d = two_sites()
    d["sites"]["eu"]["resolver_egress"] = "us-inet"
    d["breakouts"]["eu-inet"]["up"] = False
    r = flow(results(d), "out/eu/8")
    assert r.share_affected == 0.0
    assert edges(r) == {("breakout:us-inet", "breakout:us-inet", "ok"): 1.0}


def test_only_breakout_down_leaves_no_dns_and_no_flow() -> None:
    """DESIGN.md outbound step 2: DNS that cannot get out makes the flow unreachable - also
    the ExpressRoute flows, whose routes are still there."""
    d = one_site()
    d["breakouts"]["us-inet"]["up"] = False
    rs = results(d)
    assert flow(rs, "dns/us").verdict.value == "unreachable"
    r = flow(rs, "out/us/1")
    assert (r.verdict.value, share(r), r.cause_key) == ("unreachable", 1.0, "dns")


def test_link_firewall_down_moves_the_customer_edge_but_not_microsofts_returns() -> None:
    """ "A path through a device that is down is down" holds on the customer side only: the
    customer edge sends by the secondary link alone, while Microsoft's session on the primary
    (beyond the firewall) stays up and returns half the replies into the dead firewall."""
    d = one_site(links={"primary": {"devices": ["fw1"]}})
    d["devices"] = {"fw1": {"site": "us", "up": False}}
    r = flow(results(d), "out/us/1")
    assert r.verdict.value == "blackhole"
    assert share(r) == 0.5
    assert edges(r) == {
        ("circuit:us-er/secondary", "circuit:us-er/primary", "blackhole"): 0.5,
        ("circuit:us-er/secondary", "circuit:us-er/secondary", "ok"): 0.5,
    }


def test_a_dead_link_firewall_is_the_cause_not_the_advertisement() -> None:
    """The replies Microsoft returns into the primary link die at its dead firewall: the cause
    is the device (culprit its `up`), not a missing advertisement - the pool is advertised."""
    d = one_site(links={"primary": {"devices": ["fw1"]}})
    d["devices"] = {"fw1": {"site": "us", "up": False}}
    r = flow(results(d), "out/us/1")
    assert (r.verdict.value, share(r), r.cause_key) == ("blackhole", 0.5, "device-down")
    assert r.culprit == ("devices", "fw1", "up")
    where = "fw1 stands between us-er primary link and the site"
    assert r.cause == f"{CAUSES['device-down'][0]}: {where}"
    d["devices"]["fw1"]["up"] = True  # up, it holds the sessions of one link only
    assert flow(results(d), "out/us/1").cause_key == "link-split"


def test_inbound_through_a_dead_circuit_firewall_names_the_firewall() -> None:
    """Exchange enters by us-er, whose circuit firewall is down: every connection dies at the
    customer edge, and the device is what to fix."""
    d = _filtered(RF)
    d["circuits"]["us-er"]["devices"] = ["fw"]
    d["devices"] = {"fw": {"site": "us", "up": False}}
    r = inbound(results(d), "mail")
    assert (r.verdict.value, share(r), r.cause_key) == ("blackhole", 1.0, "device-down")
    assert r.culprit == ("devices", "fw", "up")


def test_inbound_through_a_dead_nat_device_names_the_device() -> None:
    """mail is published at us-er's NAT device, which is down: Microsoft's requests reach the
    links, whose way in to the published address crosses the dead device. The device is what
    to fix, as for a plain firewall - not a missing route to give the origin."""
    d = one_site(devices=["nat-us"], advertises=["20.2.2.0/29", "20.2.3.0/24"])
    d["devices"] = {"nat-us": {"site": "us", "kind": "nat", "up": False}}
    d["services"] = {"mail": service("us", "20.2.3.59", "10.1.5.5", ["us-er"])}
    r = inbound(results(d), "mail")
    assert (r.verdict.value, share(r), r.cause_key) == ("blackhole", 1.0, "device-down")
    assert r.culprit == ("devices", "nat-us", "up")
    assert "nat-us stands between us-er primary link and the site" in r.cause


def test_a_route_missing_beyond_an_edge_is_not_blamed_on_a_device() -> None:
    """No device is down: a reply with no route back keeps its own cause."""
    d = one_site()
    d["circuits"]["us-er"]["advertises"] = []
    r = flow(results(d), "out/us/1")
    assert r.verdict.value != "ok" and r.cause_key != "device-down"


def test_breakout_firewall_down_fails_over_to_the_other_breakout() -> None:
    """A perimeter firewall down takes its breakout's default route with it: us's internet
    traffic and its DNS queries (no resolver egress named) leave by eu's breakout."""
    d = two_sites()
    d["breakouts"]["us-inet"]["devices"] = ["fw-bo"]
    d["devices"] = {"fw-bo": {"site": "us", "up": False}}
    rs = results(d)
    for key in ("dns/us", "out/us/8"):
        r = flow(rs, key)
        assert r.share_affected == 0.0, key
        assert owners(r, "forward") == owners(r, "back") == {"breakout:eu-inet": 1.0}, key
