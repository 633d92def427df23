"""Dynamics 365 (CRM Online) endpoint sets and the per-region ('cold potato') preference of
guide 000 §7.3.1: it acts on the routes that carry a regional community, the Dynamics 365
prefixes, and never on Microsoft 365 prefixes, which carry service communities only.

Every prefix given for Dynamics 365 here is an RFC 5737 documentation range."""

from __future__ import annotations

from ipaddress import IPv4Address, IPv4Network
from pathlib import Path
from typing import Any

import pytest

from _designs import CATALOGS, load, run, two_sites
from erplan.analyses.verdicts import FlowResult, Report
from erplan.catalogs import DynamicsRegion
from erplan.diagnostics import InputError
from erplan.engine import Engine
from erplan.engine.routes import Regional
from erplan.load import load_text

US_ORG = "198.51.100.0/25"  # documentation range standing for East US Dynamics 365 prefixes
EU_ORG = "203.0.113.0/25"  # ... and for West Europe


def _region(name: str) -> DynamicsRegion:
    found = CATALOGS.dynamics_region(name)
    assert found is not None
    return found


EAST_US = _region("East US")
WEST_EUROPE = _region("West Europe")
RF_CRM = ["Exchange", "SharePoint", "Skype", "Other Office 365", "CRM Online"]


def cold_potato(wan_ms: float = 60, **tenant: Any) -> dict[str, Any]:
    """Figure 17's two sites and circuits, both admitting CRM Online, each preferring the
    regional community of its own region; Dynamics 365 in East US and West Europe."""
    d = two_sites()
    d["wan"][0]["latency_ms"] = wan_ms
    d["tenant"] = {
        "geography": "US",
        "dynamics": {"East US": {"prefixes": [US_ORG]}, "West Europe": {"prefixes": [EU_ORG]}},
        **tenant,
    }
    for name, region in (("us-er", "East US"), ("eu-er", "West Europe")):
        d["circuits"][name]["route_filter"] = list(RF_CRM)
        d["circuits"][name]["region_preference"] = {region: 200}
    return d


def flow(report: Report, key: str) -> FlowResult:
    """The row holding the flow (flows that share a trace share a row)."""
    return next(r for r in report.results if any(f.key == key for f in r.flows))


def out_by(r: FlowResult) -> set[str]:
    return {(b.forward.edge or "").split("/", 1)[0] for b in r.trace.branches}


def codes(report: Report) -> set[str]:
    return {f.code for f in report.findings}


# -- the catalog ------------------------------------------------------------------------------
def test_every_dynamics_region_has_its_communities_and_a_front_end() -> None:
    assert CATALOGS.dynamics_regions
    ids = [r.id for r in CATALOGS.dynamics_regions]
    assert len(set(ids)) == len(ids)
    assert not set(ids) & {es.id for es in CATALOGS.endpoint_sets}  # apart from the web service
    for r in CATALOGS.dynamics_regions:
        es = CATALOGS.dynamics_set(r.region)
        rc = CATALOGS.regional_community(r.region)
        assert es is not None and rc is not None
        assert es.community == "12076:5040" and es.regional_community == rc.community
        assert not es.ips and not es.express_route  # no prefixes shipped
        fe = CATALOGS.region_front_end(r.region)
        assert fe is not None and fe.region == r.region
    crm = CATALOGS.service("Dynamics 365")
    assert crm is not None and crm.community == "12076:5040" and not crm.authorization


def test_a_design_adds_its_prefixes_and_nothing_else() -> None:
    cat = CATALOGS.for_tenant({"West Europe": [IPv4Network(EU_ORG)]})
    es = cat.endpoint_set(WEST_EUROPE.id)
    assert es is not None and es.express_route and [str(p) for p in es.ips] == [EU_ORG]
    assert CATALOGS.endpoint_set(WEST_EUROPE.id) is None  # the shipped catalogs are unchanged
    assert len(cat.endpoint_sets) == len(CATALOGS.endpoint_sets) + 1
    assert CATALOGS.for_tenant({}) is CATALOGS


# -- the engine: cold potato for Dynamics 365, hot potato for Microsoft 365 ------------------------
def test_each_site_reaches_each_environment_by_the_circuit_of_its_region() -> None:
    report = run(cold_potato())
    for site in ("us", "eu"):
        assert out_by(flow(report, f"out/{site}/{EAST_US.id}")) == {"circuit:us-er"}
        assert out_by(flow(report, f"out/{site}/{WEST_EUROPE.id}")) == {"circuit:eu-er"}
        # Microsoft 365 keeps hot potato: each site by its own circuit.
        assert out_by(flow(report, f"out/{site}/1")) == {f"circuit:{site}-er"}
    for r in report.results:
        assert r.verdict.value == "ok", r.flow.key
    assert "ERP820" not in codes(report)


def test_the_preference_is_absent_for_microsoft_365_prefixes() -> None:
    """The naive reading (the circuit's preference applied to all its routes) would send the
    New York users' Exchange traffic to Amsterdam; a circuit-wide local preference really does,
    and is judged suboptimal for it."""
    d = cold_potato()
    d["circuits"]["eu-er"]["region_preference"] = {"West Europe": 300}
    d["circuits"]["us-er"].pop("region_preference")
    report = run(d)
    assert out_by(flow(report, "out/us/1")) == {"circuit:us-er"}
    assert flow(report, "out/us/1").verdict.value == "ok"
    assert out_by(flow(report, f"out/us/{WEST_EUROPE.id}")) == {"circuit:eu-er"}
    d["circuits"]["eu-er"]["local_preference"] = 300
    naive = flow(run(d), "out/us/1")
    assert out_by(naive) == {"circuit:eu-er"}
    assert naive.verdict.value == "suboptimal" and naive.cause_key == "local-preference"


def test_route_classes_keep_regional_communities_for_dynamics_only() -> None:
    loaded = load(cold_potato())
    e = Engine(loaded.design, CATALOGS)
    dyn = e.tables.routes.route_class(int(IPv4Address("203.0.113.10")))
    assert isinstance(dyn, Regional) and dyn.regional == {"12076:51002"}
    assert dyn.circuits == {"us-er", "eu-er"}
    exo = e.catalogs.endpoint_set(1)
    assert exo is not None
    m365 = e.tables.routes.route_class(int(exo.ips[0].network_address) + 1)
    assert isinstance(m365, frozenset) and m365 == {"us-er", "eu-er"}
    assert e.tables.routes.preference("eu-er", dyn.regional) == 200
    assert e.tables.routes.preference("us-er", dyn.regional) == 100
    assert e.tables.routes.preference("eu-er") == 100


def test_the_name_resolves_at_the_region_whatever_resolver_asks() -> None:
    report = run(cold_potato())
    for site in ("us", "eu"):
        for es, fe in ((WEST_EUROPE, "Amsterdam"), (EAST_US, "Boydton")):
            r = flow(report, f"out/{site}/{es.id}")
            assert {f.front_end for f in r.flows if f.key == f"out/{site}/{es.id}"} == {fe}


def test_cold_potato_over_a_slow_wan_is_suboptimal_and_names_the_preference() -> None:
    """Guide 000 §7.3.1: cold potato is the preferred policy only when the customer's network
    is faster than Microsoft's between the regions."""
    r = flow(run(cold_potato(wan_ms=250)), f"out/us/{WEST_EUROPE.id}")
    assert out_by(r) == {"circuit:eu-er"}
    assert r.verdict.value == "suboptimal" and r.cause_key == "region-preference"
    assert list(r.culprit) == ["circuits", "eu-er", "region_preference"]


def test_hot_potato_for_dynamics_is_not_blamed_on_the_resolver() -> None:
    """Without a per-region preference each site leaves by its own circuit and Microsoft's
    backbone carries the rest (guide 000 §7.3.1, policy 1). Where the name resolves does not
    depend on the resolver, so a distant resolver is never the cause."""
    d = cold_potato()
    for c in d["circuits"].values():
        c.pop("region_preference")
    report = run(d)
    for key, circuit in (
        (f"out/eu/{EAST_US.id}", "circuit:eu-er"),
        (f"out/us/{WEST_EUROPE.id}", "circuit:us-er"),
    ):
        r = flow(report, key)
        assert out_by(r) == {circuit}
        assert r.verdict.value == "ok", (key, r.cause_key)


def test_without_crm_online_in_a_route_filter_dynamics_goes_over_the_internet() -> None:
    d = cold_potato()
    for c in d["circuits"].values():
        c["route_filter"] = ["Exchange", "SharePoint", "Skype", "Other Office 365"]
    report = run(d)
    assert out_by(flow(report, f"out/us/{WEST_EUROPE.id}")) == {"breakout:us-inet"}
    assert {"ERP750", "ERP751", "ERP820"} <= codes(report)


def test_an_environment_without_prefixes_is_reached_over_the_internet() -> None:
    d = cold_potato()
    d["tenant"]["dynamics"]["West Europe"] = {}
    report = run(d)
    r = flow(report, f"out/eu/{WEST_EUROPE.id}")
    assert out_by(r) == {"breakout:eu-inet"}
    assert not next(f for f in r.flows if f.key == f"out/eu/{WEST_EUROPE.id}").express_route
    assert out_by(flow(report, f"out/us/{EAST_US.id}")) == {"circuit:us-er"}


def test_a_region_preference_without_dynamics_is_still_noted() -> None:
    d = two_sites()
    d["circuits"]["us-er"]["region_preference"] = {"West Europe": 300}
    assert "ERP820" in codes(run(d))
    d2 = cold_potato()
    d2["circuits"]["eu-er"]["region_preference"] = {"North Europe": 200}  # no environment there
    found = [f for f in run(d2).findings if f.code == "ERP820"]
    assert [f.subject for f in found] == ["circuits.eu-er.region_preference"]


# -- loading ------------------------------------------------------------------------------------
EXAMPLE = (
    Path(__file__).resolve().parent.parent / "examples" / "g000-s731-dynamics-cold-potato.yaml"
)


@pytest.mark.parametrize(
    ("old", "new", "code", "line", "col"),
    [
        (
            "region_preference: {East US: 200}",
            "region_preference: {East Usa: 200}",
            "ERP040",
            62,
            25,
        ),
        ("    West Europe:\n      prefixes", "    Westeros:\n      prefixes", "ERP041", 30, 5),
        ("[203.0.113.0/25]", "[20.2.2.0/24]", "ERP042", 31, 18),
        ("[203.0.113.0/25]", "[198.51.100.64/26]", "ERP042", 31, 18),
    ],
)
def test_bad_dynamics_input_is_refused_at_its_position(
    old: str, new: str, code: str, line: int, col: int
) -> None:
    text = EXAMPLE.read_text(encoding="utf-8")
    assert old in text
    with pytest.raises(InputError) as err:
        load_text(text.replace(old, new, 1), "d.yaml", CATALOGS)
    found = [
        (f.code, f.location.line, f.location.column)
        for f in err.value.findings
        if f.location is not None
    ]
    assert found == [(code, line, col)], [f.render() for f in err.value.findings]


# -- PAC files ----------------------------------------------------------------------------------
def test_a_pac_sends_dynamics_names_direct_only_where_they_have_a_route() -> None:
    """Guide 000 §2.2: the ExpressRoute-able names go DIRECT, the rest to the proxy; a Dynamics
    365 environment whose prefixes no route filter admits has no ExpressRoute route."""
    from erplan.generators.pac import render_pac
    from erplan.generators.plan import plan

    d = cold_potato()
    d["sites"]["us"]["proxy"] = {"mode": "pac"}
    p = plan(load(d), CATALOGS)
    text = render_pac(p, next(s for s in p.sites if s.site == "us"), "2026-01-01")
    assert '"*.crm4.dynamics.com")) { return "DIRECT"; }' in text
    assert '"*.crm.dynamics.com")) { return "DIRECT"; }' in text
    d["tenant"]["dynamics"]["West Europe"] = {}
    p = plan(load(d), CATALOGS)
    text = render_pac(p, next(s for s in p.sites if s.site == "us"), "2026-01-01")
    assert '"*.crm4.dynamics.com")) { return "DIRECT"; }' not in text
    assert '"*.crm.dynamics.com")) { return "DIRECT"; }' in text


def test_connection_tables_list_dynamics_with_its_cold_potato() -> None:
    """Guide 001's connection-property table for CRM Online: its names and the routing policy
    the circuits apply to it (cold potato), while Microsoft 365's stays hot potato."""
    from erplan.generators.tables import connection_tables

    d = cold_potato()
    tables = {t.title: t for t in connection_tables(load(d).design, CATALOGS, run(d))}
    crm = "\n".join(str(row) for row in tables["Outbound: CRM Online"].rows)
    assert "*.crm4.dynamics.com" in crm and "'cold potato'" in crm
    exo = "\n".join(str(row) for row in tables["Outbound: Exchange Online"].rows)
    assert "'hot potato'" in exo and "'cold potato'" not in exo


def test_a_region_name_with_a_bidi_override_is_refused_once() -> None:
    text = EXAMPLE.read_text(encoding="utf-8").replace(
        "    West Europe:\n", '    "West\\u202eEurope":\n', 1
    )
    with pytest.raises(InputError) as err:
        load_text(text, "d.yaml", CATALOGS)
    assert [f.code for f in err.value.findings] == ["ERP016"]


def test_a_server_may_connect_to_a_dynamics_environment_of_the_tenant() -> None:
    d = cold_potato()
    d["sites"]["eu"]["prefixes"] = ["10.2.0.0/16"]
    d["servers"] = {
        "crm-sync": {
            "site": "eu",
            "address": "10.2.0.50",
            "connects_to": ["org.crm4.dynamics.com", str(EAST_US.id)],
        }
    }
    report = run(d)
    assert out_by(flow(report, f"srv/crm-sync/{WEST_EUROPE.id}")) == {"circuit:eu-er"}
    assert out_by(flow(report, f"srv/crm-sync/{EAST_US.id}")) == {"circuit:us-er"}
    d["servers"]["crm-sync"]["connects_to"] = ["org.crm11.dynamics.com"]  # UK: not the tenant's
    with pytest.raises(InputError) as err:
        load(d)
    assert [f.code for f in err.value.findings] == ["ERP027"]
