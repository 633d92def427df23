"""Why a flow fails, on small designs: the cause the verdict layer names, its text, the design
object the fix must change, and the branch that names the flow when several fail
(analyses/judge.py ``failure``, analyses/verdicts.py ``Verdicts.result``; the points mutation
testing found unasserted, bench/README.md "Mutation testing")."""

from __future__ import annotations

import re
from typing import Any

import pytest

from _semantics import (
    breakout,
    circuit,
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
from emulation import designs_review4
from erplan.analyses.causes import CAUSES
from test_semantics_inbound import _filtered
from test_semantics_routing import _equal_rank, _tie
from test_verdict_report import _pulled_back


def test_dns_that_cannot_leave_by_its_egress_keeps_the_dns_fix_as_it_is() -> None:
    """us resolves at us-inet, which is down; its queries would leave by eu-inet, where the
    resolver does not forward. The DNS flow's own cause is "dns": its fix is the guides' fix,
    without the note that every flow of the site needs DNS (that note is for a DNS flow failing
    for another cause)."""
    d = two_sites()
    d["breakouts"]["us-inet"]["up"] = False
    d["sites"]["us"]["resolver_egress"] = "us-inet"
    r = flow(results(d), "dns/us")
    assert (r.verdict.value, share(r), r.cause_key) == ("unreachable", 1.0, "dns")
    assert r.fix == CAUSES["dns"][1]
    assert r.culprit == ("breakouts", "us-inet")
    assert r.cause == "breakout us-inet, the resolver egress of site us, is down"


def _inbound_firewall_on_one_link(device: str) -> dict[str, Any]:
    """A service published over us-er with its own inbound pool; a firewall stands on the
    primary link only. Replies leave by either link whatever link the request came in by."""
    d = one_site()
    d["circuits"]["us-er"]["advertises"].append("20.2.3.0/24")
    d["circuits"]["us-er"]["links"] = {"primary": {"devices": [device]}}
    d["devices"] = {device: {"site": "us"}}
    d["services"] = {
        "mail": service(
            "us", "20.2.3.59", "10.1.5.5", ["us-er"], inbound_snat={"us-er": "10.255.0.0/28"}
        )
    }
    return d


@pytest.mark.parametrize("device", ["fw", "fw@edge"])
def test_an_inbound_reply_stopped_on_the_other_link_is_a_link_split(device: str) -> None:
    """Requests entering by the secondary link have their replies stopped on the way out by
    the firewall of the primary link, before they leave: state kept per link, whose fix is the
    circuit's links - also when the device's name holds '@' (names may)."""
    r = inbound(results(_inbound_firewall_on_one_link(device)), "mail")
    assert (r.verdict.value, share(r)) == ("dropped", 0.5)
    stopped = [b for b in r.trace.branches if b.back is not None and b.back.edge is None]
    assert [b.forward.edge for b in stopped] == ["circuit:us-er/secondary"]
    assert r.cause_key == "link-split"
    assert r.culprit == ("circuits", "us-er", "links")
    assert r.cause == (
        f"{CAUSES['link-split'][0]} (firewall {device} holds no session for this connection: "
        "it did not see the request)"
    )


# -- a reply that comes back elsewhere -------------------------------------------------------------


def _shared_breakout_address() -> dict[str, Any]:
    """us's internet traffic is translated into 20.2.4.1 at us-inet, which advertises nothing:
    the internet routes that address to the breakout itself - and to eu-inet, which translates
    into it too. DNS leaves by a third breakout, so only the flows themselves are split."""
    d = two_sites()
    d["breakouts"]["us-inet"]["advertises"] = []
    d["breakouts"]["eu-inet"]["nat"] = ["20.2.5.1/32", "20.2.4.1/32"]
    d["sites"]["dc"] = site("Washington DC", "10.3.0.0/16")
    d["wan"].append({"between": ["us", "dc"], "latency_ms": 5})
    d["breakouts"]["dc-inet"] = breakout("dc", "20.2.6.1/32", "20.2.6.0/24")
    d["sites"]["us"].update(breakout="us-inet", resolver_egress="dc-inet")
    return d


def test_a_reply_pulled_by_another_breakout_s_nat_names_that_nat() -> None:
    """No advertisement covers the address the replies go to (eu-inet's last one ends right
    before it): what pulls half of them to eu-inet is its own NAT address, which the internet
    routes to it. The fix is that entry of eu-inet's NAT, and the cause says so and why the
    reply is dropped there."""
    d = _shared_breakout_address()
    d["breakouts"]["eu-inet"]["advertises"].append("20.2.4.0/32")
    r = flow(results(d), "out/us/8")
    assert (r.verdict.value, share(r), r.cause_key) == ("dropped", 0.5, "return-elsewhere")
    assert owners(r, "back") == {"breakout:us-inet": 0.5, "breakout:eu-inet": 0.5}
    assert r.culprit == ("breakouts", "eu-inet", "nat", 1)
    assert r.cause == (
        "replies to 20.2.4.1 come back by breakout:eu-inet although the request left by "
        "breakout:us-inet: breakout eu-inet translates into 20.2.4.1/32, which the internet "
        "routes to it; breakout eu-inet holds no session for this connection (the request did "
        "not cross it)"
    )


def test_a_breakout_whose_name_holds_a_colon_is_named_whole() -> None:
    """Names may hold ':', the separator of the edge names: the culprit is the breakout
    'eu:inet', its advertisement that pulls the replies of us's pool back by the internet."""
    d = two_sites()
    d["breakouts"]["eu:inet"] = d["breakouts"].pop("eu-inet")
    d["breakouts"]["eu:inet"]["advertises"].append("20.2.2.0/30")
    r = flow(results(d), "out/us/1")
    assert (r.verdict.value, share(r), r.cause_key) == ("dropped", 0.5, "internet-nat-overlap")
    assert r.culprit == ("breakouts", "eu:inet", "advertises", 1)
    assert "come back by breakout:eu:inet although" in r.cause
    assert ": breakout eu:inet advertises 20.2.2.0/30 to the internet; " in r.cause


def _outside_expressroute(*, breakout_nat: bool) -> dict[str, Any]:
    """Exchange's inbound connections enter by us-er, whose route filter does not admit
    Exchange: the sender's address has no ExpressRoute route, so the reply goes out by us-inet
    (translated there, or not)."""
    d = _filtered(["SharePoint"])
    if not breakout_nat:
        d["breakouts"]["us-inet"]["nat"] = []
    return d


def test_a_reply_outside_expressroute_says_where_it_goes_when_it_gets_there() -> None:
    """Nothing on the reply's way keeps state: it leaves by the internet and arrives - the
    connection works, asymmetric, and the cause says where the reply goes instead."""
    r = inbound(results(_outside_expressroute(breakout_nat=False)), "mail")
    assert (r.verdict.value, share(r)) == ("asymmetric", 1.0)
    # Microsoft advertises Exchange's prefixes; us-er's route filter refuses them.
    assert (r.cause_key, r.culprit) == ("initiator-filtered", ("circuits", "us-er", "route_filter"))
    assert re.fullmatch(
        r"the sender \S+ is in a prefix Microsoft advertises over ExpressRoute, but no circuit's "
        r"route filter admits its service: the request enters by circuit:us-er/\w+, the reply "
        r"cannot go back that way \(it leaves by breakout:us-inet\)",
        r.cause,
    ), r.cause


def test_a_reply_outside_expressroute_says_why_it_is_dropped() -> None:
    r = inbound(results(_outside_expressroute(breakout_nat=True)), "mail")
    assert (r.verdict.value, share(r)) == ("dropped", 1.0)
    assert r.cause_key == "initiator-filtered"
    assert r.cause.endswith(
        "the reply cannot go back that way (breakout us-inet holds no session for this "
        "connection (the request did not cross it))"
    )


# -- an inbound request that reaches the wrong host ------------------------------------------------


def test_a_request_translated_to_another_site_s_address_blames_the_mapping() -> None:
    """The public record and the published address agree; the entry translates to 10.2.5.5,
    which is eu's address space, not the service's site: the requests arrive at eu's hosts.
    The fix is the address the service is translated to, not its DNS record."""
    d = two_sites()
    d["circuits"]["us-er"]["advertises"].append("20.2.3.0/24")
    d["services"] = {
        "mail": service(
            "us", "20.2.3.59", "10.2.5.5", ["us-er"], inbound_snat={"us-er": "10.255.0.0/28"}
        )
    }
    r = inbound(results(d), "mail")
    assert (r.verdict.value, share(r), r.cause_key) == ("dropped", 1.0, "wrong-host")
    assert r.culprit == ("services", "mail", "internal_address")
    assert r.cause == (
        "the request is delivered to hosts of eu (10.2.5.5 is routed there), not to hosts of us"
    )


# -- which failure names the flow ------------------------------------------------------------------


def _four_tied_circuits() -> dict[str, Any]:
    """Four circuits under multipath: c1 advertises another prefix than its pool (Microsoft
    drops every source it translates to), c2-c4 each lose the replies of their primary link,
    whose firewall is down."""
    d = _equal_rank("c1", "c2")
    for name, pool in (("c3", "20.2.2.16/29"), ("c4", "20.2.2.24/29")):
        d["circuits"][name] = circuit("s", "New York", pool, links={"primary": {"devices": ["fw"]}})
    return d


def test_among_failures_of_equal_rank_the_largest_share_names_the_flow() -> None:
    """A quarter of the connections are dropped at Microsoft's source filter, three eighths
    blackholed on the way back: both are as bad, and the one that hits more connections names
    the flow; the share is every failed connection."""
    r = flow(results(_four_tied_circuits()), "out/s/1")
    failed = {k: w for k, w in edges(r).items() if k[2] != "ok"}
    assert sum(w for k, w in failed.items() if k[2] == "dropped") == 0.25
    assert sum(w for k, w in failed.items() if k[2] == "blackhole") == 0.375
    assert (r.verdict.value, share(r), r.cause_key) == ("blackhole", 0.625, "device-down")
    assert r.culprit == ("devices", "fw", "up")


def test_ties_where_every_path_works_alike_are_no_tie() -> None:
    """Two circuits at one site tie, but both work: the tie decides nothing, so the flow is not
    said to depend on it and no note is written."""
    d = _tie("c1", "c2")
    d["circuits"]["c2"]["advertises"] = ["20.2.2.8/29"]
    rep = report(d)
    r = flow(rep, "out/s/1")
    assert r.trace.ties and r.verdict.value == "ok"
    assert r.tie is False and r.to_dict()["tie"] is False
    assert not [f for f in rep.findings if f.code == "ERP821"]


def test_a_failed_row_still_gives_the_latency_of_what_works_and_the_relay() -> None:
    """Half of us's Exchange connections are dropped; the JSON row still gives the latency of
    the half that works (estimated, nothing is given) and the relay to the tenant's data."""
    r = flow(results(_pulled_back()), "out/us/1")
    assert (r.verdict.value, share(r)) == ("dropped", 0.5)
    working = [b for b in r.trace.branches if b.outcome.works]
    out = r.to_dict()
    assert out["latency_ms"] == round(max(b.ms for b in working), 1)
    assert out["estimated"] is True
    assert r.relay is not None and out["relay_ms"] == round(r.relay.ms, 1) > 0


def test_an_ok_row_says_its_latency_is_estimated() -> None:
    r = flow(results(two_sites()), "out/us/1")
    out = r.to_dict()
    assert (out["verdict"], out["estimated"]) == ("ok", True)
    assert out["latency_ms"] == round(max(b.ms for b in r.trace.branches), 1)


def test_an_inbound_pool_another_service_translates_into_names_that_service_s_entry() -> None:
    """app enters by c1 and app2 by c2, each source-NATing into 20.110.1.0/29: the server's
    network routes the pool to both edges, and half of each service's replies reach the edge
    that never saw the request. The cause names the other entry's pool (c2's for app, c1's
    for app2), never the entry's own, whichever is listed first."""
    data = designs_review4.inbound_pool_pulled_by_a_more_specific_pool()
    c1 = data["circuits"]["c1"]
    data["circuits"]["c2"] = dict(
        c1, peering_location="Washington DC", advertises=["20.110.0.20/32"]
    )
    data["services"]["app2"] = dict(
        data["services"]["app"],
        fqdn="app2.contoso.com",
        dns_record="20.110.0.20",
        public_address="20.110.0.20",
        internal_address="10.150.1.20",
        entry=["c2"],
    )
    rs = results(data)
    for name, own, other in (("app", "c1", "c2"), ("app2", "c2", "c1")):
        r = flow(rs, f"in/{name}/Boydton/443")
        assert (r.verdict.value, share(r), r.cause_key) == ("dropped", 0.5, "shared-inbound-pool")
        assert r.culprit == ("circuits", own, "inbound_snat_pool")
        assert owners(r) == {f"circuit:{own}": 1.0}
        assert f"also in the inbound pool 20.110.1.0/29 of circuit:{other}," in r.cause, r.cause
