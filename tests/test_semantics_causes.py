"""Causes and culprits of small designs that isolate one reason each: why a DIRECT
destination has no ExpressRoute route at a proxy-only site, a region-preferred circuit a site
cannot use, a loop caused by a DNS record, and what a site's given internet latency covers
(docs/flow-semantics.md; DESIGN.md "Flow semantics", "Latency")."""

from __future__ import annotations

import copy
from typing import Any

from _semantics import flow, results, share
from emulation import designs_review2 as designs
from emulation.designs import breakout, circuit, design, site

ER_KEYS = ("out/hq/1", "out/hq/2", "out/hq/9", "out/hq/10")

# -- a DIRECT destination without an ExpressRoute route at a proxy-only site ----------------


def _links_down() -> dict[str, Any]:
    """hq's circuit is up, but both of its links are down."""
    d = designs.pac_direct_circuit_down()
    d["circuits"]["c1"]["up"] = True
    d["circuits"]["c1"]["links"] = {"primary": {"up": False}, "secondary": {"up": False}}
    return d


def _scoped_transit() -> dict[str, Any]:
    """a's users (proxy only, DIRECT for ExpressRoute-able names) reach the only circuit, at f,
    through t, which takes no ExpressRoute routes: t's router sends them to its breakout."""
    return design(
        "DIRECT through a scoped transit site",
        {
            "a": site(
                "Chicago",
                ["10.181.0.0/16"],
                proxy={"mode": "pac", "device": "px", "direct_internet": False},
            ),
            "t": site("New York", ["10.182.0.0/16"], users=0, er_routes=False),
            "f": site("Washington DC", ["10.183.0.0/16"], users=0),
        },
        wan=[{"between": ["a", "t"], "latency_ms": 20}, {"between": ["t", "f"], "latency_ms": 5}],
        breakouts={"t-inet": breakout("t", "20.61.4.1/32", "20.61.4.0/24")},
        circuits={
            "f-er": circuit(
                "f", "Washington DC", snat_pool="20.61.2.0/29", advertises=["20.61.2.0/29"]
            )
        },
        devices={"px": {"kind": "proxy", "site": "a", "address": "10.181.255.10"}},
    )


def test_direct_refused_for_want_of_links_names_the_link_that_is_down() -> None:
    """The circuit is up but no link holds a session: the link's state is what to change."""
    rs = results(_links_down())
    for key in ER_KEYS:
        r = flow(rs, key)
        assert (r.verdict.value, r.cause_key, share(r)) == ("dropped", "direct-circuit-down", 1.0)
        assert r.culprit == ("circuits", "c1", "links", "primary", "up")
    assert flow(rs, "out/hq/8").verdict.value == "ok"  # proxied: it never needed the circuit


def test_direct_refused_at_a_scoped_transit_site_names_that_sites_propagation() -> None:
    """a holds ExpressRoute routes and sends the packets towards f's circuit; t, on the way,
    holds none and sends them to its breakout, which refuses a's clients: what must change is
    t's route scope, not a's."""
    rs = results(_scoped_transit())
    for key in ("out/a/1", "out/a/2", "out/a/9", "out/a/10"):
        r = flow(rs, key)
        assert (r.verdict.value, r.cause_key, share(r)) == ("dropped", "direct-not-propagated", 1.0)
        assert r.culprit == ("sites", "t", "er_routes")
    # With t propagating the routes, the same packets leave by f's circuit.
    fixed = copy.deepcopy(_scoped_transit())
    fixed["sites"]["t"]["er_routes"] = True
    assert flow(results(fixed), "out/a/1").verdict.value in ("ok", "suboptimal")


def test_direct_refused_for_a_name_no_circuit_carries_keeps_the_perimeter_cause() -> None:
    """Not ExpressRoute-able at all (no PAC file sends it to the proxy): the perimeter's rule
    and the PAC file are what to change, as before (guide 000 §2.2)."""
    d = designs.pac_direct_without_routes(direct_internet=False)
    d["sites"]["hq"]["proxy"] = {"mode": "direct", "direct_internet": False}
    d["sites"]["hq"].pop("er_routes")
    r = flow(results(d), "out/hq/8")
    assert (r.verdict.value, r.cause_key, share(r)) == ("dropped", "no-direct-internet", 1.0)
    assert r.culprit == ("sites", "hq", "proxy", "direct_internet")
