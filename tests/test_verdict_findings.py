"""What the findings, the summary and the JSON rows of ``erplan verify`` say, on small designs
(analyses/verdicts.py; the points mutation testing found unasserted, bench/README.md "Mutation
testing")."""

from __future__ import annotations

from ipaddress import IPv4Address
from typing import Any

import pytest

from _semantics import flow, one_site, report, results, share, two_sites
from erplan.analyses.causes import CAUSES
from erplan.analyses.verdicts import Verdict
from test_dynamics import cold_potato
from test_semantics_dns import _eu_resolves_in_us, _split_queries
from test_semantics_routing import _tie
from test_verdict_causes import _internet_only
from test_verdict_report import _finding, _pulled_back


def test_the_summary_names_the_design_it_judged() -> None:
    d = one_site()
    d["name"] = "Contoso 2027"
    d["description"] = "one New York site with one circuit"
    s = report(d).summary
    assert (s["design"], s["description"]) == (d["name"], d["description"])


# -- who a finding is about ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("services", "who"),
    [
        (["SharePoint"], "2 flows from site us (500 users; *.sharepoint.com)"),
        # Skype media (set 11) has no host name: it is named by its set.
        (
            ["Skype", "SharePoint"],
            "5 flows from site us (500 users; *.lync.com, *.sharepoint.com, 11)",
        ),
        (
            ["Exchange"],
            "5 flows from site us (500 users; *.mail.protection.outlook.com, "
            "*.protection.outlook.com, outlook.cloud.microsoft and 1 more)",
        ),
    ],
)
def test_a_finding_counts_its_flows_and_names_three(services: list[str], who: str) -> None:
    """Half of every ExpressRoute flow is pulled back by eu-er: one finding per site, counting
    its flows and naming them by host name (or by endpoint set when the set has none), three
    at most, the rest counted."""
    d = _pulled_back()
    d["tenant"]["services"] = services
    f = _finding(report(d), "ERP803", "us")
    assert f.message.startswith(f"dropped: {who}: replies to 20.2.2.4 come back by circuit:eu-er/")
    assert f.message.endswith("; 50% of connections")


def test_a_finding_of_one_flow_says_one_flow() -> None:
    """Dynamics 365 is one flow per site; cold potato over a 250 ms WAN makes it slow: the
    finding counts one flow and gives its latency against the best."""
    rep = report(cold_potato(wan_ms=250))
    f = _finding(rep, "ERP801", "us")
    r = next(x for x in rep.results if x.flow.origin == "us" and x.verdict is Verdict.SUBOPTIMAL)
    assert r.latency is not None and r.best is not None and r.latency.estimated
    assert f.message == (
        f"suboptimal: 1 flow from site us (500 users; *.crm4.dynamics.com): "
        f"{CAUSES['region-preference'][0]} [{r.latency.ms:.0f} ms (estimated) against "
        f"{r.best.ms:.0f} ms at best]"
    )


def test_a_latency_made_of_given_figures_is_not_called_estimated() -> None:
    """DESIGN.md "Latency": a site's given internet latency is users -> Microsoft network over
    that path. Its internet flows reach the front end nearest their breakout, so nothing of
    their latency is estimated: the finding gives the figure as it is."""
    d = _internet_only(300)
    d["tenant"]["services"] = ["SharePoint"]
    rep = report(d)
    r = flow(rep, "out/us/32")
    assert (r.verdict.value, share(r), r.cause_key) == ("suboptimal", 1.0, "breakout")
    assert r.latency is not None and (r.latency.ms, r.latency.estimated) == (300.0, False)
    assert r.best is not None
    f = _finding(rep, "ERP801", "us")
    assert f.message.endswith(
        f"{CAUSES['breakout'][0]} [300 ms against {r.best.ms:.0f} ms at best]"
    )


# -- the notes about route choices -----------------------------------------------------------------


@pytest.mark.parametrize(("services", "n"), [(["SharePoint"], "2 flows"), ([], "1 flow")])
def test_a_tie_note_counts_the_flows_it_decides(services: list[str], n: str) -> None:
    """SharePoint's ExpressRoute set is two flows (TCP and UDP); a server connecting to one
    set is one."""
    d = _tie("c1", "c2")
    d["tenant"]["services"] = services
    if not services:
        d["servers"] = {"app": {"site": "s", "address": "10.1.9.9", "connects_to": ["46"]}}
    (note,) = [f for f in report(d).findings if f.code == "ERP821"]
    assert note.message.startswith(
        f"site s: circuits c1, c2 tie on local preference and IGP distance: the outcome of {n} "
        "depends on BGP's last tie-breakers"
    )


def test_no_media_note_where_no_real_time_media_crosses_expressroute() -> None:
    """Only the Common service area: its ExpressRoute sets are TCP only, its UDP sets go over
    the internet - no QoS to plan on the circuit."""
    d = one_site()
    d["tenant"]["services"] = ["Common"]
    rep = report(d)
    assert any(f.proto == "udp" for r in rep.results for f in r.flows)
    assert not [f for f in rep.findings if f.code == "ERP822"]


@pytest.mark.parametrize(
    ("n", "shown"), [(5, "s0, s1, s2, s3, s4"), (6, "s0, s1, s2, s3, s4 and 1 more")]
)
def test_the_media_note_counts_past_five_sites(n: int, shown: str) -> None:
    d = one_site()
    d["sites"] = {}
    d["wan"] = []
    for i in range(n):
        d["sites"][f"s{i}"] = {
            "location": "New York",
            "users": 1,
            "prefixes": [f"10.{i + 10}.0.0/16"],
        }
        if i:
            d["wan"].append({"between": ["s0", f"s{i}"], "latency_ms": 1})
    d["breakouts"]["us-inet"]["site"] = d["circuits"]["us-er"]["site"] = "s0"
    (media,) = [f for f in report(d).findings if f.code == "ERP822"]
    assert media.message.startswith(f"real-time media (UDP) of {shown} crosses ExpressRoute: ")


# -- the JSON row ----------------------------------------------------------------------------------


def test_the_json_row_gives_each_geodns_answer_and_its_share() -> None:
    """Queries leave by two breakouts: half are answered in Amsterdam, half in New York. The
    row says which front ends answered, the address each gave and its share."""
    r = flow(results(_split_queries("a-inet")), "out/r/1")
    answers = r.to_dict()["answers"]
    assert answers == [
        {"front_end": name, "destination": str(IPv4Address(a)), "share": 0.5}
        for name, a, _ in r.flow.answers
    ]
    assert {a["front_end"] for a in answers} == {"Amsterdam", "New York"}
    assert len({a["destination"] for a in answers}) == 2
    for a in answers:
        weight = sum(b.weight for b in r.trace.branches if b.front_end == a["front_end"])
        assert weight == pytest.approx(a["share"])


def test_the_json_row_of_a_flow_that_never_resolved_has_no_destination() -> None:
    d = _eu_resolves_in_us()
    d["wan"][0]["up"] = False
    r = flow(results(d), "out/eu/1")
    assert (r.verdict.value, r.cause_key) == ("unreachable", "dns")
    out = r.to_dict()
    assert (out["destination"], out["front_end"], out["answers"]) == (None, None, None)


def test_the_json_row_names_the_proxy_a_flow_goes_through() -> None:
    """eu's users send everything to the proxy at us: their rows name it (a site's proxy
    without a device is named by its site)."""
    d = two_sites()
    d["sites"]["eu"]["proxy"] = {"mode": "all", "site": "us"}
    r = flow(results(d), "out/eu/8")
    assert r.flow.start == "us"
    assert r.to_dict()["proxy"] == "site:us"


def _slow_and_pulled_back() -> dict[str, Any]:
    """Every ExpressRoute flow loses half its connections (eu-er pulls half of us-er's pool
    back); eu's internet traffic also leaves by us-inet, far and slow: all of it is slow."""
    d = _pulled_back()
    d["sites"]["eu"]["breakout"] = "us-inet"
    d["breakouts"]["us-inet"]["latency_ms"] = 100
    d["breakouts"]["eu-inet"]["latency_ms"] = 5
    return d


def test_the_summary_counts_a_site_s_users_by_its_worst_share() -> None:
    """A site's users are affected as much as the worst share of any of its flows: us loses
    half its connections (250 of 500 users), eu's internet flows are all slow (300)."""
    rep = report(_slow_and_pulled_back())
    shares: dict[str, set[float]] = {}
    for r in rep.results:
        if r.verdict is not Verdict.OK and r.flow.origin in ("us", "eu"):
            shares.setdefault(r.flow.origin, set()).add(share(r))
    assert shares == {"us": {0.5}, "eu": {0.5, 1.0}}
    assert rep.summary["users_affected"] == 250 + 300
