"""Why a working flow is slower than it should be, on small designs: the best the design
offers, the cause and its culprit (analyses/judge.py, the latency half; the points mutation
testing found unasserted, bench/README.md "Mutation testing")."""

from __future__ import annotations

from typing import Any

from _semantics import circuit, flow, owners, results, share, site, two_sites


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
    assert r.culprit == ("wan",)
