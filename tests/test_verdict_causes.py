"""The verdict layer's own decisions, each on a small design: which cause names a flow, what
its text says, which design object the fix must change, the share it applies to (the points
mutation testing found unasserted; bench/README.md "Mutation testing")."""

from __future__ import annotations

import re
from ipaddress import IPv4Address, IPv4Network
from typing import Any

import pytest

from _semantics import (
    CATALOGS,
    RF,
    flow,
    inbound,
    load,
    one_site,
    owners,
    results,
    service,
    share,
    site,
    two_sites,
)
from erplan.analyses.causes import CAUSES
from erplan.engine import Engine
from test_semantics_dns import _eu_resolves_in_us
from test_semantics_inbound import _filtered, _guide, _mismatch
from test_semantics_routing import _prepended
from test_semantics_state import _public_site


def _in(address: str, prefix: str) -> bool:
    return IPv4Address(address) in IPv4Network(prefix)


# -- a reply that comes back elsewhere ----------------------------------------------------------


def test_return_elsewhere_names_the_advertisement_that_pulls_the_reply() -> None:
    """guide 000 §7.2: the fix is the advertisement, so the culprit is the very prefix that
    covers the reply's address - here the last of four, right after a prefix that ends where
    it starts - and the cause says which address, which circuits, and why it is dropped."""
    d = two_sites()
    d["circuits"]["eu-er"]["advertises"] = [
        "20.2.2.8/29",
        "20.2.2.0/31",
        "20.2.2.2/31",
        "20.2.2.4/30",
    ]
    r = flow(results(d), "out/us/1")
    assert (r.verdict.value, share(r), r.cause_key) == ("dropped", 1.0, "return-elsewhere")
    assert r.culprit == ("circuits", "eu-er", "advertises", 3)
    m = re.fullmatch(
        r"replies to (\S+) come back by circuit:eu-er/(primary|secondary) although the request "
        r"left by circuit:us-er/(primary|secondary): circuit eu-er advertises 20\.2\.2\.4/30; "
        r"(.+)",
        r.cause,
    )
    assert m is not None, r.cause
    assert _in(m.group(1), "20.2.2.4/30")
    assert "eu-er" in m.group(4) and "session" in m.group(4)


def test_return_elsewhere_by_one_link_names_that_link_s_advertisement() -> None:
    """A prefix advertised on one link only (circuits.*.links.*.advertises) is its own culprit:
    the path the fix must change, field by field."""
    d = two_sites()
    d["circuits"]["eu-er"]["links"] = {"primary": {"advertises": ["20.2.2.4/30"]}}
    r = flow(results(d), "out/us/1")
    assert (r.verdict.value, r.cause_key) == ("dropped", "return-elsewhere")
    assert share(r) == 0.5  # the upper half of the pool, whichever link the request took
    assert r.culprit == ("circuits", "eu-er", "links", "primary", "advertises", 0)
    assert "circuit eu-er advertises 20.2.2.4/30" in r.cause


def test_return_elsewhere_by_a_breakout_names_its_internet_advertisement() -> None:
    d = two_sites()
    d["breakouts"]["us-inet"]["advertises"].append("20.2.2.0/30")
    r = flow(results(d), "out/us/1")
    assert r.culprit == ("breakouts", "us-inet", "advertises", 1)
    m = re.fullmatch(
        r"replies to (\S+) come back by breakout:us-inet although the request left by "
        r"circuit:us-er/\w+: breakout us-inet advertises 20\.2\.2\.0/30 to the internet; (.+)",
        r.cause,
    )
    assert m is not None, r.cause
    assert _in(m.group(1), "20.2.2.0/30")


def test_an_asymmetric_reply_is_not_given_a_drop_reason() -> None:
    """Asymmetric works: its cause says where the reply comes back and what pulls it there,
    and nothing about a drop."""
    r = flow(results(_public_site(fw=False)), "out/us/1")
    assert r.verdict.value == "asymmetric"
    m = re.fullmatch(
        r"replies to (\S+) come back by circuit:eu-er/\w+ although the request left by "
        r"circuit:us-er/\w+: circuit eu-er advertises 20\.3\.0\.0/25",
        r.cause,
    )
    assert m is not None, r.cause
    assert _in(m.group(1), "20.3.0.0/25")


# -- a packet delivered to another site's hosts --------------------------------------------------


def _overlapping_public_sites(eu: list[str]) -> dict[str, Any]:
    """us's users hold the public 20.3.0.0/24, which us-er advertises untranslated; eu holds
    the prefixes ``eu``."""
    d = two_sites()
    d["sites"]["us"]["prefixes"] = ["20.3.0.0/24"]
    d["sites"]["eu"]["prefixes"] = eu
    d["circuits"]["us-er"]["advertises"] = ["20.3.0.0/24"]
    del d["circuits"]["us-er"]["snat_pool"]
    return d


@pytest.mark.parametrize(
    "eu",
    [
        ["20.3.0.0/23", "10.2.0.0/16", "20.3.0.128/25"],
        ["10.2.0.0/16", "20.3.0.128/25", "20.3.0.0/23"],
    ],
)
def test_a_reply_delivered_to_another_site_names_the_prefix_that_pulls_it(eu: list[str]) -> None:
    """eu lists the /23 around us's /24 (less specific: us's /24 outweighs it) and its upper
    half, 20.3.0.128/25. Replies to that half enter by us-er as they should, then us's router
    sends them to eu, whose /25 is the longest match: half the connections break (the first
    address of the range, and the resolver on it, are fine). The object to change is eu's /25
    - whichever of eu's prefixes comes first - and neither us (the origin) nor the circuit the
    reply rightly came back by."""
    r = flow(results(_overlapping_public_sites(eu)), "out/us/1")
    assert (r.verdict.value, share(r), r.cause_key) == ("dropped", 0.5, "delivered-elsewhere")
    assert r.culprit == ("sites", "eu", "prefixes", eu.index("20.3.0.128/25"))
    assert owners(r, "back") == {"circuit:us-er": 1.0}
    m = re.fullmatch(
        r"the reply is delivered to hosts of eu, not to the initiator: (\S+) lies in "
        r"20\.3\.0\.128/25 of site eu \(its most specific prefix there\)",
        r.cause,
    )
    assert m is not None, r.cause
    assert _in(m.group(1), "20.3.0.128/25")
    assert r.fix == CAUSES["delivered-elsewhere"][1]


def test_a_published_host_of_another_site_pulls_the_reply_to_its_address() -> None:
    """eu publishes web on 20.3.0.200 itself (no translation), inside us's public /24; eu's /23
    covers it too. The one us user on that address gets its replies delivered to eu: the /32
    of the service's public address is what pulls them, not eu's /23 (which us's /24
    outweighs)."""
    d = _overlapping_public_sites(["10.2.0.0/16", "20.3.0.0/23"])
    d["services"] = {"web": service("eu", "20.3.0.200", None, ["eu-inet"], fqdn="w.contoso.com")}
    r = flow(results(d), "out/us/1")
    assert (r.verdict.value, r.cause_key) == ("dropped", "delivered-elsewhere")
    assert share(r) == round(1 / 256, 6)  # one address of us's /24 (shares are rounded)
    assert r.culprit == ("services", "web", "public_address")
    assert r.cause.endswith(
        ": 20.3.0.200 lies in 20.3.0.200/32 of site eu (its most specific prefix there)"
    )


def test_a_server_pulled_away_from_its_own_prefix_names_the_prefix_that_pulls_it() -> None:
    """A New York server on 10.1.9.9, in us's own 10.1.0.0/16; eu lists 10.1.9.0/24 as well.
    The server is where it belongs: eu's more specific prefix pulls its replies away."""
    d = two_sites()
    d["servers"] = {"app": {"site": "us", "address": "10.1.9.9", "connects_to": ["Exchange"]}}
    d["sites"]["eu"]["prefixes"].append("10.1.9.0/24")
    r = flow(results(d), "srv/app/1")
    assert (r.verdict.value, share(r), r.cause_key) == ("dropped", 1.0, "delivered-elsewhere")
    assert r.culprit == ("sites", "eu", "prefixes", 1)


def test_a_server_outside_its_site_s_prefixes_is_its_own_culprit() -> None:
    """A New York server numbered in Amsterdam's prefix: its replies go to eu's hosts. eu's
    prefix is where it belongs; what stands in the wrong place is the server's address (a
    device without an address at eu changes nothing)."""
    d = two_sites()
    d["servers"] = {"app": {"site": "us", "address": "10.2.9.9", "connects_to": ["Exchange"]}}
    d["devices"] = {"fw": {"site": "eu"}}
    r = flow(results(d), "srv/app/1")
    assert (r.verdict.value, share(r), r.cause_key) == ("dropped", 1.0, "delivered-elsewhere")
    assert r.culprit == ("servers", "app", "address")
    assert r.cause == (
        "the reply is delivered to hosts of eu, not to the initiator: the address of server app "
        "10.2.9.9 lies in 10.2.0.0/16 of site eu, outside every prefix of its own site us"
    )


def test_a_request_to_microsoft_delivered_to_a_site_names_that_site_s_prefix() -> None:
    """eu lists a Microsoft 365 range (52.96.0.0/14) among its prefixes: us's requests to
    Exchange never leave the network - eu's prefix is longer than any route out. The cause is
    not the inbound services' DNS record slip ("wrong-host"), and the culprit is eu's prefix,
    not us, whose flows they are."""
    d = two_sites()
    d["sites"]["eu"]["prefixes"] = ["10.2.0.0/16", "52.96.0.0/14"]
    r = flow(results(d), "out/us/1")
    assert (r.verdict.value, share(r), r.cause_key) == ("dropped", 1.0, "delivered-elsewhere")
    assert r.culprit == ("sites", "eu", "prefixes", 1)
    assert r.flow.destination is not None
    m = re.fullmatch(
        r"the request is delivered to hosts of eu \((\S+) is routed there\), not to Microsoft "
        r"network: (\S+) lies in 52\.96\.0\.0/14 of site eu \(its most specific prefix there\)",
        r.cause,
    )
    assert m is not None, r.cause
    assert m.group(1) == m.group(2) == str(IPv4Address(r.flow.destination))


def test_a_proxy_numbered_in_another_site_fails_the_flows_it_serves_by_its_address() -> None:
    """us sends everything to proxy px, which stands at eu but is numbered in us's prefix: the
    users' leg to it ends at their own hosts. Every flow of us fails by the proxy's address."""
    d = two_sites()
    d["sites"]["us"]["proxy"] = {"mode": "all", "device": "px"}
    d["devices"] = {"px": {"kind": "proxy", "site": "eu", "address": "10.1.7.7"}}
    r = flow(results(d), "out/us/1")
    assert (r.verdict.value, share(r), r.cause_key) == ("unreachable", 1.0, "proxy")
    assert r.culprit == ("devices", "px", "address")
    assert "delivered to hosts of us (10.1.7.7 is routed there), not to hosts of eu" in r.cause


def test_a_proxied_flow_names_what_fails_the_proxy_s_dns() -> None:
    """us sends everything to proxy px at eu, which resolves there; eu's breakout neither
    advertises nor translates eu's public prefix, so eu's queries get no answer. us's own DNS
    works: the flows fail by the proxy site's, and name its breakout's advertisements."""
    d = two_sites()
    d["sites"]["eu"]["prefixes"] = ["20.3.0.0/24"]
    d["breakouts"]["eu-inet"] = {"site": "eu", "advertises": []}
    d["sites"]["us"]["proxy"] = {"mode": "all", "device": "px"}
    d["devices"] = {"px": {"kind": "proxy", "site": "eu", "address": "20.3.0.10"}}
    found = results(d)
    assert flow(found, "dns/us").verdict.value == "ok"
    r = flow(found, "out/us/1")
    assert (r.verdict.value, share(r), r.cause_key) == ("unreachable", 1.0, "dns")
    assert r.culprit == ("breakouts", "eu-inet", "advertises")


# -- why a working flow is slow -------------------------------------------------------------------


def _rename_circuit(d: dict[str, Any], old: str, new: str) -> dict[str, Any]:
    d["circuits"][new] = d["circuits"].pop(old)
    for svc in d.get("services", {}).values():
        pools = svc.get("inbound_snat", {})
        if old in pools:
            pools[new] = pools.pop(old)
    return d


@pytest.mark.parametrize("name", ["eu-er", "eu:er"])
def test_far_entry_points_at_the_far_circuit_s_prepend(name: str) -> None:
    """guide 000 §7.4.1: the fix for a far entry is a prepend on the far circuit - named
    whole, even when its name holds the separator of the edge names."""
    r = inbound(results(_rename_circuit(_prepended(65010), "eu-er", name)), "mail")
    assert (r.verdict.value, share(r), r.cause_key) == ("suboptimal", 0.5, "far-entry")
    assert r.culprit == ("circuits", name, "prepend")
    assert r.cause.startswith(CAUSES["far-entry"][0])


def test_inbound_through_a_distant_breakout_is_a_hairpin_of_the_entry() -> None:
    """A service published only at a distant breakout: Microsoft's connections cross the
    internet to Amsterdam and the WAN back to New York, while the New York circuit is next
    door. Its fix is the service's entry."""
    d = two_sites()
    d["sites"]["us"]["users"] = d["sites"]["eu"]["users"] = 0
    d["breakouts"]["eu-inet"]["advertises"].append("20.2.3.0/24")
    d["services"] = {
        "mail": service(
            "us", "20.2.3.59", "10.1.5.5", ["internet"], inbound_snat={"eu-inet": "10.255.3.0/28"}
        )
    }
    r = inbound(results(d), "mail")
    assert (r.verdict.value, share(r), r.cause_key) == ("suboptimal", 1.0, "hairpin")
    assert r.culprit == ("services", "mail", "entry")
    assert r.latency is not None and r.best is not None
    assert r.latency.ms > r.best.ms + 25 and r.latency.ms > r.best.ms * 1.5


def test_a_server_far_from_the_circuit_is_not_a_proxy_problem() -> None:
    """A server's flows start at its site (their origin is the server): slow because the
    Microsoft routes are propagated to its site, like the site's users - not a distant
    proxy, which only users have."""
    d = two_sites()
    del d["circuits"]["eu-er"]
    d["servers"] = {"app": {"site": "eu", "address": "10.2.9.9", "connects_to": ["Exchange"]}}
    found = results(d)
    users, server = flow(found, "out/eu/1"), flow(found, "srv/app/1")
    for r in (users, server):
        assert (r.verdict.value, share(r), r.cause_key) == ("suboptimal", 1.0, "propagated")
        assert r.culprit == ("sites", "eu", "er_routes")


def _slow_default_breakout() -> dict[str, Any]:
    """eu's internet traffic leaves by us-inet (80 ms of WAN, then 100 ms to Microsoft) while
    its own eu-inet reaches Microsoft in 5 ms."""
    d = two_sites()
    d["sites"]["eu"]["breakout"] = "us-inet"
    d["breakouts"]["us-inet"]["latency_ms"] = 100
    d["breakouts"]["eu-inet"]["latency_ms"] = 5
    return d


def test_active_passive_local_preference_is_the_cause_and_the_fix() -> None:
    """guide 000 §7.1 (Figure 15): the preferred circuit is far, a nearer one has the same
    routes: the local preference of the preferred circuit is what to change."""
    d = two_sites()
    d["circuits"]["eu-er"]["local_preference"] = 200
    r = flow(results(d), "out/us/1")
    assert (r.verdict.value, share(r), r.cause_key) == ("suboptimal", 1.0, "local-preference")
    assert r.culprit == ("circuits", "eu-er", "local_preference")


def test_equal_local_preference_and_a_far_circuit_is_not_blamed_on_it() -> None:
    """The same two circuits at equal local preference: each site uses its own; nothing is
    slow (a preference at least as high as the other's is no defect)."""
    for key in ("out/us/1", "out/eu/1"):
        assert flow(results(two_sites()), key).verdict.value == "ok"


def test_igp_metric_hairpin_is_not_route_propagation() -> None:
    """issue: "an IGP-metric hairpin is not 'routes propagated to this site'". Boston is 10 ms
    from New York but its WAN costs lead to Amsterdam's circuit; the fastest way out is New
    York's circuit, so the fix is the WAN's costs, not stopping the routes."""
    d = two_sites()
    d["sites"]["mid"] = site("Boston", "10.3.0.0/16", users=10, breakout="us-inet")
    d["breakouts"]["us-inet"]["latency_ms"] = 100
    d["wan"] += [
        {"between": ["mid", "us"], "latency_ms": 10, "cost": 100},
        {"between": ["mid", "eu"], "latency_ms": 80, "cost": 1},
    ]
    r = flow(results(d), "out/mid/1")
    assert (r.verdict.value, share(r), r.cause_key) == ("suboptimal", 1.0, "igp-metric")
    assert r.culprit == ("wan", 1, "cost")  # mid - us: 100 for its 10 ms
    assert owners(r) == {"circuit:eu-er": 1.0}


def test_a_distant_breakout_is_the_cause_when_a_near_one_exists() -> None:
    r = flow(results(_slow_default_breakout()), "out/eu/8")
    assert (r.verdict.value, share(r), r.cause_key) == ("suboptimal", 1.0, "breakout")
    assert r.culprit == ("sites", "eu", "breakout")
    assert owners(r) == {"breakout:us-inet": 1.0}


def test_internet_path_while_expressroute_is_nearer_is_not_propagated() -> None:
    """guide 001 'Determine the appropriate meet-me location': neither eu nor the site its
    traffic crosses takes the Microsoft routes, so it goes out by the far breakout; New York's
    circuit is much faster."""
    d = _slow_default_breakout()
    d["sites"]["eu"]["er_routes"] = d["sites"]["us"]["er_routes"] = False
    del d["circuits"]["eu-er"]
    r = flow(results(d), "out/eu/1")
    assert (r.verdict.value, share(r), r.cause_key) == ("suboptimal", 1.0, "not-propagated")
    assert r.culprit == ("sites", "eu", "er_routes")
    assert r.best is not None and r.latency is not None and r.best.ms < r.latency.ms


# -- the best the design offers -------------------------------------------------------------------


def _internet_only(given_ms: float) -> dict[str, Any]:
    """Two sites without circuits; us's internet latency is given."""
    d = two_sites()
    del d["circuits"]
    d["sites"]["us"]["internet_latency_ms"] = given_ms
    return d


def test_a_given_slow_internet_is_compared_with_the_other_breakouts() -> None:
    """DESIGN.md "Latency": the given figure replaces the estimate of the site's own breakout;
    the best is then the other breakout, across the WAN - slower than the WAN alone, faster
    than the given figure."""
    r = flow(results(_internet_only(300)), "out/us/8")
    # us leaves by its own breakout: nothing is distant, its internet path is what is slow.
    assert (r.verdict.value, share(r), r.cause_key) == ("suboptimal", 1.0, "slow-breakout")
    assert r.culprit == ("sites", "us", "breakout")
    assert "own internet breakout" in r.cause and "distant" not in r.cause
    assert owners(r) == {"breakout:us-inet": 1.0}
    assert r.latency is not None and r.latency.ms == pytest.approx(300)
    assert r.best is not None and 80 < r.best.ms < 300 - 25


def test_a_breakout_that_is_down_is_no_better_way() -> None:
    d = _internet_only(300)
    d["breakouts"]["eu-inet"]["up"] = False
    assert flow(results(d), "out/us/8").verdict.value == "ok"


def test_a_given_fast_internet_is_the_best() -> None:
    r = flow(results(_internet_only(5)), "out/us/8")
    assert r.verdict.value == "ok"
    assert r.latency is not None and r.latency.ms == pytest.approx(5)


# -- why a flow fails ------------------------------------------------------------------------------


def test_a_reply_with_no_way_back_is_no_route_back() -> None:
    """A public site prefix that nothing advertises: the resolver's queries get out, their
    replies have no route back - a blackhole whose fix is the advertisement, not the request's
    route; DNS failing, the fix says every flow of the site needs it."""
    d = one_site()
    d["breakouts"]["us-inet"] = {"site": "us", "advertises": []}
    d["sites"]["us"]["prefixes"] = ["20.3.0.0/24"]
    found = results(d)
    r = flow(found, "dns/us")
    assert (r.verdict.value, share(r), r.cause_key) == ("blackhole", 1.0, "no-route-back")
    assert r.fix == f"{CAUSES['no-route-back'][1]} (every flow of the site needs DNS)"
    assert r.culprit == ("breakouts", "us-inet", "advertises")
    assert r.cause == (
        "no breakout advertises this address: replies to 20.3.0.1 have no way back to breakout "
        "us-inet, which the request left by: it does not advertise 20.3.0.1 (nor translate it "
        "to an address the internet routes to it)"
    )
    out = flow(found, "out/us/8")
    assert (out.verdict.value, out.cause_key) == ("unreachable", "dns")
    # The flows that need DNS name what fails it.
    assert out.culprit == ("breakouts", "us-inet", "advertises")


def test_half_a_site_advertised_by_its_breakout_loses_half_its_replies() -> None:
    """Breakout 'us:inet' (a name holding the edges' separator) advertises the lower half of
    us's public /24 and translates nothing: the resolver, on the first address, gets its
    answers; Microsoft has no route back to the upper half. The culprit is the breakout's
    advertisements, where the missing half must go, named whole."""
    d = one_site()
    del d["breakouts"]["us-inet"]
    d["breakouts"]["us:inet"] = {"site": "us", "advertises": ["20.3.0.0/25"]}
    d["sites"]["us"]["prefixes"] = ["20.3.0.0/24"]
    found = results(d)
    assert flow(found, "dns/us").verdict.value == "ok"
    r = flow(found, "out/us/8")
    assert (r.verdict.value, share(r), r.cause_key) == ("blackhole", 0.5, "no-route-back")
    assert r.culprit == ("breakouts", "us:inet", "advertises")
    m = re.fullmatch(
        r"Microsoft has no route to this address: replies to (\S+) have no way back to breakout "
        r"us:inet, which the request left by: it does not advertise (\S+) \(.+\)",
        r.cause,
    )
    assert m is not None, r.cause
    assert m.group(1) == m.group(2) and _in(m.group(1), "20.3.0.128/25")


def _no_route_service(**svc: Any) -> dict[str, Any]:
    d = _filtered(RF)
    d["services"]["mail"].update(dns_record="20.9.9.9", public_address="20.9.9.9", **svc)
    return d


@pytest.mark.parametrize(
    ("kind", "who"), [("microsoft-365", "Microsoft"), ("internet", "The internet")]
)
def test_a_public_record_nothing_advertises_is_inbound_no_route(kind: str, who: str) -> None:
    r = inbound(results(_no_route_service(used_by_internet_users=True)), "mail", kind)
    assert (r.verdict.value, share(r), r.cause_key) == ("unreachable", 1.0, "inbound-no-route")
    assert r.culprit == ("services", "mail", "dns_record")
    assert r.cause == (
        f"{who} has no route to 20.9.9.9, the public DNS record of mail.contoso.com: nothing "
        "advertises it"
    )


def test_a_record_that_misses_the_published_address_blames_the_record() -> None:
    r = inbound(results(_mismatch()), "mail")
    assert (r.verdict.value, share(r), r.cause_key) == ("blackhole", 1.0, "wrong-host")
    assert r.culprit == ("services", "mail", "dns_record")


def test_an_initiator_outside_the_advertised_prefixes_is_named_with_its_address() -> None:
    """The route filter does not admit Exchange: the sender's address, which Microsoft advertises,
    has no ExpressRoute route, so the reply cannot go back by the circuit the request entered by;
    the filter is what to change."""
    r = inbound(results(_filtered(["SharePoint"])), "mail")
    assert (r.verdict.value, r.cause_key) == ("dropped", "initiator-filtered")
    assert r.culprit == ("circuits", "us-er", "route_filter")
    m = re.fullmatch(
        r"the sender (\S+) is in a prefix Microsoft advertises over ExpressRoute, but no "
        r"circuit's route filter admits its service: the request enters by circuit:us-er/\w+, "
        r"the reply cannot go back that way \((.+)\)",
        r.cause,
    )
    assert m is not None, r.cause
    sender = r.trace.branches[0].forward.hops[0].src
    assert m.group(1) == str(IPv4Address(sender))
    assert "us-inet" in m.group(2)


def test_an_inbound_reply_that_heads_elsewhere_says_where() -> None:
    d = _guide("nj-inet")
    d["circuits"]["ny-er"]["advertises"] = ["1.1.2.0/24"]
    r = inbound(results(d), "x")
    assert (r.verdict.value, r.cause_key) == ("dropped", "inbound-return-elsewhere")
    assert r.cause.startswith(
        "the request enters by breakout:nj-inet, but the server's reply heads for "
        "circuit:nj-er: the entry does not source-NAT the connection"
    )
    assert "nj-er holds no session" in r.cause


def test_state_per_link_names_the_whole_circuit() -> None:
    """A firewall on one link of circuit 'us:er' (a name with the edges' separator in it)."""
    d = one_site()
    d["circuits"]["us:er"] = d["circuits"].pop("us-er")
    d["circuits"]["us:er"]["links"] = {"primary": {"devices": ["fw"]}}
    d["devices"] = {"fw": {"site": "us"}}
    r = flow(results(d), "out/us/1")
    assert (r.verdict.value, share(r), r.cause_key) == ("dropped", 0.5, "link-split")
    assert r.culprit == ("circuits", "us:er", "links")
    assert r.cause.startswith(f"{CAUSES['link-split'][0]} (firewall fw holds no session")


def test_a_breakout_advertisement_is_found_among_adjacent_ones() -> None:
    """Replies to the first quarter of us-er's pool come back by the internet: the breakout's
    third prefix covers them, right after a prefix that ends where the pool begins."""
    d = two_sites()
    d["breakouts"]["us-inet"]["advertises"] += ["20.2.1.0/24", "20.2.2.0/30"]
    r = flow(results(d), "out/us/1")
    assert (r.verdict.value, share(r), r.cause_key) == ("dropped", 0.5, "internet-nat-overlap")
    assert r.culprit == ("breakouts", "us-inet", "advertises", 2)


def test_a_distant_resolver_is_judged_against_the_local_front_end() -> None:
    """DESIGN.md "Optimality": against the front end a resolver at the flow's own egress would
    have answered - the same path, less the backbone between the two front ends as seen from
    where the traffic enters Microsoft's network."""
    d = _eu_resolves_in_us()
    r = flow(results(d), "out/eu/8")
    assert r.cause_key == "distant-resolver"
    assert r.latency is not None and r.best is not None
    geo = Engine(load(d).design, CATALOGS).geo
    _, entry_fe = geo.breakout_internet("eu-inet")
    entry = geo.fe_point(entry_fe)
    answered = CATALOGS.front_end(r.flow.front_end or "")
    assert answered is not None
    near = geo.nearest_front_end(entry)
    detour = (
        geo.backbone(entry, geo.fe_point(answered)).ms - geo.backbone(entry, geo.fe_point(near)).ms
    )
    assert detour > 25
    assert r.best.ms == pytest.approx(max(0.0, r.latency.ms - detour))
    assert r.best.estimated is r.latency.estimated


@pytest.mark.parametrize("fw", [False, True])
def test_circuit_names_holding_slashes_keep_their_verdicts(fw: bool) -> None:
    """Names may hold '/', the separator of a circuit's link in the edge names: circuits
    'er/us' and 'er/eu' are two circuits, not one, and the culprit is named whole."""
    plain = flow(results(_public_site(fw=fw)), "out/us/1")
    d = _public_site(fw=fw)
    d["circuits"]["er/us"] = d["circuits"].pop("us-er")
    d["circuits"]["er/eu"] = d["circuits"].pop("eu-er")
    r = flow(results(d), "out/us/1")
    assert (r.verdict, share(r), r.cause_key) == (plain.verdict, share(plain), plain.cause_key)
    assert r.verdict.value == ("dropped" if fw else "asymmetric")
    assert plain.culprit[:2] == ("circuits", "eu-er")
    assert r.culprit == ("circuits", "er/eu", *plain.culprit[2:])
    assert owners(r, "back") == {"circuit:er/us": 0.5, "circuit:er/eu": 0.5}


def test_a_reply_by_another_breakout_is_asymmetric() -> None:
    """Two breakouts are two owners: us's public prefix, announced by us-inet and (its lower
    half, more specifically) by eu-inet, none translating - half the internet replies come back
    by eu-inet, crossing no state."""
    d = two_sites()
    del d["circuits"]
    d["sites"]["us"]["prefixes"] = ["20.3.0.0/24"]
    d["breakouts"]["us-inet"] = {"site": "us", "advertises": ["20.3.0.0/24"]}
    d["breakouts"]["eu-inet"] = {"site": "eu", "advertises": ["20.3.0.0/25", "20.2.5.0/24"]}
    r = flow(results(d), "out/us/8")
    assert (r.verdict.value, share(r), r.cause_key) == ("asymmetric", 0.5, "return-elsewhere")
    assert owners(r, "back") == {"breakout:us-inet": 0.5, "breakout:eu-inet": 0.5}
    assert r.culprit == ("breakouts", "eu-inet", "advertises", 0)
