"""Causes and fixes that fit the situation (issue 9 item 6): a latency tie names every tied
option and never decides a cause by which of them the design lists first; renaming and
reordering change neither (DESIGN.md "Flow semantics": names never change a verdict)."""

from __future__ import annotations

import re
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from _semantics import CATALOGS, breakout, circuit, design, flow, load, one_site, results, site
from erplan.analyses.failed_state import failed_engine
from erplan.analyses.failure_atoms import Atom, apply
from erplan.analyses.failures import Baseline
from erplan.analyses.verdicts import rows
from test_semantics_properties import KINDS, NAME, Names, _back, _culprit, rename


def _tied_breakouts(b1: str, b2: str, *, swap: bool = False) -> dict[str, Any]:
    """us (New York) leaves by la-inet, far away, while two Boston breakouts, 5 ms away each,
    are as fast as each other: neither is "the" best. ``b1`` resolves us's names."""
    breakouts = {
        b1: breakout("b1", "20.2.4.1/32", "20.2.4.0/24"),
        b2: breakout("b2", "20.2.5.1/32", "20.2.5.0/24"),
        "la-inet": breakout("la", "20.2.6.1/32", "20.2.6.0/24"),
    }
    order = [b2, b1, "la-inet"] if swap else [b1, b2, "la-inet"]
    return design(
        sites={
            "us": site("New York", "10.1.0.0/16", 100, breakout="la-inet", resolver_egress=b1),
            "b1": site("Boston", "10.2.0.0/16"),
            "b2": site("Boston", "10.3.0.0/16"),
            "la": site("Los Angeles", "10.4.0.0/16"),
        },
        wan=[
            {"between": ["us", "b1"], "latency_ms": 5},
            {"between": ["us", "b2"], "latency_ms": 5},
            {"between": ["us", "la"], "latency_ms": 70},
        ],
        breakouts={k: breakouts[k] for k in order},
    )


def _named(cause: str) -> set[str]:
    """The options a cause names as the best this origin has."""
    m = re.search(r"\(the best this origin has: (.*?)(?:, tied)?\)$", cause)
    assert m is not None, cause
    return set(re.split(r", | and ", m.group(1)))


@pytest.mark.parametrize(
    ("b1", "b2", "swap"),
    [("b1-inet", "b2-inet", False), ("b1-inet", "b2-inet", True), ("zz", "aa", False)],
)
def test_breakouts_tied_for_best_are_all_named(b1: str, b2: str, swap: bool) -> None:
    """Both Boston breakouts are the best us has: the cause names both, and says they tie,
    whatever they are called and in whichever order the design lists them."""
    r = flow(results(_tied_breakouts(b1, b2, swap=swap)), "out/us/1")
    assert (r.verdict.value, r.cause_key, r.culprit) == (
        "suboptimal",
        "breakout",
        ("sites", "us", "breakout"),
    )
    assert r.cause.endswith(", tied)")
    assert _named(r.cause) == {f"breakout {b1}", f"breakout {b2}"}


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_renaming_every_object_names_the_same_tied_options(data: st.DataObject) -> None:
    """Every object renamed: the same verdict, cause and culprit, and the options named as
    tied for best are the same ones, their names mapped back."""
    d = _tied_breakouts("b1-inet", "b2-inet")
    olds = [(kind, name) for kind in KINDS for name in d.get(kind) or {}]
    news = data.draw(st.lists(NAME, min_size=len(olds), max_size=len(olds), unique=True))
    m: Names = {kind: {} for kind in KINDS}
    for (kind, old), new in zip(olds, news, strict=True):
        m[kind][old] = new
    back = _back(m)
    r = flow(results(rename(d, m)), f"out/{m['sites']['us']}/1")
    assert (r.verdict.value, r.cause_key, _culprit(r.culprit, back)) == (
        "suboptimal",
        "breakout",
        ("sites", "us", "breakout"),
    )
    named = {f"breakout {back['breakouts'][n.split(' ', 1)[1]]}" for n in _named(r.cause)}
    assert named == {"breakout b1-inet", "breakout b2-inet"}


def _tied_circuits(n1: str, n2: str, *, swap: bool = False) -> dict[str, Any]:
    """us (Chicago) is led by the IGP (cost 1) to w-er in Seattle; two New York circuits, 15 ms
    away each, are as fast as each other: ``n1`` has w-er's local preference (only the IGP
    metric keeps us from it), ``n2`` a lower one."""
    circuits = {
        "w-er": circuit("w", "Seattle", "20.3.2.0/29", local_preference=200),
        n1: circuit("n1", "New York", "20.3.2.8/29", local_preference=200),
        n2: circuit("n2", "New York", "20.3.2.16/29", local_preference=100),
    }
    order = ["w-er", n2, n1] if swap else ["w-er", n1, n2]
    return design(
        sites={
            "us": site("Chicago", "10.1.0.0/16", 100),
            "w": site("Seattle", "10.2.0.0/16"),
            "n1": site("New York", "10.3.0.0/16"),
            "n2": site("New York", "10.4.0.0/16"),
        },
        wan=[
            {"between": ["us", "w"], "latency_ms": 50, "cost": 1},
            {"between": ["us", "n1"], "latency_ms": 15, "cost": 100},
            {"between": ["us", "n2"], "latency_ms": 15, "cost": 100},
        ],
        breakouts={"us-inet": breakout("us", "20.2.4.1/32", "20.2.4.0/24")},
        circuits={k: circuits[k] for k in order},
    )


@pytest.mark.parametrize(
    ("n1", "n2", "swap"),
    [("n1-er", "n2-er", False), ("n1-er", "n2-er", True), ("b-er", "a-er", True)],
)
def test_a_cause_never_follows_the_first_listed_of_tied_circuits(
    n1: str, n2: str, swap: bool
) -> None:
    """The two New York circuits tie on latency; one loses to w-er on local preference, the
    other on the IGP metric alone. Setting the WAN costs right is enough (guide 000 §7.3.1,
    'hot potato' by local preference and/or IGP metrics), so the cause is the metric - not the
    local preference of w-er, as when the lower-preference circuit happened to come first."""
    r = flow(results(_tied_circuits(n1, n2, swap=swap)), "out/us/1")
    assert (r.verdict.value, r.cause_key, r.culprit) == (
        "suboptimal",
        "igp-metric",
        ("wan", 1, "cost"),
    )
    assert {b.forward.edge for b in r.trace.branches} <= {
        "circuit:w-er/primary",
        "circuit:w-er/secondary",
    }


def _spoke(peering: str, *, far: bool = False) -> dict[str, Any]:
    """s, 5 ms from the Denver hub h (or, ``far``, in Seattle, 40 ms away with a breakout of its
    own), takes the Microsoft routes of h's only circuit, which peers at ``peering``."""
    sites = {
        "s": site({"lat": 41.14, "lon": -104.82}, "10.1.0.0/16", 100, breakout="h-inet"),
        "h": site("Denver", "10.2.0.0/16"),
    }
    breakouts = {"h-inet": breakout("h", "20.2.4.1/32", "20.2.4.0/24")}
    if far:
        sites["s"] = site("Seattle", "10.1.0.0/16", 100, breakout="s-inet")
        breakouts["s-inet"] = breakout("s", "20.2.5.1/32", "20.2.5.0/24")
    return design(
        sites=sites,
        wan=[{"between": ["s", "h"], "latency_ms": 40 if far else 5}],
        breakouts=breakouts,
        circuits={"h-er": circuit("h", peering, "20.3.2.0/29")},
    )


def test_a_circuit_slow_from_its_own_site_is_the_cause_not_the_routes_at_a_nearby_site() -> None:
    """h's circuit peers in Los Angeles, far from Denver: s, next to h, is slow because of the
    circuit, as h itself would be (guide 001 'Determine the appropriate meet-me location'), not
    because Microsoft routes reach s ("stop propagating them to this site" would not fix the
    circuit). A site far from a circuit that is fast from its own site keeps ``propagated``
    (guide 000 §3, Figure 4)."""
    r = flow(results(_spoke("Los Angeles")), "out/s/1")
    assert (r.verdict.value, r.cause_key) == ("suboptimal", "distant-peering-location")
    assert r.culprit == ("circuits", "h-er", "peering_location")
    assert r.fix.startswith("peer at a location nearer the circuit's site")
    assert flow(results(_spoke("Denver")), "out/s/1").verdict.value == "ok"
    r = flow(results(_spoke("Denver", far=True)), "out/s/1")
    assert (r.verdict.value, r.cause_key, r.culprit) == (
        "suboptimal",
        "propagated",
        ("sites", "s", "er_routes"),
    )


# -- a device that is down on the way out ----------------------------------------------------


def _perimeter(up: bool) -> dict[str, Any]:
    """us's only breakout is behind its perimeter firewall."""
    d = one_site()
    d["breakouts"]["us-inet"]["devices"] = ["perimeter"]
    d["devices"] = {"perimeter": {"kind": "firewall", "site": "us", "up": up}}
    return d


def test_a_breakout_cut_off_by_its_device_names_the_device_not_a_missing_breakout() -> None:
    """The breakout is up but its firewall is down: the site has no default route, and the
    cause is the firewall (bring it back, or a second way out), not "give the origin a route:
    an internet breakout" - it has one. The flows that need DNS name the device as well, in
    the design and as a failure the sweep studies."""
    base = Baseline.build(load(_perimeter(True)).design, CATALOGS)
    failed = rows(failed_engine(apply(base.design, [Atom("device", "perimeter")]), base))
    for rs in (results(_perimeter(False)), failed):
        dns = flow(rs, "dns/us")
        assert (dns.verdict.value, dns.cause_key) == ("unreachable", "breakout-device-down")
        assert dns.culprit == ("devices", "perimeter", "up")
        assert "device perimeter on the way to breakout us-inet is down" in dns.cause
        assert dns.fix.startswith("bring the device back up")
        r = flow(rs, "out/us/8")
        assert (r.verdict.value, r.cause_key) == ("unreachable", "dns-device-down")
        assert r.culprit == ("devices", "perimeter", "up")


def test_refused_at_the_perimeter_without_a_proxy_the_fix_gives_the_site_one() -> None:
    """g000-proxy-only-direct: no proxy, clients may not go out, an internet-only set: the fix
    cannot be "the proxy in the site's PAC file" alone (it has neither) nor an ExpressRoute
    route (the set has none): it says the site needs a proxy, and ExpressRoute only where the
    destination is ExpressRoute-able (guide 000 §2.2)."""
    from test_semantics_properties import EXAMPLES, example

    path = next(p for p in EXAMPLES if p.name == "g000-proxy-only-direct.yaml")
    r = flow(results(example(path)), "out/hq/8")
    assert (r.verdict.value, r.cause_key) == ("dropped", "no-direct-internet")
    assert "a site without a proxy needs one: proxy.mode: pac and proxy.device" in r.fix
    assert "where the destination is ExpressRoute-able, give the site an ExpressRoute" in r.fix


def test_internet_nat_inside_the_peering_s_advertisement_is_named_as_such() -> None:
    """g000-internet-nat-over-expressroute: the circuit advertises the breakout's NAT /24, so
    replies to internet traffic come back over ExpressRoute. Guide 000 §5 decides it ("the NAT
    IP addresses used for internet traffic must be different from the NAT IP addresses used in
    the Microsoft Peering"): the cause is that overlap, and its fix keeps them apart - not
    "source-NAT each circuit into its own pool" (fig16's two circuits sharing a pool, which
    keeps return-elsewhere)."""
    from test_semantics_properties import EXAMPLES, example

    def one(name: str, key: str) -> Any:
        path = next(p for p in EXAMPLES if p.name == name)
        return flow(results(example(path)), key)

    r = one("g000-internet-nat-over-expressroute.yaml", "out/hq/8")
    assert (r.verdict.value, r.cause_key) == ("dropped", "internet-nat-overlap")
    assert r.culprit == ("circuits", "hq-er", "advertises", 1)
    assert r.fix.startswith("keep the internet NAT addresses apart from the Microsoft peering's")
    assert "guide 000 §5" in r.source
    shared = one("g000-fig16-shared-pool.yaml", "out/us/1")
    assert (shared.verdict.value, shared.cause_key) == ("dropped", "return-elsewhere")
