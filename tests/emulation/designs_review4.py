"""Small designs for points the first three reviews leave out, each isolating one thing a tool
that reads a design naively gets wrong: an inbound pool pulled to another circuit by a more
specific pool, per-link pools with one link down, a static NAT beside a firewall, prepending
against local preference, a private ASN's prepends, a tie between two hubs, a resolver egress
reached by a detour, entries on two circuits with and without prepend, a scoped site replying
through a hub, and so on (the helpers of ``designs``)."""

from __future__ import annotations

from typing import Any

from emulation.designs import breakout, circuit, design, site
from emulation.designs_review4_parts import service


def inbound_pool_pulled_by_a_more_specific_pool() -> dict[str, Any]:
    """app is entered by c1 only, whose inbound source NAT translates into 20.110.1.0/29; c2's
    outbound pool is the upper /30 of it. Inside, the /30 is routed to c2's customer edge, so
    the server's replies to half of c1's inbound pool reach an edge that never saw them."""
    return design(
        "an inbound pool half pulled to another circuit by its outbound pool",
        {"dc": site("New York", ["10.150.0.0/16"], users=0)},
        breakouts={"dc-inet": breakout("dc", "20.110.9.1/32", "20.110.9.0/24")},
        circuits={
            "c1": circuit(
                "dc", "New York", advertises=["20.110.0.10/32"], inbound_snat_pool="20.110.1.0/29"
            ),
            "c2": circuit(
                "dc", "Washington DC", snat_pool="20.110.1.4/30", advertises=["20.110.1.4/30"]
            ),
        },
        services={"app": service("20.110.0.10", "10.150.1.10", "dc", ["c1"])},
    )


def link_pools_one_link_down() -> dict[str, Any]:
    """Each link translates into its own pool behind one covering advertisement (the third
    review's design that drops half), but the secondary link is down: only the primary's session
    carries the /28, so every reply comes back to the link that translated it."""
    return design(
        "per-link pools behind one advertisement, one link down",
        {"hq": site("New York", ["10.151.0.0/16"])},
        breakouts={"hq-inet": breakout("hq", "20.111.9.1/32", "20.111.9.0/24")},
        circuits={
            "c1": circuit(
                "hq",
                "New York",
                advertises=["20.111.0.0/28"],
                links={
                    "primary": {"snat_pool": "20.111.0.0/29"},
                    "secondary": {"snat_pool": "20.111.0.8/29", "up": False},
                },
            )
        },
    )


def static_nat_beside_a_firewall() -> dict[str, Any]:
    """A server published by static NAT on two circuits; c2 also has a stateful firewall. The
    static NATs reverse every packet, but the firewall keeps state: what enters by c2 and is
    answered by c1 (preferred) bypasses it, and what the server sends out by c1 and Microsoft
    returns by c2 meets it without a session."""
    static = {"kind": "nat", "site": "dc", "static_nat": True}
    return design(
        "a static NAT beside a stateful firewall",
        {"dc": site("New York", ["10.152.0.0/16"], users=0)},
        breakouts={"dc-inet": breakout("dc", "20.112.9.1/32", "20.112.9.0/24")},
        circuits={
            "c1": circuit(
                "dc",
                "New York",
                local_preference=200,
                advertises=["20.112.0.10/32"],
                devices=["nat1"],
            ),
            "c2": circuit(
                "dc", "Washington DC", advertises=["20.112.0.10/32"], devices=["fw", "nat2"]
            ),
        },
        devices={
            "nat1": dict(static),
            "nat2": dict(static),
            "fw": {"kind": "firewall", "site": "dc"},
        },
        services={"app": service("20.112.0.10", "10.152.1.10", "dc", ["expressroute"])},
        servers={"mx": {"site": "dc", "address": "10.152.1.10", "connects_to": ["1"]}},
    )


def pac_filter_admits_exchange_only(direct_internet: bool) -> dict[str, Any]:
    """The tenant uses Exchange and SharePoint; the PAC sends both services' ExpressRoute-able
    names DIRECT, but c1's route filter admits Exchange only: SharePoint's DIRECT names have
    no ExpressRoute route and follow the default route (refused at a proxy-only site)."""
    d = design(
        "a route filter that admits Exchange only, a PAC that sends SharePoint direct too",
        {
            "hq": site(
                "New York",
                ["10.153.0.0/16"],
                proxy={"mode": "pac", "device": "px", "direct_internet": direct_internet},
            )
        },
        breakouts={"hq-inet": breakout("hq", "20.113.9.1/32", "20.113.9.0/24")},
        circuits={
            "c1": circuit(
                "hq",
                "New York",
                route_filter=["Exchange"],
                snat_pool="20.113.0.0/29",
                advertises=["20.113.0.0/29"],
            )
        },
        devices={"px": {"kind": "proxy", "site": "hq", "address": "10.153.255.10"}},
    )
    d["tenant"]["services"] = ["Exchange", "SharePoint"]
    return d


def prepend_against_local_preference() -> dict[str, Any]:
    """hq's public /24 is advertised on c1 (hq, local preference 200) and c2 (dr); c1 prepends
    it. Local preference sends the requests by c1; the prepend sends Microsoft's replies by c2,
    whose firewall never saw a request."""
    return design(
        "prepending against local preference at two sites",
        {
            "hq": site("New York", ["20.114.0.0/24"]),
            "dr": site("Washington DC", ["10.154.0.0/16"], users=0),
        },
        wan=[{"between": ["hq", "dr"], "latency_ms": 5}],
        breakouts={"hq-inet": breakout("hq", "20.114.9.1/32", "20.114.9.0/24")},
        circuits={
            "c1": circuit(
                "hq",
                "New York",
                local_preference=200,
                advertises=["20.114.0.0/24"],
                prepend={"20.114.0.0/24": 2},
            ),
            "c2": circuit("dr", "Washington DC", advertises=["20.114.0.0/24"], devices=["fw2"]),
        },
        devices={"fw2": {"kind": "firewall", "site": "dr"}},
    )


def prefix_limit_on_one_of_a_shared_pool_pair() -> dict[str, Any]:
    """c1 and c2 translate into one pool both advertise (the pattern that drops half), but c1
    also sends 200 more /32s: Microsoft ends c1's sessions, so c1 neither carries requests nor
    receives replies, and everything works by c2."""
    pool = "20.116.0.0/29"
    more = [f"20.116.{1 + i // 250}.{i % 250}/32" for i in range(200)]
    return design(
        "201 prefixes on one circuit of a pair sharing a pool",
        {"hq": site("New York", ["10.157.0.0/16"])},
        breakouts={"hq-inet": breakout("hq", "20.116.9.1/32", "20.116.9.0/24")},
        circuits={
            "c1": circuit(
                "hq", "New York", local_preference=200, snat_pool=pool, advertises=[pool, *more]
            ),
            "c2": circuit("hq", "Washington DC", snat_pool=pool, advertises=[pool]),
        },
    )


def private_asn_prepends_stripped() -> dict[str, Any]:
    """c1's peer ASN is private and it prepends its own ASN three times; c2's is public, without
    prepend. Microsoft strips private ASNs: c1's path is the shorter, so the replies come by
    c1, while local preference sends the requests by c2 through its firewall."""
    return design(
        "a private ASN's prepends, stripped",
        {"hq": site("New York", ["20.117.0.0/24"])},
        breakouts={"hq-inet": breakout("hq", "20.117.9.1/32", "20.117.9.0/24")},
        circuits={
            "c1": circuit(
                "hq",
                "New York",
                peer_asn=65010,
                advertises=["20.117.0.0/24"],
                prepend={"20.117.0.0/24": 3},
            ),
            "c2": circuit(
                "hq",
                "Washington DC",
                local_preference=200,
                advertises=["20.117.0.0/24"],
                devices=["fw2"],
            ),
        },
        devices={"fw2": {"kind": "firewall", "site": "hq"}},
    )


def inbound_on_two_circuits_one_prepended(inbound_snat: bool) -> dict[str, Any]:
    """app is published on c1 and c2, c1 prepending its address: Microsoft enters by c2 only.
    dc's router prefers c1 (local preference 200): without inbound source NAT the replies leave
    by c1, past c2's destination NAT; with a pool per circuit they return to c2."""
    extra: dict[str, Any] = {"inbound_snat_pool": "20.120.1.0/29"} if inbound_snat else {}
    extra2: dict[str, Any] = {"inbound_snat_pool": "20.120.1.8/29"} if inbound_snat else {}
    return design(
        "inbound on two circuits, one prepended",
        {"dc": site("New York", ["10.164.0.0/16"], users=0)},
        breakouts={"dc-inet": breakout("dc", "20.120.9.1/32", "20.120.9.0/24")},
        circuits={
            "c1": circuit(
                "dc",
                "New York",
                local_preference=200,
                advertises=["20.120.0.10/32"],
                prepend={"20.120.0.10/32": 2},
                **extra,
            ),
            "c2": circuit("dc", "Washington DC", advertises=["20.120.0.10/32"], **extra2),
        },
        services={"app": service("20.120.0.10", "10.164.1.10", "dc", ["expressroute"])},
    )


def firewall_on_one_link() -> dict[str, Any]:
    """A firewall on c1's primary link only, the pool translated before the split: requests and
    replies are each balanced over both links, so a connection whose two directions take
    different links meets the firewall once (half of them)."""
    return design(
        "a firewall on one link of a circuit",
        {"hq": site("New York", ["10.167.0.0/16"])},
        breakouts={"hq-inet": breakout("hq", "20.122.9.1/32", "20.122.9.0/24")},
        circuits={
            "c1": circuit(
                "hq",
                "New York",
                snat_pool="20.122.0.0/29",
                advertises=["20.122.0.0/29"],
                links={"primary": {"devices": ["fw"]}},
            )
        },
        devices={"fw": {"kind": "firewall", "site": "hq"}},
    )


def internet_entry_answered_by_another_breakout() -> dict[str, Any]:
    """app is published at hq's breakout, but hq's internet traffic goes by dc's breakout
    (`breakout: dc-inet`): the server's replies to internet users leave there, past the
    breakout that translated the requests."""
    return design(
        "an internet entry answered by another breakout",
        {
            "hq": site("New York", ["10.168.0.0/16"], users=0, breakout="dc-inet"),
            "dc": site("Washington DC", ["10.169.0.0/16"], users=0),
        },
        wan=[{"between": ["hq", "dc"], "latency_ms": 5}],
        breakouts={
            "hq-inet": breakout("hq", "20.123.8.1/32", "20.123.8.0/24"),
            "dc-inet": breakout("dc", "20.123.9.1/32", "20.123.9.0/24"),
        },
        services={
            "app": service(
                "20.123.8.10",
                "10.168.1.10",
                "hq",
                ["internet"],
                used_by_internet_users=True,
            )
        },
    )


def pool_partly_advertised_on_the_link_that_is_up() -> dict[str, Any]:
    """The circuit's pool is split over the links' advertisements (each link advertises one
    half) and the secondary link is down: Microsoft accepts sources only from the primary's
    half, so the connections translated into the other half are dropped on entry."""
    return design(
        "a pool split over the links' advertisements, one link down",
        {"hq": site("New York", ["10.175.0.0/16"])},
        breakouts={"hq-inet": breakout("hq", "20.127.9.1/32", "20.127.9.0/24")},
        circuits={
            "c1": circuit(
                "hq",
                "New York",
                snat_pool="20.127.0.0/29",
                links={
                    "primary": {"advertises": ["20.127.0.0/30"]},
                    "secondary": {"advertises": ["20.127.0.4/30"], "up": False},
                },
            )
        },
    )


def inbound_snat_at_the_breakout_only() -> dict[str, Any]:
    """app is entered by the internet (with inbound source NAT at the breakout) and by c1
    (without), the breakout announcing a covering /16: Microsoft enters by c1's /32, internet users
    by the breakout; their replies return to the breakout by the pool, Exchange's by c1."""
    return design(
        "inbound source NAT at the breakout only",
        {"dc": site("New York", ["10.178.0.0/16"], users=0)},
        breakouts={
            "dc-inet": {"site": "dc", "nat": ["20.129.9.1/32"], "advertises": ["20.129.0.0/16"]}
        },
        circuits={"c1": circuit("dc", "New York", advertises=["20.129.0.10/32"])},
        services={
            "app": service(
                "20.129.0.10",
                "10.178.1.10",
                "dc",
                ["c1", "dc-inet"],
                inbound_snat={"dc-inet": "10.255.129.0/28"},
                used_by_internet_users=True,
            )
        },
    )


def per_link_destination_nat() -> dict[str, Any]:
    """app is published on c1 with its destination NAT on each link (a NAT device per link,
    stateful): Microsoft enters by both links and the customer edge returns by both, so a
    reply that takes the other link meets a NAT that never saw the request."""
    return design(
        "destination NAT per link",
        {"dc": site("New York", ["10.179.0.0/16"], users=0)},
        breakouts={"dc-inet": breakout("dc", "20.130.9.1/32", "20.130.9.0/24")},
        circuits={
            "c1": circuit(
                "dc",
                "New York",
                advertises=["20.130.0.10/32"],
                links={"primary": {"devices": ["n1"]}, "secondary": {"devices": ["n2"]}},
            )
        },
        devices={"n1": {"kind": "nat", "site": "dc"}, "n2": {"kind": "nat", "site": "dc"}},
        services={"app": service("20.130.0.10", "10.179.1.10", "dc", ["c1"])},
    )


def one_firewall_on_a_circuit_and_a_breakout() -> dict[str, Any]:
    """hq's public /24 leaves by c1 through fw; the untranslated breakout announces the /24 and
    its lower /25 more specifically, so Microsoft replies to that half by the internet, through
    the same firewall, which holds their sessions: they work, by another edge."""
    return design(
        "one firewall on a circuit and a breakout",
        {"hq": site("New York", ["20.131.0.0/24"])},
        breakouts={
            "hq-inet": {
                "site": "hq",
                "advertises": ["20.131.0.0/24", "20.131.0.0/25"],
                "devices": ["fw"],
            }
        },
        circuits={"c1": circuit("hq", "New York", advertises=["20.131.0.0/24"], devices=["fw"])},
        devices={"fw": {"kind": "firewall", "site": "hq"}},
    )


def expressroute_service_reached_by_the_internet() -> dict[str, Any]:
    """app is meant to be entered by ExpressRoute, but c1 does not advertise its address, which
    the breakout's /24 covers: Microsoft reaches it by the internet, through a breakout that
    holds no mapping, and the reply leaves by c1."""
    return design(
        "an ExpressRoute service reached by the internet",
        {"dc": site("New York", ["10.189.0.0/16"], users=0)},
        breakouts={"dc-inet": breakout("dc", "20.137.9.1/32", "20.137.9.0/24")},
        circuits={"c1": circuit("dc", "New York", advertises=["20.137.0.0/29"])},
        services={"app": service("20.137.9.10", "10.189.1.10", "dc", ["expressroute"])},
    )


def internet_entry_on_two_breakouts() -> dict[str, Any]:
    """app is published on the internet (every breakout holds its mapping) and both breakouts
    announce the same /24: the internet enters by either, and the server's replies leave by
    hq's own breakout, past the other one's translation."""
    return design(
        "an internet entry announced by two breakouts",
        {
            "hq": site("New York", ["10.190.0.0/16"], users=0),
            "dc": site("Washington DC", ["10.191.0.0/16"], users=0),
        },
        wan=[{"between": ["hq", "dc"], "latency_ms": 5}],
        breakouts={
            "b1": breakout("hq", "20.138.8.1/32", "20.138.8.0/24"),
            "b2": breakout("dc", "20.138.8.2/32", "20.138.8.0/24"),
        },
        services={
            "app": service(
                "20.138.8.10", "10.190.1.10", "hq", ["internet"], used_by_internet_users=True
            )
        },
    )


def site_prefix_split_by_a_more_specific_advertisement() -> dict[str, Any]:
    """hq's public /24 leaves untranslated by c1 (preferred) through a firewall; c2 advertises
    the upper /25 as well: Microsoft returns that half by c2, past the firewall."""
    return design(
        "a public site prefix half pulled to another circuit",
        {"hq": site("New York", ["20.139.0.0/24"])},
        breakouts={"hq-inet": breakout("hq", "20.139.9.1/32", "20.139.9.0/24")},
        circuits={
            "c1": circuit(
                "hq",
                "New York",
                local_preference=200,
                advertises=["20.139.0.0/24"],
                devices=["fw"],
            ),
            "c2": circuit("hq", "Washington DC", advertises=["20.139.0.128/25"]),
        },
        devices={"fw": {"kind": "firewall", "site": "hq"}},
    )


def pool_on_three_circuits() -> dict[str, Any]:
    """Three circuits translate into one pool they all advertise; hq prefers c1. Microsoft
    balances the replies over six links, two thirds of them to circuits that never saw the
    requests."""
    pool = "20.140.0.0/29"
    return design(
        "one pool on three circuits",
        {"hq": site("New York", ["10.192.0.0/16"])},
        breakouts={"hq-inet": breakout("hq", "20.140.9.1/32", "20.140.9.0/24")},
        circuits={
            "c1": circuit(
                "hq", "New York", local_preference=200, snat_pool=pool, advertises=[pool]
            ),
            "c2": circuit("hq", "Washington DC", snat_pool=pool, advertises=[pool]),
            "c3": circuit("hq", "Chicago", snat_pool=pool, advertises=[pool]),
        },
    )
