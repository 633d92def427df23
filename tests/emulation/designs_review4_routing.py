"""The fourth review's designs of routing, DNS and breakouts: hubs and scoped spokes, ties
between hubs and circuits, resolver egresses and designated breakouts (the helpers of
``designs``; collected in ``designs_review4.ALL``)."""

from __future__ import annotations

from typing import Any

from emulation.designs import breakout, circuit, design, site
from emulation.designs_review4_parts import service


def scoped_spoke_breakout_down() -> dict[str, Any]:
    """spoke takes no ExpressRoute routes and its own breakout is down: its default route (and
    its resolver's) falls to the hub's breakout, and the hub's router, holding c1's routes,
    sends the ExpressRoute-able names by c1 on the way (hop by hop)."""
    return design(
        "a scoped spoke whose breakout is down, behind a hub with routes",
        {
            "hub": site("New York", ["10.155.0.0/16"], users=0),
            "spoke": site("Washington DC", ["10.156.0.0/16"], er_routes=False),
        },
        wan=[{"between": ["hub", "spoke"], "latency_ms": 5}],
        breakouts={
            "hub-inet": breakout("hub", "20.115.8.1/32", "20.115.8.0/24"),
            "spoke-inet": breakout("spoke", "20.115.9.1/32", "20.115.9.0/24", up=False),
        },
        circuits={
            "c1": circuit(
                "hub", "New York", snat_pool="20.115.0.0/29", advertises=["20.115.0.0/29"]
            )
        },
    )


def wan_tie_between_two_hubs() -> dict[str, Any]:
    """spoke reaches two hubs at equal WAN cost, each with its own circuit; c2 advertises a
    prefix that is not its pool. The tie is followed: half of spoke's ExpressRoute connections
    leave by c2 and are dropped at Microsoft's source filter."""
    return design(
        "a WAN tie between two hubs, one circuit's pool not advertised",
        {
            "spoke": site("Chicago", ["10.158.0.0/16"]),
            "h1": site("New York", ["10.159.0.0/16"], users=0),
            "h2": site("Washington DC", ["10.160.0.0/16"], users=0),
        },
        wan=[
            {"between": ["spoke", "h1"], "latency_ms": 20, "cost": 10},
            {"between": ["spoke", "h2"], "latency_ms": 20, "cost": 10},
        ],
        breakouts={"spoke-inet": breakout("spoke", "20.118.9.1/32", "20.118.9.0/24")},
        circuits={
            "c1": circuit(
                "h1", "New York", snat_pool="20.118.0.0/29", advertises=["20.118.0.0/29"]
            ),
            "c2": circuit(
                "h2", "Washington DC", snat_pool="20.118.0.8/29", advertises=["20.118.1.0/29"]
            ),
        },
    )


def resolver_egress_by_a_detour() -> dict[str, Any]:
    """eu names us's breakout as its resolver egress; the direct WAN link is down, but the path
    through uk is up: the queries take the detour and every flow resolves."""
    return design(
        "a resolver egress reached by a detour",
        {
            "eu": site("Amsterdam", ["10.161.0.0/16"], resolver_egress="us-inet"),
            "uk": site("London", ["10.162.0.0/16"], users=0),
            "us": site("New York", ["10.163.0.0/16"], users=0),
        },
        wan=[
            {"between": ["eu", "us"], "latency_ms": 80, "up": False},
            {"between": ["eu", "uk"], "latency_ms": 10},
            {"between": ["uk", "us"], "latency_ms": 75},
        ],
        breakouts={
            "eu-inet": breakout("eu", "20.119.8.1/32", "20.119.8.0/24"),
            "us-inet": breakout("us", "20.119.9.1/32", "20.119.9.0/24"),
        },
        circuits={
            "c1": circuit(
                "eu", "Amsterdam", snat_pool="20.119.0.0/29", advertises=["20.119.0.0/29"]
            )
        },
    )


def proxy_chain_upstream_at_a_scoped_site() -> dict[str, Any]:
    """hq's proxy forwards to an upstream proxy at dc, which takes no ExpressRoute routes and
    leaves by dc's breakout: although hq holds c1's routes, every proxied name leaves by the
    internet at dc."""
    return design(
        "a proxy chain whose upstream sits behind another breakout",
        {
            "hq": site("New York", ["10.165.0.0/16"], proxy={"mode": "all", "device": "px1"}),
            "dc": site("Washington DC", ["10.166.0.0/16"], users=0, er_routes=False),
        },
        wan=[{"between": ["hq", "dc"], "latency_ms": 5}],
        breakouts={
            "hq-inet": breakout("hq", "20.121.8.1/32", "20.121.8.0/24"),
            "dc-inet": breakout("dc", "20.121.9.1/32", "20.121.9.0/24"),
        },
        circuits={
            "c1": circuit("hq", "New York", snat_pool="20.121.0.0/29", advertises=["20.121.0.0/29"])
        },
        devices={
            "px1": {"kind": "proxy", "site": "hq", "address": "10.165.255.10", "upstream": "px2"},
            "px2": {
                "kind": "proxy",
                "site": "dc",
                "address": "10.166.255.10",
                "egress": "dc-inet",
            },
        },
    )


def scoped_site_published_on_the_hubs_circuit() -> dict[str, Any]:
    """app at dc (no ExpressRoute routes, no breakout) is published on the hub's circuit
    without inbound source NAT. dc's replies follow its default route to the hub, whose
    router holds c1's routes and sends them back by c1 (hop by hop): they work."""
    return design(
        "a scoped site published on the hub's circuit",
        {
            "hub": site("New York", ["10.170.0.0/16"], users=0),
            "dc": site("Washington DC", ["10.171.0.0/16"], users=0, er_routes=False),
        },
        wan=[{"between": ["hub", "dc"], "latency_ms": 5}],
        breakouts={"hub-inet": breakout("hub", "20.124.9.1/32", "20.124.9.0/24")},
        circuits={"c1": circuit("hub", "New York", advertises=["20.124.0.10/32"])},
        services={"app": service("20.124.0.10", "10.171.1.10", "dc", ["c1"])},
    )


def breakout_behind_a_dead_firewall() -> dict[str, Any]:
    """hq's own breakout sits behind a firewall that is down; dc's breakout is one WAN hop away.
    hq's router cannot reach its breakout's edge, so its default route (and its resolver's
    queries) go by dc's."""
    return design(
        "a breakout behind a firewall that is down",
        {
            "hq": site("New York", ["10.172.0.0/16"]),
            "dc": site("Washington DC", ["10.173.0.0/16"], users=0),
        },
        wan=[{"between": ["hq", "dc"], "latency_ms": 5}],
        breakouts={
            "hq-inet": breakout("hq", "20.125.8.1/32", "20.125.8.0/24", devices=["fw"]),
            "dc-inet": breakout("dc", "20.125.9.1/32", "20.125.9.0/24"),
        },
        devices={"fw": {"kind": "firewall", "site": "hq", "up": False}},
    )


def site_firewall_with_multipath() -> dict[str, Any]:
    """hq balances over two circuits (`multipath`), each with its own pool, behind one
    firewall at the site: every reply comes back through the same firewall, so the two
    circuits are not an asymmetry."""
    return design(
        "two circuits balanced behind one site firewall",
        {"hq": site("New York", ["10.174.0.0/16"], multipath=True, devices=["fw"])},
        breakouts={"hq-inet": breakout("hq", "20.126.9.1/32", "20.126.9.0/24")},
        circuits={
            "c1": circuit(
                "hq", "New York", snat_pool="20.126.0.0/29", advertises=["20.126.0.0/29"]
            ),
            "c2": circuit(
                "hq", "Washington DC", snat_pool="20.126.0.8/29", advertises=["20.126.0.8/29"]
            ),
        },
        devices={"fw": {"kind": "firewall", "site": "hq"}},
    )


def server_behind_a_scoped_site_with_its_own_circuit() -> dict[str, Any]:
    """A server at dc, which takes no ExpressRoute routes although its own circuit c2 attaches
    there: its packets follow dc's default route to its breakout, never c2, whatever c2's local
    preference."""
    return design(
        "a scoped site's own circuit",
        {
            "hq": site("New York", ["10.176.0.0/16"], users=0),
            "dc": site("Washington DC", ["10.177.0.0/16"], users=0, er_routes=False),
        },
        wan=[{"between": ["hq", "dc"], "latency_ms": 5}],
        breakouts={"dc-inet": breakout("dc", "20.128.9.1/32", "20.128.9.0/24")},
        circuits={
            "c1": circuit(
                "hq", "New York", snat_pool="20.128.0.0/29", advertises=["20.128.0.0/29"]
            ),
            "c2": circuit(
                "dc",
                "Washington DC",
                local_preference=300,
                snat_pool="20.128.0.8/29",
                advertises=["20.128.0.8/29"],
            ),
        },
        servers={"mx": {"site": "dc", "address": "10.177.1.10", "connects_to": ["1", "8"]}},
    )


def two_breakouts_at_one_site() -> dict[str, Any]:
    """hq has two breakouts and names neither: its default route ties between them. b2 does
    not announce its NAT address, so the internet cannot answer the half that leaves by it."""
    return design(
        "two breakouts at one site, one not announcing its NAT address",
        {"hq": site("New York", ["10.180.0.0/16"])},
        breakouts={
            "b1": breakout("hq", "20.132.8.1/32", "20.132.8.0/24"),
            "b2": {"site": "hq", "nat": ["20.132.9.1/32"], "advertises": ["20.132.10.0/24"]},
        },
        circuits={
            "c1": circuit("hq", "New York", snat_pool="20.132.0.0/29", advertises=["20.132.0.0/29"])
        },
    )


def multipath_does_not_override_distance() -> dict[str, Any]:
    """spoke declares `multipath`, but its two hubs are at different WAN costs: multipath only
    balances what is still tied after the IGP distance, so everything leaves by the nearer
    hub's c1 (c2 does not advertise its pool, which would drop what it carried)."""
    return design(
        "multipath over circuits at different distances",
        {
            "spoke": site("Chicago", ["10.181.0.0/16"], multipath=True),
            "h1": site("New York", ["10.182.0.0/16"], users=0),
            "h2": site("Washington DC", ["10.183.0.0/16"], users=0),
        },
        wan=[
            {"between": ["spoke", "h1"], "latency_ms": 20, "cost": 10},
            {"between": ["spoke", "h2"], "latency_ms": 20, "cost": 20},
        ],
        breakouts={"spoke-inet": breakout("spoke", "20.133.9.1/32", "20.133.9.0/24")},
        circuits={
            "c1": circuit(
                "h1", "New York", snat_pool="20.133.0.0/29", advertises=["20.133.0.0/29"]
            ),
            "c2": circuit(
                "h2", "Washington DC", snat_pool="20.133.0.8/29", advertises=["20.133.1.0/29"]
            ),
        },
    )


def tie_with_one_link_down() -> dict[str, Any]:
    """hq's two circuits tie; c1's primary link is down. The tie is between circuits, not
    links: half the connections by c1's secondary, a quarter by each of c2's links."""
    return design(
        "a tie between two circuits, one with a link down",
        {"hq": site("New York", ["10.184.0.0/16"], multipath=True)},
        breakouts={"hq-inet": breakout("hq", "20.134.9.1/32", "20.134.9.0/24")},
        circuits={
            "c1": circuit(
                "hq",
                "New York",
                snat_pool="20.134.0.0/29",
                advertises=["20.134.0.0/29"],
                links={"primary": {"up": False}},
            ),
            "c2": circuit(
                "hq", "Washington DC", snat_pool="20.134.0.8/29", advertises=["20.134.0.8/29"]
            ),
        },
    )


def designated_breakout_down() -> dict[str, Any]:
    """eu designates us's breakout, which is down, and names no resolver egress: its default
    route falls over to its own breakout, and so do the queries of its resolver (at us, whose
    default route falls over the same way); geoDNS then answers for Amsterdam."""
    return design(
        "a designated breakout that is down",
        {
            "eu": site("Amsterdam", ["10.185.0.0/16"], breakout="us-inet"),
            "us": site("New York", ["10.186.0.0/16"], users=0),
        },
        wan=[{"between": ["eu", "us"], "latency_ms": 80}],
        breakouts={
            "eu-inet": breakout("eu", "20.135.8.1/32", "20.135.8.0/24"),
            "us-inet": breakout("us", "20.135.9.1/32", "20.135.9.0/24", up=False),
        },
        circuits={
            "c1": circuit(
                "eu", "Amsterdam", snat_pool="20.135.0.0/29", advertises=["20.135.0.0/29"]
            )
        },
    )


def breakouts_designated_crosswise() -> dict[str, Any]:
    """Each site designates the other's breakout: each router's default route points across
    the WAN, where the other router's points back. Hop by hop the internet traffic loops."""
    return design(
        "two sites designating each other's breakout",
        {
            "a": site("New York", ["10.187.0.0/16"], breakout="b-inet"),
            "b": site("Washington DC", ["10.188.0.0/16"], users=0, breakout="a-inet"),
        },
        wan=[{"between": ["a", "b"], "latency_ms": 5}],
        breakouts={
            "a-inet": breakout("a", "20.136.8.1/32", "20.136.8.0/24"),
            "b-inet": breakout("b", "20.136.9.1/32", "20.136.9.0/24"),
        },
        circuits={
            "c1": circuit("a", "New York", snat_pool="20.136.0.0/29", advertises=["20.136.0.0/29"])
        },
    )


def distant_designated_breakout() -> dict[str, Any]:
    """spoke designates far's breakout, 40 away by its own WAN link, while hub's is 5 away:
    spoke's internet traffic (and its resolver's queries) crosses the WAN to far-inet, the
    nearer hub-inet unused."""
    return design(
        "a distant designated breakout beside a nearer one",
        {
            "spoke": site("Chicago", ["10.204.0.0/16"], breakout="far-inet"),
            "hub": site("New York", ["10.205.0.0/16"], users=0),
            "far": site("Washington DC", ["10.206.0.0/16"], users=0),
        },
        wan=[
            {"between": ["spoke", "hub"], "latency_ms": 20, "cost": 5},
            {"between": ["spoke", "far"], "latency_ms": 20, "cost": 40},
        ],
        breakouts={
            "hub-inet": breakout("hub", "20.143.8.1/32", "20.143.8.0/24"),
            "far-inet": breakout("far", "20.143.9.1/32", "20.143.9.0/24"),
        },
    )
