"""What the findings, the summary and the JSON rows of ``erplan verify`` say, on small designs
(analyses/verdicts.py; the points mutation testing found unasserted, bench/README.md "Mutation
testing")."""

from __future__ import annotations

from ipaddress import IPv4Address
from typing import Any

import pytest

from _semantics import breakout, flow, one_site, report, results, share, site, two_sites
from erplan.analyses.causes import CAUSES
from erplan.analyses.verdicts import Verdict
from test_dynamics import cold_potato
from test_semantics_dns import _eu_resolves_in_us, _split_queries
from test_semantics_routing import _tie
from test_semantics_state import _public_site
from test_verdict_causes import _internet_only
from test_verdict_latency import _boston_led_to_amsterdam
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
    assert f.subject == "circuits.eu-er.region_preference"
    r = next(x for x in rep.results if x.flow.origin == "us" and x.verdict is Verdict.SUBOPTIMAL)
    assert r.latency is not None and r.best is not None and r.latency.estimated
    assert f.message == (
        f"suboptimal: 1 flow from site us (500 users; *.crm4.dynamics.com): "
        f"{CAUSES['region-preference'][0]} (the best this origin has: breakout us-inet) "
        f"[{r.latency.ms:.0f} ms (estimated) against "
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
    assert (r.verdict.value, share(r), r.cause_key) == ("suboptimal", 1.0, "slow-breakout")
    assert r.latency is not None and (r.latency.ms, r.latency.estimated) == (300.0, False)
    assert r.best is not None
    f = _finding(rep, "ERP801", "us")
    assert f.message.endswith(
        f"{CAUSES['slow-breakout'][0]} (the best this origin has: breakout eu-inet) "
        f"[300 ms against {r.best.ms:.0f} ms at best]"
    )


def test_a_server_s_finding_names_its_sets_by_host_name_or_number() -> None:
    """A server connecting to Office apps and to Skype's media (a set with no host name) over
    two tied circuits, one of which Microsoft drops the source of."""
    d = _tie("c1", "c2")
    d["tenant"]["services"] = []
    d["servers"] = {"app": {"site": "s", "address": "10.1.9.9", "connects_to": ["11", "46"]}}
    f = _finding(report(d), "ERP803", "app")
    assert f.message.startswith("dropped: server app (*.officeapps.live.com, 11): Microsoft drops")
    assert (f.data["users"], f.data["share"]) == (0, 0.5)


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


def test_an_asymmetric_row_gives_the_relay_to_the_tenant_s_data() -> None:
    r = flow(results(_public_site(fw=False)), "out/us/1")
    assert r.verdict is Verdict.ASYMMETRIC
    assert r.relay is not None and r.to_dict()["relay_ms"] == round(r.relay.ms, 1) > 0


def test_a_slow_row_gives_its_latency_and_best_to_a_tenth_of_a_millisecond() -> None:
    """Boston's flows cross the Atlantic (172.1 ms) where New York's circuit takes 14.3; the
    relay to the tenant's data is given beside them."""
    r = flow(results(_boston_led_to_amsterdam()), "out/mid/1")
    out = r.to_dict()
    assert (out["verdict"], out["latency_ms"], out["best_ms"]) == ("suboptimal", 172.1, 14.3)
    assert r.relay is not None and out["relay_ms"] == round(r.relay.ms, 1)


def test_the_json_row_names_the_proxy_a_flow_goes_through() -> None:
    """eu's users send everything to the proxy at us: their rows name it (a site's proxy
    without a device is named by its site)."""
    d = two_sites()
    d["sites"]["eu"]["proxy"] = {"mode": "all", "site": "us"}
    r = flow(results(d), "out/eu/8")
    assert r.flow.start == "us"
    assert r.to_dict()["proxy"] == "site:us"


def _slow_then_half_dropped() -> dict[str, Any]:
    """us's Microsoft traffic is all slow (eu-er is preferred); half its internet replies are
    pulled to eu-inet, which advertises one of the two addresses us-inet translates into (us
    resolves at a third breakout, so DNS is spared)."""
    d = two_sites()
    d["circuits"]["eu-er"]["local_preference"] = 200
    d["breakouts"]["us-inet"]["nat"] = ["20.2.4.0/31"]
    d["breakouts"]["eu-inet"]["advertises"].append("20.2.4.1/32")
    d["sites"]["dc"] = site("Washington DC", "10.3.0.0/16")
    d["wan"].append({"between": ["us", "dc"], "latency_ms": 5})
    d["breakouts"]["dc-inet"] = breakout("dc", "20.2.6.1/32", "20.2.6.0/24")
    d["sites"]["us"]["resolver_egress"] = "dc-inet"
    return d


def test_the_summary_counts_a_site_s_users_by_its_worst_share() -> None:
    """A site's users are affected as much as the worst share of any of its flows, whichever
    comes first: all of us's 500 users have slow Microsoft traffic, whatever the half of their
    internet connections that are dropped; eu's are unaffected."""
    rep = report(_slow_then_half_dropped())
    seen = [(r.verdict.value, share(r)) for r in rep.results if r.flow.origin == "us"]
    assert seen.index(("suboptimal", 1.0)) < seen.index(("dropped", 0.5))
    assert all(r.verdict is Verdict.OK for r in rep.results if r.flow.origin == "eu")
    assert rep.summary["users_affected"] == 500
