"""Latency and optimality: given figures replace the estimate of the same legs, a flow is
suboptimal only beyond both thresholds, a trace's total is the sum of its hops
(DESIGN.md "Optimality", "Latency")."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import pytest

from _semantics import breakout, circuit, design, flow, results, site, two_sites


def _ny(
    access: float, breakout_ms: float | None = None, internet_ms: float | None = None
) -> dict[str, Any]:
    """One New York site: its breakout and a New York circuit with a given access latency."""
    return design(
        sites={"us": site("New York", "10.1.0.0/16", users=100, internet_latency_ms=internet_ms)},
        breakouts={"us-inet": breakout("us", "20.2.4.1/32", "20.2.4.0/24", latency_ms=breakout_ms)},
        circuits={"us-er": circuit("us", "New York", "20.2.2.0/29", access_latency_ms=access)},
    )


@pytest.mark.parametrize(
    ("internet", "access", "verdict"),
    [
        (100, 130, "ok"),  # 32 ms slower, but only 1.3 times
        (10, 30, "ok"),  # 3 times slower, but only 22 ms
        (40, 70, "suboptimal"),  # 32 ms and 1.8 times
        (100, 160, "suboptimal"),  # 62 ms and 1.6 times
    ],
)
def test_suboptimal_needs_both_thresholds(internet: float, access: float, verdict: str) -> None:
    """DESIGN.md "Optimality": "A flow is suboptimal beyond a threshold (default 25 ms and
    1.5x)" - both must be exceeded. The breakout's latency to Microsoft is given, the circuit's
    access latency too: ExpressRoute against the internet, like for like."""
    r = flow(results(_ny(access, breakout_ms=internet)), "out/us/1")
    assert r.verdict.value == verdict
    if verdict == "suboptimal":
        assert r.best is not None and r.best.ms == pytest.approx(internet, abs=0.01)


def test_thresholds_come_from_the_design() -> None:
    """docs/design-format.md analysis.suboptimal_ms / suboptimal_ratio."""
    d = _ny(70, breakout_ms=40)
    d["analysis"] = {"suboptimal_ms": 50, "suboptimal_ratio": 1.2}
    assert flow(results(d), "out/us/1").verdict.value == "ok"


def test_given_access_latency_is_the_leg_to_the_microsoft_edge() -> None:
    """DESIGN.md "Latency": given figures "replace the estimate of the same legs": the request
    reaches the MSEE after half the circuit's given round trip."""
    r = flow(results(_ny(40, breakout_ms=100)), "out/us/1")
    for b in r.trace.branches:
        msee = [h for h in b.forward.hops if h.node.startswith("msee:")]
        assert [h.ms for h in msee] == [20.0]
        assert not msee[0].estimated


def test_a_trace_total_is_the_sum_of_its_hops() -> None:
    """DESIGN.md "Latency": "A trace's total is the sum of the hops it shows"."""
    for r in results(_ny(40, breakout_ms=100)):
        for b in r.trace.branches:
            assert b.forward.ms == pytest.approx(sum(h.ms for h in b.forward.hops))
            if b.back is not None:
                assert b.back.ms == pytest.approx(sum(h.ms for h in b.back.hops))
                assert b.ms == pytest.approx(b.forward.ms + b.back.ms)


def test_given_internet_latency_replaces_the_estimate_for_the_best() -> None:
    """DESIGN.md "Latency": "a site's internet latency and a circuit's ExpressRoute latency mean
    user to the Microsoft network over that path ... and replace the estimate of the same legs".
    A single site with one breakout and no circuit has nothing better than its own breakout,
    whatever its latency."""
    d = _ny(40, internet_ms=100)
    del d["circuits"]
    r = flow(results(d), "out/us/8")
    assert r.verdict.value == "ok"


@pytest.mark.parametrize(
    ("internet", "access", "verdict"), [(100, 130, "ok"), (10, 40, "suboptimal")]
)
def test_given_internet_and_access_latency_are_compared_like_for_like(
    internet: float, access: float, verdict: str
) -> None:
    """DESIGN.md "Optimality": "with the same legs on the ExpressRoute and on the internet
    path": 130 ms over ExpressRoute against a given 100 ms over the internet is not 1.5 times
    slower; 40 against 10 is, and the best is the given 10 ms."""
    r = flow(results(_ny(access, internet_ms=internet)), "out/us/1")
    assert r.verdict.value == verdict
    assert r.best is None or r.best.ms == pytest.approx(internet, abs=0.01)


def test_proxied_flow_latency_includes_the_leg_to_the_proxy() -> None:
    """DESIGN.md "Optimality": "judged on the latency from the user to the Microsoft network
    where the front end is reached". eu's users reach their proxy in the US over a 300 ms WAN
    link; their latency cannot be the few ms from the proxy onwards."""
    d = two_sites()
    d["wan"][0]["latency_ms"] = 300
    d["sites"]["eu"]["proxy"] = {"mode": "all", "site": "us"}
    r = flow(results(d), "out/eu/1")
    assert r.latency is not None
    assert r.latency.ms >= 300
    # Against the best eu has to the same front end (its own breakout, then the backbone).
    assert (r.verdict.value, r.cause_key, r.culprit) == (
        "suboptimal",
        "distant-proxy",
        ("sites", "eu", "proxy"),
    )
    assert r.best is not None and r.best.ms < 150


def _band_design(suboptimal_ms: float, ratio: float) -> dict[str, Any]:
    d = _ny(70, breakout_ms=40)
    d["analysis"] = {"suboptimal_ms": suboptimal_ms, "suboptimal_ratio": ratio}
    return d


def _edge(guess: float, reaches: Callable[[float], bool]) -> float:
    """The least float for which ``reaches`` holds, near ``guess`` (``reaches`` is monotone)."""
    x = guess
    while reaches(x):
        x = math.nextafter(x, -math.inf)
    while not reaches(x):
        x = math.nextafter(x, math.inf)
    return x


def test_each_threshold_is_strict_at_its_edge() -> None:
    """DESIGN.md "Optimality": suboptimal *beyond* the threshold. With the margin (then the
    ratio) set exactly to what the flow loses, the flow is ok; a hair below, it is suboptimal,
    with the loss and the best it is compared against."""
    r = flow(results(_band_design(0, 1)), "out/us/1")
    assert r.verdict.value == "suboptimal" and r.latency is not None and r.best is not None
    lat, best = r.latency.ms, r.best.ms
    margin = _edge(lat - best, lambda m: best + m >= lat)
    ratio = _edge(lat / best, lambda x: best * x >= lat)
    assert flow(results(_band_design(margin, 1)), "out/us/1").verdict.value == "ok"
    assert flow(results(_band_design(0, ratio)), "out/us/1").verdict.value == "ok"
    below = flow(results(_band_design(math.nextafter(margin, 0), 1)), "out/us/1")
    assert (below.verdict.value, below.share, below.cause_key) == ("suboptimal", 1.0, r.cause_key)
    assert below.latency == r.latency and below.best == r.best
    below = flow(results(_band_design(0, math.nextafter(ratio, 0))), "out/us/1")
    assert below.verdict.value == "suboptimal"


def test_nothing_faster_than_the_margin_is_slow() -> None:
    """A flow whose whole path takes no more than the margin cannot lose more than the margin:
    it is ok whatever the ratio."""
    r = flow(results(_band_design(0, 1)), "out/us/1")
    assert r.latency is not None
    assert flow(results(_band_design(r.latency.ms, 1)), "out/us/1").verdict.value == "ok"
