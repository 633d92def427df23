"""Routing, hop by hop: route scope, transit routers deciding with their own tables, ties,
loops and what Microsoft accepts on a session (docs/flow-semantics.md "Routing")."""

from __future__ import annotations

import resource
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from _semantics import (
    breakout,
    circuit,
    design,
    edges,
    flow,
    inbound,
    one_site,
    owners,
    report,
    results,
    service,
    share,
    site,
    two_sites,
)

# -- route scope -----------------------------------------------------------------------------


def _scoped_server(transit_scoped: bool) -> dict[str, Any]:
    """Server site ``dc`` is scoped (er_routes: false); its internet entry and the circuit are
    at ``hub``, which the reply must cross."""
    return design(
        sites={
            "dc": site("New York", "10.30.0.0/16", er_routes=False),
            "hub": site("New York", "10.40.0.0/16", er_routes=not transit_scoped),
        },
        wan=[{"between": ["dc", "hub"], "latency_ms": 2}],
        breakouts={"hub-inet": breakout("hub", "1.1.1.0/24", "5.5.0.0/16")},
        circuits={"hub-er": circuit("hub", "New York", "1.1.2.0/24")},
        services={"x": service("dc", "5.5.5.5", "10.30.1.10", ["hub-inet"])},
    )


def test_scope_holds_when_every_router_on_the_reply_path_is_scoped() -> None:
    """flow-semantics "Inside the customer network": a site router with er_routes: false does
    not install the ExpressRoute routes; guide 001 Solution 1b: the reply takes the only
    route left, back through the perimeter it entered by."""
    r = inbound(results(_scoped_server(transit_scoped=True)), "x")
    assert r.verdict.value == "ok"
    assert edges(r) == {("breakout:hub-inet", "breakout:hub-inet", "ok"): 1.0}


def test_scope_of_the_server_site_alone_does_not_keep_the_reply_off_expressroute() -> None:
    """flow-semantics "Hop by hop means a transit router's own table decides: a packet from a
    scoped site (er_routes: false) that crosses a site holding ExpressRoute routes may leave
    by a circuit there". The reply heads for hub's circuit, away from the breakout that
    holds the destination-NAT session: guide 001 Problem 1, every connection broken."""
    r = inbound(results(_scoped_server(transit_scoped=False)), "x")
    assert r.verdict.value == "dropped"
    assert share(r) == 1.0
    assert r.cause_key == "inbound-return-elsewhere"
    assert owners(r, "forward") == {"breakout:hub-inet": 1.0}
    nodes = {h.node for b in r.trace.branches if b.back for h in b.back.hops}
    assert "ce:hub-er" in nodes  # the transit router sent it to its circuit


# -- transit routers decide with their own tables ------------------------------------------


def test_transit_site_breakout_intercepts_default_traffic() -> None:
    """flow-semantics: "a packet heading for a distant breakout leaves by the first breakout a
    transit router prefers". Site a's breakout is at f, beyond t; t's router sends default
    traffic to its own breakout."""
    d = design(
        sites={
            "a": site("Chicago", "10.1.0.0/16", users=100, breakout="far-inet"),
            "t": site("New York", "10.2.0.0/16"),
            "f": site("London", "10.3.0.0/16"),
        },
        wan=[{"between": ["a", "t"], "latency_ms": 20}, {"between": ["t", "f"], "latency_ms": 70}],
        breakouts={
            "t-inet": breakout("t", "20.2.4.1/32", "20.2.4.0/24"),
            "far-inet": breakout("f", "20.2.5.1/32", "20.2.5.0/24"),
        },
    )
    r = flow(results(d), "out/a/8")
    assert r.verdict.value in ("ok", "suboptimal")
    assert edges(r) == {("breakout:t-inet", "breakout:t-inet", "ok"): 1.0}


def _line(lp_t: int, lp_f: int) -> dict[str, Any]:
    """a - t - f in a line; a circuit at t and one at f, with their local preferences."""
    return design(
        sites={
            "a": site("Chicago", "10.1.0.0/16", users=100),
            "t": site("New York", "10.2.0.0/16"),
            "f": site("Washington DC", "10.3.0.0/16"),
        },
        wan=[{"between": ["a", "t"], "latency_ms": 20}, {"between": ["t", "f"], "latency_ms": 5}],
        breakouts={"a-inet": breakout("a", "20.2.5.1/32", "20.2.5.0/24")},
        circuits={
            "t-er": circuit("t", "New York", "20.2.2.0/29", local_preference=lp_t),
            "f-er": circuit("f", "Washington DC", "20.2.2.8/29", local_preference=lp_f),
        },
    )


@pytest.mark.parametrize(("lp_t", "lp_f", "expected"), [(100, 200, "f-er"), (200, 100, "t-er")])
def test_transit_router_applies_local_preference_not_its_own_proximity(
    lp_t: int, lp_f: int, expected: str
) -> None:
    """flow-semantics "Decision at each router: highest local_preference; then ... the lowest
    IGP distance": local preference travels with the route, so t (which holds a circuit of
    its own) forwards a's traffic to the preferred circuit even when that is not its own."""
    r = flow(results(_line(lp_t, lp_f)), "out/a/1")
    assert r.verdict.value in ("ok", "suboptimal")
    assert owners(r, "forward") == {f"circuit:{expected}": 1.0}
    assert owners(r, "back") == {f"circuit:{expected}": 1.0}


def _scoped_transit(t_breakout: str) -> dict[str, Any]:
    """a (ExpressRoute routes) reaches the only circuit, at f, through t (scoped)."""
    return design(
        sites={
            "a": site("Chicago", "10.1.0.0/16", users=100, breakout="a-inet"),
            "t": site("New York", "10.2.0.0/16", er_routes=False, breakout=t_breakout),
            "f": site("Washington DC", "10.3.0.0/16", breakout="a-inet"),
        },
        wan=[{"between": ["a", "t"], "latency_ms": 20}, {"between": ["t", "f"], "latency_ms": 5}],
        breakouts={
            "t-inet": breakout("t", "20.2.4.1/32", "20.2.4.0/24"),
            "a-inet": breakout("a", "20.2.5.1/32", "20.2.5.0/24"),
        },
        circuits={"f-er": circuit("f", "Washington DC", "20.2.2.0/29")},
    )


def test_scoped_transit_router_sends_expressroute_traffic_to_its_default_route() -> None:
    """flow-semantics "Hop by hop": a's router sends the packet towards the circuit, but t has
    no ExpressRoute route and uses its own default route: the flow leaves by t's breakout."""
    r = flow(results(_scoped_transit("t-inet")), "out/a/1")
    assert r.share_affected == 0.0
    assert edges(r) == {("breakout:t-inet", "breakout:t-inet", "ok"): 1.0}


def test_routing_loop_is_a_blackhole_not_a_hang() -> None:
    """flow-semantics "Verdicts": blackhole covers "a loop". a sends Exchange traffic to t
    (towards the circuit at f); t, scoped, sends it back to a's breakout: a loop."""
    r = flow(results(_scoped_transit("a-inet")), "out/a/1")
    assert r.verdict.value == "blackhole"
    assert share(r) == 1.0
    assert r.cause_key == "loop"


# -- ties after local preference and IGP distance -------------------------------------------


def _tie(good: str, bad: str, multipath: bool = False) -> dict[str, Any]:
    """Two circuits at one site, equal local preference, IGP distance 0: ``bad`` advertises
    another prefix than its pool, so Microsoft drops its translated sources."""
    return design(
        sites={"s": site("New York", "10.1.0.0/16", users=100, multipath=multipath)},
        breakouts={"inet": breakout("s", "20.2.4.1/32", "20.2.4.0/24")},
        circuits={
            good: circuit("s", "New York", "20.2.2.0/29"),
            bad: circuit("s", "New York", "20.2.2.8/29", advertises=["20.2.3.0/24"]),
        },
    )


@pytest.mark.parametrize(("good", "bad"), [("c1", "c2"), ("c2", "c1"), ("zz", "aa")])
def test_tie_between_a_working_and_a_broken_circuit(good: str, bad: str) -> None:
    """flow-semantics: "every path still tied is used (... without it the outcome depends on a
    tie-breaker the design does not state, and erplan says so)"; "The flow takes its worst
    branch's verdict, with the share of connections it affects"; "Renaming an object never
    changes a verdict" (DESIGN.md)."""
    rep = report(_tie(good, bad))
    r = flow(rep, "out/s/1")
    assert r.verdict.value == "dropped"
    assert share(r) == 0.5
    assert r.cause_key == "source-filter"
    assert r.culprit[:2] == ("circuits", bad)
    assert r.tie is True
    assert owners(r, "forward") == {f"circuit:{good}": 0.5, f"circuit:{bad}": 0.5}
    assert any(f.code == "ERP821" for f in rep.findings)


def test_tie_under_multipath_is_ecmp_by_definition() -> None:
    """flow-semantics: "multipath makes that explicit for a site": the same branches and share,
    but no undecided tie and no ERP821."""
    rep = report(_tie("c1", "c2", multipath=True))
    r = flow(rep, "out/s/1")
    assert (r.verdict.value, share(r), r.cause_key) == ("dropped", 0.5, "source-filter")
    assert r.tie is False
    assert not any(f.code == "ERP821" for f in rep.findings)


def _equal_rank(source_filter: str, link_down: str) -> dict[str, Any]:
    """Two tied circuits (multipath): one drops every connection at Microsoft's source filter,
    the other loses half its replies on a link whose firewall is down."""
    return design(
        sites={"s": site("New York", "10.1.0.0/16", users=100, multipath=True)},
        breakouts={"inet": breakout("s", "20.2.4.1/32", "20.2.4.0/24")},
        circuits={
            source_filter: circuit("s", "New York", "20.2.2.0/29", advertises=["20.2.3.0/24"]),
            link_down: circuit(
                "s", "New York", "20.2.2.8/29", links={"primary": {"devices": ["fw"]}}
            ),
        },
        devices={"fw": {"site": "s", "up": False}},
    )


def test_verdict_of_equal_rank_failures_does_not_depend_on_names() -> None:
    """DESIGN.md "Renaming an object never changes a verdict". The same two circuits under
    swapped names must give the same verdict, share and cause."""
    a = flow(results(_equal_rank("c1", "c2")), "out/s/1")
    b = flow(results(_equal_rank("c2", "c1")), "out/s/1")
    assert share(a) == share(b) == 0.75
    assert (a.verdict, a.cause_key) == (b.verdict, b.cause_key)


# -- what Microsoft accepts on a session -----------------------------------------------------


def _many(n: int) -> list[str]:
    return [f"30.{i // 256}.{i % 256}.0/24" for i in range(n)]


def test_more_than_200_prefixes_takes_the_sessions_down() -> None:
    """flow-semantics: routes are learned "on a session that is up (circuit and link up, at most
    200 prefixes sent)": us-er sends 201, so it carries nothing and us fails over to eu-er."""
    d = two_sites()
    d["circuits"]["us-er"]["advertises"] = ["20.2.2.0/29", *_many(200)]
    r = flow(results(d), "out/us/1")
    assert r.share_affected == 0.0
    assert owners(r, "forward") == {"circuit:eu-er": 1.0}
    assert owners(r, "back") == {"circuit:eu-er": 1.0}


def test_200_prefixes_are_accepted() -> None:
    """flow-semantics: "at most 200 prefixes sent" - 200 is still within the limit."""
    d = two_sites()
    d["circuits"]["us-er"]["advertises"] = ["20.2.2.0/29", *_many(199)]
    r = flow(results(d), "out/us/1")
    assert r.verdict.value == "ok"
    assert owners(r, "forward") == {"circuit:us-er": 1.0}


def test_over_the_limit_on_one_link_takes_down_that_link_only() -> None:
    """docs/design-format.md: a link's advertisements are sent "on this link only, besides the
    circuit's": 150 + 51 on the primary is over the limit there, 150 on the secondary is not."""
    d = two_sites()
    del d["circuits"]["eu-er"]
    d["circuits"]["us-er"]["advertises"] = ["20.2.2.0/29", *_many(149)]
    d["circuits"]["us-er"]["links"] = {
        "primary": {"advertises": [f"31.0.{i}.0/24" for i in range(51)]}
    }
    r = flow(results(d), "out/us/1")
    assert r.verdict.value == "ok"
    assert edges(r) == {("circuit:us-er/secondary", "circuit:us-er/secondary", "ok"): 1.0}


def test_private_prefix_is_not_learned_nor_accepted_as_a_source() -> None:
    """flow-semantics "Microsoft": learned prefixes are "accepted: public, not a default route";
    "The MSEE drops a packet from the customer whose source is outside the circuit's accepted
    advertised prefixes". No pool, the site's private prefix advertised: all dropped."""
    d = two_sites()
    d["circuits"]["us-er"] = circuit("us", "New York", None, advertises=["10.1.0.0/16"])
    r = flow(results(d), "out/us/1")
    assert r.verdict.value == "dropped"
    assert share(r) == 1.0
    assert r.cause_key == "source-filter"


def _limit_memory() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (1 << 28, 1 << 28))


_DEFAULT_ADVERTISED = """
import sys
sys.path.insert(0, {tests!r})
from _semantics import one_site, results, flow
r = flow(results(one_site(advertises=["20.2.2.0/29", "0.0.0.0/0"])), "out/us/1")
print(r.verdict.value, r.share_affected)
"""


def test_default_route_advertisement_is_ignored_not_a_hang() -> None:
    """flow-semantics "Microsoft": learned prefixes are "accepted: public, not a default
    route". A circuit that also sends 0.0.0.0/0 still works through its pool; the check
    finishes (run apart, with bounded memory and time)."""
    code = _DEFAULT_ADVERTISED.format(tests=str(Path(__file__).parent))
    try:
        proc = subprocess.run(
            [sys.executable, "-c", code],
            capture_output=True,
            text=True,
            timeout=30,
            preexec_fn=_limit_memory,
            check=False,
        )
    except subprocess.TimeoutExpired:
        pytest.fail("verify did not finish")
    assert proc.returncode == 0, proc.stderr[-500:]
    assert proc.stdout.split() == ["ok", "0.0"]


def _prepended(asn: int, prepend_asn: int | None = None) -> dict[str, Any]:
    """A US service advertised on both circuits, prepended three times on the far (EU) one;
    each entry source-NATs into its own pool."""
    d = two_sites()
    d["sites"]["us"]["users"] = d["sites"]["eu"]["users"] = 0
    for c in ("us-er", "eu-er"):
        d["circuits"][c]["advertises"].append("20.2.3.0/24")
        d["circuits"][c]["peer_asn"] = asn
    d["circuits"]["eu-er"]["prepend"] = {"20.2.3.0/24": 3}
    if prepend_asn is not None:
        d["circuits"]["eu-er"]["prepend_asn"] = prepend_asn
    d["services"] = {
        "mail": service(
            "us",
            "20.2.3.59",
            "10.1.5.5",
            ["expressroute"],
            inbound_snat={"us-er": "10.255.1.0/28", "eu-er": "10.255.2.0/28"},
        )
    }
    return d


def test_public_asn_prepend_keeps_microsoft_off_the_far_circuit() -> None:
    """flow-semantics "Microsoft": "then the shortest AS path (... prepends count unless the
    prepending ASN is private)"; guide 000 §7.4.1."""
    r = inbound(results(_prepended(394500)), "mail")
    assert r.verdict.value == "ok"
    assert owners(r, "forward") == {"circuit:us-er": 1.0}


@pytest.mark.parametrize(("asn", "prepend_asn"), [(65010, None), (394500, 65010)])
def test_private_asn_makes_prepending_ineffective(asn: int, prepend_asn: int | None) -> None:
    """DESIGN.md: "Microsoft strips private ASNs from paths learned on the Microsoft peering,
    so prepending a private ASN changes nothing on Microsoft's side": ECMP over all four links
    (the far entry works - it has its own pool - but is slower)."""
    r = inbound(results(_prepended(asn, prepend_asn)), "mail")
    assert r.share_affected == 0.0
    assert owners(r, "forward") == {"circuit:us-er": 0.5, "circuit:eu-er": 0.5}
    assert r.verdict.value == "suboptimal"
    assert r.cause_key == "far-entry"


def test_zero_cost_wan_link_makes_no_loop() -> None:
    """docs/design-format.md wan.cost (>= 0; default: the latency) and flow-semantics "IGP":
    "Every equal-cost next hop is used" - a next hop on a shortest path, which a leaf site
    joined at cost 0 is not. eu reaches us-er; a hostless leaf hangs off eu at latency 0."""
    d = two_sites()
    del d["circuits"]["eu-er"]
    d["sites"]["leaf"] = site("Amsterdam", "10.9.0.0/16")
    d["wan"].append({"between": ["eu", "leaf"], "latency_ms": 0})
    r = flow(results(d), "out/eu/1")
    assert r.share_affected == 0.0
    assert owners(r, "forward") == {"circuit:us-er": 1.0}


def test_region_preference_has_no_effect_on_microsoft_365_prefixes() -> None:
    """DESIGN.md: "Microsoft 365 prefixes carry service communities only (no regional ones): a
    'cold potato' per-region preference cannot be applied to them ... A design that relies on
    it is flagged, and the engine treats the preference as absent for those prefixes"."""
    plain = two_sites()
    cold = two_sites()
    cold["circuits"]["eu-er"]["region_preference"] = {"East US": 400, "West Europe": 400}
    rep = report(cold)
    for key in ("out/us/1", "out/eu/1"):
        a, b = flow(results(plain), key), flow(rep, key)
        assert (a.verdict, a.share_affected, edges(a)) == (b.verdict, b.share_affected, edges(b))
    assert any(f.code == "ERP820" for f in rep.findings)


def _proxy_with_egress(egress: str, up: bool = True) -> dict[str, Any]:
    """A PAC site whose proxy device leaves by a breakout of its own (``egress``): hq-inet is
    the site's breakout, hq-inet2 a second one at the same site."""
    d = one_site()
    d["sites"]["us"]["proxy"] = {"mode": "pac", "device": "px"}
    d["breakouts"]["us-inet2"] = breakout("us", "20.2.6.1/32", "20.2.6.0/24", up=up)
    d["devices"] = {
        "px": {"kind": "proxy", "site": "us", "address": "10.1.255.10", "egress": egress}
    }
    return d


def test_a_proxy_leaves_by_its_own_egress() -> None:
    """docs/design-format.md devices.egress: "the breakout its connections and DNS queries leave
    by" - its connections too, not only its queries, although the site's default route leads to
    the site's own breakout."""
    r = flow(results(_proxy_with_egress("us-inet2")), "out/us/8")
    assert r.verdict.value == "ok"
    assert owners(r, "forward") == {"breakout:us-inet2": 1.0}
    assert owners(r, "back") == {"breakout:us-inet2": 1.0}
    plain = flow(results(_proxy_with_egress("us-inet")), "out/us/8")
    assert owners(plain, "forward") == {"breakout:us-inet": 1.0}


def test_a_proxy_whose_egress_is_down_does_not_fail_over() -> None:
    """A proxy bound to its egress gets no answer when that breakout is down (its DNS queries
    leave there too): the flows it carries are unreachable, not quietly moved."""
    r = flow(results(_proxy_with_egress("us-inet2", up=False)), "out/us/8")
    assert r.verdict.value in ("unreachable", "blackhole")
    assert share(r) == 1.0
