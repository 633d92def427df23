"""Small designs, one per semantic point of docs/flow-semantics.md, as plain data.

Each keeps the tenant to the Exchange service area (five endpoint sets: 1, 2, 9 and 10 are
ExpressRoute-able, 8 is served by a third party), so a build stays small and fast.
"""

from __future__ import annotations

from typing import Any

RF = ["Exchange", "SharePoint", "Skype", "Other Office 365"]
ER_SETS = (1, 2, 9, 10)
THIRD_PARTY_SET = 8


def design(name: str, sites: dict[str, Any], **parts: Any) -> dict[str, Any]:
    d: dict[str, Any] = {
        "erplan": 1,
        "name": name,
        "tenant": {"geography": "US", "services": ["Exchange"]},
        "sites": sites,
    }
    d.update(parts)
    return d


def site(
    where: str | dict[str, float], prefixes: list[str], users: int = 100, **extra: Any
) -> dict[str, Any]:
    s: dict[str, Any] = {"location": where, "users": users, "prefixes": prefixes}
    s.update(extra)
    return s


def circuit(site_name: str, where: str, **extra: Any) -> dict[str, Any]:
    c: dict[str, Any] = {
        "peering_location": where,
        "site": site_name,
        "peer_asn": 394500,
        "route_filter": list(RF),
    }
    c.update(extra)
    return c


def breakout(site_name: str, nat: str, advertises: str, **extra: Any) -> dict[str, Any]:
    b: dict[str, Any] = {"site": site_name, "nat": [nat], "advertises": [advertises]}
    b.update(extra)
    return b


def forward_only_state() -> dict[str, Any]:
    """A public site prefix (no NAT) leaves by c1 (higher local preference) through a
    stateful firewall; Microsoft returns by c2 (c1's advertisement is prepended): the reply
    bypasses the firewall, which then drops the client's next packets."""
    return design(
        "stateful device on the forward path only",
        {"hq": site("New York", ["20.50.0.0/24"])},
        breakouts={"hq-inet": breakout("hq", "20.50.9.1/32", "20.50.9.0/24")},
        circuits={
            "c1": circuit(
                "hq",
                "New York",
                local_preference=200,
                advertises=["20.50.0.0/24"],
                prepend={"20.50.0.0/24": 2},
                devices=["fw1"],
            ),
            "c2": circuit("hq", "Washington DC", advertises=["20.50.0.0/24"]),
        },
        devices={"fw1": {"kind": "firewall", "site": "hq"}},
    )


def tie_working_broken() -> dict[str, Any]:
    """Two circuits at one site, tied (same preference, same distance): c2 advertises another
    prefix than its pool, so Microsoft drops what it translates. Every tied path is used, so
    some connections are lost and some are not."""
    return design(
        "tie between a working and a broken circuit",
        {"hq": site("New York", ["10.10.0.0/16"], multipath=True)},
        breakouts={"hq-inet": breakout("hq", "20.51.9.1/32", "20.51.9.0/24")},
        circuits={
            "c1": circuit("hq", "New York", snat_pool="20.51.1.0/29", advertises=["20.51.1.0/29"]),
            "c2": circuit(
                "hq", "Washington DC", snat_pool="20.51.2.0/29", advertises=["20.51.3.0/29"]
            ),
        },
    )


def device_down(where: str) -> dict[str, Any]:
    """Two sites, a circuit each; the firewall on eu's circuit (``circuit``) or on its primary
    link (``link``) is down. A path through a device that is down is down: eu's routers move
    to what is left (us's circuit, or the secondary link), while Microsoft, whose sessions do
    not cross the device, still returns into it."""
    c_eu = circuit("eu", "Amsterdam", snat_pool="20.53.2.0/29", advertises=["20.53.2.0/29"])
    if where == "circuit":
        c_eu["devices"] = ["fw-eu"]
    else:
        c_eu["links"] = {"primary": {"devices": ["fw-eu"]}}
    return design(
        f"firewall down on a {where}",
        {
            "us": site("New York", ["10.1.0.0/16"], users=0),
            "eu": site("Amsterdam", ["10.2.0.0/16"]),
        },
        wan=[{"between": ["us", "eu"], "latency_ms": 80}],
        breakouts={"eu-inet": breakout("eu", "20.53.9.1/32", "20.53.9.0/24")},
        circuits={
            "us-er": circuit(
                "us", "New York", snat_pool="20.53.1.0/29", advertises=["20.53.1.0/29"]
            ),
            "eu-er": c_eu,
        },
        devices={"fw-eu": {"kind": "firewall", "site": "eu", "up": False}},
    )


def pool_pulled_back() -> dict[str, Any]:
    """The US pool 20.52.0.0/29; the EU circuit advertises 20.52.0.4/30, half of it, more
    specifically: replies to that half come back through the EU edge, which never saw them."""
    return design(
        "pool half pulled back by a more specific prefix",
        {
            "us": site("New York", ["10.1.0.0/16"]),
            "eu": site("Amsterdam", ["10.2.0.0/16"], users=0),
        },
        wan=[{"between": ["us", "eu"], "latency_ms": 80}],
        breakouts={"us-inet": breakout("us", "20.52.9.1/32", "20.52.9.0/24")},
        circuits={
            "us-er": circuit(
                "us", "New York", snat_pool="20.52.0.0/29", advertises=["20.52.0.0/29"]
            ),
            "eu-er": circuit(
                "eu",
                "Amsterdam",
                snat_pool="20.52.1.0/29",
                advertises=["20.52.1.0/29", "20.52.0.4/30"],
            ),
        },
    )


def public_and_private() -> dict[str, Any]:
    """A site with a private and a public /24, no NAT on the circuit, both advertised (and a
    default route): Microsoft accepts only the public one, and drops private sources."""
    return design(
        "a site with a public and a private prefix",
        {"hq": site("New York", ["10.70.0.0/24", "20.70.0.0/24"])},
        breakouts={"hq-inet": breakout("hq", "20.70.9.1/32", "20.70.9.0/24")},
        circuits={
            "c1": circuit(
                "hq", "New York", advertises=["10.70.0.0/24", "20.70.0.0/24", "0.0.0.0/0"]
            )
        },
    )


def scoped_transit() -> dict[str, Any]:
    """A branch without ExpressRoute routes (route scope) reaches the internet through the
    hub, whose router holds them: the branch's packets to Microsoft leave by the circuit."""
    return design(
        "scoped site through a site with ExpressRoute routes",
        {
            "branch": site("Chicago", ["10.20.0.0/16"], er_routes=False, breakout="hub-inet"),
            "hub": site("New York", ["10.21.0.0/16"], users=0),
        },
        wan=[{"between": ["branch", "hub"], "latency_ms": 20}],
        breakouts={"hub-inet": breakout("hub", "20.53.9.1/32", "20.53.9.0/24")},
        circuits={
            "c1": circuit("hub", "New York", snat_pool="20.53.0.0/29", advertises=["20.53.0.0/29"])
        },
    )


def _published(static: bool) -> dict[str, Any]:
    devices: dict[str, Any] = {}
    c1: dict[str, Any] = {"advertises": ["20.54.0.10/32"]}
    c2: dict[str, Any] = {"advertises": ["20.54.0.10/32"]}
    if static:
        devices = {
            "nat1": {"kind": "nat", "site": "dc", "static_nat": True},
            "nat2": {"kind": "nat", "site": "remote", "static_nat": True},
        }
        c1["devices"], c2["devices"] = ["nat1"], ["nat2"]
    return design(
        f"one destination NAT on two edges ({'static' if static else 'stateful'})",
        {
            "dc": site("New York", ["10.30.0.0/16"], users=0),
            "remote": site("Washington DC", ["10.31.0.0/16"], users=0),
        },
        wan=[{"between": ["dc", "remote"], "latency_ms": 5}],
        circuits={
            "c1": circuit("dc", "New York", **c1),
            "c2": circuit("remote", "Washington DC", **c2),
        },
        services={
            "app": {
                "fqdn": "app.contoso.com",
                "dns_record": "20.54.0.10",
                "public_address": "20.54.0.10",
                "internal_address": "10.30.1.10",
                "site": "dc",
                "entry": ["expressroute"],
                "initiator": "Exchange",
                "ports": [443],
            }
        },
        **({"devices": devices} if devices else {}),
    )


def dnat_two_edges_stateful() -> dict[str, Any]:
    """Microsoft balances the published /32 over both circuits; the reply leaves by the
    nearest one, whose edge holds no session for connections that entered by the other."""
    return _published(static=False)


def dnat_two_edges_static() -> dict[str, Any]:
    """The same, translated by stateless one-to-one NAT devices: every reply is translated
    wherever it leaves, so every connection works, some asymmetrically."""
    return _published(static=True)


def inbound_snat_two_devices() -> dict[str, Any]:
    """Two NAT devices, one per entry circuit, translate into one inbound pool: the pool is
    routed to the nearest of them, so replies to connections the far one took are lost."""
    return design(
        "one inbound SNAT pool on two devices",
        {
            "dc": site("New York", ["10.40.0.0/16"], users=0),
            "remote": site("Washington DC", ["10.41.0.0/16"], users=0),
        },
        wan=[{"between": ["dc", "remote"], "latency_ms": 5}],
        circuits={
            "c1": circuit(
                "dc",
                "New York",
                advertises=["20.55.0.10/32"],
                devices=["nat1"],
                inbound_snat_pool="10.255.7.0/28",
            ),
            "c2": circuit(
                "remote",
                "Washington DC",
                advertises=["20.55.0.10/32"],
                devices=["nat2"],
                inbound_snat_pool="10.255.7.0/28",
            ),
        },
        devices={
            "nat1": {"kind": "nat", "site": "dc"},
            "nat2": {"kind": "nat", "site": "remote"},
        },
        services={
            "app": {
                "fqdn": "app.contoso.com",
                "dns_record": "20.55.0.10",
                "public_address": "20.55.0.10",
                "internal_address": "10.40.1.10",
                "site": "dc",
                "entry": ["expressroute"],
                "initiator": "Exchange",
            }
        },
    )


def per_link_nat_one_pool() -> dict[str, Any]:
    """Each link's edge translates into the same pool; Microsoft balances replies over both
    links, so about half reach the link edge that never saw the connection."""
    pool = "20.56.0.0/29"
    return design(
        "per-link NAT with one pool",
        {"hq": site("New York", ["10.60.0.0/16"])},
        breakouts={"hq-inet": breakout("hq", "20.56.9.1/32", "20.56.9.0/24")},
        circuits={
            "c1": circuit(
                "hq",
                "New York",
                advertises=[pool],
                links={"primary": {"snat_pool": pool}, "secondary": {"snat_pool": pool}},
            )
        },
    )


def transit_breakout() -> dict[str, Any]:
    """Site c designates the breakout at a, two hops away behind b, which has its own: b's
    router prefers its own default route, so c's internet traffic leaves at b."""
    return design(
        "designated breakout behind a transit site with its own",
        {
            "c": site("Chicago", ["10.80.0.0/16"], breakout="a-inet"),
            "b": site("Dallas", ["10.81.0.0/16"], users=0),
            "a": site("New York", ["10.82.0.0/16"], users=0),
        },
        wan=[
            {"between": ["c", "b"], "latency_ms": 10},
            {"between": ["b", "a"], "latency_ms": 10},
        ],
        breakouts={
            "a-inet": breakout("a", "20.57.1.1/32", "20.57.1.0/24"),
            "b-inet": breakout("b", "20.57.2.1/32", "20.57.2.0/24"),
        },
    )


def distant_resolver() -> dict[str, Any]:
    """Two European sites, one resolving through the US breakout: geoDNS answers it with the
    US front end, the other with a European one."""
    return design(
        "resolver egress at a distant breakout",
        {
            "us": site("New York", ["10.1.0.0/16"]),
            "eu1": site("Amsterdam", ["10.2.0.0/16"]),
            "eu2": site(
                "Amsterdam", ["10.3.0.0/16"], breakout="eu-inet", resolver_egress="us-inet"
            ),
        },
        wan=[
            {"between": ["us", "eu1"], "latency_ms": 80},
            {"between": ["eu1", "eu2"], "latency_ms": 5},
        ],
        breakouts={
            "us-inet": breakout("us", "20.59.1.1/32", "20.59.1.0/24"),
            "eu-inet": breakout("eu1", "20.59.2.1/32", "20.59.2.0/24"),
        },
    )


def prefix_limit(extra: int) -> dict[str, Any]:
    """A circuit that advertises its pool and ``extra`` more /32s (Microsoft takes at most
    200 prefixes per session and drops a session that sends more)."""
    pool = "20.58.0.0/29"
    more = [f"20.58.{1 + i // 250}.{i % 250}/32" for i in range(extra)]
    return design(
        f"{1 + extra} prefixes on one session",
        {"hq": site("New York", ["10.90.0.0/16"])},
        breakouts={"hq-inet": breakout("hq", "20.58.9.1/32", "20.58.9.0/24")},
        circuits={"c1": circuit("hq", "New York", snat_pool=pool, advertises=[pool, *more])},
    )


def split_queries() -> dict[str, Any]:
    """Site r's own breakout is down; its default route ties between a New York and an
    Amsterdam breakout, 10 ms away each: its resolver's queries leave by both, and geoDNS
    answers half of them with a New York front end, half with an Amsterdam one."""
    return design(
        "geoDNS answers split over two breakouts",
        {
            "r": site({"lat": 52.0, "lon": -30.0}, ["10.110.0.0/16"]),
            "a": site("New York", ["10.111.0.0/16"], users=0),
            "b": site("Amsterdam", ["10.112.0.0/16"], users=0),
        },
        wan=[
            {"between": ["r", "a"], "latency_ms": 10},
            {"between": ["r", "b"], "latency_ms": 10},
        ],
        breakouts={
            "r-inet": breakout("r", "20.61.6.1/32", "20.61.6.0/24", up=False),
            "a-inet": breakout("a", "20.61.4.1/32", "20.61.4.0/24"),
            "b-inet": breakout("b", "20.61.5.1/32", "20.61.5.0/24"),
        },
        circuits={
            "er": circuit("a", "New York", snat_pool="20.61.2.0/29", advertises=["20.61.2.0/29"])
        },
    )


def resolver_cut_off() -> dict[str, Any]:
    """eu resolves at the US breakout, and the only WAN link there is down: no name resolves,
    so not even eu's own working circuit carries a request."""
    return design(
        "resolver egress out of reach",
        {
            "us": site("New York", ["10.120.0.0/16"], users=0),
            "eu": site("Amsterdam", ["10.121.0.0/16"], resolver_egress="us-inet"),
        },
        wan=[{"between": ["us", "eu"], "latency_ms": 80, "up": False}],
        breakouts={
            "us-inet": breakout("us", "20.62.4.1/32", "20.62.4.0/24"),
            "eu-inet": breakout("eu", "20.62.5.1/32", "20.62.5.0/24"),
        },
        circuits={
            "eu-er": circuit(
                "eu", "Amsterdam", snat_pool="20.62.2.8/29", advertises=["20.62.2.8/29"]
            )
        },
    )


def front_end_inside_a_site(front_end_prefix: str) -> dict[str, Any]:
    """hq also lists ``front_end_prefix`` (Microsoft's, where geoDNS answers for New York)
    as its own: longest prefix first, requests to that front end stay inside and never reach
    Microsoft."""
    return design(
        "a front end's address inside a site prefix",
        {"hq": site("New York", ["10.130.0.0/16", front_end_prefix])},
        breakouts={"hq-inet": breakout("hq", "20.63.4.1/32", "20.63.4.0/24")},
        circuits={
            "c1": circuit("hq", "New York", snat_pool="20.63.2.0/29", advertises=["20.63.2.0/29"])
        },
    )


def firewall_crossed_twice() -> dict[str, Any]:
    """fw stands between hq's hosts and its router and again before the circuit's customer
    edge: requests and replies cross it twice, one session table sees both passes."""
    return design(
        "one firewall crossed twice each way",
        {"hq": site("New York", ["10.140.0.0/16"], devices=["fw"])},
        breakouts={"hq-inet": breakout("hq", "20.64.4.1/32", "20.64.4.0/24")},
        circuits={
            "c1": circuit(
                "hq",
                "New York",
                snat_pool="20.64.2.0/29",
                advertises=["20.64.2.0/29"],
                devices=["fw"],
            )
        },
        devices={"fw": {"kind": "firewall", "site": "hq"}},
    )


def default_route_advertised() -> dict[str, Any]:
    """The circuit also sends Microsoft a default route, which Microsoft refuses: replies to
    the pool come back by the pool's own prefix, replies to the internet NAT by the internet."""
    return design(
        "a default route advertised to Microsoft",
        {"hq": site("New York", ["10.150.0.0/16"])},
        breakouts={"hq-inet": breakout("hq", "20.65.4.1/32", "20.65.4.0/24")},
        circuits={
            "c1": circuit(
                "hq", "New York", snat_pool="20.65.2.0/29", advertises=["20.65.2.0/29", "0.0.0.0/0"]
            )
        },
    )


def pinned_resolver_egress(egress_up: bool) -> dict[str, Any]:
    """hq names dc's breakout as its resolver egress; dc uses the same resolver without naming
    it. With dc's breakout down, dc's queries fail over to hq's breakout and are answered,
    hq's (pinned to dc-inet) leave the same way and are not."""
    return design(
        "named resolver egress " + ("up" if egress_up else "down"),
        {
            "hq": site("New York", ["10.160.0.0/16"], resolver_egress="dc-inet"),
            "dc": site("Washington DC", ["10.161.0.0/16"]),
        },
        wan=[{"between": ["hq", "dc"], "latency_ms": 5}],
        breakouts={
            "hq-inet": breakout("hq", "20.66.4.1/32", "20.66.4.0/24"),
            "dc-inet": breakout("dc", "20.66.5.1/32", "20.66.5.0/24", up=egress_up),
        },
    )


def pinned_beside_the_preferred_breakout() -> dict[str, Any]:
    """hq's resolver egress is a second breakout at hq itself, but hq's router prefers its
    designated one: the queries leave by hq-inet, not by the egress hq names."""
    return design(
        "named resolver egress beside the designated breakout",
        {"hq": site("New York", ["10.170.0.0/16"], breakout="hq-inet", resolver_egress="dns-inet")},
        breakouts={
            "hq-inet": breakout("hq", "20.67.4.1/32", "20.67.4.0/24"),
            "dns-inet": breakout("hq", "20.67.5.1/32", "20.67.5.0/24"),
        },
    )


def proxy_egress(egress_up: bool) -> dict[str, Any]:
    """hq sends everything to its proxy, whose own egress is dc's breakout, while hq's router
    prefers hq's: the proxy's connections leave at dc, and with dc's breakout down they fail
    rather than fall over to hq's (a policy route)."""
    return design(
        "proxy egress " + ("up" if egress_up else "down"),
        {
            "hq": site("New York", ["10.180.0.0/16"], proxy={"mode": "all", "device": "px"}),
            "dc": site("Washington DC", ["10.181.0.0/16"], users=0),
        },
        wan=[{"between": ["hq", "dc"], "latency_ms": 5}],
        breakouts={
            "hq-inet": breakout("hq", "20.68.4.1/32", "20.68.4.0/24"),
            "dc-inet": breakout("dc", "20.68.5.1/32", "20.68.5.0/24", up=egress_up),
        },
        devices={
            "px": {"kind": "proxy", "site": "hq", "address": "10.180.255.10", "egress": "dc-inet"}
        },
    )
