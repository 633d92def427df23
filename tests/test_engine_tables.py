"""Each router's decision in words and in effect, one point of engine/tables.py and
engine/external.py at a time: what Microsoft and the internet say of an address, the customer
routers' ExpressRoute, internal and default routes, a proxy's own egress, and the classes of
addresses the walk shares its work by (docs/flow-semantics.md "Routing")."""

from __future__ import annotations

import copy
import dataclasses
from ipaddress import IPv4Address
from typing import Any

from _designs import CATALOGS, circuit, load, two_sites
from _semantics import breakout, flow, owners, results, share
from erplan.catalogs import Catalogs
from erplan.engine import Engine
from erplan.engine.igp import Igp
from erplan.engine.routes import Act, Decision
from erplan.engine.tables import Tables
from erplan.facts import LINKS
from test_dynamics import EU_ORG, US_ORG, cold_potato


def ip(text: str) -> int:
    return int(IPv4Address(text))


EXO = ip("52.96.0.10")  # an Exchange Online (ExpressRoute-able) address
WEB = ip("13.64.0.10")  # a Microsoft host reached over the internet only
INET = ip("198.51.100.7")  # an internet host nobody advertises
US_HOST = ip("10.1.0.9")  # a host of site us
EU_HOST = ip("10.2.0.9")  # a host of site eu
POOL = ip("20.2.2.1")  # in us-er's pool 20.2.2.0/29


def engine(data: dict[str, Any]) -> Engine:
    return Engine(load(data).design, CATALOGS)


def said(d: Decision) -> tuple[Act, tuple[str, ...], str]:
    return d.act, d.nexts, d.route


def decided(e: Engine, router: str, dst: int) -> tuple[Act, tuple[str, ...], str]:
    return said(e.tables.customer_decision(router, dst))


# -- Microsoft and the internet ---------------------------------------------------------------


def test_microsoft_and_the_internet_say_what_an_address_is() -> None:
    t = engine(two_sites()).tables.external
    assert [said(t.microsoft_decision(WEB)), said(t.internet_decision(WEB))] == [
        (Act.DELIVER, (), "a Microsoft address"),
        (Act.FORWARD, ("microsoft",), "a Microsoft address"),
    ]
    assert [said(t.microsoft_decision(INET)), said(t.internet_decision(INET))] == [
        (Act.FORWARD, ("internet",), "an internet address"),
        (Act.DELIVER, (), "an internet host"),
    ]
    # The customer's private space: nobody outside learns it.
    assert [said(t.microsoft_decision(US_HOST)), said(t.internet_decision(US_HOST))] == [
        (Act.NO_ROUTE, (), "Microsoft has no route to this address"),
        (Act.NO_ROUTE, (), "no breakout advertises this address"),
    ]


def test_microsoft_names_the_edges_it_learned_a_prefix_over() -> None:
    """A pool learned on both links of a circuit names both links' edges (the design's words,
    not node ids); a breakout's prefix is the internet's, which names the breakout."""
    t = engine(two_sites()).tables.external
    assert said(t.microsoft_decision(POOL)) == (
        Act.FORWARD,
        ("msee:us-er/primary", "msee:us-er/secondary"),
        "/29 learned over ExpressRoute (circuit:us-er/primary, circuit:us-er/secondary)",
    )
    out = ip("20.2.4.9")
    assert said(t.microsoft_decision(out)) == (
        Act.FORWARD,
        ("internet",),
        "/24 learned from the internet",
    )
    assert said(t.internet_decision(out)) == (
        Act.FORWARD,
        ("edge:us-inet",),
        "/24 advertised by us-inet",
    )


def test_the_internet_names_every_breakout_advertising_a_prefix() -> None:
    d = two_sites()
    d["breakouts"]["eu-inet"]["advertises"] = ["20.2.4.0/24"]
    t = engine(d).tables.external
    assert said(t.internet_decision(ip("20.2.4.9"))) == (
        Act.FORWARD,
        ("edge:us-inet", "edge:eu-inet"),
        "/24 advertised by us-inet, eu-inet",
    )


# -- ExpressRoute routes ----------------------------------------------------------------------


def test_a_tie_names_both_circuits_and_blames_the_first() -> None:
    d = two_sites()
    d["circuits"]["us-er2"] = circuit("us", "Washington DC", "20.2.2.16/29")
    got = engine(d).tables.customer_decision("site:us", EXO)
    assert said(got) == (
        Act.FORWARD,
        ("ce:us-er", "ce:us-er2"),
        "ExpressRoute route via us-er, us-er2",
    )
    assert got.culprit == ("circuits", "us-er")
    assert got.tie == "site us: circuits us-er, us-er2 tie on local preference and IGP distance"


def test_a_preferred_circuit_out_of_reach_leaves_the_site_its_own() -> None:
    """us-er's local preference is the higher, but with the WAN down site eu cannot reach it:
    eu takes its own circuit instead of giving up on ExpressRoute (us-er is listed first)."""
    d = two_sites()
    d["circuits"]["us-er"]["local_preference"] = 200
    d["wan"][0]["up"] = False
    got = engine(d).tables.customer_decision("site:eu", EXO)
    assert said(got) == (Act.FORWARD, ("ce:eu-er",), "ExpressRoute route via eu-er")
    assert got.culprit == ("circuits", "eu-er")


def test_a_link_router_sends_another_circuits_route_inwards() -> None:
    """us-er2 is preferred: the link router of us-er holds its route through the site, not
    through an MSEE of us-er2 (which stands beyond another link)."""
    d = two_sites()
    d["circuits"]["us-er2"] = circuit("us", "Washington DC", "20.2.2.16/29", local_preference=200)
    got = decided(engine(d), "link:us-er/primary", EXO)
    assert got == (Act.FORWARD, ("ce:us-er",), "ExpressRoute route via us-er2")


def test_a_link_without_its_session_sends_microsoft_traffic_inwards() -> None:
    """FACTS §1.4: over 200 prefixes the primary link's session is down; its link router then
    has no way out by its own MSEE and sends Microsoft's prefixes back to its customer edge."""
    d = two_sites()
    many = [f"31.0.{i}.0/24" for i in range(200)]
    d["circuits"]["us-er"]["links"] = {"primary": {"advertises": many}}
    e = engine(d)
    assert decided(e, "link:us-er/primary", EXO) == (
        Act.FORWARD,
        ("ce:us-er",),
        "ExpressRoute route via us-er",
    )
    assert decided(e, "link:us-er/secondary", EXO)[1] == ("msee:us-er/secondary",)


def test_a_regional_preference_says_which_community_it_matched() -> None:
    """Guide 000 §7.3.1: the per-region preference acts on the Dynamics 365 prefixes that
    carry the region's community; the route says so, with the preference it gave."""
    d = cold_potato()
    e = engine(d)
    community = CATALOGS.regional_community("West Europe")
    assert community is not None
    got = e.tables.customer_decision("site:us", ip(EU_ORG.split("/")[0]) + 1)
    assert said(got) == (
        Act.FORWARD,
        ("site:eu",),
        f"ExpressRoute route via eu-er (local preference 200 for regional community "
        f"{community.community})",
    )
    assert got.culprit == ("circuits", "eu-er")


def test_a_region_no_circuit_prefers_gets_a_plain_route() -> None:
    """No circuit sets a preference for East US: the route to its prefixes is chosen by IGP
    distance and says nothing of a regional community."""
    d = cold_potato()
    d["circuits"]["us-er"].pop("region_preference")
    got = engine(d).tables.customer_decision("site:us", ip(US_ORG.split("/")[0]) + 1)
    assert said(got) == (Act.FORWARD, ("ce:us-er",), "ExpressRoute route via us-er")


def test_a_link_without_its_session_is_no_way_out_of_its_own() -> None:
    """The primary link's session is down: to its router, its own circuit and us-er2 at the
    same site are both iBGP routes at IGP distance 0, a tie; neither is its own way out."""
    d = two_sites()
    many = [f"31.0.{i}.0/24" for i in range(200)]
    d["circuits"]["us-er"]["links"] = {"primary": {"advertises": many}}
    d["circuits"]["us-er2"] = circuit("us", "Washington DC", "20.2.2.16/29")
    got = engine(d).tables.customer_decision("link:us-er/primary", EXO)
    assert said(got) == (Act.FORWARD, ("ce:us-er",), "ExpressRoute route via us-er, us-er2")
    assert "tie" in got.tie


def test_a_set_microsoft_keeps_off_expressroute_takes_the_default_route() -> None:
    """A set the catalog marks as not ExpressRoute-able carries its service area's community
    but is not advertised on the Microsoft peering: its prefixes take the default route."""
    a = ip("13.107.128.1")  # in endpoint sets 1 and 2 (Exchange Online) only
    off = {es.id for es in CATALOGS.endpoint_sets if any(IPv4Address(a) in n for n in es.ips)}
    assert off == {1, 2}
    sets = [
        dataclasses.replace(es, express_route=False) if es.id in off else es
        for es in CATALOGS.endpoint_sets
    ]
    c = CATALOGS
    catalogs = Catalogs(
        peering_locations=c.peering_locations,
        places=c.places,
        front_ends=c.front_ends,
        geographies=c.geographies,
        services=c.services,
        regional_communities=c.regional_communities,
        endpoint_sets=sets,
        dynamics_regions=c.dynamics_regions,
    )
    assert decided(engine(two_sites()), "site:us", a)[1] == ("ce:us-er",)
    got = Engine(load(two_sites()).design, catalogs).tables.customer_decision("site:us", a)
    assert said(got) == (Act.FORWARD, ("edge:us-inet",), "default route to breakout us-inet")


# -- internal routes ----------------------------------------------------------------------------


def test_a_site_delivers_its_own_addresses() -> None:
    e = engine(two_sites())
    assert decided(e, "lan:us", US_HOST) == (Act.DELIVER, (), "its own address")
    assert decided(e, "site:us", EU_HOST) == (
        Act.FORWARD,
        ("site:eu",),
        "internal route to hosts of eu",
    )


def test_a_pool_shared_by_two_circuits_of_a_site_is_routed_to_both() -> None:
    d = two_sites()
    d["circuits"]["us-er2"] = circuit("us", "Washington DC", "20.2.2.0/29")
    assert decided(engine(d), "site:us", POOL) == (
        Act.FORWARD,
        ("ce:us-er", "ce:us-er2"),
        "internal route to customer edge us-er, customer edge us-er2",
    )


def _nat_device_on_us_er(up: bool = True) -> dict[str, Any]:
    """us-er translates by a NAT device in front of its customer edge, us-er2 (same site) by
    its edge router, both into one pool."""
    d = two_sites()
    d["devices"] = {"nat1": {"kind": "nat", "site": "us", "up": up}}
    d["circuits"]["us-er"]["devices"] = ["nat1"]
    d["circuits"]["us-er2"] = circuit("us", "Washington DC", "20.2.2.0/29")
    return d


def test_a_nat_device_and_an_edge_router_holding_one_pool_are_equally_near() -> None:
    """Inside a site every router is as near as another (the IGP runs between sites): the pool
    held by the device in front of ce:us-er and by ce:us-er2 is reached through both."""
    got = decided(engine(_nat_device_on_us_er()), "site:us", POOL)
    assert got == (
        Act.FORWARD,
        ("ce:us-er", "ce:us-er2"),
        "internal route to nat nat1, customer edge us-er2",
    )


def test_a_pool_holder_down_leaves_the_other() -> None:
    got = decided(engine(_nat_device_on_us_er(up=False)), "site:us", POOL)
    assert got[:2] == (Act.FORWARD, ("ce:us-er2",))


def test_a_pool_holder_out_of_reach_leaves_the_other() -> None:
    """eu-er holds us-er's pool too; with the WAN down site eu reaches only its own holder
    (us-er, listed first, is out of reach)."""
    d = two_sites()
    d["circuits"]["eu-er"]["snat_pool"] = "20.2.2.0/29"
    d["circuits"]["eu-er"]["advertises"] = ["20.2.2.0/29"]
    d["wan"][0]["up"] = False
    got = decided(engine(d), "site:eu", POOL)
    assert got == (
        Act.FORWARD,
        ("ce:eu-er",),
        "internal route to customer edge us-er, customer edge eu-er",
    )


def test_a_router_cut_off_from_its_site_has_no_internal_route() -> None:
    """A firewall down in front of us-er's customer edge cuts the circuit's routers off from
    the site: a link router has no route to site eu's hosts (nor to its own site's), so they
    are not in its table and its default route, inwards, decides; the customer edge, whose
    way inwards crosses the dead firewall, has none."""
    d = two_sites()
    d["devices"] = {"fw": {"kind": "firewall", "site": "us", "up": False}}
    d["circuits"]["us-er"]["devices"] = ["fw"]
    e = engine(d)
    inwards = (Act.FORWARD, ("ce:us-er",), "default route inwards")
    assert decided(e, "link:us-er/primary", EU_HOST) == inwards
    assert decided(e, "link:us-er/primary", US_HOST) == inwards
    assert decided(e, "ce:us-er", EU_HOST) == (Act.NO_ROUTE, (), "no default route")


def test_a_prefix_out_of_reach_falls_back_to_the_prefix_covering_it() -> None:
    """A prefix whose holders a router cannot reach is not in its table; the next longest match
    decides (flow-semantics "Inside the customer network"): eu also holds 10.1.200.0/24, inside
    us's 10.1.0.0/16; with the WAN down, us's routers send it to us's own hosts by the covering
    prefix, not out by their default route; eu keeps its own."""
    d = two_sites()
    d["sites"]["eu"]["prefixes"].append("10.1.200.0/24")
    inner = ip("10.1.200.9")
    assert decided(engine(d), "site:us", inner) == (
        Act.FORWARD,
        ("site:eu",),
        "internal route to hosts of eu",
    )
    d["wan"][0]["up"] = False
    e = engine(d)
    assert decided(e, "site:us", inner) == (
        Act.FORWARD,
        ("lan:us",),
        "internal route to hosts of us",
    )
    assert decided(e, "ce:us-er", inner) == (
        Act.FORWARD,
        ("site:us",),
        "internal route to hosts of us",
    )
    assert decided(e, "site:eu", inner) == (
        Act.FORWARD,
        ("lan:eu",),
        "internal route to hosts of eu",
    )


# -- default routes -----------------------------------------------------------------------------


def test_hosts_behind_a_failed_site_device_have_no_default_route() -> None:
    d = two_sites()
    d["devices"] = {"fw": {"kind": "firewall", "site": "us", "up": False}}
    d["sites"]["us"]["devices"] = ["fw"]
    assert decided(engine(d), "lan:us", INET) == (Act.NO_ROUTE, (), "no default route")


def test_a_site_without_a_breakout_takes_the_nearest_only() -> None:
    d = two_sites()
    d["sites"]["branch"] = {"location": "Boston", "prefixes": ["10.4.0.0/16"]}
    d["wan"].append({"between": ["branch", "us"], "latency_ms": 8})
    assert decided(engine(d), "site:branch", INET) == (
        Act.FORWARD,
        ("site:us",),
        "default route to the nearest breakout (us-inet)",
    )


def test_breakouts_at_equal_distance_are_both_nearest() -> None:
    d = two_sites()
    d["sites"]["hub"] = {"location": "Dublin", "prefixes": ["10.4.0.0/16"]}
    d["wan"] = [
        {"between": ["hub", "us"], "latency_ms": 40, "cost": 10},
        {"between": ["hub", "eu"], "latency_ms": 10, "cost": 10},
    ]
    assert decided(engine(d), "site:hub", INET) == (
        Act.FORWARD,
        ("site:eu", "site:us"),
        "default route to the nearest breakout (us-inet, eu-inet)",
    )


# -- a proxy's own egress and the perimeter -----------------------------------------------------


def _proxy(**device: Any) -> dict[str, Any]:
    """Site us sends its internet-only traffic through proxy px, which leaves by a breakout of
    its own (us-inet2, at the same site; the site's default route leads to us-inet)."""
    d = two_sites()
    d["sites"]["us"]["proxy"] = {"mode": "pac", "device": "px"}
    d["breakouts"]["us-inet2"] = breakout("us", "20.2.6.1/32", "20.2.6.0/24")
    d["devices"] = {"px": {"kind": "proxy", "site": "us", **device}}
    return d


def test_a_proxy_without_an_address_leaves_by_its_egress_from_the_sites_first_host() -> None:
    """docs/design-format.md devices.address: a proxy with none stands on its site's first
    host; its connections still leave by its own egress."""
    r = flow(results(_proxy(egress="us-inet2")), "out/us/8")
    assert r.verdict.value == "ok"
    assert owners(r, "forward") == {"breakout:us-inet2": 1.0}


def test_a_cloud_proxy_is_reached_through_a_closed_perimeter() -> None:
    """Guide 000 §2.2: with direct internet access closed, the clients may still reach their
    proxy - here a cloud service on the internet, by the site's breakout."""
    d = _proxy(egress="cloud")
    d["sites"]["us"]["proxy"]["direct_internet"] = False
    r = flow(results(d), "out/us/8")
    assert r.verdict.value == "ok" and share(r) == 0.0
    assert owners(r, "forward") == {"breakout:us-inet": 1.0}


# -- tables taken over after a WAN failure --------------------------------------------------------


def test_tables_taken_over_classify_new_addresses_as_fresh_ones() -> None:
    """Addresses first met after the tables were taken over (``over``) are classified and
    routed as by tables built for the failed design."""
    base = engine(two_sites())
    d = two_sites()
    d["wan"][0]["up"] = False
    fresh = engine(d)
    over = base.tables.over(fresh.net, base.igp.without(fresh.net, [("site:us", "site:eu")]))
    for a in (EXO, INET, EU_HOST):
        for r in ("site:us", "site:eu"):
            assert said(over.customer_decision(r, a)) == said(fresh.tables.customer_decision(r, a))
        assert (
            over.dst_classes[over.dst_class(a)]
            == fresh.tables.dst_classes[fresh.tables.dst_class(a)]
        )


def _down_and_fresh(d: dict[str, Any], what: dict[str, list[Any]]) -> tuple[Tables, Tables]:
    """Tables for ``d`` with ``what`` down (a failure inside sites), derived from the tables of
    ``d`` as it stands (``down``), and built afresh; the base tables have classified a few
    addresses first, as a baseline's trace does (INET and EU_HOST are new to them)."""
    base = engine(d)
    for a in (POOL, EXO, ip("20.2.4.9"), ip("20.2.2.9")):
        base.tables.dst_class(a)
        base.tables.src_class(a)
    failed = copy.deepcopy(d)
    for name in what.get("circuits", ()):
        failed["circuits"][name]["up"] = False
    for name in what.get("breakouts", ()):
        failed["breakouts"][name]["up"] = False
    for name in what.get("devices", ()):
        failed["devices"][name]["up"] = False
    design = load(failed).design
    links = [(c, link) for c in what.get("circuits", ()) for link in LINKS]
    net = base.net.with_down(design, links, what.get("breakouts", []), what.get("devices", []))
    igp = Igp(net)
    igp.inherit(base.igp)
    return base.tables.down(net, igp), Tables(net, igp)


def _agree(mine: Tables, fresh: Tables) -> None:
    assert mine.links_up == fresh.links_up
    for a in (POOL, EXO, INET, EU_HOST, ip("20.2.4.9"), ip("20.2.2.9")):
        assert mine.dst_classes[mine.dst_class(a)] == fresh.dst_classes[fresh.dst_class(a)], a
        assert mine.src_classes[mine.src_class(a)] == fresh.src_classes[fresh.src_class(a)], a
        for r in ("site:us", "site:eu", "ce:us-er", "link:us-er/primary", "edge:us-inet"):
            assert said(mine.customer_decision(r, a)) == said(fresh.customer_decision(r, a))


def test_tables_with_a_circuit_down_learn_and_decide_as_fresh_ones() -> None:
    """What Microsoft learned over us-er is gone: nobody advertises its pool any more, and the
    classes of addresses are made again."""
    mine, fresh = _down_and_fresh(two_sites(), {"circuits": ["us-er"]})
    _agree(mine, fresh)
    assert said(mine.external.microsoft_decision(POOL)) == (
        Act.NO_ROUTE,
        (),
        "Microsoft has no route to this address",
    )


def test_tables_with_a_breakout_down_learn_and_decide_as_fresh_ones() -> None:
    mine, fresh = _down_and_fresh(two_sites(), {"breakouts": ["us-inet"]})
    _agree(mine, fresh)
    assert mine.external.internet_decision(ip("20.2.4.9")).act is Act.NO_ROUTE


def test_tables_with_a_device_down_keep_what_microsoft_learned() -> None:
    d = two_sites()
    d["devices"] = {"fw": {"kind": "firewall", "site": "us"}}
    d["circuits"]["us-er"]["devices"] = ["fw"]
    mine, fresh = _down_and_fresh(d, {"devices": ["fw"]})
    _agree(mine, fresh)
