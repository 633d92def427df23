"""Small designs of the fifth review, each isolating one point a tool that reads a design
naively gets wrong and that the first four reviews leave out: per-link advertisements, a /32
beside its covering prefix, inbound entries translated on one circuit and not the other, one
inbound pool on a circuit and a breakout, a server across the WAN from its entry, a resolver
cut off by a firewall or a WAN link, an IPVPN site, a spoke between two breakouts, and so on
(the helpers of ``designs``)."""

from __future__ import annotations

from typing import Any

from emulation.designs import breakout, circuit, design, site
from emulation.designs_review4_parts import service


def server_slash32_beside_its_covering_prefix() -> dict[str, Any]:
    """hq's public /24 is advertised on c1 (preferred, with a firewall); c2 advertises only the
    /32 of the server mx. Users leave and come back by c1. mx leaves by c1 too, but Microsoft
    returns to the /32 by c2, bypassing the firewall that holds the session."""
    return design(
        "a server's /32 advertised apart from its covering /24",
        {"hq": site("New York", ["20.170.0.0/24"])},
        breakouts={"hq-inet": breakout("hq", "20.170.9.1/32", "20.170.9.0/24")},
        circuits={
            "c1": circuit(
                "hq",
                "New York",
                local_preference=200,
                advertises=["20.170.0.0/24"],
                devices=["fw1"],
            ),
            "c2": circuit("hq", "Washington DC", advertises=["20.170.0.10/32"]),
        },
        devices={"fw1": {"kind": "firewall", "site": "hq"}},
        servers={"mx": {"site": "hq", "address": "20.170.0.10", "connects_to": ["1"]}},
    )


def inbound_snat_on_the_other_circuit_only() -> dict[str, Any]:
    """app is published on c1 and c2; only c2 source-NATs inbound connections, and dc prefers
    c2. What enters by c2 comes back to c2's pool; what enters by c1 keeps Microsoft's source,
    and the reply follows dc's preference to c2, past c1's destination NAT."""
    app = service("20.171.0.10", "10.200.1.10", "dc", ["c1", "c2"])
    app["inbound_snat"] = {"c2": "20.171.1.0/29"}
    return design(
        "inbound source NAT on one of the two entries",
        {"dc": site("New York", ["10.200.0.0/16"], users=0)},
        breakouts={"dc-inet": breakout("dc", "20.171.9.1/32", "20.171.9.0/24")},
        circuits={
            "c1": circuit("dc", "New York", advertises=["20.171.0.10/32"]),
            "c2": circuit(
                "dc",
                "Washington DC",
                local_preference=200,
                advertises=["20.171.0.10/32", "20.171.1.0/29"],
            ),
        },
        services={"app": app},
    )


def one_inbound_pool_on_a_circuit_and_a_breakout() -> dict[str, Any]:
    """app is published on c1 and on the breakout, both translating inbound sources into the
    same /29. Inside, the pool is routed to one owner: the replies to what the other entry
    translated reach a device that holds no session."""
    pool = "20.172.1.0/29"
    app = service("20.172.0.10", "10.201.1.10", "dc", ["c1", "dc-inet"])
    app.update(inbound_snat={"c1": pool, "dc-inet": pool}, used_by_internet_users=True)
    return design(
        "one inbound pool on a circuit and a breakout",
        {"dc": site("New York", ["10.201.0.0/16"], users=0)},
        breakouts={"dc-inet": breakout("dc", "20.172.9.1/32", "20.172.0.0/24")},
        circuits={"c1": circuit("dc", "New York", advertises=["20.172.0.10/32", pool])},
        services={"app": app},
    )


def entry_across_the_wan_without_inbound_snat(inbound_snat: bool) -> dict[str, Any]:
    """app is published on hq's c1; its server stands at dr, which has its own circuit c2 and
    is nearer to it. Without inbound source NAT the reply to Microsoft's source leaves by c2,
    past c1's destination NAT; with c1's pool it goes back across the WAN to c1."""
    app = service("20.173.0.10", "10.202.1.10", "dr", ["c1"])
    if inbound_snat:
        app["inbound_snat"] = {"c1": "20.173.1.0/29"}
    return design(
        "an entry across the WAN from its server",
        {
            "hq": site("New York", ["10.203.0.0/16"], users=0),
            "dr": site("Washington DC", ["10.202.0.0/16"], users=0),
        },
        wan=[{"between": ["hq", "dr"], "latency_ms": 5}],
        breakouts={"hq-inet": breakout("hq", "20.173.9.1/32", "20.173.9.0/24")},
        circuits={
            "c1": circuit("hq", "New York", advertises=["20.173.0.10/32", "20.173.1.0/29"]),
            "c2": circuit(
                "dr", "Washington DC", snat_pool="20.173.2.0/29", advertises=["20.173.2.0/29"]
            ),
        },
        services={"app": app},
    )


def resolver_behind_a_dead_firewall() -> dict[str, Any]:
    """a resolves at b's breakout, whose perimeter firewall is down; a's own breakout and
    circuit are up. Name resolution cannot leave, so none of a's flows starts, though each
    would have a path."""
    return design(
        "a resolver egress behind a dead firewall",
        {
            "a": site("New York", ["10.204.0.0/16"], resolver_egress="b-inet"),
            "b": site("Washington DC", ["10.205.0.0/16"], users=0),
        },
        wan=[{"between": ["a", "b"], "latency_ms": 5}],
        breakouts={
            "a-inet": breakout("a", "20.174.9.1/32", "20.174.9.0/24"),
            "b-inet": breakout("b", "20.174.8.1/32", "20.174.8.0/24", devices=["fw-b"]),
        },
        circuits={
            "c1": circuit("a", "New York", snat_pool="20.174.0.0/29", advertises=["20.174.0.0/29"])
        },
        devices={"fw-b": {"kind": "firewall", "site": "b", "up": False}},
    )


def resolver_cut_off_by_the_wan() -> dict[str, Any]:
    """spoke has its own circuit and no breakout; it resolves at the hub's breakout and the WAN
    link to the hub is down. Its ExpressRoute paths are whole, but no name resolves."""
    return design(
        "a resolver egress cut off by the WAN",
        {
            "hub": site("New York", ["10.206.0.0/16"], users=0),
            "spoke": site("Washington DC", ["10.207.0.0/16"], resolver_egress="hub-inet"),
        },
        wan=[{"between": ["hub", "spoke"], "latency_ms": 5, "up": False}],
        breakouts={"hub-inet": breakout("hub", "20.175.9.1/32", "20.175.9.0/24")},
        circuits={
            "c1": circuit(
                "spoke", "Washington DC", snat_pool="20.175.0.0/29", advertises=["20.175.0.0/29"]
            )
        },
    )


def link_pools_primary_advertised_on_both() -> dict[str, Any]:
    """Each link translates into its own pool; the primary's pool is advertised on both links
    (as a backup), the secondary's on the secondary only. Microsoft returns half of the
    primary's replies by the secondary link, whose edge never translated them: a quarter of
    the connections, not a half and not none."""
    return design(
        "per-link pools, the primary's advertised on both links",
        {"hq": site("New York", ["10.208.0.0/16"])},
        breakouts={"hq-inet": breakout("hq", "20.176.9.1/32", "20.176.9.0/24")},
        circuits={
            "c1": circuit(
                "hq",
                "New York",
                links={
                    "primary": {"snat_pool": "20.176.0.0/29", "advertises": ["20.176.0.0/29"]},
                    "secondary": {
                        "snat_pool": "20.176.0.8/29",
                        "advertises": ["20.176.0.8/29", "20.176.0.0/29"],
                    },
                },
            )
        },
    )


def per_link_more_specific_behind_a_circuit_firewall() -> dict[str, Any]:
    """hq's public /24 is advertised on both links, its lower /25 on the primary only; the
    firewall stands before the split. Replies to the lower half come by the primary whatever
    link the request took, but the firewall sees both directions: nothing is lost."""
    return design(
        "a per-link more specific behind a circuit's firewall",
        {"hq": site("New York", ["20.177.0.0/24"])},
        breakouts={"hq-inet": breakout("hq", "20.177.9.1/32", "20.177.9.0/24")},
        circuits={
            "c1": circuit(
                "hq",
                "New York",
                advertises=["20.177.0.0/24"],
                devices=["fw1"],
                links={"primary": {"advertises": ["20.177.0.0/25"]}},
            )
        },
        devices={"fw1": {"kind": "firewall", "site": "hq"}},
    )


def public_prefix_advertised_on_the_dead_link_only() -> dict[str, Any]:
    """hq's public /24 is advertised on c1's primary link only (and to the internet by the
    breakout); the primary is down. Requests leave by the secondary (the circuit's filter still
    admits them); Microsoft answers over the internet, into the breakout, which never saw the
    connection."""
    return design(
        "a public prefix advertised on the link that is down",
        {"hq": site("New York", ["20.178.0.0/24"])},
        breakouts={"hq-inet": breakout("hq", "20.178.9.1/32", "20.178.0.0/23")},
        circuits={
            "c1": circuit(
                "hq",
                "New York",
                links={"primary": {"advertises": ["20.178.0.0/24"], "up": False}},
            )
        },
    )


def entry_advertised_on_the_dead_link_only() -> dict[str, Any]:
    """app is published on c1, whose primary link alone advertises its address and is down;
    the breakout announces the covering /24 to the internet without app's mapping. Microsoft
    reaches the address over the internet only, at an entry that cannot translate it."""
    return design(
        "an entry advertised on the link that is down",
        {"dc": site("New York", ["10.209.0.0/16"], users=0)},
        breakouts={"dc-inet": breakout("dc", "20.179.9.1/32", "20.179.0.0/16")},
        circuits={
            "c1": circuit(
                "dc",
                "New York",
                links={"primary": {"advertises": ["20.179.0.10/32"], "up": False}},
            )
        },
        services={"app": service("20.179.0.10", "10.209.1.10", "dc", ["c1"])},
    )


def breakout_nat_inside_a_circuit_advertisement() -> dict[str, Any]:
    """The breakout's NAT address lies in the /24 c1 advertises to Microsoft. SharePoint is not
    in c1's route filter, so it leaves by the breakout; Microsoft answers its NAT address over
    ExpressRoute (equal length, ExpressRoute first), into c1's edge, which never saw it."""
    d = design(
        "a breakout's NAT address inside a circuit's advertisement",
        {"hq": site("New York", ["20.180.0.0/25"])},
        breakouts={"hq-inet": breakout("hq", "20.180.0.200/32", "20.180.0.0/24")},
        circuits={
            "c1": circuit("hq", "New York", route_filter=["Exchange"], advertises=["20.180.0.0/24"])
        },
    )
    d["tenant"]["services"] = ["Exchange", "SharePoint"]
    return d


def spoke_between_two_breakouts() -> dict[str, Any]:
    """spoke has no breakout and none designated; two hubs each have one, equally far by the
    WAN. Its default route ties between them: each breakout translates what it carries and
    gets the replies, so every internet flow works whichever is taken."""
    return design(
        "a spoke equally far from two breakouts",
        {
            "h1": site("New York", ["10.210.0.0/16"], users=0),
            "h2": site("Washington DC", ["10.211.0.0/16"], users=0),
            "spoke": site("Philadelphia", ["10.212.0.0/16"]),
        },
        wan=[
            {"between": ["spoke", "h1"], "latency_ms": 5},
            {"between": ["spoke", "h2"], "latency_ms": 5},
        ],
        breakouts={
            "h1-inet": breakout("h1", "20.181.9.1/32", "20.181.9.0/24"),
            "h2-inet": breakout("h2", "20.181.8.1/32", "20.181.8.0/24"),
        },
        circuits={
            "c1": circuit("h1", "New York", snat_pool="20.181.0.0/29", advertises=["20.181.0.0/29"])
        },
    )


def local_preference_beats_distance() -> dict[str, Any]:
    """spoke is 2 ms from h1 (c1) and 40 ms from h2 (c2, local preference 200): the routes of
    the preferred circuit win over the nearer one; every flow crosses the WAN to h2."""
    return design(
        "local preference over IGP distance",
        {
            "h1": site("New York", ["10.213.0.0/16"], users=0),
            "h2": site("Chicago", ["10.214.0.0/16"], users=0),
            "spoke": site("Philadelphia", ["10.215.0.0/16"]),
        },
        wan=[
            {"between": ["spoke", "h1"], "latency_ms": 2},
            {"between": ["spoke", "h2"], "latency_ms": 40},
        ],
        breakouts={"spoke-inet": breakout("spoke", "20.182.9.1/32", "20.182.9.0/24")},
        circuits={
            "c1": circuit(
                "h1", "New York", snat_pool="20.182.0.0/29", advertises=["20.182.0.0/29"]
            ),
            "c2": circuit(
                "h2",
                "Chicago",
                local_preference=200,
                snat_pool="20.182.1.0/29",
                advertises=["20.182.1.0/29"],
            ),
        },
    )


def prepend_against_igp_distance() -> dict[str, Any]:
    """hq's public /24 is advertised on c1 (at hq, prepended twice) and c2 (at dr). hq's router
    takes c1, the nearer; Microsoft answers by c2, and the reply crosses the WAN back to hq
    past c1's firewall, which holds the session."""
    return design(
        "prepending against the IGP distance",
        {
            "hq": site("New York", ["20.183.0.0/24"]),
            "dr": site("Washington DC", ["10.216.0.0/16"], users=0),
        },
        wan=[{"between": ["hq", "dr"], "latency_ms": 5}],
        breakouts={"hq-inet": breakout("hq", "20.183.9.1/32", "20.183.9.0/24")},
        circuits={
            "c1": circuit(
                "hq",
                "New York",
                advertises=["20.183.0.0/24"],
                prepend={"20.183.0.0/24": 2},
                devices=["fw1"],
            ),
            "c2": circuit("dr", "Washington DC", advertises=["20.183.0.0/24"]),
        },
        devices={"fw1": {"kind": "firewall", "site": "hq"}},
    )


def proxy_egress_past_a_site_firewall() -> dict[str, Any]:
    """branch sends everything to px at hq; px leaves by dc's breakout. dc's site firewall
    stands between dc's hosts and its router: transit traffic never crosses it, so the
    proxy's connections work both ways."""
    return design(
        "a proxy egress across a site with its own firewall",
        {
            "hq": site("New York", ["10.217.0.0/16"], users=0),
            "dc": site("Washington DC", ["10.218.0.0/16"], users=0, devices=["fw-dc"]),
            "branch": site(
                "Philadelphia", ["10.219.0.0/16"], proxy={"mode": "all", "device": "px"}
            ),
        },
        wan=[
            {"between": ["branch", "hq"], "latency_ms": 3},
            {"between": ["hq", "dc"], "latency_ms": 3},
        ],
        breakouts={"dc-inet": breakout("dc", "20.184.9.1/32", "20.184.9.0/24")},
        devices={
            "fw-dc": {"kind": "firewall", "site": "dc"},
            "px": {"kind": "proxy", "site": "hq", "address": "10.217.255.10", "egress": "dc-inet"},
        },
    )


def proxy_chain_through_a_firewall_on_the_circuit() -> dict[str, Any]:
    """px1 at branch forwards to px2 at hq (pac mode at branch: ExpressRoute names DIRECT).
    The DIRECT names leave branch by hq's c1, through c1's firewall, and come back by it;
    the proxied names leave by hq's breakout from px2: all work."""
    return design(
        "a proxy chain beside a circuit's firewall",
        {
            "hq": site("New York", ["10.220.0.0/16"], users=0),
            "branch": site(
                "Philadelphia", ["10.221.0.0/16"], proxy={"mode": "pac", "device": "px1"}
            ),
        },
        wan=[{"between": ["branch", "hq"], "latency_ms": 3}],
        breakouts={"hq-inet": breakout("hq", "20.185.9.1/32", "20.185.9.0/24")},
        circuits={
            "c1": circuit(
                "hq",
                "New York",
                snat_pool="20.185.0.0/29",
                advertises=["20.185.0.0/29"],
                devices=["fw1"],
            )
        },
        devices={
            "fw1": {"kind": "firewall", "site": "hq"},
            "px1": {
                "kind": "proxy",
                "site": "branch",
                "address": "10.221.255.10",
                "upstream": "px2",
            },
            "px2": {"kind": "proxy", "site": "hq", "address": "10.220.255.10"},
        },
    )


def ipvpn_site_egress(listed: bool) -> dict[str, Any]:
    """c1 is an any-to-any IPVPN circuit attached at hq; branch (40 ms from hq by the WAN) is
    listed in ``ipvpn_sites`` or not. Listed, its ExpressRoute traffic enters the IPVPN at
    branch itself (design format: 'their ExpressRoute traffic leaves there, not at the
    circuit's site'); not listed, it hairpins through hq."""
    c1 = circuit(
        "hq",
        "New York",
        connectivity="ipvpn",
        snat_pool="20.186.0.0/29",
        advertises=["20.186.0.0/29"],
    )
    if listed:
        c1["ipvpn_sites"] = ["branch"]
    return design(
        "an IPVPN site egressing itself" if listed else "an IPVPN site hairpinning",
        {
            "hq": site("New York", ["10.222.0.0/16"], users=0),
            "branch": site("Chicago", ["10.223.0.0/16"]),
        },
        wan=[{"between": ["branch", "hq"], "latency_ms": 40}],
        breakouts={"branch-inet": breakout("branch", "20.186.9.1/32", "20.186.9.0/24")},
        circuits={"c1": c1},
    )


def smtp_entry_on_expressroute_only() -> dict[str, Any]:
    """mail is published for Exchange Online Protection on port 25 on c1 only. Some of EOP's
    senders are outside the prefixes Microsoft advertises over ExpressRoute and come over the
    internet, to a breakout without the mapping."""
    mail = service("20.187.0.10", "10.224.1.10", "dc", ["c1"], ports=[25])
    mail["fqdn"] = "mail.contoso.com"
    return design(
        "SMTP published on ExpressRoute only",
        {"dc": site("New York", ["10.224.0.0/16"], users=0)},
        breakouts={"dc-inet": breakout("dc", "20.187.9.1/32", "20.187.0.0/24")},
        circuits={"c1": circuit("dc", "New York", advertises=["20.187.0.10/32"])},
        services={"mail": mail},
    )


def inbound_on_internet_and_expressroute() -> dict[str, Any]:
    """app is published on c1 and on the breakout, which announces the same /24 c1 advertises.
    Microsoft prefers ExpressRoute at equal length, internet users come by the breakout; each
    reply follows the route to its initiator: both work."""
    app = service("20.188.0.10", "10.225.1.10", "dc", ["c1", "dc-inet"])
    app["used_by_internet_users"] = True
    return design(
        "one service on a circuit and a breakout",
        {"dc": site("New York", ["10.225.0.0/16"], users=0)},
        breakouts={"dc-inet": breakout("dc", "20.188.9.1/32", "20.188.0.0/24")},
        circuits={"c1": circuit("dc", "New York", advertises=["20.188.0.0/24"])},
        services={"app": app},
    )


def secondary_down_firewall_on_primary_shared_pool() -> dict[str, Any]:
    """c1 and c2 at one site share a pool (the pattern that drops half), but c2's secondary is
    down and its primary carries a firewall that is down too: c2 carries no request, yet
    Microsoft still returns half the replies to c2's secondary... which is down, so its routes
    are withdrawn: everything comes back by c1."""
    pool = "20.189.0.0/29"
    return design(
        "a shared pool with the other circuit's links out",
        {"hq": site("New York", ["10.226.0.0/16"])},
        breakouts={"hq-inet": breakout("hq", "20.189.9.1/32", "20.189.9.0/24")},
        circuits={
            "c1": circuit("hq", "New York", snat_pool=pool, advertises=[pool]),
            "c2": circuit(
                "hq",
                "Washington DC",
                snat_pool=pool,
                advertises=[pool],
                links={"primary": {"devices": ["fw2"]}, "secondary": {"up": False}},
            ),
        },
        devices={"fw2": {"kind": "firewall", "site": "hq", "up": False}},
    )


def server_behind_a_stateless_firewall_on_the_return() -> dict[str, Any]:
    """mx, a public server at hq, leaves by c1 (preferred) through a stateful firewall; c2's
    firewall is stateless. Microsoft balances the replies over both (no prepend): those by c2
    bypass c1's firewall, which holds the session."""
    return design(
        "a stateless firewall on the return beside a stateful one",
        {"hq": site("New York", ["20.190.0.0/24"], users=0)},
        breakouts={"hq-inet": breakout("hq", "20.190.9.1/32", "20.190.9.0/24")},
        circuits={
            "c1": circuit(
                "hq",
                "New York",
                local_preference=200,
                advertises=["20.190.0.0/24"],
                devices=["fw1"],
            ),
            "c2": circuit("hq", "Washington DC", advertises=["20.190.0.0/24"], devices=["fw2"]),
        },
        devices={
            "fw1": {"kind": "firewall", "site": "hq"},
            "fw2": {"kind": "firewall", "site": "hq", "stateful": False},
        },
        servers={"mx": {"site": "hq", "address": "20.190.0.10", "connects_to": ["1"]}},
    )


def designated_breakout_beside_own_resolver() -> dict[str, Any]:
    """a has its own breakout but designates b's for its internet traffic, and resolves at its
    own (``resolver_egress``). Queries leave by a-inet, everything else by b-inet."""
    return design(
        "a designated breakout and a resolver at the site's own",
        {
            "a": site("New York", ["10.227.0.0/16"], breakout="b-inet", resolver_egress="a-inet"),
            "b": site("Washington DC", ["10.228.0.0/16"], users=0),
        },
        wan=[{"between": ["a", "b"], "latency_ms": 5}],
        breakouts={
            "a-inet": breakout("a", "20.191.9.1/32", "20.191.9.0/24"),
            "b-inet": breakout("b", "20.191.8.1/32", "20.191.8.0/24"),
        },
    )


def static_nat_on_one_circuit_stateful_on_the_other() -> dict[str, Any]:
    """app is published on c1 by a stateless static NAT and on c2 by a stateful NAT; dc prefers
    c1. Entries by c1 return by c1; entries by c2 are answered by c1, whose static NAT
    translates the reply anyway, past c2's NAT that holds the session."""
    return design(
        "a static NAT beside a stateful NAT",
        {"dc": site("New York", ["10.229.0.0/16"], users=0)},
        breakouts={"dc-inet": breakout("dc", "20.192.9.1/32", "20.192.9.0/24")},
        circuits={
            "c1": circuit(
                "dc",
                "New York",
                local_preference=200,
                advertises=["20.192.0.10/32"],
                devices=["nat1"],
            ),
            "c2": circuit("dc", "Washington DC", advertises=["20.192.0.10/32"], devices=["nat2"]),
        },
        devices={
            "nat1": {"kind": "nat", "site": "dc", "static_nat": True},
            "nat2": {"kind": "nat", "site": "dc"},
        },
        services={"app": service("20.192.0.10", "10.229.1.10", "dc", ["expressroute"])},
    )


def wan_cost_over_latency() -> dict[str, Any]:
    """spoke is 2 ms from h1 (c1) and 40 ms from h2 (c2), but the WAN costs say the opposite
    (100 and 10): the IGP follows the costs, so every ExpressRoute flow goes by c2."""
    return design(
        "WAN costs against WAN latency",
        {
            "h1": site("New York", ["10.230.0.0/16"], users=0),
            "h2": site("Chicago", ["10.231.0.0/16"], users=0),
            "spoke": site("Philadelphia", ["10.232.0.0/16"]),
        },
        wan=[
            {"between": ["spoke", "h1"], "latency_ms": 2, "cost": 100},
            {"between": ["spoke", "h2"], "latency_ms": 40, "cost": 10},
        ],
        breakouts={"spoke-inet": breakout("spoke", "20.193.9.1/32", "20.193.9.0/24")},
        circuits={
            "c1": circuit(
                "h1", "New York", snat_pool="20.193.0.0/29", advertises=["20.193.0.0/29"]
            ),
            "c2": circuit("h2", "Chicago", snat_pool="20.193.1.0/29", advertises=["20.193.1.0/29"]),
        },
    )


def nat_device_down_on_the_preferred_circuit() -> dict[str, Any]:
    """c1 (preferred) translates with its NAT device nat1, which is down; c2 translates into its
    own pool. hq's router moves to c2 and everything comes back by c2."""
    return design(
        "the preferred circuit's NAT device down",
        {"hq": site("New York", ["10.233.0.0/16"])},
        breakouts={"hq-inet": breakout("hq", "20.194.9.1/32", "20.194.9.0/24")},
        circuits={
            "c1": circuit(
                "hq",
                "New York",
                local_preference=200,
                snat_pool="20.194.0.0/29",
                advertises=["20.194.0.0/29"],
                devices=["nat1"],
            ),
            "c2": circuit(
                "hq", "Washington DC", snat_pool="20.194.1.0/29", advertises=["20.194.1.0/29"]
            ),
        },
        devices={"nat1": {"kind": "nat", "site": "hq", "up": False}},
    )


def router_device_on_one_circuit() -> dict[str, Any]:
    """A device of kind router stands on c1 (preferred); hq's public /24 is advertised on both
    circuits. A router keeps state only when the design says so (``stateful`` defaults to
    true for every kind): half the replies come back by c2, past it."""
    return design(
        "a device of kind router on one circuit",
        {"hq": site("New York", ["20.195.0.0/24"])},
        breakouts={"hq-inet": breakout("hq", "20.195.9.1/32", "20.195.9.0/24")},
        circuits={
            "c1": circuit(
                "hq",
                "New York",
                local_preference=200,
                advertises=["20.195.0.0/24"],
                devices=["r1"],
            ),
            "c2": circuit("hq", "Washington DC", advertises=["20.195.0.0/24"]),
        },
        devices={"r1": {"kind": "router", "site": "hq"}},
    )


def other_microsoft_services_on_expressroute_only() -> dict[str, Any]:
    """app is published on c1 only and also used by other Microsoft services, whose sources are
    not in the prefixes Microsoft 365's route filter brings: they come over the internet."""
    app = service("20.196.0.10", "10.234.1.10", "dc", ["c1"])
    app["used_by_other_microsoft_services"] = True
    return design(
        "other Microsoft services to an ExpressRoute-only entry",
        {"dc": site("New York", ["10.234.0.0/16"], users=0)},
        breakouts={"dc-inet": breakout("dc", "20.196.9.1/32", "20.196.0.0/24")},
        circuits={"c1": circuit("dc", "New York", advertises=["20.196.0.10/32"])},
        services={"app": app},
    )


def shared_pool_split_by_route_filters() -> dict[str, Any]:
    """c1 admits Exchange only, c2 SharePoint only, and both translate into one pool they both
    advertise. Exchange can leave by c1 alone, yet Microsoft returns to the pool over both
    circuits: half of it reaches c2's edge, which never saw it."""
    pool = "20.197.0.0/29"
    d = design(
        "one pool, two circuits with different route filters",
        {"hq": site("New York", ["10.235.0.0/16"])},
        breakouts={"hq-inet": breakout("hq", "20.197.9.1/32", "20.197.9.0/24")},
        circuits={
            "c1": circuit(
                "hq", "New York", route_filter=["Exchange"], snat_pool=pool, advertises=[pool]
            ),
            "c2": circuit(
                "hq",
                "Washington DC",
                route_filter=["SharePoint"],
                snat_pool=pool,
                advertises=[pool],
            ),
        },
    )
    d["tenant"]["services"] = ["Exchange", "SharePoint"]
    return d


def entry_on_three_links_reply_tied() -> dict[str, Any]:
    """app's address is advertised on both of c1's links and on c2's secondary only: Microsoft
    enters by three links, two thirds by c1. dc's router ties between c1 and c2 (no multipath):
    either circuit may take every reply, so the outcome hangs on the tie."""
    return design(
        "an entry on three links, its replies tied",
        {"dc": site("New York", ["10.236.0.0/16"], users=0)},
        breakouts={"dc-inet": breakout("dc", "20.198.9.1/32", "20.198.9.0/24")},
        circuits={
            "c1": circuit("dc", "New York", advertises=["20.198.0.10/32"]),
            "c2": circuit(
                "dc",
                "Washington DC",
                links={"secondary": {"advertises": ["20.198.0.10/32"]}},
            ),
        },
        services={"app": service("20.198.0.10", "10.236.1.10", "dc", ["expressroute"])},
    )


ALL = {
    f.__name__: f
    for f in (
        server_slash32_beside_its_covering_prefix,
        inbound_snat_on_the_other_circuit_only,
        one_inbound_pool_on_a_circuit_and_a_breakout,
        resolver_behind_a_dead_firewall,
        resolver_cut_off_by_the_wan,
        link_pools_primary_advertised_on_both,
        per_link_more_specific_behind_a_circuit_firewall,
        public_prefix_advertised_on_the_dead_link_only,
        entry_advertised_on_the_dead_link_only,
        breakout_nat_inside_a_circuit_advertisement,
        spoke_between_two_breakouts,
        local_preference_beats_distance,
        prepend_against_igp_distance,
        proxy_egress_past_a_site_firewall,
        proxy_chain_through_a_firewall_on_the_circuit,
        smtp_entry_on_expressroute_only,
        inbound_on_internet_and_expressroute,
        secondary_down_firewall_on_primary_shared_pool,
        server_behind_a_stateless_firewall_on_the_return,
        designated_breakout_beside_own_resolver,
        static_nat_on_one_circuit_stateful_on_the_other,
        wan_cost_over_latency,
        nat_device_down_on_the_preferred_circuit,
        router_device_on_one_circuit,
        other_microsoft_services_on_expressroute_only,
        shared_pool_split_by_route_filters,
        entry_on_three_links_reply_tied,
    )
}
