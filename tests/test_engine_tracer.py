"""Each kind of flow as the tracer follows it: the DNS query to the resolver and out of its
egress, the legs a proxied flow needs first, the connection itself with geoDNS's answers and
their shares, inbound connections from where their initiator stands (docs/flow-semantics.md
"Flows", DESIGN.md "Flow semantics" outbound steps 1-2)."""

from __future__ import annotations

from ipaddress import IPv4Address
from typing import Any

from _semantics import (
    ER_SET,
    INET_SET,
    breakout,
    design,
    edges,
    flow,
    one_site,
    owners,
    results,
    share,
    site,
    two_sites,
)
from test_semantics_dns import _split_queries


def _resolver_elsewhere(**extra: Any) -> dict[str, Any]:
    """us resolves through the breakout at eu; us has a breakout of its own too."""
    return design(
        sites={
            "us": site("New York", "10.1.0.0/16", users=100, resolver_egress="eu-inet"),
            "eu": site("Amsterdam", "10.2.0.0/16", users=50),
        },
        wan=[{"between": ["us", "eu"], "latency_ms": 80}],
        breakouts={
            "us-inet": breakout("us", "20.2.4.1/32", "20.2.4.0/24"),
            "eu-inet": breakout("eu", "20.2.5.1/32", "20.2.5.0/24", **extra),
        },
    )


def test_a_resolver_egress_that_is_down_fails_every_flow_of_the_site_it_serves() -> None:
    """DESIGN.md outbound step 2: the queries must leave by the resolver egress; it is down, so
    no query is answered although the site's own breakout works: every flow of us is
    unreachable by DNS, and eu (which resolves by its own, down breakout) too."""
    rs = results(_resolver_elsewhere(up=False))
    r = flow(rs, "dns/us")
    assert (r.verdict.value, share(r), r.cause_key) == ("unreachable", 1.0, "dns")
    assert r.culprit == ("breakouts", "eu-inet")
    assert "eu-inet, the resolver egress of site us, is down" in r.cause
    out = flow(rs, "out/us/8")
    assert (out.verdict.value, share(out), out.cause_key) == ("unreachable", 1.0, "dns")


def _pinned_elsewhere(egress: str) -> dict[str, Any]:
    """eu routes its internet traffic to breakout a-inet; b-inet, at eu too, advertises the
    prefix holding a-inet's NAT address as well, so the internet sends half of the replies to
    a-inet's NAT address to b-inet, which holds no session. us resolves through ``egress``."""
    return design(
        sites={
            "us": site("New York", "10.1.0.0/16", users=100, resolver_egress=egress),
            "eu": site("Amsterdam", "10.2.0.0/16", users=50, breakout="a-inet"),
        },
        wan=[{"between": ["us", "eu"], "latency_ms": 80}],
        breakouts={
            "a-inet": breakout("eu", "20.2.4.1/32", "20.2.4.0/24"),
            "b-inet": breakout("eu", "20.2.5.1/32", "20.2.4.0/24"),
        },
    )


def test_queries_that_would_leave_by_another_breakout_than_the_resolver_egress_fail() -> None:
    """flow-semantics "Resolver": a site that names its resolver egress has its queries
    forwarded out of that breakout only; the resolver's site sends them to a-inet, so every
    query of us that would be answered is unanswered, blamed on us's resolver egress. eu itself
    names none: its queries follow the default route (half the replies are lost at b-inet)."""
    rs = results(_pinned_elsewhere("b-inet"))
    r = flow(rs, "dns/us")
    assert (r.verdict.value, share(r)) == ("unreachable", 1.0)
    assert (r.cause_key, r.culprit) == ("dns", ("sites", "us", "resolver_egress"))
    assert r.cause == (
        "the resolver's queries would leave by breakout:a-inet, not by breakout b-inet, "
        "the resolver egress of site us"
    )
    pinned = [b for b in r.trace.branches if b.back is None]
    assert [(b.weight, b.forward.edge) for b in pinned] == [(0.5, "breakout:a-inet")]
    (b,) = pinned
    assert (b.forward.disposition.value, b.forward.cause) == ("unreachable", "dns")
    assert b.forward.reason == b.reason == r.cause
    assert b.forward.culprit == b.culprit == ("sites", "us", "resolver_egress")
    assert b.forward.hops[-1].node == "internet"  # the query got that far: its hops are kept
    eu = flow(rs, "dns/eu")
    assert (eu.verdict.value, share(eu), eu.cause_key) == ("dropped", 0.5, "return-elsewhere")
    out = flow(rs, "out/us/8")
    assert (out.verdict.value, share(out), out.cause_key) == ("unreachable", 1.0, "dns")


def test_queries_pinned_to_the_breakout_they_leave_by_keep_every_reply() -> None:
    """The same network with us resolving through a-inet, where the queries do leave: nothing
    is pinned away, and the replies lost at b-inet stay a dropped half, as for eu."""
    r = flow(results(_pinned_elsewhere("a-inet")), "dns/us")
    assert (r.verdict.value, share(r), r.cause_key) == ("dropped", 0.5, "return-elsewhere")
    assert r.culprit == ("breakouts", "b-inet", "advertises", 0)
    assert round(sum(b.weight for b in r.trace.branches), 9) == 1.0
    assert {(b.back.edge if b.back else None, b.outcome.value) for b in r.trace.branches} == {
        ("breakout:a-inet", "ok"),
        ("breakout:b-inet", "dropped"),
    }


def test_each_site_has_its_own_leg_to_a_shared_resolver() -> None:
    """us and uk both resolve at eu; uk's only WAN link is down. uk's queries cannot reach the
    resolver (every flow of uk fails by DNS); us's reach it and its flows work."""
    d = _resolver_elsewhere()
    d["sites"]["uk"] = site("London", "10.3.0.0/16", users=10, resolver_egress="eu-inet")
    d["wan"].append({"between": ["uk", "eu"], "latency_ms": 10, "up": False})
    rs = results(d)
    assert flow(rs, "dns/us").verdict.value == "ok"
    us = flow(rs, "out/us/8")  # slow by its distant resolver, but it works
    assert (us.verdict.value, us.share_affected) == ("suboptimal", 0.0)
    uk = flow(rs, "dns/uk")
    assert (uk.verdict.value, share(uk), uk.cause_key) == ("unreachable", 1.0, "resolver")
    assert uk.cause.startswith("the clients cannot reach the resolver at eu: ")
    out = flow(rs, "out/uk/8")
    assert (out.verdict.value, share(out), out.cause_key) == ("unreachable", 1.0, "dns")


def test_clients_without_an_address_cannot_ask_a_resolver_elsewhere() -> None:
    """A site with users but no prefixes resolving at eu: its clients have no address, so its
    DNS flow fails where it starts (no route, crossing nothing), blamed on its prefixes, and
    every flow of the site fails by DNS with that reason."""
    d = _resolver_elsewhere()
    del d["sites"]["us"]["prefixes"]
    rs = results(d)
    r = flow(rs, "dns/us")
    why = "site us has no prefixes: its clients have no address"
    assert (r.verdict.value, share(r), r.cause_key) == ("unreachable", 1.0, "no-route")
    assert (r.cause, r.culprit) == (why, ("sites", "us", "prefixes"))
    (b,) = r.to_dict(detail=True)["branches"]
    assert b["forward"]["disposition"] == "unreachable"
    assert (b["forward"]["reason"], b["forward"]["cause"], b["forward"]["hops"]) == (
        why,
        "no-route",
        [],
    )
    out = flow(rs, "out/us/8")
    assert (out.verdict.value, share(out), out.cause_key) == ("unreachable", 1.0, "dns")
    assert out.cause == f"DNS does not resolve: {why}"
    assert out.culprit == ("sites", "us", "prefixes")
    (ob,) = out.trace.branches
    assert (ob.reason, ob.culprit) == (out.cause, out.culprit)


# -- proxies ---------------------------------------------------------------------------------


def _eu_through_us_proxy() -> dict[str, Any]:
    d = two_sites()
    d["sites"]["eu"]["proxy"] = {"mode": "all", "site": "us"}
    return d


def test_a_proxied_flow_crosses_the_leg_to_the_proxy_first_and_last() -> None:
    """flow-semantics "Proxies": the client's leg to the proxy comes first on the way out and
    last on the way back; the path's total is the sum of the hops it shows (DESIGN.md
    "Latency"), and the edge is the proxy's."""
    r = flow(results(_eu_through_us_proxy()), "out/eu/8")
    assert r.verdict.value == "ok"
    assert edges(r) == {("breakout:us-inet", "breakout:us-inet", "ok"): 1.0}
    (b,) = r.trace.branches
    assert b.back is not None
    fwd = [h.node for h in b.forward.hops]
    back = [h.node for h in b.back.hops]
    leg = ["lan:eu", "site:eu", "site:us", "lan:us"]
    assert fwd[:4] == leg and fwd[4:] == [
        "lan:us",
        "site:us",
        "edge:us-inet",
        "internet",
        "microsoft",
    ]
    assert back[-4:] == leg[::-1] and back[0] == "microsoft"
    for path in (b.forward, b.back):
        assert abs(path.ms - sum(h.ms for h in path.hops)) < 1e-9
    assert b.forward.ms > 80 / 2  # the WAN leg is in it


def test_an_estimated_leg_to_the_proxy_makes_the_latency_estimated() -> None:
    """The proxy's own site gives its internet latency (no estimate); the WAN link to it has
    none, so the users' latency through the proxy is estimated, both ways."""
    d = _eu_through_us_proxy()
    d["sites"]["us"]["internet_latency_ms"] = 5
    del d["wan"][0]["latency_ms"]
    rs = results(d)
    own = flow(rs, "out/us/8")
    assert own.latency is not None and not own.latency.estimated
    r = flow(rs, "out/eu/8")
    assert r.latency is not None and r.latency.estimated
    (b,) = r.trace.branches
    assert b.back is not None and b.forward.estimated and b.back.estimated


def test_a_leg_split_over_two_wan_paths_shares_the_flow_between_them() -> None:
    """eu reaches the proxy at us through a or b at equal cost, both ways: four combinations of
    a quarter each, shares that add up to the whole flow."""
    d = _eu_through_us_proxy()
    d["sites"]["a"] = site("London", "10.3.0.0/16")
    d["sites"]["b"] = site("Paris", "10.4.0.0/16")
    d["wan"] = [{"between": ["eu", t], "latency_ms": 20} for t in ("a", "b")] + [
        {"between": [t, "us"], "latency_ms": 60} for t in ("a", "b")
    ]
    r = flow(results(d), "out/eu/8")
    assert r.verdict.value == "ok"
    assert edges(r) == {("breakout:us-inet", "breakout:us-inet", "ok"): 1.0}
    got = {}
    for b in r.trace.branches:
        assert b.back is not None
        via = (b.forward.hops[2].node, b.back.hops[-3].node)
        got[via] = got.get(via, 0.0) + b.weight
    assert got == {(f, r_): 0.25 for f in ("site:a", "site:b") for r_ in ("site:a", "site:b")}


def test_a_proxied_request_dropped_at_microsoft_shows_the_leg_and_has_no_reply() -> None:
    """The proxy's circuit advertises another prefix than its pool: Microsoft drops the
    translated sources on entry. The users' request crossed their leg to the proxy first."""
    d = _eu_through_us_proxy()
    d["circuits"]["us-er"]["advertises"] = ["20.2.3.0/24"]
    d["circuits"]["eu-er"]["up"] = False
    r = flow(results(d), "out/eu/1")
    assert (r.verdict.value, share(r), r.cause_key) == ("dropped", 1.0, "source-filter")
    assert owners(r) == {"circuit:us-er": 1.0}
    for b in r.trace.branches:
        assert b.back is None
        assert [h.node for h in b.forward.hops[:4]] == ["lan:eu", "site:eu", "site:us", "lan:us"]
        assert b.forward.hops[-1].node.startswith("msee:us-er/")


def test_a_cloud_proxy_connects_from_the_internet_after_the_users_leg_to_it() -> None:
    """flow-semantics "Proxies": a cloud proxy connects to Microsoft from the internet. The
    users' leg to it leaves by their breakout, which is the edge the flow crosses both ways;
    the ExpressRoute-able set goes the same way (the circuit is not on the path)."""
    d = one_site()
    d["sites"]["us"]["proxy"] = {"mode": "all", "device": "zs"}
    d["devices"] = {"zs": {"kind": "proxy", "site": "us", "egress": "cloud"}}
    rs = results(d)
    for key in ("out/us/1", "out/us/8"):
        r = flow(rs, key)
        assert r.verdict.value == "ok", key
        assert edges(r) == {("breakout:us-inet", "breakout:us-inet", "ok"): 1.0}, key
        # its clients resolve at home: the site's resolver egress
        assert (r.flow.start, r.flow.proxy, r.flow.resolver) == ("cloud:zs", "zs", "us-inet")
        (b,) = r.trace.branches
        assert b.back is not None
        nodes = [h.node for h in b.forward.hops]
        assert nodes == ["lan:us", "site:us", "edge:us-inet", "internet", "internet", "microsoft"]
        assert [h.node for h in b.back.hops] == nodes[::-1]
        assert abs(b.forward.ms - sum(h.ms for h in b.forward.hops)) < 1e-9


# -- the connection itself -------------------------------------------------------------------


def test_a_request_to_a_microsoft_address_a_site_holds_goes_to_that_site() -> None:
    """eu holds (as a /32) the address geoDNS answers us's set 8 with: the WAN routes us's
    request there, and it reaches hosts of eu, not Microsoft - the wrong host, for every
    connection; eu's own request stays inside eu the same way."""
    answered = flow(results(two_sites()), "out/us/8").flow.destination
    d = two_sites()
    d["sites"]["eu"]["prefixes"].append(f"{IPv4Address(answered)}/32")
    rs = results(d)
    r = flow(rs, "out/us/8")
    assert r.flow.destination == answered
    assert (r.verdict.value, share(r), r.cause_key) == ("dropped", 1.0, "delivered-elsewhere")
    assert r.cause == (
        f"the request is delivered to hosts of eu ({IPv4Address(answered)} is routed there), "
        f"not to Microsoft network: {IPv4Address(answered)} lies in {IPv4Address(answered)}/32 "
        "of site eu (its most specific prefix there)"
    )
    assert r.culprit == ("sites", "eu", "prefixes", 1)
    assert {b.forward.hops[-1].node for b in r.trace.branches} == {"lan:eu"}


def _given(ms: float) -> dict[str, Any]:
    """eu leaves for the internet by us-inet, 30 ms away over the WAN, and gives its internet
    latency (users -> Microsoft network over that breakout)."""
    d = two_sites()
    del d["breakouts"]["eu-inet"]
    d["sites"]["eu"]["breakout"] = "us-inet"
    d["sites"]["eu"]["internet_latency_ms"] = ms
    d["wan"][0]["latency_ms"] = 30
    return d


def test_a_given_internet_latency_includes_the_wan_legs_to_the_breakout() -> None:
    """DESIGN.md "Latency": a site's given internet latency is users -> Microsoft network over
    its breakout, WAN legs included: 100 ms given is 100 ms in all, of which the 30 ms WAN
    round trip is one part and the internet leg the rest; no estimate."""
    r = flow(results(_given(100)), f"out/eu/{INET_SET}")
    assert r.verdict.value == "ok"
    assert r.latency is not None and (r.latency.ms, r.latency.estimated) == (100.0, False)
    (b,) = r.trace.branches
    legs = {h.node: h.ms for h in b.forward.hops}
    assert (legs["site:us"], legs["internet"]) == (15.0, 35.0)


def test_a_given_internet_latency_below_the_wan_leaves_the_internet_leg_at_zero() -> None:
    """A given figure smaller than the WAN round trip to the breakout cannot be negative on
    the internet: the latency is the WAN's alone."""
    r = flow(results(_given(10)), f"out/eu/{INET_SET}")
    assert r.latency is not None and (r.latency.ms, r.latency.estimated) == (30.0, False)
    (b,) = r.trace.branches
    assert {h.node: h.ms for h in b.forward.hops}["internet"] == 0.0


def test_a_leg_to_the_proxy_that_fails_for_half_the_users_fails_half_their_flow() -> None:
    """uk holds the upper half of eu's /24 more specifically: the proxy's replies to those
    users are delivered to uk. That half of eu's proxied flow fails at its leg to the proxy,
    the other half goes on, with the whole of its share."""
    d = _eu_through_us_proxy()
    d["sites"]["eu"]["prefixes"] = ["10.2.0.0/24"]
    d["sites"]["uk"] = site("London", "10.2.0.128/25")
    d["wan"].append({"between": ["uk", "us"], "latency_ms": 10})
    r = flow(results(d), f"out/eu/{INET_SET}")
    assert (r.verdict.value, share(r), r.cause_key) == ("unreachable", 0.5, "proxy")
    # The leg's own cause, as its row would name it: the prefix that pulls the reply to uk.
    assert r.cause == (
        "the connection to the proxy site:us fails: the reply is delivered to hosts of uk, "
        "not to the initiator: 10.2.0.130 lies in 10.2.0.128/25 of site uk (its most specific "
        "prefix there)"
    )
    assert r.culprit == ("sites", "uk", "prefixes", 0)
    assert edges(r) == {
        (None, None, "unreachable"): 0.5,
        ("breakout:us-inet", "breakout:us-inet", "ok"): 0.5,
    }


def test_users_without_an_address_reach_no_proxy() -> None:
    """A site with users but no prefixes: its direct flows fail (its users have no address),
    and so do the flows it sends through a proxy at another site - the users' leg to the proxy
    must work first (flow-semantics "Proxies"), and they have nothing to send it from."""
    d = two_sites()
    del d["sites"]["eu"]["prefixes"]
    why = "site eu has no prefixes: its users have no address"
    direct = flow(results(d), f"out/eu/{INET_SET}")
    assert (direct.verdict.value, share(direct), direct.cause) == ("unreachable", 1.0, why)
    d["sites"]["eu"]["proxy"] = {"mode": "all", "site": "us"}
    r = flow(results(d), f"out/eu/{INET_SET}")
    assert (r.verdict.value, share(r), r.cause_key) == ("unreachable", 1.0, "proxy")
    assert r.cause == f"the connection to the proxy site:us fails: {why}"
    assert r.culprit == ("sites", "eu", "prefixes")
    assert edges(r) == {(None, None, "unreachable"): 1.0}  # nothing was sent


def test_a_proxy_without_an_address_before_the_last_breaks_the_chain() -> None:
    """eu's clients use px1, at a site without prefixes and without an address of its own,
    which forwards to px2 (which has one): nothing reaches px1, so nothing reaches px2 or
    Microsoft either - as when px1 is the only proxy."""
    d = two_sites()
    d["sites"]["eu"]["proxy"] = {"mode": "all", "device": "px1"}
    d["sites"]["x"] = {"location": "London", "users": 0}
    d["wan"].append({"between": ["x", "eu"], "latency_ms": 5})
    d["devices"] = {
        "px1": {"kind": "proxy", "site": "x", "upstream": "px2"},
        "px2": {"kind": "proxy", "site": "us", "address": "10.1.9.9"},
    }
    r = flow(results(d), f"out/eu/{INET_SET}")
    assert (r.verdict.value, share(r), r.cause_key) == ("unreachable", 1.0, "proxy")
    assert r.cause == "the connection to the proxy px1 fails: the proxy px1 has no address"
    assert r.culprit == ("sites", "x", "prefixes")
    d["sites"]["x"]["prefixes"] = ["10.3.0.0/16"]
    ok = flow(results(d), f"out/eu/{INET_SET}")
    assert ok.verdict.value == "ok"
    (b,) = ok.trace.branches
    nodes = [h.node for h in b.forward.hops]
    assert nodes[:2] == ["lan:eu", "site:eu"] and "site:x" in nodes and "lan:x" in nodes


def test_clients_whose_resolver_address_another_site_holds_reach_the_wrong_host() -> None:
    """The resolver at eu runs on eu's first address; uk holds eu's first /24 more
    specifically, so us's queries to the resolver are delivered to uk's hosts: none is
    answered, and every flow of us fails by DNS."""
    d = _resolver_elsewhere()
    d["sites"]["uk"] = site("London", "10.2.0.0/24")
    d["wan"].append({"between": ["uk", "us"], "latency_ms": 10})
    rs = results(d)
    r = flow(rs, "dns/us")
    assert (r.verdict.value, share(r)) == ("unreachable", 1.0)
    assert r.cause == (
        "the clients cannot reach the resolver at eu: the request is delivered to hosts of uk "
        "(10.2.0.1 is routed there), not to hosts of eu"
    )
    out = flow(rs, f"out/us/{INET_SET}")
    assert (out.verdict.value, share(out), out.cause_key) == ("unreachable", 1.0, "dns")


def _cloud_proxied() -> dict[str, Any]:
    d = one_site()
    d["sites"]["us"]["proxy"] = {"mode": "all", "device": "zs"}
    d["devices"] = {"zs": {"kind": "proxy", "site": "us", "egress": "cloud"}}
    return d


def test_a_cloud_proxied_flow_needs_its_sites_dns_like_any_other() -> None:
    """The clients find their cloud proxy, and geoDNS the front end it reaches, through their
    site's resolver (a cloud proxy resolves near where the clients leave). us's resolver
    egress is down: every flow of us is unreachable by DNS - proxied or not, Microsoft's or a
    third party's - blamed on that breakout."""
    d = _cloud_proxied()
    d["breakouts"]["dns-inet"] = breakout("us", "20.2.7.1/32", "20.2.7.0/24", up=False)
    d["sites"]["us"]["resolver_egress"] = "dns-inet"
    rs = results(d)
    why = "breakout dns-inet, the resolver egress of site us, is down"
    third = [r for r in rs if r.flow.kind == "users" and r.flow.third_party]
    assert third
    for r in [flow(rs, "out/us/1"), flow(rs, f"out/us/{INET_SET}"), *third]:
        assert (r.verdict.value, share(r), r.cause_key) == ("unreachable", 1.0, "dns"), r.flow.key
        # a third party's name needs no geoDNS answer: its queries simply get no answer
        what = "DNS queries do not get through" if r.flow.third_party else "DNS does not resolve"
        assert (r.cause, r.culprit) == (f"{what}: {why}", ("breakouts", "dns-inet")), r.flow.key


def test_answers_split_by_the_queries_that_get_through_and_the_rest_fail() -> None:
    """r's queries leave by a-inet (New York) and b-inet (Amsterdam) at equal cost; c-inet
    advertises b-inet's NAT prefix too, so half of b-inet's answers are lost. A quarter of the
    queries fail, which fails a quarter of r's flow; the rest is answered two to one in New
    York and Amsterdam (flow-semantics "geoDNS": each answer with its share of the queries
    that get an answer), and the flow keeps the note of its failing DNS."""
    d = _split_queries("a-inet")
    d["sites"]["c"] = site("London", "10.4.0.0/16")
    d["breakouts"]["c-inet"] = breakout("c", "20.2.8.1/32", "20.2.5.0/24")
    d["wan"].append({"between": ["c", "b"], "latency_ms": 50})
    rs = results(d)
    dns = flow(rs, "dns/r")
    assert (dns.verdict.value, share(dns)) == ("dropped", 0.25)
    r = flow(rs, f"out/r/{ER_SET}")
    assert [(fe, round(w, 9)) for fe, _, w in r.flow.answers] == [
        ("New York", round(2 / 3, 9)),
        ("Amsterdam", round(1 / 3, 9)),
    ]
    assert (r.verdict.value, share(r), r.cause_key) == ("unreachable", 0.25, "dns")
    per_answer: dict[str | None, float] = {}
    for b in r.trace.branches:
        if b.outcome.works:
            per_answer[b.front_end] = per_answer.get(b.front_end, 0.0) + b.weight
    assert {k: round(v, 9) for k, v in per_answer.items()} == {"New York": 0.5, "Amsterdam": 0.25}
    ((what, part, why),) = r.trace.before
    assert (what, round(part, 9)) == ("DNS queries do not get through", 0.25)
    assert (
        why == "breakout c-inet holds no session for this connection (the request did not cross it)"
    )


def test_a_proxy_only_site_lets_its_clients_reach_their_cloud_proxy() -> None:
    """flow-semantics "Proxy-only sites": the site router refuses the clients' new connections
    that would leave by a breakout, except towards a cloud proxy: through it the flows work;
    without it they are dropped at the perimeter."""
    d = _cloud_proxied()
    d["sites"]["us"]["proxy"]["direct_internet"] = False
    r = flow(results(d), f"out/us/{INET_SET}")
    assert r.verdict.value == "ok"
    assert edges(r) == {("breakout:us-inet", "breakout:us-inet", "ok"): 1.0}
    d["sites"]["us"]["proxy"] = {"mode": "direct", "direct_internet": False}
    r = flow(results(d), f"out/us/{INET_SET}")
    assert (r.verdict.value, share(r), r.cause_key) == ("dropped", 1.0, "no-direct-internet")
    why = (
        "the perimeter lets no client of site us reach the internet directly "
        "(proxy.direct_internet: false)"
    )
    # The site router says how it routed and why the perimeter stops the packet there.
    assert {
        (b.reason, b.forward.hops[-1].node, b.forward.hops[-1].action) for b in r.trace.branches
    } == {(why, "site:us", f"default route to breakout us-inet; {why}")}


def test_the_most_answered_front_end_comes_first_whatever_its_name() -> None:
    """r's own breakout is down; its queries split at r between a (New York, 10 ms away) and
    b (5 ms, no breakout), and at b again between c (Paris) and e (London), each 5 ms on:
    three breakouts at the same distance. geoDNS answers New York for half the queries and
    London and Paris for a quarter each: the most answered comes first (it is the flow's
    front end), though two names sort before it; equal shares go by name."""
    d = design(
        sites={
            "r": site({"lat": 52.0, "lon": -30.0}, "10.1.0.0/16", users=100),
            "a": site("New York", "10.2.0.0/16"),
            "b": site("Amsterdam", "10.3.0.0/16"),
            "c": site("Paris", "10.4.0.0/16"),
            "e": site("London", "10.5.0.0/16"),
        },
        wan=[
            {"between": ["r", "a"], "latency_ms": 10},
            {"between": ["r", "b"], "latency_ms": 5},
            {"between": ["b", "c"], "latency_ms": 5},
            {"between": ["b", "e"], "latency_ms": 5},
        ],
        breakouts={
            "r-inet": breakout("r", "20.2.6.1/32", "20.2.6.0/24", up=False),
            "a-inet": breakout("a", "20.2.4.1/32", "20.2.4.0/24"),
            "c-inet": breakout("c", "20.2.5.1/32", "20.2.5.0/24"),
            "e-inet": breakout("e", "20.2.7.1/32", "20.2.7.0/24"),
        },
    )
    rs = results(d)
    assert owners(flow(rs, "dns/r")) == {
        "breakout:a-inet": 0.5,
        "breakout:c-inet": 0.25,
        "breakout:e-inet": 0.25,
    }
    r = flow(rs, f"out/r/{INET_SET}")
    assert [(fe, w) for fe, _, w in r.flow.answers] == [
        ("New York", 0.5),
        ("London", 0.25),
        ("Paris", 0.25),
    ]
    assert r.flow.front_end == "New York"
