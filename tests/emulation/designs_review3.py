"""Small designs for points the first two reviews leave out: a route filter that admits a service
at one circuit only, a prefix limit on one link, a proxy at another site, two firewalls with
the reply leaving by the breakout, entries from two regions, double NAT, a server at a scoped
site, as plain data (the helpers of ``designs``)."""

from __future__ import annotations

from typing import Any

from emulation import designs
from emulation.designs import breakout, circuit, design, site


def filter_at_the_other_circuit() -> dict[str, Any]:
    """hq prefers its own c1 (local preference 200), whose route filter admits SharePoint only;
    Exchange's routes come from c2 at dr alone, so Exchange leaves by c2 across the WAN."""
    return design(
        "route filter admits the service at the less preferred circuit only",
        {
            "hq": site("New York", ["10.210.0.0/16"]),
            "dr": site("Washington DC", ["10.211.0.0/16"], users=0),
        },
        wan=[{"between": ["hq", "dr"], "latency_ms": 5}],
        breakouts={"hq-inet": breakout("hq", "20.80.9.1/32", "20.80.9.0/24")},
        circuits={
            "c1": circuit(
                "hq",
                "New York",
                route_filter=["SharePoint"],
                local_preference=200,
                snat_pool="20.80.0.0/29",
                advertises=["20.80.0.0/29"],
            ),
            "c2": circuit(
                "dr", "Washington DC", snat_pool="20.80.0.8/29", advertises=["20.80.0.8/29"]
            ),
        },
    )


def prefix_limit_on_one_link() -> dict[str, Any]:
    """The primary link advertises 200 more /32s of its own besides the circuit's pool: that
    session sends 201 prefixes and Microsoft ends it; the secondary carries everything."""
    pool = "20.81.0.0/29"
    more = [f"20.81.{1 + i // 250}.{i % 250}/32" for i in range(200)]
    return design(
        "201 prefixes on the primary link only",
        {"hq": site("New York", ["10.212.0.0/16"])},
        breakouts={"hq-inet": breakout("hq", "20.81.9.1/32", "20.81.9.0/24")},
        circuits={
            "c1": circuit(
                "hq",
                "New York",
                snat_pool=pool,
                advertises=[pool],
                links={"primary": {"advertises": more}},
            )
        },
    )


def proxy_site_all() -> dict[str, Any]:
    """hq's clients send everything to a proxy at dc (`proxy.site`, no device); dc takes the
    preferred circuit's routes, which is c1 back at hq (local preference 200): the proxy's
    ExpressRoute-able connections cross the WAN back to hq and leave by c1."""
    return design(
        "proxy at another site, preferred circuit at the clients' site",
        {
            "hq": site("New York", ["10.213.0.0/16"], proxy={"mode": "all", "site": "dc"}),
            "dc": site("Washington DC", ["10.214.0.0/16"], users=0),
        },
        wan=[{"between": ["hq", "dc"], "latency_ms": 5}],
        breakouts={
            "hq-inet": breakout("hq", "20.82.8.1/32", "20.82.8.0/24"),
            "dc-inet": breakout("dc", "20.82.9.1/32", "20.82.9.0/24"),
        },
        circuits={
            "c1": circuit(
                "hq",
                "New York",
                local_preference=200,
                snat_pool="20.82.0.0/29",
                advertises=["20.82.0.0/29"],
            ),
            "c2": circuit(
                "dc", "Washington DC", snat_pool="20.82.0.8/29", advertises=["20.82.0.8/29"]
            ),
        },
    )


def two_firewalls_reply_by_breakout() -> dict[str, Any]:
    """A service entered by c1, through a perimeter firewall (a site device) and c1's own
    firewall; c1's route filter leaves Exchange out, so the reply to Exchange's initiator
    follows the default route to the breakout: the site firewall sees both directions, c1's
    firewall and its destination NAT only the request."""
    return design(
        "perimeter and circuit firewalls, reply by the breakout",
        {"dc": site("New York", ["10.215.0.0/16"], users=0, devices=["fw-p"])},
        breakouts={"dc-inet": breakout("dc", "20.83.9.1/32", "20.83.9.0/24")},
        circuits={
            "c1": circuit(
                "dc",
                "New York",
                route_filter=["SharePoint"],
                advertises=["20.83.0.10/32"],
                devices=["fw-c"],
            )
        },
        devices={
            "fw-p": {"kind": "firewall", "site": "dc"},
            "fw-c": {"kind": "firewall", "site": "dc"},
        },
        services={
            "app": {
                "fqdn": "app.contoso.com",
                "dns_record": "20.83.0.10",
                "public_address": "20.83.0.10",
                "internal_address": "10.215.1.10",
                "site": "dc",
                "entry": ["expressroute"],
                "initiator": "Exchange",
                "used_by_internet_users": False,
            }
        },
    )


def entries_from_two_regions() -> dict[str, Any]:
    """A service at hq entered by hq's circuit (New York) and eu's (Amsterdam), each with its own
    inbound source NAT, initiated from Boydton and Amsterdam: Microsoft's path to the
    published address does not depend on the region it starts in (equal AS paths: every link)."""
    return design(
        "entries from two regions",
        {
            "hq": site("New York", ["10.216.0.0/16"], users=0),
            "eu": site("Amsterdam", ["10.217.0.0/16"], users=0),
        },
        wan=[{"between": ["hq", "eu"], "latency_ms": 80}],
        breakouts={"hq-inet": breakout("hq", "20.84.9.1/32", "20.84.9.0/24")},
        circuits={
            "c1": circuit(
                "hq", "New York", advertises=["20.84.0.10/32"], inbound_snat_pool="20.84.1.0/29"
            ),
            "c2": circuit(
                "eu", "Amsterdam", advertises=["20.84.0.10/32"], inbound_snat_pool="20.84.1.8/29"
            ),
        },
        services={
            "app": {
                "fqdn": "app.contoso.com",
                "dns_record": "20.84.0.10",
                "public_address": "20.84.0.10",
                "internal_address": "10.216.1.10",
                "site": "hq",
                "entry": ["expressroute"],
                "initiator": "Exchange",
                "initiator_regions": ["Boydton", "Amsterdam"],
                "used_by_internet_users": False,
            }
        },
    )


def static_nat_on_two_circuits() -> dict[str, Any]:
    """A server published by stateless static NAT on both of its site's circuits (the same
    mapping on each, no firewall): whichever circuit Microsoft returns by reverses it, so the
    server's connections and the service's entries work both ways, asymmetrically."""
    static = {"kind": "nat", "site": "dc", "static_nat": True}
    return design(
        "one static NAT mapping on two circuits",
        {"dc": site("New York", ["10.223.0.0/16"], users=0)},
        breakouts={"dc-inet": breakout("dc", "20.85.9.1/32", "20.85.9.0/24")},
        circuits={
            "c1": circuit(
                "dc",
                "New York",
                local_preference=200,
                advertises=["20.85.0.10/32"],
                devices=["nat1"],
            ),
            "c2": circuit("dc", "Washington DC", advertises=["20.85.0.10/32"], devices=["nat2"]),
        },
        devices={"nat1": dict(static), "nat2": dict(static)},
        services={
            "app": {
                "fqdn": "app.contoso.com",
                "dns_record": "20.85.0.10",
                "public_address": "20.85.0.10",
                "internal_address": "10.223.1.10",
                "site": "dc",
                "entry": ["expressroute"],
                "initiator": "Exchange",
                "used_by_internet_users": False,
            }
        },
        servers={"mx": {"site": "dc", "address": "10.223.1.10", "connects_to": ["1"]}},
    )


def server_at_a_scoped_site() -> dict[str, Any]:
    """A server at dr, which takes no ExpressRoute routes and designates hq's breakout: its
    packets follow the default route to hq, whose router holds c1's routes and sends them
    there (hop by hop); a firewall at dr sees both ways."""
    return design(
        "server at a scoped site behind a site with routes",
        {
            "hq": site("New York", ["10.219.0.0/16"]),
            "dr": site(
                "Washington DC", ["10.220.0.0/16"], users=0, er_routes=False, devices=["fw"]
            ),
        },
        wan=[{"between": ["hq", "dr"], "latency_ms": 5}],
        breakouts={"hq-inet": breakout("hq", "20.86.9.1/32", "20.86.9.0/24")},
        circuits={
            "c1": circuit("hq", "New York", snat_pool="20.86.0.0/29", advertises=["20.86.0.0/29"])
        },
        devices={"fw": {"kind": "firewall", "site": "dr"}},
        servers={"mx": {"site": "dr", "address": "10.220.1.10", "connects_to": ["1", "8"]}},
    )


def hairpin_to_a_distant_circuit() -> dict[str, Any]:
    """eu's only ExpressRoute path is hq's New York circuit (80 ms away) while eu has its own
    breakout: the path is the same on both sides; the model calls it slow."""
    return design(
        "a distant circuit",
        {
            "hq": site("New York", ["10.221.0.0/16"], users=0),
            "eu": site("Amsterdam", ["10.222.0.0/16"]),
        },
        wan=[{"between": ["hq", "eu"], "latency_ms": 80}],
        breakouts={
            "hq-inet": breakout("hq", "20.87.8.1/32", "20.87.8.0/24"),
            "eu-inet": breakout("eu", "20.87.9.1/32", "20.87.9.0/24"),
        },
        circuits={
            "c1": circuit("hq", "New York", snat_pool="20.87.0.0/29", advertises=["20.87.0.0/29"])
        },
    )


def pool_on_internet_more_specific() -> dict[str, Any]:
    """hq's breakout announces the upper half of c1's pool to the internet, more specifically
    than c1 does: Microsoft returns that half by the internet, to a breakout edge that saw
    none of those connections."""
    return design(
        "half a circuit pool announced to the internet more specifically",
        {"hq": site("New York", ["10.224.0.0/16"])},
        breakouts={
            "hq-inet": {
                "site": "hq",
                "nat": ["20.88.9.1/32"],
                "advertises": ["20.88.9.0/24", "20.88.0.4/30"],
            }
        },
        circuits={
            "c1": circuit("hq", "New York", snat_pool="20.88.0.0/29", advertises=["20.88.0.0/29"])
        },
    )


def igp_hairpin() -> dict[str, Any]:
    """eu sits beside the Amsterdam circuit c2, but its WAN link there costs more than the one
    to New York: the IGP sends eu's ExpressRoute traffic across the Atlantic to c1."""
    return design(
        "an IGP cost that leads to the far circuit",
        {
            "eu": site("Amsterdam", ["10.225.0.0/16"]),
            "ams": site("Amsterdam", ["10.226.0.0/16"], users=0),
            "hq": site("New York", ["10.227.0.0/16"], users=0),
        },
        wan=[
            {"between": ["eu", "hq"], "latency_ms": 80, "cost": 10},
            {"between": ["eu", "ams"], "latency_ms": 5, "cost": 100},
        ],
        breakouts={"eu-inet": breakout("eu", "20.89.9.1/32", "20.89.9.0/24")},
        circuits={
            "c1": circuit("hq", "New York", snat_pool="20.89.0.0/29", advertises=["20.89.0.0/29"]),
            "c2": circuit(
                "ams", "Amsterdam", snat_pool="20.89.0.8/29", advertises=["20.89.0.8/29"]
            ),
        },
    )


def one_nat_device_on_two_circuits() -> dict[str, Any]:
    """One NAT device stands on both circuits' paths and translates into one pool both
    advertise; c1 (preferred) admits SharePoint only, so Exchange leaves by c2. Microsoft returns
    half the replies by c1: they cross the same device, which holds the session."""
    return design(
        "one NAT device on two circuits, the service filtered at one",
        {"hq": site("New York", ["10.228.0.0/16"])},
        breakouts={"hq-inet": breakout("hq", "20.90.9.1/32", "20.90.9.0/24")},
        circuits={
            "c1": circuit(
                "hq",
                "New York",
                route_filter=["SharePoint"],
                local_preference=200,
                snat_pool="20.90.0.0/29",
                advertises=["20.90.0.0/29"],
                devices=["nat"],
            ),
            "c2": circuit(
                "hq",
                "Washington DC",
                snat_pool="20.90.0.0/29",
                advertises=["20.90.0.0/29"],
                devices=["nat"],
            ),
        },
        devices={"nat": {"kind": "nat", "site": "hq"}},
    )


def proxy_chain_to_a_site_with_a_circuit() -> dict[str, Any]:
    """hq's proxy forwards everything to an upstream proxy at dc without an egress of its own:
    the upstream's connections are routed from dc, its ExpressRoute names by dc's circuit c2
    (hq's c1 is less preferred), the rest by dc's breakout."""
    return design(
        "proxy chain to a site with a preferred circuit",
        {
            "hq": site("New York", ["10.229.0.0/16"], proxy={"mode": "all", "device": "px1"}),
            "dc": site("Washington DC", ["10.230.0.0/16"], users=0),
        },
        wan=[{"between": ["hq", "dc"], "latency_ms": 5}],
        breakouts={
            "hq-inet": breakout("hq", "20.91.8.1/32", "20.91.8.0/24"),
            "dc-inet": breakout("dc", "20.91.9.1/32", "20.91.9.0/24"),
        },
        circuits={
            "c1": circuit("hq", "New York", snat_pool="20.91.0.0/29", advertises=["20.91.0.0/29"]),
            "c2": circuit(
                "dc",
                "Washington DC",
                local_preference=200,
                snat_pool="20.91.0.8/29",
                advertises=["20.91.0.8/29"],
            ),
        },
        devices={
            "px1": {"kind": "proxy", "site": "hq", "address": "10.229.255.10", "upstream": "px2"},
            "px2": {"kind": "proxy", "site": "dc", "address": "10.230.255.10"},
        },
    )


def prefix_limit_with_a_private_prefix() -> dict[str, Any]:
    """The circuit sends its pool, 199 more public /32s and its site's private prefix: 201
    prefixes on each session, of which Microsoft accepts 200 (the private one never)."""
    pool = "20.92.0.0/29"
    more = [f"20.92.{1 + i // 250}.{i % 250}/32" for i in range(199)]
    return design(
        "200 public prefixes and a private one on one session",
        {"hq": site("New York", ["10.231.0.0/16"])},
        breakouts={"hq-inet": breakout("hq", "20.92.9.1/32", "20.92.9.0/24")},
        circuits={
            "c1": circuit(
                "hq", "New York", snat_pool=pool, advertises=[pool, *more, "10.231.0.0/16"]
            )
        },
    )


def private_pool_advertised() -> dict[str, Any]:
    """The circuit translates into a private pool and advertises it: Microsoft learns nothing
    and drops the translated sources on entry."""
    return design(
        "a private pool advertised",
        {"hq": site("New York", ["10.232.0.0/16"])},
        breakouts={"hq-inet": breakout("hq", "20.93.9.1/32", "20.93.9.0/24")},
        circuits={
            "c1": circuit("hq", "New York", snat_pool="172.20.0.0/29", advertises=["172.20.0.0/29"])
        },
    )


def link_pools_advertised_on_both_links() -> dict[str, Any]:
    """Each link translates into its own pool, but the circuit advertises the covering /28 on
    both links (no link advertises its own pool): Microsoft returns each pool by either link,
    half of them to the link edge that did not translate it."""
    return design(
        "per-link pools behind one covering advertisement",
        {"hq": site("New York", ["10.233.0.0/16"])},
        breakouts={"hq-inet": breakout("hq", "20.94.9.1/32", "20.94.9.0/24")},
        circuits={
            "c1": circuit(
                "hq",
                "New York",
                advertises=["20.94.0.0/28"],
                links={
                    "primary": {"snat_pool": "20.94.0.0/29"},
                    "secondary": {"snat_pool": "20.94.0.8/29"},
                },
            )
        },
    )


def proxies_at_each_others_site() -> dict[str, Any]:
    """hq's clients use the proxy at dc (`proxy.site`) and dc's clients the one at hq: a
    proxy's own connections are direct from its site, whatever that site's clients do."""
    return design(
        "each site's proxy at the other site",
        {
            "hq": site("New York", ["10.234.0.0/16"], proxy={"mode": "all", "site": "dc"}),
            "dc": site("Washington DC", ["10.235.0.0/16"], proxy={"mode": "all", "site": "hq"}),
        },
        wan=[{"between": ["hq", "dc"], "latency_ms": 5}],
        breakouts={
            "hq-inet": breakout("hq", "20.95.8.1/32", "20.95.8.0/24"),
            "dc-inet": breakout("dc", "20.95.9.1/32", "20.95.9.0/24"),
        },
        circuits={
            "c1": circuit("hq", "New York", snat_pool="20.95.0.0/29", advertises=["20.95.0.0/29"]),
            "c2": circuit(
                "dc", "Washington DC", snat_pool="20.95.0.8/29", advertises=["20.95.0.8/29"]
            ),
        },
    )


def pool_pulled_back_wan_down() -> dict[str, Any]:
    """Half of us-er's pool is pulled back by eu-er's more specific prefix, and the WAN between
    the sites is down: eu-er's link edges reach no holder of the pool, so they forward those
    replies by their default route, inwards, to eu-er's customer edge, which never saw the
    connections and drops them (dropped, not a blackhole at the link edge)."""
    d = designs.pool_pulled_back()
    d["name"] += ", WAN down"
    d["wan"][0]["up"] = False
    return d


def internet_entry_behind_a_dead_firewall() -> dict[str, Any]:
    """A service published at the breakout, whose firewall towards the site is down: the
    breakout edge reaches no holder of the server's prefix and forwards by its default route,
    back to the internet, which has no route to the private address."""
    return design(
        "an internet entry behind a firewall that is down",
        {"dc": site("New York", ["10.236.0.0/16"], users=0)},
        breakouts={"dc-inet": breakout("dc", "20.96.9.1/32", "20.96.9.0/24", devices=["fw"])},
        devices={"fw": {"kind": "firewall", "site": "dc", "up": False}},
        services={
            "app": {
                "fqdn": "app.contoso.com",
                "dns_record": "20.96.9.10",
                "public_address": "20.96.9.10",
                "internal_address": "10.236.1.10",
                "site": "dc",
                "entry": ["internet"],
                "initiator": "Exchange",
            }
        },
    )


def stateless_firewall_forward_only() -> dict[str, Any]:
    """A public site prefix leaves by c1 (preferred) through a firewall declared stateless, and
    Microsoft returns by c2 (c1's advertisement is prepended): nothing on the way keeps state,
    so the connection works, asymmetric."""
    return design(
        "a stateless firewall on the forward path only",
        {"hq": site("New York", ["20.98.0.0/24"])},
        breakouts={"hq-inet": breakout("hq", "20.98.9.1/32", "20.98.9.0/24")},
        circuits={
            "c1": circuit(
                "hq",
                "New York",
                local_preference=200,
                advertises=["20.98.0.0/24"],
                prepend={"20.98.0.0/24": 2},
                devices=["fw1"],
            ),
            "c2": circuit("hq", "Washington DC", advertises=["20.98.0.0/24"]),
        },
        devices={"fw1": {"kind": "firewall", "site": "hq", "stateful": False}},
    )


def stateless_flag_on_translating_nats() -> dict[str, Any]:
    """Two circuits translate into one pool, each by a NAT device declared `stateful: false`:
    a NAT that translates into a pool keeps sessions whatever the flag says, so the replies
    Microsoft returns by the other circuit meet a NAT that never saw them."""
    pool = "20.99.0.0/29"
    return design(
        "one pool on two NAT devices declared stateless",
        {"hq": site("New York", ["10.237.0.0/16"])},
        breakouts={"hq-inet": breakout("hq", "20.99.9.1/32", "20.99.9.0/24")},
        circuits={
            "c1": circuit("hq", "New York", snat_pool=pool, advertises=[pool], devices=["n1"]),
            "c2": circuit("hq", "Washington DC", snat_pool=pool, advertises=[pool], devices=["n2"]),
        },
        devices={
            "n1": {"kind": "nat", "site": "hq", "stateful": False},
            "n2": {"kind": "nat", "site": "hq", "stateful": False},
        },
    )
