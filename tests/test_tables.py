"""Each router's own table: customer BGP decision, default routes, the IGP, Microsoft's and the
internet's choice (docs/flow-semantics.md "Routing")."""

from __future__ import annotations

from ipaddress import IPv4Address
from typing import Any

from _designs import CATALOGS, circuit, load, two_sites
from erplan.engine import Engine
from erplan.engine.routes import Act

EXO = int(IPv4Address("52.96.0.10"))  # an Exchange Online (ExpressRoute-able) address
SPO = int(IPv4Address("13.107.136.10"))  # SharePoint Online
WEB = int(IPv4Address("13.64.0.10"))  # a Microsoft host reached over the internet only


def engine(data: dict[str, Any]) -> Engine:
    return Engine(load(data).design, CATALOGS)


def nexts(e: Engine, router: str, dst: int) -> tuple[str, ...]:
    d = e.tables.customer_decision(router, dst)
    assert d.act is Act.FORWARD, d
    return d.nexts


def test_hot_potato_each_site_uses_its_nearest_circuit() -> None:
    e = engine(two_sites())
    assert nexts(e, "site:us", EXO) == ("ce:us-er",)
    assert nexts(e, "site:eu", EXO) == ("ce:eu-er",)


def test_local_preference_beats_igp_distance_at_every_router() -> None:
    d = two_sites()
    d["circuits"]["us-er"]["local_preference"] = 200
    e = engine(d)
    assert nexts(e, "site:eu", EXO) == ("site:us",)
    # The EU circuit's own customer edge prefers it too: local preference comes first.
    assert nexts(e, "ce:eu-er", EXO) == ("site:eu",)


def test_a_tie_is_every_path_and_is_reported_unless_multipath() -> None:
    d = two_sites()
    d["circuits"]["us-er2"] = circuit("us", "Washington DC", "20.2.2.16/29")
    e = engine(d)
    dec = e.tables.customer_decision("site:us", EXO)
    assert dec.nexts == ("ce:us-er", "ce:us-er2") and "tie" in dec.tie
    d["sites"]["us"]["multipath"] = True
    dec = engine(d).tables.customer_decision("site:us", EXO)
    assert dec.nexts == ("ce:us-er", "ce:us-er2") and dec.tie == ""


def test_the_customer_edge_balances_over_both_links() -> None:
    e = engine(two_sites())
    assert nexts(e, "ce:us-er", EXO) == ("link:us-er/primary", "link:us-er/secondary")
    assert nexts(e, "link:us-er/primary", EXO) == ("msee:us-er/primary",)


def test_non_expressroute_destinations_take_the_default_route() -> None:
    e = engine(two_sites())
    assert nexts(e, "site:eu", WEB) == ("edge:eu-inet",)
    assert nexts(e, "edge:eu-inet", WEB) == ("internet",)
    assert nexts(e, "ce:eu-er", WEB) == ("site:eu",)


def test_route_scope_and_down_circuit_remove_routes() -> None:
    d = two_sites()
    d["sites"]["eu"]["er_routes"] = False
    d["circuits"]["eu-er"]["up"] = False
    e = engine(d)
    assert nexts(e, "site:eu", EXO) == ("edge:eu-inet",)
    assert nexts(e, "site:us", EXO) == ("ce:us-er",)


def test_route_filter_without_the_service() -> None:
    d = two_sites()
    d["circuits"]["eu-er"]["route_filter"] = ["Exchange"]
    e = engine(d)
    assert nexts(e, "site:eu", SPO) == ("site:us",)
    assert nexts(e, "site:eu", EXO) == ("ce:eu-er",)


def test_wan_link_down_makes_a_circuit_unreachable() -> None:
    d = two_sites()
    d["circuits"]["eu-er"]["up"] = False
    d["wan"][0]["up"] = False
    e = engine(d)
    assert nexts(e, "site:eu", EXO) == ("edge:eu-inet",)


def test_the_designated_breakout_then_the_nearest() -> None:
    d = two_sites()
    d["sites"]["branch"] = {"location": "Boston", "prefixes": ["10.4.0.0/16"]}
    d["wan"].append({"between": ["branch", "us"], "latency_ms": 8})
    e = engine(d)
    assert nexts(e, "site:branch", WEB) == ("site:us",)  # nearest: us-inet
    d["sites"]["branch"]["breakout"] = "eu-inet"
    e = engine(d)
    assert nexts(e, "site:branch", WEB) == ("site:us",)
    # Hop by hop: the transit site us sends it to its own breakout, not to eu-inet.
    assert nexts(e, "site:us", WEB) == ("edge:us-inet",)


def test_microsoft_longest_match_then_expressroute_then_as_path() -> None:
    d = two_sites()
    d["circuits"]["us-er"]["advertises"] = ["20.2.2.0/29", "20.2.4.0/25"]
    d["circuits"]["eu-er"]["advertises"] = ["20.2.2.8/29", "20.2.4.0/24"]
    e = engine(d)
    t = e.tables.external
    a = int(IPv4Address("20.2.4.1"))
    assert t.microsoft_decision(a).nexts == ("msee:us-er/primary", "msee:us-er/secondary")
    b = int(IPv4Address("20.2.4.200"))  # the /24 of eu-er beats the internet's /24 (us-inet)
    assert t.microsoft_decision(b).nexts == ("msee:eu-er/primary", "msee:eu-er/secondary")
    c = int(IPv4Address("20.2.5.1"))  # only the internet knows it
    assert t.microsoft_decision(c).nexts == ("internet",)
    assert t.internet_decision(c).nexts == ("edge:eu-inet",)


def test_one_prefix_on_two_circuits_with_different_prepends() -> None:
    d = two_sites()
    for c in d["circuits"].values():
        c["advertises"] = ["20.2.2.0/28"]
    d["circuits"]["eu-er"]["prepend"] = {"20.2.2.0/28": 2}
    e = engine(d)
    got = e.tables.external.microsoft_decision(int(IPv4Address("20.2.2.1"))).nexts
    assert got == ("msee:us-er/primary", "msee:us-er/secondary")


def test_private_prepend_asn_has_no_effect() -> None:
    d = two_sites()
    for c in d["circuits"].values():
        c["advertises"] = ["20.2.2.0/28"]
    d["circuits"]["eu-er"]["prepend"] = {"20.2.2.0/28": 2}
    d["circuits"]["eu-er"]["prepend_asn"] = 65001
    e = engine(d)
    got = e.tables.external.microsoft_decision(int(IPv4Address("20.2.2.1"))).nexts
    assert len(got) == 4


def test_over_200_prefixes_the_session_is_down() -> None:
    """FACTS §1.4: exceeding the prefix limit drops the BGP session."""
    d = two_sites()
    many = [f"31.0.{i}.0/24" for i in range(200)]
    d["circuits"]["us-er"]["links"] = {"primary": {"advertises": many}}
    e = engine(d)
    assert e.tables.links_up["us-er"] == ("link:us-er/secondary",)
    assert nexts(e, "ce:us-er", EXO) == ("link:us-er/secondary",)
    got = e.tables.external.microsoft_decision(int(IPv4Address("20.2.2.1"))).nexts
    assert got == ("msee:us-er/secondary",)


def test_private_and_default_prefixes_are_not_learned() -> None:
    d = two_sites()
    d["circuits"]["us-er"]["advertises"] = ["20.2.2.0/29", "10.1.0.0/16"]
    e = engine(d)
    assert e.tables.external.microsoft_decision(int(IPv4Address("10.1.0.1"))).act is Act.NO_ROUTE


def test_shortest_paths_follow_cost_not_latency() -> None:
    d = two_sites()
    d["sites"]["mid"] = {"location": "Dublin", "prefixes": ["10.9.0.0/16"]}
    d["wan"] = [
        {"between": ["us", "eu"], "latency_ms": 80, "cost": 100},
        {"between": ["us", "mid"], "latency_ms": 60, "cost": 10},
        {"between": ["mid", "eu"], "latency_ms": 60, "cost": 10},
    ]
    d["circuits"]["eu-er"]["up"] = False
    e = engine(d)
    assert nexts(e, "site:eu", EXO) == ("site:mid",)
    lat = e.igp.latency("site:eu", "site:us")
    assert lat is not None and lat.ms == 120


# -- default routes and a source's own egress (what each hop of a trace says) ---------------

INET = int(IPv4Address("198.51.100.7"))  # an internet host: only default routes lead there


def test_default_routes_lead_out_by_the_designated_breakout() -> None:
    e = engine(two_sites())
    got = {r: e.tables.customer_decision(r, INET) for r in ("lan:us", "site:us", "edge:us-inet")}
    assert {r: (d.act, d.nexts, d.route) for r, d in got.items()} == {
        "lan:us": (Act.FORWARD, ("site:us",), "default route to the site router"),
        "site:us": (Act.FORWARD, ("edge:us-inet",), "default route to breakout us-inet"),
        "edge:us-inet": (Act.FORWARD, ("internet",), "default route to the internet"),
    }
    ce = e.tables.customer_decision("ce:us-er", INET)
    assert (ce.act, ce.nexts, ce.route) == (Act.FORWARD, ("site:us",), "default route inwards")


def test_with_its_breakout_down_a_site_takes_the_nearest_and_says_so() -> None:
    d = two_sites()
    d["breakouts"]["us-inet"]["up"] = False
    e = engine(d)
    site = e.tables.customer_decision("site:us", INET)
    assert (site.act, site.nexts) == (Act.FORWARD, ("site:eu",))
    assert site.route == "default route to the nearest breakout (eu-inet)"
    edge = e.tables.customer_decision("edge:us-inet", INET)
    assert (edge.act, edge.route, edge.culprit) == (
        Act.NO_ROUTE,
        "breakout us-inet is down",
        ("breakouts", "us-inet"),
    )


def test_no_breakout_reachable_blames_the_sites_breakout() -> None:
    d = two_sites()
    for b in d["breakouts"].values():
        b["up"] = False
    got = engine(d).tables.customer_decision("site:us", INET)
    assert (got.act, got.route, got.culprit) == (
        Act.NO_ROUTE,
        "no default route: no breakout is reachable",
        ("sites", "us", "breakout"),
    )


def test_a_source_with_its_own_egress_is_policy_routed_to_it() -> None:
    """A proxy's connections leave by its egress wherever the packet is: the site router of
    us sends them to eu's breakout; with that breakout down nothing else will do, and the
    breakout is named."""
    d = two_sites()
    e = engine(d)
    cls = e.tables.dst_classes[e.tables.dst_class(INET)].route
    got = e.tables.customer_decision_for("site:us", cls, "eu-inet")
    assert (got.act, got.nexts, got.route) == (
        Act.FORWARD,
        ("site:eu",),
        "policy route to breakout eu-inet",
    )
    d["breakouts"]["eu-inet"]["up"] = False
    e = engine(d)
    got = e.tables.customer_decision_for("site:us", cls, "eu-inet")
    assert (got.act, got.route, got.culprit) == (
        Act.NO_ROUTE,
        "no route to breakout eu-inet, this source's egress",
        ("breakouts", "eu-inet"),
    )


def test_tables_over_a_wan_with_a_link_down_decide_as_fresh_ones() -> None:
    """What `erplan failures` relies on: the tables of the design with its WAN link down,
    taken over from the tables before (``over``), route every router as tables built afresh."""
    base = engine(two_sites())
    addresses = (EXO, SPO, WEB, INET, int(IPv4Address("10.2.0.9")), int(IPv4Address("10.1.0.9")))
    routers = ("site:us", "site:eu", "lan:us", "ce:us-er", "edge:eu-inet")
    for r in routers:
        for a in addresses:
            base.tables.customer_decision(r, a)
    d = two_sites()
    d["wan"][0]["up"] = False
    fresh = engine(d)
    over = base.tables.over(fresh.net, base.igp.without(fresh.net, [("site:us", "site:eu")]))
    for r in routers:
        for a in addresses:
            want = fresh.tables.customer_decision(r, a)
            got = over.customer_decision(r, a)
            assert (got.act, got.nexts, got.route, got.culprit) == (
                want.act,
                want.nexts,
                want.route,
                want.culprit,
            ), (r, a)
            assert over.dst_class(a) == fresh.tables.dst_class(a)
