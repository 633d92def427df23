"""Small designs, one point each, where the way a reply comes back decides the verdict and a
tool that follows only the request (or only the origin's table) would call the flow ok.

Plain data in the style of designs.py (the tenant keeps to the Exchange service area), shared by
the semantic tests of the model (tests/test_semantics_returns.py) and, where namespaces show
something of their own, by the emulation (test_model_points.py).
"""

from __future__ import annotations

from typing import Any

from emulation.designs import breakout, circuit, design, site


def _app(
    public: str, internal: str, site_name: str, entry: list[str], **extra: Any
) -> dict[str, Any]:
    s: dict[str, Any] = {
        "fqdn": "app.contoso.com",
        "dns_record": public,
        "public_address": public,
        "internal_address": internal,
        "site": site_name,
        "entry": entry,
        "initiator": "Exchange",
        "ports": [443],
    }
    s.update(extra)
    return s


def filter_without_the_service() -> dict[str, Any]:
    """hq's public /24 is advertised on both circuits; c2's route filter admits SharePoint
    only, so Exchange requests leave by c1 alone. Microsoft returns to the /24 over both
    circuits whatever their filters: half the replies meet c2's firewall, which saw nothing."""
    return design(
        "a route filter without the service on one circuit",
        {"hq": site("New York", ["20.71.0.0/24"])},
        breakouts={"hq-inet": breakout("hq", "20.71.9.1/32", "20.71.9.0/24")},
        circuits={
            "c1": circuit("hq", "New York", advertises=["20.71.0.0/24"]),
            "c2": circuit(
                "hq",
                "Washington DC",
                advertises=["20.71.0.0/24"],
                route_filter=["SharePoint"],
                devices=["fw2"],
            ),
        },
        devices={"fw2": {"kind": "firewall", "site": "hq"}},
    )


def shared_pool_prepended() -> dict[str, Any]:
    """Figure 16's shared pool, with eu-er prepending it: Microsoft no longer balances the
    pool, it returns all of it by us-er. The US users are whole, the EU users lose every
    connection (not half)."""
    pool = "20.72.0.0/29"
    return design(
        "one pool on two circuits, one of them prepended",
        {"us": site("New York", ["10.1.0.0/16"]), "eu": site("Amsterdam", ["10.2.0.0/16"])},
        wan=[{"between": ["us", "eu"], "latency_ms": 80}],
        breakouts={
            "us-inet": breakout("us", "20.72.9.1/32", "20.72.9.0/24"),
            "eu-inet": breakout("eu", "20.72.8.1/32", "20.72.8.0/24"),
        },
        circuits={
            "us-er": circuit("us", "New York", snat_pool=pool, advertises=[pool]),
            "eu-er": circuit(
                "eu", "Amsterdam", snat_pool=pool, advertises=[pool], prepend={pool: 3}
            ),
        },
    )


def multipath_one_firewall(pools: bool = False) -> dict[str, Any]:
    """hq balances over two circuits (``multipath``), only c1 has a firewall. Without NAT
    (one public /24 on both) Microsoft balances the replies independently: the crossed half
    fails at fw1 either way (bypassed, or met without a session). With a pool per circuit
    (``pools``) every reply follows its request."""
    c1: dict[str, Any] = {"devices": ["fw1"]}
    c2: dict[str, Any] = {}
    if pools:
        prefix = "10.73.0.0/16"
        c1.update(snat_pool="20.73.1.0/29", advertises=["20.73.1.0/29"])
        c2.update(snat_pool="20.73.2.0/29", advertises=["20.73.2.0/29"])
    else:
        prefix = "20.73.0.0/24"
        c1["advertises"] = c2["advertises"] = [prefix]
    return design(
        "multipath over two circuits, one firewall",
        {"hq": site("New York", [prefix], multipath=True)},
        breakouts={"hq-inet": breakout("hq", "20.73.9.1/32", "20.73.9.0/24")},
        circuits={
            "c1": circuit("hq", "New York", **c1),
            "c2": circuit("hq", "Washington DC", **c2),
        },
        devices={"fw1": {"kind": "firewall", "site": "hq"}},
    )


def entry_beside_a_preferred_circuit(inbound_snat: bool) -> dict[str, Any]:
    """app is published on c1 only; c2, at the same site, has the higher local preference.
    Without inbound SNAT the server's reply heads for c2 (guide 001 Problem 2). With it, the
    reply returns to c1's edge, which translates it back and then forwards it by its own
    table, where c2's route (local preference 200) beats its own: still lost at c2."""
    c1: dict[str, Any] = {"advertises": ["20.74.0.10/32"]}
    if inbound_snat:
        c1["inbound_snat_pool"] = "10.255.74.0/28"
    return design(
        "inbound on one circuit beside a preferred one"
        + (" (inbound source NAT)" if inbound_snat else ""),
        {"dc": site("New York", ["10.74.0.0/16"], users=0)},
        circuits={
            "c1": circuit("dc", "New York", **c1),
            "c2": circuit(
                "dc",
                "Washington DC",
                snat_pool="20.74.2.0/29",
                advertises=["20.74.2.0/29"],
                local_preference=200,
            ),
        },
        services={"app": _app("20.74.0.10", "10.74.1.10", "dc", ["c1"])},
    )


def scoped_server_behind_a_hub() -> dict[str, Any]:
    """dc holds no ExpressRoute routes (route scope) and is published by the hub's breakout;
    the hub's router holds them: the reply to Microsoft leaves dc by its default route and is
    turned to the circuit at the hub, whose edge never saw the connection. Scope at the
    server's site alone does not keep a reply off ExpressRoute (guide 001 Solution 1b)."""
    return design(
        "inbound from Microsoft to a scoped site behind a hub with ExpressRoute routes",
        {
            "dc": site("Chicago", ["10.75.0.0/16"], users=0, er_routes=False, breakout="hub-inet"),
            "hub": site("New York", ["10.76.0.0/16"], users=0),
        },
        wan=[{"between": ["dc", "hub"], "latency_ms": 20}],
        breakouts={
            "hub-inet": breakout("hub", "20.75.9.1/32", "20.75.9.0/24", devices=["fw-inet"])
        },
        circuits={
            "c1": circuit("hub", "New York", snat_pool="20.75.0.0/29", advertises=["20.75.0.0/29"])
        },
        devices={"fw-inet": {"kind": "firewall", "site": "hub"}},
        services={"app": _app("20.75.9.10", "10.75.1.10", "dc", ["internet"])},
    )


def untranslated_breakout() -> dict[str, Any]:
    """hq's public /24 leaves by its breakout untranslated (no ``nat``) and is also advertised
    on c1, whose route filter does not admit Exchange: everything goes out by the internet,
    and Microsoft returns to the /24 by ExpressRoute (before the internet at equal length),
    past the breakout's firewall."""
    return design(
        "an untranslated breakout whose prefix is also advertised over ExpressRoute",
        {"hq": site("New York", ["20.77.0.0/24"])},
        breakouts={
            "hq-inet": {"site": "hq", "advertises": ["20.77.0.0/24"], "devices": ["fw-inet"]}
        },
        circuits={
            "c1": circuit(
                "hq", "New York", advertises=["20.77.0.0/24"], route_filter=["SharePoint"]
            )
        },
        devices={"fw-inet": {"kind": "firewall", "site": "hq"}},
    )


def wan_down_inbound() -> dict[str, Any]:
    """app at eu is published on us-er (ExpressRoute) and at eu's breakout (internet), and the
    WAN link between them is down. Microsoft still prefers the more specific /32 over
    ExpressRoute: its connections are lost at us-er; internet users still get in."""
    return design(
        "the WAN cut between a service and its ExpressRoute entry",
        {
            "us": site("New York", ["10.78.0.0/16"], users=0),
            "eu": site("Amsterdam", ["10.79.0.0/16"], users=0),
        },
        wan=[{"between": ["us", "eu"], "latency_ms": 80, "up": False}],
        breakouts={"eu-inet": breakout("eu", "20.78.9.1/32", "20.78.0.0/24")},
        circuits={"us-er": circuit("us", "New York", advertises=["20.78.0.10/32"])},
        services={
            "app": _app(
                "20.78.0.10",
                "10.79.1.10",
                "eu",
                ["expressroute", "internet"],
                used_by_internet_users=True,
            )
        },
    )


def wan_down_outbound() -> dict[str, Any]:
    """eu's public /24 is advertised by us-er and by eu's untranslated breakout; the WAN link
    is down, so eu leaves by its breakout, and Microsoft's replies still come back by us-er,
    which has no way on to eu."""
    return design(
        "the WAN cut between a site and the circuit that advertises its prefix",
        {
            "us": site("New York", ["10.80.0.0/16"], users=0),
            "eu": site("Amsterdam", ["20.80.0.0/24"]),
        },
        wan=[{"between": ["us", "eu"], "latency_ms": 80, "up": False}],
        breakouts={"eu-inet": {"site": "eu", "advertises": ["20.80.0.0/24"]}},
        circuits={"us-er": circuit("us", "New York", advertises=["20.80.0.0/24"])},
    )


def public_and_private_asn() -> dict[str, Any]:
    """hq's /24 on c1 (public peer ASN, local preference 200: every request) and on c2 (a
    private peer ASN, which Microsoft strips: a shorter AS path). Every reply comes back by
    c2, through its firewall, which saw no request."""
    return design(
        "a public and a private peer ASN",
        {"hq": site("New York", ["20.79.0.0/24"])},
        breakouts={"hq-inet": breakout("hq", "20.79.9.1/32", "20.79.9.0/24")},
        circuits={
            "c1": circuit("hq", "New York", advertises=["20.79.0.0/24"], local_preference=200),
            "c2": circuit(
                "hq",
                "Washington DC",
                advertises=["20.79.0.0/24"],
                peer_asn=65010,
                devices=["fw2"],
            ),
        },
        devices={"fw2": {"kind": "firewall", "site": "hq"}},
    )


def private_prepend() -> dict[str, Any]:
    """Like designs.forward_only_state, but c1 prepends with a private ASN (``prepend_asn``),
    which Microsoft strips: the prepend does nothing, Microsoft balances over both circuits,
    and half the replies bypass fw1."""
    return design(
        "a prepend with a private ASN",
        {"hq": site("New York", ["20.81.0.0/24"])},
        breakouts={"hq-inet": breakout("hq", "20.81.9.1/32", "20.81.9.0/24")},
        circuits={
            "c1": circuit(
                "hq",
                "New York",
                local_preference=200,
                advertises=["20.81.0.0/24"],
                prepend={"20.81.0.0/24": 2},
                prepend_asn=65001,
                devices=["fw1"],
            ),
            "c2": circuit("hq", "Washington DC", advertises=["20.81.0.0/24"]),
        },
        devices={"fw1": {"kind": "firewall", "site": "hq"}},
    )


def pool_on_one_link(firewall: bool) -> dict[str, Any]:
    """c1 translates before the split and advertises its pool on the primary link only; its
    edge balances requests over both links, Microsoft returns every reply by the primary.
    Harmless, unless a stateful device stands on the secondary link (``firewall``): half the
    connections leave through it and their replies bypass it."""
    links: dict[str, Any] = {"primary": {"advertises": ["20.83.0.0/29"]}}
    devices: dict[str, Any] = {}
    if firewall:
        links["secondary"] = {"devices": ["fw2"]}
        devices = {"devices": {"fw2": {"kind": "firewall", "site": "hq"}}}
    return design(
        "a pool advertised on one link" + (" and a firewall on the other" if firewall else ""),
        {"hq": site("New York", ["10.83.0.0/16"])},
        breakouts={"hq-inet": breakout("hq", "20.83.9.1/32", "20.83.9.0/24")},
        circuits={"c1": circuit("hq", "New York", snat_pool="20.83.0.0/29", links=links)},
        **devices,
    )
