"""A connection judged from its two walks (engine/connect.py): the request must reach the host it
was meant for, the reply must reach the initiator from the address it connected to, and what the
reply went through (ties, the reason it failed) stays on the branch (docs/flow-semantics.md
"State": "The initiator accepts a reply only from the address it connected to, to the address it
connected from")."""

from __future__ import annotations

from ipaddress import IPv4Address, IPv4Network
from typing import Any

from _semantics import (
    breakout,
    circuit,
    design,
    edges,
    flow,
    inbound,
    one_site,
    owners,
    results,
    service,
    share,
    site,
    two_sites,
)


def _public_server_behind_the_internet() -> dict[str, Any]:
    """Guide 001 Problem 1 with a public server address: mail is published at the New Jersey
    breakout (5.5.5.5 -> 1.1.3.101); nj's own circuit advertises 1.1.3.0/24 and translates
    nothing, so the server's reply leaves by it with the server's own address."""
    return design(
        sites={
            "nj": site({"lat": 40.55, "lon": -74.46}, "1.1.3.0/24"),
            "ny": site("New York", "10.40.0.0/16", breakout="nj-inet"),
        },
        wan=[{"between": ["nj", "ny"], "latency_ms": 2}],
        breakouts={"nj-inet": breakout("nj", "1.1.1.0/24", "5.5.0.0/16")},
        circuits={
            "ny-er": circuit("ny", "New York", "1.1.2.0/24"),
            "nj-er": circuit("nj", "Washington DC", None, advertises=["1.1.3.0/24"]),
        },
        services={"x": service("nj", "5.5.5.5", "1.1.3.101", ["nj-inet"])},
    )


def test_a_reply_from_another_address_than_the_one_connected_to_is_dropped() -> None:
    """Guide 001 Problem 1: the reply reaches Microsoft by ExpressRoute from 1.1.3.101, but
    Microsoft connected to 5.5.5.5: it drops the reply. The finding quotes both addresses."""
    r = inbound(results(_public_server_behind_the_internet()), "x")
    assert r.verdict.value == "dropped"
    assert share(r) == 1.0
    assert owners(r, "forward") == {"breakout:nj-inet": 1.0}
    assert owners(r, "back") == {"circuit:nj-er": 1.0}
    initiator = IPv4Address(r.trace.branches[0].forward.hops[0].src)
    want = (
        f"the initiator drops the reply: it comes from 1.1.3.101 to {initiator}, "
        f"not from 5.5.5.5 to {initiator}"
    )
    for b in r.trace.branches:
        assert b.back is not None
        assert (b.back.cause, b.back.disposition.value, b.reason) == ("initiator", "dropped", want)
    assert want in r.cause


def test_a_reply_routed_to_another_site_never_reaches_the_initiator() -> None:
    """eu lists as its own the /24 the Microsoft initiator's address is in: us routes the
    server's reply there (longest prefix first), and the initiator never gets it. What pulls
    the reply there is eu's prefix, which the finding names."""
    d = two_sites()
    d["sites"]["us"]["users"] = d["sites"]["eu"]["users"] = 0
    d["circuits"]["us-er"]["advertises"].append("20.2.3.0/24")
    d["services"] = {"mail": service("us", "20.2.3.59", "10.1.5.5", ["us-er"])}
    initiator = IPv4Address(inbound(results(d), "mail").flow.shares[0][0])
    d["sites"]["eu"]["prefixes"].append(str(IPv4Network(f"{initiator}/24", strict=False)))
    r = inbound(results(d), "mail")
    assert r.verdict.value == "dropped"
    assert share(r) == 1.0
    assert r.cause_key == "delivered-elsewhere"
    assert r.culprit == ("sites", "eu", "prefixes", 1)
    assert r.cause == (
        f"the reply is delivered to hosts of eu, not to the initiator: {initiator} lies in "
        f"{d['sites']['eu']['prefixes'][1]} of site eu (its most specific prefix there)"
    )
    for b in r.trace.branches:
        assert b.back is not None and b.back.cause == "delivered-elsewhere"
        assert b.reason == "the reply is delivered to hosts of eu, not to the initiator"
        assert b.back.hops[-1].node == "lan:eu"


def test_one_address_published_for_two_services_reaches_one_server_only() -> None:
    """Two services published at 20.2.3.59 with different servers: the edge holds one mapping,
    so one service's connections reach the other's server - no host answers there."""
    d = one_site()
    d["sites"]["us"]["users"] = 0
    d["circuits"]["us-er"]["advertises"].append("20.2.3.0/24")
    d["services"] = {
        "mail": service("us", "20.2.3.59", "10.1.5.5", ["us-er"]),
        "web": service("us", "20.2.3.59", "10.1.5.6", ["us-er"], fqdn="web.contoso.com"),
    }
    rs = results(d)
    broken = [inbound(rs, name) for name in ("mail", "web")]
    assert sorted(r.verdict.value for r in broken) == ["dropped", "ok"]
    (r,) = [r for r in broken if r.verdict.value == "dropped"]
    (ok,) = [x for x in broken if x is not r]
    meant = "10.1.5.5" if r.flow.origin == "mail" else "10.1.5.6"
    got = "10.1.5.6" if meant == "10.1.5.5" else "10.1.5.5"
    assert share(r) == 1.0
    assert r.cause_key == "wrong-host"
    why = f"no host answers on {got}: the request was meant for {meant}"
    for b in r.trace.branches:
        assert (b.forward.cause, b.reason, b.back) == ("wrong-host", why, None)
        assert (b.forward.disposition.value, b.forward.reason) == ("dropped", why)
        assert b.to_dict()["forward"]["reason"] == why
    assert all(b.forward.hops[-1].dst == int(IPv4Address(got)) for b in ok.trace.branches)


def test_a_tie_met_by_the_reply_is_on_every_branch() -> None:
    """A service published on two tied circuits, no inbound source NAT: the server's reply
    meets the tie (circuits c1, c2 at equal local preference and IGP distance); half the
    replies leave by the circuit that holds no session. Every branch - those that work and
    those that fail - says it went through the tie, and the flow depends on it."""
    d = design(
        sites={"s": site("New York", "10.1.0.0/16")},
        breakouts={"inet": breakout("s", "20.2.4.1/32", "20.2.4.0/24")},
        circuits={
            c: circuit("s", "New York", pool, advertises=[pool, "20.2.3.0/24"])
            for c, pool in (("c1", "20.2.2.0/29"), ("c2", "20.2.2.8/29"))
        },
        services={"mail": service("s", "20.2.3.59", "10.1.5.5", ["c1", "c2"])},
    )
    r = inbound(results(d), "mail")
    assert r.verdict.value == "dropped"
    assert share(r) == 0.5
    assert r.tie is True
    (tie,) = r.trace.ties
    assert "c1, c2" in tie
    assert {b.outcome.value for b in r.trace.branches} == {"ok", "dropped"}
    for b in r.trace.branches:
        assert b.ties == (tie,)
        assert b.to_dict()["ties"] == [tie]
    failed = {k: w for k, w in edges(r).items() if k[2] == "dropped"}
    assert round(sum(failed.values()), 6) == 0.5


def test_a_reply_that_bypasses_the_firewall_on_one_link_says_which() -> None:
    """A firewall on the primary link only: requests by the primary link whose replies come
    back by the secondary bypass it (it drops the initiator's next packets); requests by the
    secondary whose replies come back by the primary meet it without a session."""
    d = one_site(links={"primary": {"devices": ["fw"]}})
    d["devices"] = {"fw": {"site": "us"}}
    r = flow(results(d), "out/us/1")
    assert r.verdict.value == "dropped"
    assert share(r) == 0.5
    bypass = (
        "the reply bypasses firewall fw, which holds the connection's session: it drops the "
        "initiator's next packets"
    )
    got = {
        (b.forward.edge, b.back.edge if b.back else None): (b.outcome.value, b.reason)
        for b in r.trace.branches
    }
    assert got[("circuit:us-er/primary", "circuit:us-er/secondary")] == ("dropped", bypass)
    assert got[("circuit:us-er/secondary", "circuit:us-er/primary")][0] == "dropped"
    assert got[("circuit:us-er/primary", "circuit:us-er/primary")] == ("ok", "")
    for b in r.trace.branches:
        if b.reason == bypass:
            assert b.back is not None
            assert (b.back.cause, b.back.reason) == ("bypass", bypass)
            assert b.to_dict()["return"]["reason"] == bypass


def test_asymmetric_replies_through_static_nat_name_both_edges_and_the_tie() -> None:
    """mail is published by a static NAT device on each of two tied circuits: Microsoft enters
    by either, the server's reply leaves by either (the tie); replies leaving by the other
    circuit are translated there and work - asymmetric - and each branch says where the
    request and its reply crossed, and that it went through the tie."""
    d = design(
        sites={"s": site("New York", "10.1.0.0/16")},
        breakouts={"inet": breakout("s", "20.2.4.1/32", "20.2.4.0/24")},
        circuits={
            c: circuit("s", "New York", None, advertises=["20.2.3.0/24"], devices=[dev])
            for c, dev in (("c1", "nat1"), ("c2", "nat2"))
        },
        devices={n: {"kind": "nat", "site": "s", "static_nat": True} for n in ("nat1", "nat2")},
        services={"mail": service("s", "20.2.3.59", "10.1.5.5", ["c1", "c2"])},
    )
    r = inbound(results(d), "mail")
    assert r.verdict.value == "asymmetric"
    assert round(r.share_warned, 6) == 0.5
    (tie,) = r.trace.ties
    for b in r.trace.branches:
        assert b.ties == (tie,)
        assert b.back is not None
        if b.outcome.value == "asymmetric":
            assert b.reason == (
                f"the request crosses the network's edge at {b.forward.edge}, its reply at "
                f"{b.back.edge}"
            )
            assert (b.forward.edge or "")[:10] != (b.back.edge or "")[:10]
        else:
            assert b.outcome.value == "ok" and b.reason == ""


def test_a_bypass_on_one_of_two_tied_circuits_carries_the_tie() -> None:
    """c1 and c2 tie at site s; c1 has a firewall on its primary link only. The branches that
    bypass it, like every other branch, went through the undecided tie: the flow's outcome
    depends on it."""
    d = design(
        sites={"s": site("New York", "10.1.0.0/16", users=100)},
        breakouts={"inet": breakout("s", "20.2.4.1/32", "20.2.4.0/24")},
        circuits={
            "c1": circuit("s", "New York", "20.2.2.0/29", links={"primary": {"devices": ["fw"]}}),
            "c2": circuit("s", "New York", "20.2.2.8/29"),
        },
        devices={"fw": {"site": "s"}},
    )
    r = flow(results(d), "out/s/1")
    assert r.verdict.value == "dropped"
    assert share(r) == 0.25
    assert r.tie is True
    (tie,) = r.trace.ties
    bypassed = [b for b in r.trace.branches if b.back is not None and b.back.cause == "bypass"]
    assert round(sum(b.weight for b in bypassed), 6) == 0.125
    for b in r.trace.branches:
        assert b.ties == (tie,)
