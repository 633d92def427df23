"""Causes and culprits of small designs that isolate one reason each: why a DIRECT
destination has no ExpressRoute route at a proxy-only site, a region-preferred circuit a site
cannot use, a loop caused by a DNS record, and what a site's given internet latency covers
(docs/flow-semantics.md; DESIGN.md "Flow semantics", "Latency")."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from _semantics import CATALOGS, flow, load, report, results, share
from emulation import designs_review2 as designs
from emulation.designs import breakout, circuit, design, site
from erplan.facts import dynamics_sets

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
        assert "site t takes no ExpressRoute routes (er_routes: false), although circuit f-er" in (
            r.cause
        )
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
    assert r.culprit == ("sites", "hq", "proxy", "mode")


# -- a loop caused by a DNS record that is not the published address ------------------------


def _record_slip(record: str) -> dict[str, Any]:
    """mail is published on 20.62.4.10 (translated to 10.184.1.10) at hq's breakout, which
    advertises 20.62.4.0/24; public DNS says ``record``. No circuit: every reply goes back by
    the internet."""
    return design(
        "a DNS record that is not the published address",
        {"hq": site("New York", ["10.184.0.0/16"])},
        breakouts={"hq-inet": breakout("hq", "20.62.4.1/32", "20.62.4.0/24")},
        services={
            "mail": {
                "fqdn": "mail.contoso.com",
                "dns_record": record,
                "public_address": "20.62.4.10",
                "internal_address": "10.184.1.10",
                "site": "hq",
                "entry": ["internet"],
                "initiator": "Exchange",
                "used_by_internet_users": True,
            }
        },
    )


def test_a_loop_from_a_dns_record_slip_names_the_record() -> None:
    """DESIGN "Inbound flow" 1: the record must lead to the service; a mismatch is a broken flow
    (guide 000 §6.2-§6.3). Here the internet routes the record's address to the breakout, which
    holds no mapping for it and sends it back by its default route: a loop, whose fix is the
    record, not the breakout where the loop was seen."""
    rs = results(_record_slip("20.62.4.20"))
    inbound = [r for r in rs if r.flow.direction.value == "inbound"]
    assert {r.flow.kind for r in inbound} >= {"internet", "microsoft-365"}
    for r in inbound:
        assert (r.verdict.value, r.cause_key, share(r)) == ("blackhole", "wrong-host", 1.0)
        assert r.culprit == ("services", "mail", "dns_record")
        assert "routing loop" in r.cause
    for r in results(_record_slip("20.62.4.10")):
        if r.flow.direction.value == "inbound":
            assert r.verdict.value == "ok", r.flow.key


# -- a preferred circuit a site cannot use ------------------------------------------------


def test_a_region_preferred_circuit_behind_a_scoped_site_names_that_sites_scope() -> None:
    """guide 000 §7.3.1 (cold potato): 'outbound connections to EU endpoints always go through
    the EU circuit'. hq prefers c2 for West Europe, but c2 attaches at dc, which takes no
    ExpressRoute routes (guide 001 Solution 1b: the path is removed for what lies behind it):
    dc's router sends those packets to its breakout. They work (verdict ok), but the design's
    policy is not what happens: a warning names dc's route scope."""
    data = designs.region_preferred_behind_a_scoped_site()
    rep = report(data)
    _, west = (es.id for es in dynamics_sets(load(data).design, CATALOGS))
    r = flow(rep, f"out/hq/{west}")
    assert (r.verdict.value, r.cause_key, share(r)) == ("ok", "ok", 0.0)
    (note,) = [f for f in rep.findings if f.code == "ERP816"]
    assert note.severity.value == "warning"
    assert note.subject == "sites.dc.er_routes"
    assert note.data == {"origin": "hq", "flows": 1, "share": 1.0}
    assert note.message == (
        "1 flow of hq (*.crm4.dynamics.com) leaves by the internet, by breakout:dc-inet: hq's "
        "routers send it by an ExpressRoute route via c2 (local preference 200 for regional "
        "community 12076:51002), but site dc on the way takes no ExpressRoute routes "
        "(er_routes: false) and forwards it by its default route"
    )
    # Where nothing is scoped on the way, the preferred circuit is used and nothing is said.
    plain = report(designs.region_preference_two_circuits())
    assert not [f for f in plain.findings if f.code == "ERP816"]


def _half_through_a_scoped_site() -> dict[str, Any]:
    """a reaches the circuit at f through t (scoped) or u (not), at equal cost."""
    d = design(
        "half of the way through a scoped site",
        {
            "a": site("Chicago", ["10.185.0.0/16"], breakout="a-inet"),
            "t": site("New York", ["10.186.0.0/16"], users=0, er_routes=False),
            "u": site("Philadelphia", ["10.187.0.0/16"], users=0),
            "f": site("Washington DC", ["10.188.0.0/16"], users=0),
        },
        wan=[
            {"between": ["a", "t"], "latency_ms": 10, "cost": 10},
            {"between": ["a", "u"], "latency_ms": 10, "cost": 10},
            {"between": ["t", "f"], "latency_ms": 5, "cost": 5},
            {"between": ["u", "f"], "latency_ms": 5, "cost": 5},
        ],
        breakouts={
            "a-inet": breakout("a", "20.63.5.1/32", "20.63.5.0/24"),
            "t-inet": breakout("t", "20.63.4.1/32", "20.63.4.0/24"),
        },
        circuits={
            "f-er": circuit(
                "f", "Washington DC", snat_pool="20.63.2.0/29", advertises=["20.63.2.0/29"]
            )
        },
    )
    return d


def test_a_scoped_transit_site_that_takes_part_of_a_flow_to_the_internet_gives_its_share() -> None:
    """a reaches the circuit at f through t (scoped) or u (not), at equal cost: half the
    connections cross t and leave by its breakout, the other half reach the circuit."""
    rep = report(_half_through_a_scoped_site())
    r = flow(rep, "out/a/1")
    assert r.share_affected == 0.0
    notes = [f for f in rep.findings if f.code == "ERP816"]
    assert [(f.subject, f.data["share"]) for f in notes] == [("sites.t.er_routes", 0.5)]
    assert notes[0].data == {"origin": "a", "flows": 5, "share": 0.5}
    assert notes[0].message == (
        "5 flows of a (*.mail.protection.outlook.com, *.protection.outlook.com, "
        "outlook.cloud.microsoft and 1 more) leave by the internet (50% of their connections), "
        "by breakout:t-inet: a's routers send them by an ExpressRoute route via f-er, but site t "
        "on the way takes no ExpressRoute routes (er_routes: false) and forwards them by its "
        "default route"
    )


# -- a given internet latency over a breakout elsewhere -------------------------------------


def _boston_over_the_wan(given: float, us_inet_up: bool = True) -> dict[str, Any]:
    """Boston has no breakout: New York's is nearest by IGP (10 ms), Washington's next (15 ms).
    Boston's users measured ``given`` to Microsoft over their internet egress."""
    return design(
        "a site leaving by a breakout elsewhere, with a given internet latency",
        {
            "mid": site("Boston", ["10.189.0.0/16"], users=10, internet_latency_ms=given),
            "us": site("New York", ["10.190.0.0/16"], users=0),
            "dc": site("Washington DC", ["10.191.0.0/16"], users=0),
        },
        wan=[
            {"between": ["mid", "us"], "latency_ms": 10},
            {"between": ["mid", "dc"], "latency_ms": 15},
        ],
        breakouts={
            "us-inet": breakout("us", "20.64.4.1/32", "20.64.4.0/24", up=us_inet_up),
            "dc-inet": breakout("dc", "20.64.6.1/32", "20.64.6.0/24"),
        },
    )


def test_a_given_internet_latency_over_a_breakout_elsewhere_is_judged() -> None:
    """DESIGN.md "Latency": a site's internet latency means user -> Microsoft network over that
    path. Boston's path is the WAN to New York's breakout: 200 ms over it is Boston's latency
    (not the estimate), and Washington's breakout, a few ms further by the WAN, is much
    faster: the flow is slow because of the breakout it leaves by (the site's `breakout`)."""
    r = flow(results(_boston_over_the_wan(200)), "out/mid/8")
    assert r.trace.branches[0].forward.edge == "breakout:us-inet"
    assert (r.verdict.value, r.cause_key, r.share_warned) == ("suboptimal", "breakout", 1.0)
    assert r.culprit == ("sites", "mid", "breakout")
    assert r.latency is not None and r.latency.ms == pytest.approx(200)
    assert r.best is not None and r.best.ms < 50


def test_a_given_internet_latency_is_not_lent_to_the_breakout_taken_when_the_nearest_is_down() -> (
    None
):
    """With New York's breakout down Boston leaves by Washington's: not the path its figure was
    measured over, so that leg is estimated again."""
    r = flow(results(_boston_over_the_wan(200, us_inet_up=False)), "out/mid/8")
    assert r.trace.branches[0].forward.edge == "breakout:dc-inet"
    assert (r.verdict.value, r.cause_key, share(r)) == ("ok", "ok", 0.0)
    assert r.latency is not None and r.latency.estimated and r.latency.ms < 50


def _down_by(how: str) -> dict[str, Any]:
    """hq's only circuit cannot hold a session: a device down on each link, or more
    prefixes advertised than Microsoft accepts on a session."""
    d = designs.pac_direct_circuit_down()
    c = d["circuits"]["c1"]
    c["up"] = True
    if how == "devices":
        c["links"] = {"primary": {"devices": ["fw1"]}, "secondary": {"devices": ["fw2"]}}
        d["devices"].update(
            {n: {"kind": "firewall", "site": "hq", "up": False} for n in ("fw1", "fw2")}
        )
    else:
        c["advertises"] += [f"20.70.{3 + i // 100}.{i % 100}/32" for i in range(200)]
    return d


def test_direct_refused_names_why_the_circuit_holds_no_session() -> None:
    """Every reason a circuit holds no session names its own object and says so: the link's
    state, a device on the links, the advertisements over the limit (200 per session)."""
    cases = [
        (_links_down(), ("circuits", "c1", "links", "primary", "up"), "its primary link is down"),
        (_down_by("devices"), ("devices", "fw1", "up"), "device fw1 on its primary link is down"),
        (
            _down_by("prefixes"),
            ("circuits", "c1", "advertises"),
            "its primary link advertises more than 200 prefixes",
        ),
        (designs.pac_direct_circuit_down(), ("circuits", "c1", "up"), "(up: false)"),
    ]
    for data, culprit, what in cases:
        r = flow(results(data), "out/hq/1")
        assert (r.verdict.value, r.cause_key, share(r)) == ("dropped", "direct-circuit-down", 1.0)
        assert r.culprit == culprit
        assert "circuit c1, which carries Exchange Online, is down (" in r.cause
        assert what in r.cause


def test_direct_refused_for_want_of_a_route_filter_names_the_nearest_circuit() -> None:
    """Neither circuit admits Exchange: the fix is the filter of the circuit the site would
    use, the nearest (hq's own), whatever the design lists first."""
    d = designs.pac_direct_filtered_out()
    d["sites"]["far"] = site("Chicago", ["10.192.0.0/16"], users=0)
    d["wan"] = [{"between": ["hq", "far"], "latency_ms": 20}]
    far = circuit("far", "Chicago", snat_pool="20.70.3.0/29", advertises=["20.70.3.0/29"])
    d["circuits"] = {"c0": {**far, "route_filter": ["Skype"]}, **d["circuits"]}
    r = flow(results(d), "out/hq/1")
    assert (r.verdict.value, r.cause_key, share(r)) == ("dropped", "direct-not-admitted", 1.0)
    assert r.culprit == ("circuits", "c1", "route_filter")
    assert "no circuit's route filter admits Exchange Online: circuit c1's admits SharePoint" in (
        r.cause
    )


def test_direct_refused_without_any_circuit_keeps_the_perimeter_cause() -> None:
    """No circuit at all: nothing could carry the name, the PAC file is what is wrong."""
    d = designs.pac_direct_without_routes(direct_internet=False)
    d["sites"]["hq"].pop("er_routes")
    del d["circuits"]
    r = flow(results(d), "out/hq/1")
    assert (r.verdict.value, r.cause_key, share(r)) == ("dropped", "no-direct-internet", 1.0)
    assert r.culprit == ("sites", "hq", "proxy", "mode")
