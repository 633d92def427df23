"""Parallel WAN links between the same two sites (engine/build.py, engine/segments.py): those
of equal cost are each a path, an equal share each at its own latency, as OSPF ECMP runs them
(DESIGN.md "Tables": "every tied path is a possible path"); the cheapest alone carry the
traffic; a link down leaves the others all of it; and the order the links are listed in never
changes a verdict ("Renaming an object never changes a verdict")."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from _semantics import CATALOGS, breakout, circuit, design, flow, results, share, site
from erplan.analyses.verdicts import FlowResult
from erplan.engine import Engine
from erplan.load import load_mapping
from test_semantics_properties import EXAMPLES, example, per_flow

FLOW = "out/a/1"  # a's users to Microsoft, over the WAN to b's circuit or breakout


def _link(lat: float, cost: float = 10, **extra: Any) -> dict[str, Any]:
    return {"between": ["a", "b"], "latency_ms": lat, "cost": cost, **extra}


def _design(*wan: dict[str, Any]) -> dict[str, Any]:
    """Users at a, every way out at b, a and b joined by the links ``wan``."""
    return design(
        sites={
            "a": site("New York", "10.1.0.0/16", users=100),
            "b": site("New York", "10.2.0.0/16"),
        },
        wan=list(wan),
        breakouts={"b-inet": breakout("b", "20.2.4.1/32", "20.2.4.0/24")},
        circuits={"b-er": circuit("b", "New York", "20.2.2.0/29")},
    )


def _wan_legs(r: FlowResult, which: str) -> dict[float, float]:
    """Share per one-way latency of the WAN leg (the hop reaching site b going out, site a
    coming back) over the flow's branches."""
    at = "site:b" if which == "forward" else "site:a"
    out: dict[float, float] = {}
    for b in r.trace.branches:
        path = b.forward if which == "forward" else b.back
        assert path is not None
        ms = next(h.ms for h in path.hops if h.node == at)
        out[ms] = round(out.get(ms, 0.0) + b.weight, 9)
    return out


@pytest.mark.parametrize("order", [1, -1])
def test_equal_cost_parallel_links_each_carry_half_at_their_own_latency(order: int) -> None:
    """5 ms and 150 ms at the same cost: half the connections go out over each and half come
    back over each (the legs are one-way, half the round trip)."""
    d = _design(*[_link(5), _link(150)][::order])
    r = flow(results(d), FLOW)
    assert _wan_legs(r, "forward") == {2.5: 0.5, 75.0: 0.5}
    assert _wan_legs(r, "back") == {2.5: 0.5, 75.0: 0.5}
    # Some branch over the slow link is slower than the best the design offers (the fast
    # link both ways): three quarters of the connections.
    assert (r.verdict.value, share(r)) == ("suboptimal", 0.75)


def test_the_igp_latency_between_sites_is_the_fastest_parallel_links() -> None:
    """As for equal-cost paths through other sites: the fastest one's round trip."""
    for wan in ([_link(150), _link(5)], [_link(5), _link(150)]):
        igp = Engine(load_mapping(copy.deepcopy(_design(*wan))).design, CATALOGS).igp
        lat = igp.latency("site:a", "site:b")
        assert lat is not None and lat.ms == 5


@pytest.mark.parametrize("order", [1, -1])
def test_the_cheaper_parallel_link_carries_everything(order: int) -> None:
    d = _design(*[_link(5, cost=20), _link(150, cost=10)][::order])
    r = flow(results(d), FLOW)
    assert _wan_legs(r, "forward") == {75.0: 1.0}
    assert _wan_legs(r, "back") == {75.0: 1.0}
    assert r.verdict.value == "ok"


@pytest.mark.parametrize("order", [1, -1])
def test_with_one_parallel_link_down_the_other_carries_everything(order: int) -> None:
    d = _design(*[_link(5, up=False), _link(150)][::order])
    r = flow(results(d), FLOW)
    assert _wan_legs(r, "forward") == {75.0: 1.0}
    assert _wan_legs(r, "back") == {75.0: 1.0}
    assert (r.verdict.value, r.latency is not None and r.latency.ms > 150) == ("ok", True)


def test_with_every_parallel_link_down_nothing_crosses() -> None:
    d = _design(_link(5, up=False), _link(150, up=False))
    r = flow(results(d), FLOW)
    assert r.verdict.value == "unreachable"
    assert share(r) == 1.0


# -- the order of the WAN links ----------------------------------------------------------------

WITH_WAN = [p for p in EXAMPLES if example(p).get("wan")]


def _answers(d: dict[str, Any]) -> dict[str, tuple[Any, ...]]:
    """Per flow its verdict, shares, cause, branches (``per_flow``) and latency."""
    rows = results(d)
    lat = {f.key: r.latency.ms if r.latency else None for r in rows for f in r.flows}
    return {k: (*v, lat[k]) for k, v in per_flow(rows).items()}


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    path=st.sampled_from(WITH_WAN),
    data=st.data(),
    extra=st.integers(min_value=1, max_value=300),
    up=st.booleans(),
)
def test_listing_the_wan_links_reversed_changes_no_verdict(
    path: Path, data: st.DataObject, extra: int, up: bool
) -> None:
    """An example with a twin of one of its WAN links (same sites and cost, ``extra`` ms
    slower, up or down): listed reversed, every flow's verdict, shares, cause, culprit,
    branches and latency stay the same."""
    d = example(path)
    wan = d["wan"]
    i = data.draw(st.integers(min_value=0, max_value=len(wan) - 1))
    orig = wan[i]
    lat = orig.get("latency_ms")
    twin = {
        "between": list(orig["between"]),
        "latency_ms": (lat if lat is not None else 10) + extra,
        "cost": orig.get("cost", lat if lat is not None else 10),
        "up": up,
    }
    if "cost" not in orig:
        orig["cost"] = twin["cost"]
    wan.insert(i + 1, twin)
    flipped = copy.deepcopy(d)
    flipped["wan"] = flipped["wan"][::-1]
    assert _answers(flipped) == _answers(d)
