"""Small designs for points of proxies, servers, static NAT, regional preference, links and DNS
that the first designs leave out, as plain data (the helpers of ``designs``)."""

from __future__ import annotations

from typing import Any

from emulation.designs import RF, breakout, circuit, design, site


def pac_direct_without_routes(direct_internet: bool) -> dict[str, Any]:
    """hq's PAC sends the ExpressRoute-able sets DIRECT and the rest to its proxy, but hq takes
    no ExpressRoute routes (`er_routes: false`): DIRECT follows the default route to the
    breakout, which refuses it when the clients may not go out directly."""
    return design(
        "PAC DIRECT without ExpressRoute routes" + ("" if direct_internet else ", proxy only"),
        {
            "hq": site(
                "New York",
                ["10.190.0.0/16"],
                er_routes=False,
                proxy={"mode": "pac", "device": "px", "direct_internet": direct_internet},
            )
        },
        breakouts={"hq-inet": breakout("hq", "20.70.4.1/32", "20.70.4.0/24")},
        circuits={
            "c1": circuit("hq", "New York", snat_pool="20.70.2.0/29", advertises=["20.70.2.0/29"])
        },
        devices={"px": {"kind": "proxy", "site": "hq", "address": "10.190.255.10"}},
    )


def pac_proxy_at_unscoped_site() -> dict[str, Any]:
    """hq's PAC sends the sets that are not ExpressRoute-able to a proxy at dc, a site that takes
    no ExpressRoute routes, and the rest DIRECT over hq's circuit: each half leaves its way."""
    return design(
        "PAC with the proxy at a site without ExpressRoute routes",
        {
            "hq": site(
                "New York",
                ["10.191.0.0/16"],
                proxy={"mode": "pac", "device": "px", "direct_internet": False},
            ),
            "dc": site("Washington DC", ["10.192.0.0/16"], users=0, er_routes=False),
        },
        wan=[{"between": ["hq", "dc"], "latency_ms": 5}],
        breakouts={"dc-inet": breakout("dc", "20.71.5.1/32", "20.71.5.0/24")},
        circuits={
            "c1": circuit("hq", "New York", snat_pool="20.71.2.0/29", advertises=["20.71.2.0/29"])
        },
        devices={"px": {"kind": "proxy", "site": "dc", "address": "10.192.255.10"}},
    )


def pac_direct_circuit_down() -> dict[str, Any]:
    """A proxy-only site whose PAC sends the ExpressRoute-able sets DIRECT, with its only
    circuit down: DIRECT now means the internet, which the site refuses."""
    d = pac_direct_without_routes(direct_internet=False)
    d["name"] = "PAC DIRECT with the circuit down, proxy only"
    d["sites"]["hq"].pop("er_routes")
    d["circuits"]["c1"]["up"] = False
    return d


def static_nat_both_ways() -> dict[str, Any]:
    """A server published through a static one-to-one NAT (its internal address ↔ its public
    one) also opens connections of its own: the same mapping translates its outbound source,
    and a site firewall before the NAT sees both directions."""
    return design(
        "static NAT used inbound and outbound",
        {"dc": site("New York", ["10.193.0.0/16"], users=0)},
        breakouts={"dc-inet": breakout("dc", "20.72.9.1/32", "20.72.9.0/24")},
        circuits={
            "c1": circuit("dc", "New York", advertises=["20.72.0.10/32"], devices=["fw", "nat1"])
        },
        devices={
            "fw": {"kind": "firewall", "site": "dc"},
            "nat1": {"kind": "nat", "site": "dc", "static_nat": True},
        },
        services={
            "app": {
                "fqdn": "app.contoso.com",
                "dns_record": "20.72.0.10",
                "public_address": "20.72.0.10",
                "internal_address": "10.193.1.10",
                "site": "dc",
                "entry": ["expressroute"],
                "initiator": "Exchange",
                "used_by_internet_users": False,
            }
        },
        servers={"mx": {"site": "dc", "address": "10.193.1.10", "connects_to": ["1"]}},
    )


def server_behind_firewall_pool() -> dict[str, Any]:
    """A server behind a site firewall leaves by a circuit whose pool the firewall's site also
    reaches by a second circuit advertising the pool more specifically: half the pool comes
    back past the firewall."""
    return design(
        "server behind a firewall, pool half pulled back",
        {
            "dc": site("New York", ["10.194.0.0/16"], users=0),
            "dr": site("Washington DC", ["10.195.0.0/16"], users=0),
        },
        wan=[{"between": ["dc", "dr"], "latency_ms": 5}],
        circuits={
            "c1": circuit(
                "dc",
                "New York",
                snat_pool="20.73.0.0/29",
                advertises=["20.73.0.0/29"],
                devices=["fw"],
                local_preference=200,
            ),
            "c2": circuit("dr", "Washington DC", advertises=["20.73.0.4/30"]),
        },
        breakouts={"dc-inet": breakout("dc", "20.73.9.1/32", "20.73.9.0/24")},
        devices={"fw": {"kind": "firewall", "site": "dc"}},
        servers={"mx": {"site": "dc", "address": "10.194.1.10", "connects_to": ["1"]}},
    )


def region_preference_two_circuits() -> dict[str, Any]:
    """One site, two circuits: c1 has the higher local preference, c2 prefers West Europe's
    regional community above it. West Europe's Dynamics 365 prefixes leave by c2, East US's
    and Microsoft 365's by c1 (no regional community on them)."""
    rf = [*RF, "CRM Online"]
    d = design(
        "region preference on two circuits",
        {"hq": site("New York", ["10.196.0.0/16"])},
        breakouts={"hq-inet": breakout("hq", "20.74.9.1/32", "20.74.9.0/24")},
        circuits={
            "c1": circuit(
                "hq",
                "New York",
                route_filter=rf,
                local_preference=150,
                snat_pool="20.74.0.0/29",
                advertises=["20.74.0.0/29"],
            ),
            "c2": circuit(
                "hq",
                "Washington DC",
                route_filter=rf,
                region_preference={"West Europe": 200},
                snat_pool="20.74.0.8/29",
                advertises=["20.74.0.8/29"],
            ),
        },
    )
    d["tenant"]["dynamics"] = {
        "East US": {"prefixes": ["198.51.100.0/25"]},
        "West Europe": {"prefixes": ["203.0.113.0/25"]},
    }
    return d


def primary_down_device_on_secondary() -> dict[str, Any]:
    """A circuit whose primary link is down and whose secondary link carries a stateful
    firewall and its own pool: Microsoft returns by the one link left, through the firewall."""
    return design(
        "primary link down, stateful device on the secondary",
        {"hq": site("New York", ["10.197.0.0/16"])},
        breakouts={"hq-inet": breakout("hq", "20.75.9.1/32", "20.75.9.0/24")},
        circuits={
            "c1": circuit(
                "hq",
                "New York",
                advertises=["20.75.0.0/29"],
                snat_pool="20.75.0.0/29",
                links={"primary": {"up": False}, "secondary": {"devices": ["fw"]}},
            )
        },
        devices={"fw": {"kind": "firewall", "site": "hq"}},
    )


def resolver_at_remote_breakout_pool_on_circuit() -> dict[str, Any]:
    """hq has no breakout and takes no ExpressRoute routes: its queries and its internet
    traffic leave by dc's breakout across the WAN, whose NAT range dc's circuit also
    advertises to Microsoft. Microsoft answers that range over the circuit, not the internet."""
    return design(
        "resolver egress at a remote breakout whose pool a circuit advertises",
        {
            "hq": site("New York", ["10.198.0.0/16"], er_routes=False, resolver_egress="dc-inet"),
            "dc": site("Washington DC", ["10.199.0.0/16"], users=0),
        },
        wan=[{"between": ["hq", "dc"], "latency_ms": 5}],
        breakouts={"dc-inet": breakout("dc", "20.76.5.1/32", "20.76.5.0/24")},
        circuits={
            "c1": circuit(
                "dc",
                "Washington DC",
                snat_pool="20.76.2.0/29",
                advertises=["20.76.2.0/29", "20.76.5.0/24"],
            )
        },
    )


def proxy_chain() -> dict[str, Any]:
    """hq's proxy forwards to an upstream proxy at dc, whose egress is dc's breakout."""
    return design(
        "proxy chain",
        {
            "hq": site("New York", ["10.200.0.0/16"], proxy={"mode": "all", "device": "px1"}),
            "dc": site("Washington DC", ["10.201.0.0/16"], users=0),
        },
        wan=[{"between": ["hq", "dc"], "latency_ms": 5}],
        breakouts={
            "hq-inet": breakout("hq", "20.77.4.1/32", "20.77.4.0/24"),
            "dc-inet": breakout("dc", "20.77.5.1/32", "20.77.5.0/24"),
        },
        devices={
            "px1": {"kind": "proxy", "site": "hq", "address": "10.200.255.10", "upstream": "px2"},
            "px2": {
                "kind": "proxy",
                "site": "dc",
                "address": "10.201.255.10",
                "egress": "dc-inet",
            },
        },
    )


def static_nat_return_elsewhere() -> dict[str, Any]:
    """As ``static_nat_both_ways``, and a second circuit advertises the public address too, with
    no NAT and no firewall: Microsoft returns half the server's replies and sends half its
    connections in by c2, past the firewall that stands before the static NAT on c1."""
    d = static_nat_both_ways()
    d["name"] = "static NAT on one of two circuits advertising its address"
    d["circuits"]["c2"] = circuit("dc", "Washington DC", advertises=["20.72.0.10/32"])
    d["circuits"]["c1"]["local_preference"] = 200
    return d


def primary_down_pool_on_primary_only() -> dict[str, Any]:
    """The circuit's pool is advertised on the primary link only, and that link is down: the
    secondary still carries the translated requests, but Microsoft holds no route back for
    the pool and refuses sources outside what the secondary advertises."""
    d = primary_down_device_on_secondary()
    d["name"] = "primary link down, the pool advertised on it alone"
    c = d["circuits"]["c1"]
    c["advertises"] = []
    c["links"]["primary"]["advertises"] = ["20.75.0.0/29"]
    return d


def region_tie_shared_pool() -> dict[str, Any]:
    """c2's preference for West Europe equals c1's local preference, and both translate into
    one pool they both advertise: West Europe's Dynamics 365 traffic ties over both circuits,
    and half of the replies reach the circuit that did not translate."""
    d = region_preference_two_circuits()
    d["name"] = "region preference tied with local preference, one pool"
    d["circuits"]["c1"]["local_preference"] = 200
    for c in d["circuits"].values():
        c["snat_pool"] = "20.74.0.0/29"
        c["advertises"] = ["20.74.0.0/29"]
    return d


def cloud_proxy(breakout_up: bool) -> dict[str, Any]:
    """Every name through a cloud proxy on the internet, reached by hq's breakout; hq's clients
    may not go out directly otherwise."""
    return design(
        "cloud proxy" + ("" if breakout_up else ", breakout down"),
        {
            "hq": site(
                "New York",
                ["10.202.0.0/16"],
                proxy={"mode": "all", "device": "cp", "direct_internet": False},
            )
        },
        breakouts={"hq-inet": breakout("hq", "20.78.4.1/32", "20.78.4.0/24", up=breakout_up)},
        circuits={
            "c1": circuit("hq", "New York", snat_pool="20.78.2.0/29", advertises=["20.78.2.0/29"])
        },
        devices={"cp": {"kind": "proxy", "site": "hq", "egress": "cloud"}},
    )


def proxy_chain_upstream_down() -> dict[str, Any]:
    """``proxy_chain`` with the upstream proxy down: every proxied name fails."""
    d = proxy_chain()
    d["name"] = "proxy chain, upstream down"
    d["devices"]["px2"]["up"] = False
    return d


def inbound_snat_two_devices_one_site() -> dict[str, Any]:
    """Two NAT devices at one site, one per entry circuit, translate inbound connections into
    one pool: the site routes the pool to both (equal distance), so about half the replies of
    each entry reach the device that did not translate them."""
    return design(
        "one inbound SNAT pool on two devices at one site",
        {"dc": site("New York", ["10.203.0.0/16"], users=0)},
        circuits={
            "c1": circuit(
                "dc",
                "New York",
                advertises=["20.79.0.10/32"],
                devices=["nat1"],
                inbound_snat_pool="10.255.9.0/28",
            ),
            "c2": circuit(
                "dc",
                "Washington DC",
                advertises=["20.79.0.10/32"],
                devices=["nat2"],
                inbound_snat_pool="10.255.9.0/28",
            ),
        },
        devices={
            "nat1": {"kind": "nat", "site": "dc"},
            "nat2": {"kind": "nat", "site": "dc"},
        },
        services={
            "app": {
                "fqdn": "app.contoso.com",
                "dns_record": "20.79.0.10",
                "public_address": "20.79.0.10",
                "internal_address": "10.203.1.10",
                "site": "dc",
                "entry": ["expressroute"],
                "initiator": "Exchange",
                "used_by_internet_users": False,
            }
        },
    )


def server_at_a_proxy_only_site() -> dict[str, Any]:
    """A server at a proxy-only site without ExpressRoute routes: unlike the users, it may go
    out directly, and reaches every set by the breakout."""
    d = pac_direct_without_routes(direct_internet=False)
    d["name"] = "server at a proxy-only site"
    d["servers"] = {"mx": {"site": "hq", "address": "10.190.1.10", "connects_to": ["1", "8"]}}
    return d


def static_nat_at_the_breakout() -> dict[str, Any]:
    """A server published on the internet through a static NAT at the breakout, whose public
    address a circuit also advertises more specifically: Microsoft answers the server's
    internet connections, and reaches the service, over the circuit."""
    return design(
        "static NAT at the breakout, its address also on a circuit",
        {"dc": site("New York", ["10.204.0.0/16"], users=0)},
        breakouts={"dc-inet": breakout("dc", "20.80.9.1/32", "20.80.9.0/24", devices=["nat1"])},
        circuits={
            "c1": circuit(
                "dc",
                "New York",
                route_filter=["Other Office 365"],
                snat_pool="20.80.2.0/29",
                advertises=["20.80.2.0/29", "20.80.9.10/32"],
            )
        },
        devices={"nat1": {"kind": "nat", "site": "dc", "static_nat": True}},
        services={
            "app": {
                "fqdn": "app.contoso.com",
                "dns_record": "20.80.9.10",
                "public_address": "20.80.9.10",
                "internal_address": "10.204.1.10",
                "site": "dc",
                "entry": ["internet"],
                "initiator": "Exchange",
            }
        },
        servers={"mx": {"site": "dc", "address": "10.204.1.10", "connects_to": ["1", "8"]}},
    )


def shared_pool_one_link_down() -> dict[str, Any]:
    """Two circuits translate into one pool they both advertise; c1 (preferred) has its primary
    link down. Microsoft balances replies over the three links left, so two thirds reach c2,
    whose edge never saw the connection."""
    pool = "20.81.0.0/29"
    return design(
        "one pool on two circuits, one link down",
        {"hq": site("New York", ["10.205.0.0/16"])},
        breakouts={"hq-inet": breakout("hq", "20.81.9.1/32", "20.81.9.0/24")},
        circuits={
            "c1": circuit(
                "hq",
                "New York",
                local_preference=200,
                snat_pool=pool,
                advertises=[pool],
                links={"primary": {"up": False}},
            ),
            "c2": circuit("hq", "Washington DC", snat_pool=pool, advertises=[pool]),
        },
    )


def proxy_egress_across_a_site_with_routes() -> dict[str, Any]:
    """hq takes no ExpressRoute routes; its proxy's egress is dc's breakout, and dc holds the
    routes of its own circuit: hop by hop, dc sends the proxy's ExpressRoute-able connections
    into the circuit, the rest out of its breakout."""
    return design(
        "proxy egress across a site with ExpressRoute routes",
        {
            "hq": site(
                "New York",
                ["10.206.0.0/16"],
                er_routes=False,
                proxy={"mode": "all", "device": "px"},
            ),
            "dc": site("Washington DC", ["10.207.0.0/16"], users=0),
        },
        wan=[{"between": ["hq", "dc"], "latency_ms": 5}],
        breakouts={
            "hq-inet": breakout("hq", "20.82.4.1/32", "20.82.4.0/24"),
            "dc-inet": breakout("dc", "20.82.5.1/32", "20.82.5.0/24"),
        },
        circuits={
            "c1": circuit(
                "dc", "Washington DC", snat_pool="20.82.2.0/29", advertises=["20.82.2.0/29"]
            )
        },
        devices={
            "px": {"kind": "proxy", "site": "hq", "address": "10.206.255.10", "egress": "dc-inet"}
        },
    )


def inbound_pool_on_a_circuit_and_a_breakout() -> dict[str, Any]:
    """A service entered both ways translates inbound connections into one pool at the circuit
    (a NAT device) and at the breakout (its edge): the pool is routed to one of them."""
    return design(
        "one inbound SNAT pool on a circuit and a breakout",
        {"dc": site("New York", ["10.208.0.0/16"], users=0)},
        breakouts={"dc-inet": breakout("dc", "20.83.9.1/32", "20.83.9.0/24")},
        circuits={"c1": circuit("dc", "New York", advertises=["20.83.9.10/32"], devices=["nat1"])},
        devices={"nat1": {"kind": "nat", "site": "dc"}},
        services={
            "app": {
                "fqdn": "app.contoso.com",
                "dns_record": "20.83.9.10",
                "public_address": "20.83.9.10",
                "internal_address": "10.208.1.10",
                "site": "dc",
                "entry": ["expressroute", "internet"],
                "inbound_snat": {"c1": "10.255.10.0/28", "dc-inet": "10.255.10.0/28"},
                "initiator": "Exchange",
            }
        },
    )


def pac_direct_filtered_out() -> dict[str, Any]:
    """A proxy-only site's PAC sends Exchange's names DIRECT, but its circuit's route filter
    admits SharePoint only: no ExpressRoute route for them, so the perimeter refuses them."""
    d = pac_direct_without_routes(direct_internet=False)
    d["name"] = "PAC DIRECT for a service the route filter leaves out"
    d["sites"]["hq"].pop("er_routes")
    d["circuits"]["c1"]["route_filter"] = ["SharePoint"]
    return d


def region_preferred_behind_a_scoped_site() -> dict[str, Any]:
    """hq prefers c2 for West Europe's Dynamics 365 prefixes, but c2 attaches at dc, which takes
    no ExpressRoute routes: hop by hop, dc's router sends those packets by its default route."""
    d = region_preference_two_circuits()
    d["name"] = "regional preference for a circuit behind a site without ExpressRoute routes"
    d["sites"]["dc"] = site("Washington DC", ["10.209.0.0/16"], users=0, er_routes=False)
    d["wan"] = [{"between": ["hq", "dc"], "latency_ms": 5}]
    d["breakouts"]["dc-inet"] = breakout("dc", "20.74.10.1/32", "20.74.10.0/24")
    d["circuits"]["c2"]["site"] = "dc"
    return d


def proxy_resolving_at_its_egress() -> dict[str, Any]:
    """Every name of hq (New York) goes to its proxy, which stands at hq and leaves by ams-inet
    in Amsterdam (its `egress`), where it resolves too; hq's own queries must leave by hq-inet
    (its resolver egress), which is down: hq's DNS fails, the proxied flows do not."""
    return design(
        "proxy resolving at its egress, the site's resolver egress down",
        {
            "hq": site(
                "New York",
                ["10.210.0.0/16"],
                resolver_egress="hq-inet",
                proxy={"mode": "all", "device": "px"},
            ),
            "ams": site("Amsterdam", ["10.211.0.0/16"], users=0),
        },
        wan=[{"between": ["hq", "ams"], "latency_ms": 80}],
        breakouts={
            "hq-inet": breakout("hq", "20.84.4.1/32", "20.84.4.0/24", up=False),
            "ams-inet": breakout("ams", "20.84.5.1/32", "20.84.5.0/24"),
        },
        devices={
            "px": {"kind": "proxy", "site": "hq", "address": "10.210.255.10", "egress": "ams-inet"}
        },
    )
