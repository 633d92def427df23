"""Causes and fixes that name the right thing: a row of several endpoint sets names every
service it covers, an inbound fix fits the path the request entered by (DESIGN.md "Flow
semantics": each verdict carries "the cause in plain words, the fix and the guide section")."""

from __future__ import annotations

from typing import Any

import pytest

from _semantics import report
from emulation.designs import breakout, circuit, design, site

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
def test_a_row_of_several_sets_names_every_service(
    data: dict[str, Any], key: str
) -> None:
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
