"""Causes and fixes that name the right thing: a row of several endpoint sets names every
service it covers, an inbound fix fits the path the request entered by (DESIGN.md "Flow
semantics": each verdict carries "the cause in plain words, the fix and the guide section")."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from ruamel.yaml import YAML

from _semantics import CATALOGS, report
from emulation.designs import breakout, circuit, design, site

EXAMPLES = Path(__file__).parent.parent / "examples"
SERVICES = ("Exchange Online", "SharePoint Online", "Skype for Business Online")


def _proxy_only(**circuit_extra: Any) -> dict[str, Any]:
    """hq's clients may not go out directly and send everything DIRECT (no PAC file): its
    ExpressRoute-able sets of three services share one route class, so one row."""
    d = design(
        "DIRECT without an ExpressRoute route, three services",
        {
            "hq": site(
                "New York",
                ["10.190.0.0/16"],
                proxy={"mode": "direct", "direct_internet": False},
            )
        },
        breakouts={"hq-inet": breakout("hq", "20.70.4.1/32", "20.70.4.0/24")},
        circuits={
            "c1": circuit(
                "hq",
                "New York",
                snat_pool="20.70.2.0/29",
                advertises=["20.70.2.0/29"],
                **circuit_extra,
            )
        },
    )
    d["tenant"]["services"] = ["Exchange", "SharePoint", "Skype"]
    return d


def _scoped() -> dict[str, Any]:
    d = _proxy_only()
    d["sites"]["hq"]["er_routes"] = False
    return d


@pytest.mark.parametrize(
    ("data", "key"),
    [
        (_scoped(), "direct-not-propagated"),
        (_proxy_only(up=False), "direct-circuit-down"),
        (_proxy_only(route_filter=["Other Office 365"]), "direct-not-admitted"),
    ],
)
def test_a_row_of_several_sets_names_every_service(data: dict[str, Any], key: str) -> None:
    """The sets of three services fall to the default route for one reason: the row's cause
    (text and JSON) names all three, not only the first flow's."""
    rep = report(data)
    rows = [r for r in rep.results if r.cause_key == key]
    assert len(rows) == 1 and len({f.endpoint_set for f in rows[0].flows}) > 3
    row = rows[0]
    for text in (row.cause, row.to_dict()["cause"]):
        for name in SERVICES:
            assert name in text, (name, text)
    (found,) = [f for f in rep.findings if f.data.get("cause_key") == key]
    assert all(name in found.message for name in SERVICES)


def test_a_row_no_circuit_admits_names_its_sets_that_are_not_expressroutable() -> None:
    """The row no circuit's filter admits holds the sets that are not ExpressRoute-able at all
    too (they fall to the default route alike): no route filter can fix those (guide 000 §2.1),
    and the cause (text, JSON, finding) names exactly them."""
    rep = report(_proxy_only(route_filter=["Other Office 365"]))
    (row,) = [r for r in rep.results if r.cause_key == "direct-not-admitted"]
    ids = {f.endpoint_set for f in row.flows if f.endpoint_set is not None}
    records = {i: CATALOGS.endpoint_set(i) for i in ids}
    never = sorted(i for i, es in records.items() if es is not None and not es.express_route)
    assert never and len(never) < len(ids)
    said = f"endpoint sets {', '.join(map(str, never))} of this row are not ExpressRoute-able"
    for text in (row.cause, row.to_dict()["cause"]):
        assert said in text, text
    (found,) = [f for f in rep.findings if f.data.get("cause_key") == "direct-not-admitted"]
    assert said in found.message


def test_a_finding_over_rows_of_two_circuits_names_both_circuits_services() -> None:
    """Two circuits admit different services: two rows (two route classes) with one culprit,
    hq's route scope, make one finding; it names what each circuit carries."""
    d = _scoped()
    d["circuits"]["c1"]["route_filter"] = ["SharePoint"]
    other = circuit("hq", "New York", snat_pool="20.70.3.0/29", advertises=["20.70.3.0/29"])
    d["circuits"]["c2"] = {**other, "route_filter": ["Exchange", "Skype"]}
    rep = report(d)
    rows = [r for r in rep.results if r.cause_key == "direct-not-propagated"]
    assert len(rows) == 2
    (found,) = [f for f in rep.findings if f.data.get("cause_key") == "direct-not-propagated"]
    assert "circuit c1 carries SharePoint Online" in found.message
    assert "circuit c2 carries Exchange Online, Skype for Business Online" in found.message
    # The words both rows share are said once.
    assert found.message.count("reach the internet directly") == 1


def _example(name: str) -> dict[str, Any]:
    data: dict[str, Any] = YAML(typ="safe").load(EXAMPLES / f"{name}.yaml")
    return data


def _inbound_fixes(data: dict[str, Any]) -> set[tuple[str, str]]:
    rep = report(data)
    return {(r.fix, r.source) for r in rep.results if r.cause_key == "inbound-return-elsewhere"}


def test_inbound_fix_over_expressroute_offers_source_nat_not_route_scoping() -> None:
    """Guide 001 Problem 2: the request enters by a circuit; taking ExpressRoute routes away
    from the server (Solution 1b) would send the reply to the internet, not back to the
    circuit. The fix is Solution 2, source NAT at the entry."""
    fixes = _inbound_fixes(_example("g001-problem2-inbound-er-no-snat"))
    assert fixes
    for fix, source in fixes:
        assert "Solution 2" in fix and "Solution 1b" not in fix and "er_routes" not in fix
        assert "Problem 2" in source and "Problem 1" not in source


def test_inbound_fix_from_the_internet_offers_both_of_guide_1s_solutions() -> None:
    """Guide 001 Problem 1: the request enters from the internet and the reply leaves by
    ExpressRoute: source NAT at the perimeter (1a) or route scoping (1b) both fix it."""
    fixes = _inbound_fixes(_example("g001-problem1-inbound-internet-no-snat"))
    assert fixes
    for fix, source in fixes:
        assert "Solution 1a" in fix and "Solution 1b" in fix and "Solution 2" not in fix
        assert "Problem 1" in source


def test_inbound_fix_between_two_breakouts_offers_no_route_scoping() -> None:
    """The request enters by one breakout and the reply heads for another (the server's
    site's default route): no ExpressRoute route is involved, so route scoping changes
    nothing; source NAT at the entry is the fix."""
    d = _example("g001-problem1-inbound-internet-no-snat")
    d["circuits"] = {}
    (hq,) = [b["site"] for b in d["breakouts"].values()]
    d["sites"]["far"] = {"location": "Chicago", "users": 0, "prefixes": ["10.250.0.0/16"]}
    d["wan"] = [*d.get("wan", []), {"between": [hq, "far"], "latency_ms": 20}]
    d["sites"][hq]["breakout"] = "far-inet"
    d["breakouts"]["far-inet"] = breakout("far", "20.250.4.1/32", "20.250.4.0/24")
    fixes = _inbound_fixes(d)
    assert fixes
    for fix, _ in fixes:
        assert "Solution 1a" in fix and "Solution 1b" not in fix and "er_routes" not in fix


def test_a_shared_snat_pool_is_fixed_by_pools_not_by_inbound_source_nat() -> None:
    """Guide 000 Figure 16: one outbound SNAT pool advertised on both circuits. No inbound
    service lies behind the prefix, so ERP305's fix is separate pools per circuit (Figure 17,
    the `snat_pool` of both circuits) and prepending: it names no inbound source NAT."""
    from erplan.analyses.rules import lint
    from erplan.load import load_text

    path = EXAMPLES / "g000-fig16-shared-pool.yaml"
    loaded = load_text(path.read_text(encoding="utf-8"), path.name, CATALOGS)
    (hit,) = [f for f in lint(loaded, CATALOGS) if f.code == "ERP305"]
    assert hit.fix is not None
    assert "`snat_pool` of us-er, eu-er" in hit.fix
    assert "inbound" not in hit.fix.lower()
