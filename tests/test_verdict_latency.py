"""Why a working flow is slower than it should be, on small designs: the best the design
offers, the cause and its culprit (analyses/judge.py, the latency half; the points mutation
testing found unasserted, bench/README.md "Mutation testing")."""

from __future__ import annotations

from typing import Any

import pytest

from _semantics import (
    CATALOGS,
    breakout,
    circuit,
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
from erplan.analyses.failure_atoms import atoms
from erplan.analyses.failures import Baseline, evaluate
from erplan.analyses.judge import Judge
from erplan.engine import Engine
from test_dynamics import WEST_EUROPE, cold_potato
from test_semantics_dns import _eu_resolves_in_us, _split_queries
from test_semantics_routing import _proxy_with_egress
from test_verdict_causes import _internet_only


def _eu_between_two_us_circuits() -> dict[str, Any]:
    """Both circuits are in the US, reached from Amsterdam across the WAN: eu's Microsoft
    traffic takes the preferred one (Washington DC), New York's is 10 ms nearer - not enough to
    be faster - and eu's own breakout is next door to Microsoft."""
    d = two_sites()
    d["circuits"] = {
        "dc-er": circuit("us", "Washington DC", "20.2.2.0/29", local_preference=200),
        "ny-er": circuit("us", "New York", "20.2.2.8/29", local_preference=100),
    }
    return d


def test_a_preference_between_two_distant_circuits_is_not_the_cause() -> None:
    """The other circuit is no better: the preference between the two changes nothing. What
    makes eu slow is that the Microsoft routes reach it at all (guide 001 'Determine the
    appropriate meet-me location'): the fix is eu's er_routes, not a local preference."""
    r = flow(results(_eu_between_two_us_circuits()), "out/eu/1")
    assert owners(r) == {"circuit:dc-er": 1.0}
    assert (r.verdict.value, share(r), r.cause_key) == ("suboptimal", 1.0, "propagated")
    assert r.culprit == ("sites", "eu", "er_routes")
    assert r.best is not None and r.latency is not None and r.best.ms < r.latency.ms / 10


def _boston_led_to_amsterdam() -> dict[str, Any]:
    """Boston's WAN costs lead it to Amsterdam's circuit; in the US, New York's circuit is the
    fastest and Washington's ('a-er', less preferred than both) is faster than Amsterdam's too.
    The US-EU link is too costly to carry Boston's traffic to the US."""
    d = two_sites()
    d["circuits"] = {
        "a-er": circuit("us", "Washington DC", "20.2.2.16/29", local_preference=50),
        **d["circuits"],
    }
    d["sites"]["mid"] = site("Boston", "10.3.0.0/16", users=10, breakout="us-inet")
    d["breakouts"]["us-inet"]["latency_ms"] = 100
    d["wan"][0]["cost"] = 1000
    d["wan"] += [
        {"between": ["mid", "us"], "latency_ms": 10, "cost": 100},
        {"between": ["mid", "eu"], "latency_ms": 80, "cost": 1},
    ]
    return d


def test_the_fastest_better_circuit_decides_between_metric_and_preference() -> None:
    """Two circuits are much faster than Amsterdam's: New York's at the same local preference,
    Washington's at a lower one. The fastest (New York) is the alternative: its preference is
    no lower than Amsterdam's, so the WAN metric is what leads Boston astray - not a local
    preference, which only the slower Washington circuit would have made look guilty."""
    r = flow(results(_boston_led_to_amsterdam()), "out/mid/1")
    assert owners(r) == {"circuit:eu-er": 1.0}
    assert (r.verdict.value, share(r), r.cause_key) == ("suboptimal", 1.0, "igp-metric")
    assert r.culprit == ("wan", 1, "cost")


# -- the best the design offers, with a given internet latency -------------------------------------


@pytest.mark.parametrize(
    ("given", "cause", "best"), [(100, "igp-metric", 14.3), (5, "propagated", 5)]
)
def test_a_given_internet_latency_competes_with_the_fastest_circuit(
    given: float, cause: str, best: float
) -> None:
    """Boston now has a breakout of its own (100 ms from Microsoft by the design's figure for
    it) and the latency its users measure over it, given for the site. At 100 ms New York's
    circuit is still the best way (the WAN metric is the fix); at 5 ms Boston's own internet
    is, and what is wrong is that the Microsoft routes reach Boston at all. (The US-EU link
    costs what it usually does: the IGP's own path to New York's circuit crosses Amsterdam.)"""
    d = _boston_led_to_amsterdam()
    del d["wan"][0]["cost"]
    d["breakouts"]["mid-inet"] = breakout("mid", "20.2.7.1/32", "20.2.7.0/24", latency_ms=100)
    d["sites"]["mid"].update(breakout="mid-inet", internet_latency_ms=given)
    r = flow(results(d), "out/mid/1")
    assert owners(r) == {"circuit:eu-er": 1.0}
    assert (r.verdict.value, share(r), r.cause_key) == ("suboptimal", 1.0, cause)
    assert r.best is not None and r.best.ms == pytest.approx(best, abs=0.05)


def test_a_given_internet_latency_is_to_the_front_end_dns_answered() -> None:
    """us resolves in Amsterdam, so geoDNS answers a European front end: us's given 10 ms to
    Microsoft plus the backbone to Amsterdam is no slower than eu's breakout across the WAN.
    What is slow is the resolver, judged against the front end us's own egress would get -
    not us's breakout, as if the given 10 ms reached the answered front end."""
    d = _internet_only(10)
    d["sites"]["us"]["resolver_egress"] = "eu-inet"
    r = flow(results(d), "out/us/8")
    assert owners(r) == {"breakout:us-inet": 1.0}
    assert (r.verdict.value, share(r), r.cause_key) == ("suboptimal", 1.0, "distant-resolver")
    assert r.culprit == ("sites", "us", "resolver_egress")
    assert r.best is not None and r.best.ms == pytest.approx(10)


def test_a_given_internet_latency_of_a_breakout_that_is_down_is_no_better_way() -> None:
    """us's own breakout is down: its traffic leaves by Washington's, 60 ms away. The 5 ms given
    for the breakout that is down is no way out, so nothing faster is offered."""
    d = _internet_only(5)
    d["breakouts"]["us-inet"]["up"] = False
    d["sites"]["dc"] = site("Washington DC", "10.3.0.0/16")
    d["wan"].append({"between": ["us", "dc"], "latency_ms": 60})
    d["breakouts"]["dc-inet"] = breakout("dc", "20.2.6.1/32", "20.2.6.0/24")
    r = flow(results(d), "out/us/8")
    assert owners(r) == {"breakout:dc-inet": 1.0}
    assert r.verdict.value == "ok"


def test_a_given_internet_latency_without_a_breakout_of_the_site_covers_the_wan() -> None:
    """Boston has no breakout of its own: its internet traffic crosses the WAN to New York's
    breakout, the nearest. Its given figure is user -> Microsoft network over that path
    (DESIGN.md "Latency"), the WAN leg included: the trace adds up to it."""
    d = _internet_only(5)
    d["sites"]["mid"] = site("Boston", "10.3.0.0/16", users=10, internet_latency_ms=30)
    d["wan"].append({"between": ["mid", "us"], "latency_ms": 10})
    r = flow(results(d), "out/mid/8")
    assert owners(r) == {"breakout:us-inet": 1.0}
    assert (r.verdict.value, r.cause_key, share(r)) == ("ok", "ok", 0.0)
    assert r.latency is not None and r.latency.ms == pytest.approx(30)
    assert not r.latency.estimated


def test_a_proxy_leaving_far_away_is_slower_than_the_site_s_given_internet() -> None:
    """us's proxy leaves by eu's breakout, across the Atlantic; us's own breakout, 10 ms from
    Microsoft as given, is the best way: the flow is slow because of the breakout it leaves
    by."""
    d = _proxy_with_egress("eu-inet")
    del d["breakouts"]["us-inet2"]
    d["sites"]["us"]["internet_latency_ms"] = 10
    d["sites"]["eu"] = site("Amsterdam", "10.2.0.0/16")
    d["wan"] = [{"between": ["us", "eu"], "latency_ms": 80}]
    d["breakouts"]["eu-inet"] = breakout("eu", "20.2.5.1/32", "20.2.5.0/24")
    r = flow(results(d), "out/us/8")
    assert owners(r) == {"breakout:eu-inet": 1.0}
    assert (r.verdict.value, share(r), r.cause_key) == ("suboptimal", 1.0, "proxy-breakout")
    assert r.best is not None and r.best.ms == pytest.approx(10)


def test_a_proxy_device_leaving_far_away_is_blamed_on_its_egress() -> None:
    """us's proxy device leaves by eu's breakout (its `egress`) while us's own breakout is next
    door to Microsoft: the site's `breakout` is already the near one, so the fix is the proxy's
    egress (docs/flow-semantics.md, proxies: a proxy with an egress breakout leaves by it), and
    the cause says it is the proxy that leaves far away."""
    d = _proxy_with_egress("eu-inet")
    del d["breakouts"]["us-inet2"]
    d["sites"]["eu"] = site("Amsterdam", "10.2.0.0/16")
    d["wan"] = [{"between": ["us", "eu"], "latency_ms": 80}]
    d["breakouts"]["eu-inet"] = breakout("eu", "20.2.5.1/32", "20.2.5.0/24")
    r = flow(results(d), "out/us/8")
    assert owners(r) == {"breakout:eu-inet": 1.0}
    assert (r.verdict.value, share(r), r.cause_key) == ("suboptimal", 1.0, "proxy-breakout")
    assert r.culprit == ("devices", "px", "egress")
    assert "proxy" in r.cause and "distant breakout" in r.cause


def test_a_proxy_device_leaving_by_a_slow_breakout_next_door_is_blamed_on_its_egress() -> None:
    """The proxy's egress is a second breakout at its own site, 200 ms from Microsoft as given:
    not distant, so slow-breakout - but it is the device's `egress`, not the site's `breakout`
    (already the fast one), that sends the proxy there."""
    d = _proxy_with_egress("us-inet2")
    d["breakouts"]["us-inet2"]["latency_ms"] = 200
    r = flow(results(d), "out/us/8")
    assert owners(r) == {"breakout:us-inet2": 1.0}
    assert (r.verdict.value, share(r), r.cause_key) == ("suboptimal", 1.0, "slow-breakout")
    assert r.culprit == ("devices", "px", "egress")


def test_a_circuit_next_door_slow_as_given_is_not_propagation() -> None:
    """us's own New York circuit is 100 ms to Microsoft by its given figure, which DESIGN.md
    "Latency" takes as the users' latency to the Microsoft network over that circuit; us's
    breakout next door is a few ms. No route is propagated anywhere: the routes are learned at
    us itself, so "stop propagating them" (sites.us.er_routes) names no fix. What makes the
    flow slow is the circuit's own way to Microsoft - guide 001's meet-me table compares
    exactly that figure with the internet's ('find another meet-me location, or use selective
    internet breakout') - so the culprit is the circuit's given latency."""
    d = one_site(access_latency_ms=100)
    r = flow(results(d), "out/us/1")
    assert owners(r) == {"circuit:us-er": 1.0}
    assert (r.verdict.value, share(r), r.cause_key) == ("suboptimal", 1.0, "slow-circuit")
    assert r.culprit == ("circuits", "us-er", "access_latency_ms")
    assert r.best is not None and r.best.ms < 25


def test_an_own_circuit_slow_by_estimate_is_its_distant_peering_location() -> None:
    """us's own circuit peers in Chicago, 1,100 km from New York, and no latency is given:
    DESIGN.md "Latency" estimates the circuit's way to Microsoft from that distance (about
    40 ms against the breakout next door). The routes are learned at us itself, so "stop
    propagating them" would fix nothing; the object to change is the circuit's peering
    location - or its measured latency, which replaces the estimate: given as 5 ms, the same
    circuit is no longer slow."""
    d = one_site(peering_location="Chicago")
    r = flow(results(d), "out/us/1")
    assert owners(r) == {"circuit:us-er": 1.0}
    assert (r.verdict.value, share(r), r.cause_key) == (
        "suboptimal",
        1.0,
        "distant-peering-location",
    )
    assert r.culprit == ("circuits", "us-er", "peering_location")
    assert r.cause.startswith(CAUSES["distant-peering-location"][0])
    assert r.fix == CAUSES["distant-peering-location"][1]
    assert "propagat" not in r.cause + r.fix and "peering location" in r.cause
    assert r.latency is not None and r.latency.estimated and r.latency.ms > 25
    assert r.best is not None and r.best.ms < 25
    measured = flow(results(one_site(peering_location="Chicago", access_latency_ms=5)), "out/us/1")
    assert measured.verdict.value == "ok"


# -- where the name resolves does not matter for Dynamics 365 --------------------------------------


def test_dynamics_is_never_slow_because_of_the_resolver() -> None:
    """A Dynamics 365 environment is answered in its region whatever resolves the name: us's
    flow to West Europe enters Microsoft in New York and crosses the backbone, as it must; a
    resolver elsewhere would not change it (guide 000 §7.3.1, hot potato)."""
    d = cold_potato()
    for c in d["circuits"].values():
        c.pop("region_preference")
    r = flow(results(d), f"out/us/{WEST_EUROPE.id}")
    assert owners(r) == {"circuit:us-er": 1.0}
    assert r.verdict.value == "ok"


# -- the best way in -------------------------------------------------------------------------------


def _published_far_away() -> dict[str, Any]:
    """A New York service published only at eu-inet, in Amsterdam. New York has a circuit and a
    breakout (30 ms from Microsoft, as given); the design also holds a circuit and a breakout
    that are down and a Tokyo site that no link reaches, each listed first."""
    d = two_sites()
    d["sites"]["us"]["users"] = d["sites"]["eu"]["users"] = 0
    d["sites"]["isl"] = site("Tokyo", "10.9.0.0/16")
    d["circuits"] = {
        "down-er": circuit("us", "New York", "20.2.2.16/29", up=False),
        "island-er": circuit("isl", "Tokyo", "20.2.2.24/29"),
        "us-er": circuit("us", "New York", "20.2.2.0/29"),
    }
    d["breakouts"] = {
        "down-inet": breakout("eu", "20.2.6.1/32", "20.2.6.0/24", up=False),
        "island-inet": breakout("isl", "20.2.7.1/32", "20.2.7.0/24"),
        **d["breakouts"],
    }
    d["breakouts"]["us-inet"]["latency_ms"] = 30
    d["breakouts"]["eu-inet"]["advertises"].append("20.2.3.0/24")
    d["services"] = {
        "mail": service(
            "us", "20.2.3.59", "10.1.5.5", ["eu-inet"], inbound_snat={"eu-inet": "10.255.3.0/28"}
        )
    }
    return d


def test_an_entry_far_from_the_service_is_judged_against_the_best_way_in() -> None:
    """Microsoft's connections cross the internet to Amsterdam and the WAN back. The best way
    in is New York's circuit - or New York's breakout once it is 1 ms from Microsoft; what is
    down or unreachable is no way in."""
    best = {}
    for breakout_ms in (30, 1):
        d = _published_far_away()
        d["breakouts"]["us-inet"]["latency_ms"] = breakout_ms
        r = inbound(results(d), "mail")
        assert owners(r) == {"breakout:eu-inet": 1.0}
        assert (r.verdict.value, share(r), r.cause_key) == ("suboptimal", 1.0, "hairpin")
        assert r.culprit == ("services", "mail", "entry")
        assert r.latency is not None and r.best is not None and r.latency.ms > 150
        best[breakout_ms] = r.best.ms
    assert best[30] < 30  # the circuit, not the breakout's 30 ms
    assert best[1] < best[30]  # the breakout, now faster than the circuit


@pytest.mark.parametrize("why", ["route filter", "edge down"])
def test_a_nearer_circuit_that_cannot_carry_the_flow_is_no_alternative(why: str) -> None:
    """eu's own circuit, less preferred, does not admit Exchange (or its customer edge's
    firewall is down): eu's Exchange traffic crosses the WAN to New York. That circuit is no
    way out for it, so its lower preference is not the cause: the Microsoft routes reaching eu
    are, against eu's own breakout."""
    d = two_sites()
    d["circuits"]["eu-er"]["local_preference"] = 50
    if why == "route filter":
        d["circuits"]["eu-er"]["route_filter"] = ["SharePoint"]
    else:
        d["circuits"]["eu-er"]["devices"] = ["fw"]
        d["devices"] = {"fw": {"site": "eu", "up": False}}
    r = flow(results(d), "out/eu/1")
    assert owners(r) == {"circuit:us-er": 1.0}
    assert (r.verdict.value, share(r), r.cause_key) == ("suboptimal", 1.0, "propagated")
    assert r.culprit == ("sites", "eu", "er_routes")


# -- a distant resolver ----------------------------------------------------------------------------


def test_a_distant_resolver_over_a_circuit_is_judged_from_where_it_enters() -> None:
    """us (Washington) resolves in Amsterdam; its Exchange traffic enters Microsoft at the
    Washington peering location, whose nearest front end is Boydton. The local answer is the
    same path to Boydton instead of Amsterdam: less the backbone to Amsterdam, plus the
    backbone to Boydton (DESIGN.md "Optimality")."""
    d = two_sites()
    d["sites"]["us"]["location"] = "Washington DC"
    d["circuits"]["us-er"]["peering_location"] = "Washington DC"
    d["sites"]["us"]["resolver_egress"] = "eu-inet"
    r = flow(results(d), "out/us/1")
    assert owners(r) == {"circuit:us-er": 1.0}
    assert (r.verdict.value, share(r), r.cause_key) == ("suboptimal", 1.0, "distant-resolver")
    assert r.latency is not None and r.best is not None
    geo = Engine(load(d).design, CATALOGS).geo
    entry = geo.peering("us-er")
    near = geo.nearest_front_end(entry)
    answered = CATALOGS.front_end(r.flow.front_end or "")
    assert answered is not None and (answered.name, near.name) == ("Amsterdam", "Boydton")
    local = (
        r.latency.ms
        - geo.backbone(entry, geo.fe_point(answered)).ms
        + geo.backbone(entry, geo.fe_point(near)).ms
    )
    assert r.best.ms == pytest.approx(local)


def test_a_flow_over_two_slow_tied_circuits_names_the_slower() -> None:
    """eu (Amsterdam) ties between two circuits of its own that peer in the US, eu-er in
    Washington DC and eu-er2 in New York: both are far slower than its own breakout. The flow's
    latency and cause are the slower branch's (Washington), whatever the circuits are
    called."""
    d = two_sites()
    d["circuits"]["eu-er"]["peering_location"] = "Washington DC"
    d["circuits"]["eu-er2"] = circuit("eu", "New York", "20.2.2.16/29")
    r = flow(results(d), "out/eu/1")
    assert owners(r) == {"circuit:eu-er": 0.5, "circuit:eu-er2": 0.5}
    assert (r.verdict.value, share(r)) == ("suboptimal", 1.0)
    assert (r.cause_key, r.culprit) == (
        "distant-peering-location",
        ("circuits", "eu-er", "peering_location"),
    )
    by_circuit = {(b.forward.edge or "").split("/")[0]: b.ms for b in r.trace.branches}
    assert by_circuit["circuit:eu-er"] > by_circuit["circuit:eu-er2"] + 5
    assert r.latency is not None and r.latency.ms == pytest.approx(by_circuit["circuit:eu-er"])


def test_a_distant_resolver_over_tied_circuits_is_judged_by_the_slowest() -> None:
    """us (Washington) resolves in Amsterdam and its Exchange traffic ties between us-er
    (Washington DC) and us-er2 (New York): both are slower than their local answer, and the
    flow's latency is the slower branch's (Washington: farther from the Amsterdam front end
    it was answered), judged against that branch's own local answer, whatever the circuits
    are called."""
    d = two_sites()
    d["sites"]["us"]["location"] = "Washington DC"
    d["circuits"]["us-er"]["peering_location"] = "Washington DC"
    d["circuits"]["us-er2"] = circuit("us", "New York", "20.2.2.16/29")
    d["sites"]["us"]["resolver_egress"] = "eu-inet"
    r = flow(results(d), "out/us/1")
    assert owners(r) == {"circuit:us-er": 0.5, "circuit:us-er2": 0.5}
    assert (r.verdict.value, share(r), r.cause_key) == ("suboptimal", 1.0, "distant-resolver")
    slowest = max(r.trace.branches, key=lambda b: b.ms)
    assert slowest.forward.edge is not None and slowest.forward.edge.startswith("circuit:us-er/")
    assert r.latency is not None and r.best is not None
    assert r.latency.ms == pytest.approx(slowest.ms)
    assert r.latency.ms > min(b.ms for b in r.trace.branches) + 0.5
    geo = Engine(load(d).design, CATALOGS).geo
    entry = geo.peering("us-er")
    answered = CATALOGS.front_end(r.flow.front_end or "")
    assert answered is not None
    near = geo.nearest_front_end(entry)
    local = (
        slowest.ms
        - geo.backbone(entry, geo.fe_point(answered)).ms
        + geo.backbone(entry, geo.fe_point(near)).ms
    )
    assert r.best.ms == pytest.approx(local)


@pytest.mark.parametrize("name", ["eu-inet", "eu:inet"])
def test_a_distant_resolver_is_found_whatever_the_breakout_is_called(name: str) -> None:
    """eu resolves in the US and leaves by its own breakout - named with the separator of the
    edge names or not (names may hold ':')."""
    d = _eu_resolves_in_us()
    d["breakouts"][name] = d["breakouts"].pop("eu-inet")
    r = flow(results(d), "out/eu/8")
    assert owners(r) == {f"breakout:{name}": 1.0}
    assert (r.verdict.value, share(r), r.cause_key) == ("suboptimal", 1.0, "distant-resolver")
    assert r.culprit == ("sites", "eu", "resolver_egress")


# -- a failed state ------------------------------------------------------------------------------


def test_the_best_after_a_failure_is_derived_as_if_searched_afresh() -> None:
    """`erplan failures`: a failure's fastest ways out are derived from the baseline's; every
    row after each single failure must be what judging the failed design afresh gives."""
    base = Baseline.build(load(_boston_led_to_amsterdam()).design, CATALOGS)
    found = atoms(base.design)
    assert {a.kind for a in found} >= {"circuit", "breakout", "wan"}
    for a in found:
        derived, fresh = evaluate(base, (a,)), evaluate(base, (a,), full=True)
        assert derived.by_key == fresh.by_key, a


def _entered_by_either_site() -> dict[str, Any]:
    """mail (at us) is published on both sites' circuits, each translating into a pool of its
    own."""
    d = two_sites()
    for c, pool in (("us-er", "10.255.1.0/28"), ("eu-er", "10.255.2.0/28")):
        d["circuits"][c]["advertises"].append("20.2.3.0/24")
        d["circuits"][c]["inbound_snat_pool"] = pool
    d["services"] = {"mail": service("us", "20.2.3.59", "10.1.5.5", ["us-er", "eu-er"])}
    return d


def test_the_inbound_options_after_a_failure_are_derived_as_if_worked_out_afresh() -> None:
    """`erplan failures` again, for a service Microsoft reaches by either site's circuit
    (each translating into a pool of its own): after each single failure, the ways in are
    taken from the baseline's and every row is what judging the failed design afresh gives."""
    base = Baseline.build(load(_entered_by_either_site()).design, CATALOGS)
    assert inbound(base.results, "mail").verdict.value in ("ok", "suboptimal")
    found = atoms(base.design)
    assert {a.kind for a in found} >= {"circuit", "breakout", "wan"}
    for a in found:
        derived, fresh = evaluate(base, (a,)), evaluate(base, (a,), full=True)
        assert derived.by_key == fresh.by_key, a


def test_the_ways_in_to_a_site_are_worked_out_once_per_front_end() -> None:
    """``Judge.inbound_options``: every circuit and breakout by which a front end reaches the
    service's site, the same for every flow to that site, so worked out once: a second flow
    from the same front end gets the very list (a sweep asks it for every row)."""
    engine = Engine(load(_entered_by_either_site()).design, CATALOGS)
    judge = Judge(engine)
    first, second = [f for f in engine.origins.inbound() if f.origin == "mail"][:2]
    fe = CATALOGS.front_end(first.front_end or "")
    assert fe is not None and first.front_end != second.front_end
    got = judge.inbound_options(engine.trace(first), fe)
    assert [(o.kind, o.name) for o in got] == [
        ("circuit", "us-er"),
        ("circuit", "eu-er"),
        ("breakout", "us-inet"),
        ("breakout", "eu-inet"),
    ]
    assert judge.inbound_options(engine.trace(second), fe) is got
    assert judge.inbound() == {("us", fe.name): got}


def test_a_workload_that_is_not_tenant_bound_has_no_relay() -> None:
    """DESIGN.md "Latency": the relay from the front end to the tenant's data is reported for
    tenant-bound workloads only; the Common service area answers where it is reached."""
    d = two_sites()
    d["tenant"]["services"] = ["Common"]
    rows = [r for r in results(d) if r.flow.direction.value == "outbound"]
    assert any(r.flow.front_end is not None for r in rows)
    for r in rows:
        assert r.relay is None and r.to_dict()["relay_ms"] is None, r.flow.key


def test_what_is_down_is_no_faster_way_out() -> None:
    """Boston again, with a circuit listed first whose customer edge's firewall is down and a
    breakout of Boston's own that is down: neither is a way out, so New York's circuit is
    still the fastest and the WAN metric still the cause."""
    d = _boston_led_to_amsterdam()
    d["circuits"] = {
        "a0-er": circuit("us", "New York", "20.2.2.32/29", devices=["fw"]),
        **d["circuits"],
    }
    d["devices"] = {"fw": {"site": "us", "up": False}}
    d["breakouts"]["mid-inet"] = breakout("mid", "20.2.7.1/32", "20.2.7.0/24", up=False)
    r = flow(results(d), "out/mid/1")
    assert owners(r) == {"circuit:eu-er": 1.0}
    assert (r.verdict.value, share(r), r.cause_key) == ("suboptimal", 1.0, "igp-metric")
    assert r.best is not None and r.best.ms == pytest.approx(14.3, abs=0.05)


def test_a_flow_slow_at_both_front_ends_reports_the_slower() -> None:
    """r's queries are answered half in Amsterdam, half in New York; its only circuit peers in
    Tokyo, so both halves are slow against r's nearby breakouts: all of the flow is slow, and
    its latency is the slower half's. The circuit is as slow from its own site a, 10 ms away:
    its peering location is the cause (guide 001 'Determine the appropriate meet-me location'),
    not the routes propagated to r."""
    d = _split_queries("a-inet")
    d["circuits"]["er"]["peering_location"] = "Tokyo"
    r = flow(results(d), "out/r/1")
    assert {b.front_end for b in r.trace.branches} == {"Amsterdam", "New York"}
    key = "distant-peering-location"
    assert (r.verdict.value, share(r), r.cause_key) == ("suboptimal", 1.0, key)
    assert r.culprit == ("circuits", "er", "peering_location")
    assert r.latency is not None and r.best is not None
    assert r.latency.ms == max(b.ms for b in r.trace.branches)
    assert r.latency.ms - r.best.ms > 300
