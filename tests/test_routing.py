"""Customer route choice per site and Microsoft's return-path choice."""

from __future__ import annotations

from ipaddress import IPv4Address

from _designs import CATALOGS, circuit, load, two_sites
from erplan.routing import DestClass, Routing, Via, is_private_asn

EXO = DestClass(True, "12076:5010", None)
CDN = DestClass(False, None, None)


def routing(data: dict) -> Routing:
    return Routing(load(data).design, CATALOGS)


def test_hot_potato_each_site_uses_its_nearest_circuit() -> None:
    r = routing(two_sites())
    assert r.lookup("us", EXO).circuit == "us-er"
    assert r.lookup("eu", EXO).circuit == "eu-er"
    assert r.lookup("eu", EXO).why == "lowest IGP distance"


def test_local_preference_beats_igp_distance() -> None:
    d = two_sites()
    d["circuits"]["us-er"]["local_preference"] = 200
    choice = routing(d).lookup("eu", EXO)
    assert choice.via is Via.EXPRESSROUTE and choice.circuit == "us-er"
    assert choice.why == "highest local preference"


def test_tie_break_by_name_is_reported() -> None:
    d = two_sites()
    d["circuits"]["us-er2"] = circuit("us", "Washington DC", "20.2.2.16/29")
    choice = routing(d).lookup("us", EXO)
    assert choice.circuit == "us-er" and choice.tie_break == ("us-er", "us-er2")


def test_non_expressroute_class_takes_the_default_route() -> None:
    choice = routing(two_sites()).lookup("eu", CDN)
    assert choice.via is Via.INTERNET and choice.breakout == "eu-inet"


def test_route_scope_and_down_circuit_remove_routes() -> None:
    d = two_sites()
    d["sites"]["eu"]["er_routes"] = False
    d["circuits"]["eu-er"]["up"] = False
    r = routing(d)
    assert r.lookup("eu", EXO).via is Via.INTERNET
    assert r.lookup("us", EXO).circuit == "us-er"


def test_route_filter_without_the_service() -> None:
    d = two_sites()
    d["circuits"]["eu-er"]["route_filter"] = ["Exchange"]
    r = routing(d)
    assert r.lookup("eu", DestClass(True, "12076:5020", None)).circuit == "us-er"  # SharePoint
    assert r.lookup("eu", EXO).circuit == "eu-er"


def test_wan_link_down_makes_a_circuit_unreachable() -> None:
    d = two_sites()
    del d["circuits"]["eu-er"]
    d["wan"][0]["up"] = False
    assert routing(d).lookup("eu", EXO).via is Via.INTERNET


def test_region_preference_is_ignored_for_microsoft_365() -> None:
    d = two_sites()
    d["circuits"]["us-er"]["region_preference"] = {"West Europe": 300}
    choice = routing(d).lookup("eu", EXO)
    assert choice.circuit == "eu-er"
    assert all(c.region_preference_ignored for c in choice.candidates if c.circuit == "us-er")


def test_microsoft_longest_match_then_expressroute_then_as_path() -> None:
    d = two_sites()
    d["circuits"]["us-er"]["advertises"] = ["20.2.2.0/29", "20.2.5.0/24"]
    d["circuits"]["eu-er"]["advertises"] = ["20.2.2.8/29", "20.2.2.0/28"]
    r = routing(d)
    # Longest match: the /29 on us-er beats the /28 on eu-er.
    assert [a.name for a in r.microsoft_choice(IPv4Address("20.2.2.1"))] == ["us-er"]
    # Equal length: ExpressRoute beats the internet.
    assert [a.name for a in r.microsoft_choice(IPv4Address("20.2.5.1"))] == ["us-er"]
    assert r.microsoft_choice(IPv4Address("8.8.8.8")) == ()


def test_one_prefix_on_two_circuits_with_different_prepends() -> None:
    d = two_sites()
    for c in d["circuits"].values():
        c["advertises"] = ["20.2.2.0/28"]
    d["circuits"]["eu-er"]["prepend"] = {"20.2.2.0/28": 2}
    r = routing(d)
    assert [a.name for a in r.microsoft_choice(IPv4Address("20.2.2.1"))] == ["us-er"]
    d["circuits"]["eu-er"]["prepend"] = {}
    both = routing(d).microsoft_choice(IPv4Address("20.2.2.1"))
    assert sorted(a.name for a in both) == ["eu-er", "us-er"]  # ECMP


def test_private_prepend_asn_has_no_effect() -> None:
    assert is_private_asn(65001) and not is_private_asn(394500)
    d = two_sites()
    for c in d["circuits"].values():
        c["advertises"] = ["20.2.2.0/28"]
    d["circuits"]["eu-er"]["prepend"] = {"20.2.2.0/28": 3}
    d["circuits"]["eu-er"]["prepend_asn"] = 65001
    both = routing(d).microsoft_choice(IPv4Address("20.2.2.1"))
    assert sorted(a.name for a in both) == ["eu-er", "us-er"]
    assert {a.as_path for a in both} == {1}


def test_shortest_paths_follow_cost_not_latency() -> None:
    d = two_sites()
    d["sites"]["hub"] = {"location": "London", "users": 0}
    d["wan"] = [
        {"between": ["us", "eu"], "latency_ms": 80, "cost": 1000},
        {"between": ["us", "hub"], "latency_ms": 70},
        {"between": ["hub", "eu"], "latency_ms": 20},
    ]
    r = routing(d)
    assert r.wan_path("eu", "us") == ["eu", "hub", "us"]
    lat = r.wan_latency("eu", "us")
    assert lat is not None and lat.ms == 90 and not lat.estimated
