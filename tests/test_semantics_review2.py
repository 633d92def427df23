"""Proxies (PAC, chains, a cloud proxy, proxy-only sites), servers behind a firewall, a static
NAT used both ways, regional preference on two circuits, a link down with a device on the
other, and a resolver egress at a remote breakout whose range a circuit also advertises: each a
small design (tests/emulation/designs_review2.py) that ``erplan emulate`` agreed with, judged by
verdict, cause and share (docs/flow-semantics.md)."""

from __future__ import annotations

from collections.abc import Callable
from ipaddress import IPv4Address, IPv4Network
from typing import Any

import pytest

from _semantics import CATALOGS, edges, flow, hop_nodes, load, owners, results, share
from emulation import designs as designs_first
from emulation import designs_review2 as designs
from erplan.emulate import flows as emulated
from erplan.emulate.results import PINNED, Connection
from erplan.facts import dynamics_sets

ER_KEYS = ("out/hq/1", "out/hq/2", "out/hq/9", "out/hq/10")

# -- proxies -----------------------------------------------------------------------------------


def test_pac_direct_without_expressroute_routes_is_refused_at_a_proxy_only_site() -> None:
    """DESIGN "Outbound flow" 1: "A DIRECT decision where clients may not reach the internet
    directly works only over an ExpressRoute route". hq takes none (`er_routes: false`), so
    its DIRECT names head for the breakout, which refuses them; the rest go by the proxy."""
    rs = results(designs.pac_direct_without_routes(direct_internet=False))
    for key in ER_KEYS:
        r = flow(rs, key)
        assert r.verdict.value == "dropped", key
        # Refused because hq takes no ExpressRoute routes: the fix is hq's propagation.
        assert r.cause_key == "direct-not-propagated", key
        assert r.culprit == ("sites", "hq", "er_routes"), key
        assert share(r) == 1.0
        # Refused before any edge: no request left, no reply came.
        assert owners(r) == {None: 1.0} and owners(r, "back") == {None: 1.0}
    proxied = flow(rs, "out/hq/8")
    assert proxied.verdict.value == "ok"
    assert owners(proxied) == {"breakout:hq-inet": 1.0}
    assert flow(rs, "dns/hq").verdict.value == "ok"


def test_pac_direct_without_expressroute_routes_leaves_by_the_internet_when_allowed() -> None:
    rs = results(designs.pac_direct_without_routes(direct_internet=True))
    for key in ER_KEYS:
        r = flow(rs, key)
        assert r.verdict.value == "ok", key
        assert owners(r) == owners(r, "back") == {"breakout:hq-inet": 1.0}


@pytest.mark.parametrize(
    ("make", "cause", "culprit"),
    [
        (designs.pac_direct_circuit_down, "direct-circuit-down", ("circuits", "c1", "up")),
        (
            designs.pac_direct_filtered_out,
            "direct-not-admitted",
            ("circuits", "c1", "route_filter"),
        ),
    ],
)
def test_pac_direct_with_the_circuit_down_or_filtered_is_refused_at_a_proxy_only_site(
    make: Callable[[], dict[str, Any]], cause: str, culprit: tuple[str, ...]
) -> None:
    """No ExpressRoute route for the DIRECT names: the circuit is down, or its route filter
    leaves their service out; each names what the fix changes."""
    rs = results(make())
    for key in ER_KEYS:
        r = flow(rs, key)
        assert (r.verdict.value, r.cause_key, share(r)) == ("dropped", cause, 1.0)
        assert r.culprit == culprit, key
    assert flow(rs, "out/hq/8").verdict.value == "ok"


def test_pac_with_the_proxy_at_a_site_without_expressroute_routes() -> None:
    """DIRECT names leave by hq's circuit; the others reach the proxy at dc, whose lack of
    ExpressRoute routes does not matter to them, and leave by dc's breakout."""
    rs = results(designs.pac_proxy_at_unscoped_site())
    for key in ER_KEYS:
        r = flow(rs, key)
        assert r.verdict.value == "ok", key
        assert owners(r) == owners(r, "back") == {"circuit:c1": 1.0}
    proxied = flow(rs, "out/hq/8")
    assert proxied.verdict.value == "ok"
    assert owners(proxied) == owners(proxied, "back") == {"breakout:dc-inet": 1.0}


def test_a_proxy_chain_leaves_by_the_upstream_proxys_egress() -> None:
    rs = results(designs.proxy_chain())
    for key in (*ER_KEYS, "out/hq/8"):
        r = flow(rs, key)
        assert r.verdict.value == "ok", key
        assert owners(r) == owners(r, "back") == {"breakout:dc-inet": 1.0}


def test_a_proxy_chain_whose_upstream_is_down_fails_every_proxied_name() -> None:
    rs = results(designs.proxy_chain_upstream_down())
    for key in (*ER_KEYS, "out/hq/8"):
        r = flow(rs, key)
        assert (r.verdict.value, r.cause_key, share(r)) == ("unreachable", "proxy", 1.0), key
        assert "px2" in r.cause and "down" in r.cause


def test_a_cloud_proxy_is_reached_by_the_sites_breakout() -> None:
    rs = results(designs.cloud_proxy(breakout_up=True))
    for key in (*ER_KEYS, "out/hq/8"):
        r = flow(rs, key)
        assert r.verdict.value == "ok", key
        assert owners(r) == owners(r, "back") == {"breakout:hq-inet": 1.0}


def test_a_cloud_proxy_behind_a_breakout_that_is_down_names_the_sites_dns() -> None:
    """The clients resolve where they leave (their own site), and that fails: the cause is the
    site's DNS, as the DNS flow says, not a DNS the model does not know."""
    rs = results(designs.cloud_proxy(breakout_up=False))
    dns = flow(rs, "dns/hq")
    assert dns.verdict.value == "unreachable"
    for key in (*ER_KEYS, "out/hq/8"):
        r = flow(rs, key)
        assert (r.verdict.value, r.cause_key, share(r)) == ("unreachable", "dns", 1.0), key
        assert "not modelled" not in r.cause
        assert dns.trace.branches[0].forward.reason in r.cause
        assert r.culprit == dns.culprit


# -- servers and static NAT --------------------------------------------------------------------


def test_a_server_behind_a_firewall_loses_the_half_of_its_pool_pulled_back() -> None:
    """c2 advertises the upper half of c1's pool more specifically: Microsoft returns that half
    by c2, past the firewall and the NAT of c1 that hold the sessions."""
    r = flow(results(designs.server_behind_firewall_pool()), "srv/mx/1")
    assert (r.verdict.value, r.cause_key, share(r)) == ("dropped", "return-elsewhere", 0.5)
    assert owners(r) == {"circuit:c1": 1.0}
    assert owners(r, "back") == {"circuit:c1": 0.5, "circuit:c2": 0.5}
    assert {k[2] for k in edges(r) if k[1] and k[1].startswith("circuit:c2")} == {"dropped"}


def test_a_static_nat_translates_the_server_both_ways_inbound_and_outbound() -> None:
    """DESIGN "State": a stateless one-to-one static NAT reverses every packet; the server's
    own connections leave as its public address and its published service is reached on it,
    both through the site firewall before the NAT."""
    rs = results(designs.static_nat_both_ways())
    out = flow(rs, "srv/mx/1")
    assert out.verdict.value == "ok"
    assert owners(out) == owners(out, "back") == {"circuit:c1": 1.0}
    public = int(IPv4Address("20.72.0.10"))
    for b in out.trace.branches:
        assert b.forward.hops[-1].src == public
    inbound = [r for r in rs if r.flow.direction.value == "inbound"]
    assert inbound and all(r.verdict.value == "ok" for r in inbound)


def test_a_static_nat_on_one_of_two_circuits_advertising_its_address() -> None:
    """c2 advertises the public address too but holds the mapping statefully at its edge:
    half the server's replies reach that edge, which never saw the connection; half of the
    inbound connections enter by c2 and their replies head for c1, which c2's own edge prefers
    (local preference 200): source NAT at c2 alone would not bring them back by c2."""
    rs = results(designs.static_nat_return_elsewhere())
    out = flow(rs, "srv/mx/1")
    assert (out.verdict.value, out.cause_key, share(out)) == ("dropped", "return-elsewhere", 0.5)
    assert owners(out, "back") == {"circuit:c1": 0.5, "circuit:c2": 0.5}
    inbound = [r for r in rs if r.flow.direction.value == "inbound"]
    assert inbound
    for r in inbound:
        assert (r.verdict.value, r.cause_key, share(r)) == (
            "dropped",
            "entry-prefers-another-circuit",
            0.5,
        )
        assert r.culprit == ("circuits", "c2", "local_preference")
        assert owners(r) == {"circuit:c1": 0.5, "circuit:c2": 0.5}


def test_an_entry_that_prefers_another_circuit_by_its_region_names_that_preference() -> None:
    """As above, but the initiator is Dynamics 365 (CRM Online) in West Europe and the two
    circuits have one local preference: c1's edge sends replies to West Europe's prefixes by
    c2 because c2 prefers that region's community, so c2's `region_preference` is what to
    change. (A CRM Online initiator sends from the first Dynamics 365 environment the tenant
    lists, whatever the front end: with East US listed first, no sender carries West Europe's
    community.)"""
    d = designs.static_nat_return_elsewhere()
    d["name"] = "static NAT, the second circuit preferred by region"
    d["tenant"]["dynamics"] = {"West Europe": {"prefixes": ["203.0.113.0/25"]}}
    d["services"]["app"]["initiator"] = "CRM Online"
    del d["circuits"]["c1"]["local_preference"]
    d["circuits"]["c2"]["region_preference"] = {"West Europe": 200}
    for c in d["circuits"].values():
        c["route_filter"] = [*c["route_filter"], "CRM Online"]
    (west,) = dynamics_sets(load(d).design, CATALOGS)
    inbound = [r for r in results(d) if r.flow.direction.value == "inbound"]
    assert inbound
    for r in inbound:
        assert any(IPv4Address(r.flow.source) in p for p in west.ips), r.flow.key
        assert (r.verdict.value, r.cause_key, share(r)) == (
            "dropped",
            "entry-prefers-another-circuit",
            0.5,
        ), r.flow.key
        assert r.culprit == ("circuits", "c2", "region_preference"), r.flow.key
        assert owners(r) == {"circuit:c1": 0.5, "circuit:c2": 0.5}


# -- regional preference -----------------------------------------------------------------------


def _dynamics_ids(data: dict[str, Any]) -> tuple[int, int]:
    """The set ids of the design's East US and West Europe environments, in that order."""
    east, west = (es.id for es in dynamics_sets(load(data).design, CATALOGS))
    return east, west


def test_region_preference_sends_one_regions_dynamics_by_the_other_circuit() -> None:
    """c1's local preference (150) wins for Microsoft 365 and East US; c2's preference for West
    Europe's regional community (200) wins for that region's Dynamics 365 prefixes only."""
    rs = results(designs.region_preference_two_circuits())
    east, west = _dynamics_ids(designs.region_preference_two_circuits())
    for key in (*ER_KEYS, f"out/hq/{east}"):
        r = flow(rs, key)
        assert r.verdict.value == "ok", key
        assert owners(r) == owners(r, "back") == {"circuit:c1": 1.0}, key
    r = flow(rs, f"out/hq/{west}")
    assert r.verdict.value == "ok"
    assert owners(r) == owners(r, "back") == {"circuit:c2": 1.0}


def test_region_preference_tied_with_local_preference_over_one_pool() -> None:
    """West Europe's prefixes tie over c1 (local preference 200) and c2 (region preference
    200): both branches are followed. One pool on both circuits loses half of every flow."""
    rs = results(designs.region_tie_shared_pool())
    _, west = _dynamics_ids(designs.region_tie_shared_pool())
    r = flow(rs, f"out/hq/{west}")
    assert (r.verdict.value, r.cause_key, share(r)) == ("dropped", "return-elsewhere", 0.5)
    assert owners(r) == {"circuit:c1": 0.5, "circuit:c2": 0.5}
    m365 = flow(rs, "out/hq/1")
    assert (m365.verdict.value, share(m365)) == ("dropped", 0.5)
    assert owners(m365) == {"circuit:c1": 1.0}


# -- links -------------------------------------------------------------------------------------


def test_primary_link_down_with_a_firewall_on_the_secondary_works() -> None:
    rs = results(designs.primary_down_device_on_secondary())
    for key in ER_KEYS:
        r = flow(rs, key)
        assert r.verdict.value == "ok", key
        assert {k[:2] for k in edges(r)} == {("circuit:c1/secondary", "circuit:c1/secondary")}


def test_primary_link_down_with_the_pool_advertised_on_it_alone_is_a_blackhole() -> None:
    """The secondary carries the translated requests, but Microsoft has no route back to a pool
    only the link that is down advertised."""
    rs = results(designs.primary_down_pool_on_primary_only())
    for key in ER_KEYS:
        r = flow(rs, key)
        assert (r.verdict.value, r.cause_key, share(r)) == ("blackhole", "no-route-back", 1.0)
        assert owners(r) == {"circuit:c1": 1.0} and owners(r, "back") == {None: 1.0}


# -- DNS ---------------------------------------------------------------------------------------


def test_a_remote_resolver_egress_whose_range_a_circuit_advertises() -> None:
    """hq's queries leave by dc's breakout and are answered over the internet; hq's
    ExpressRoute names go by dc's circuit (dc's router holds the routes); but Microsoft answers
    hq's internet-only Microsoft names over the circuit, whose edge never saw them."""
    rs = results(designs.resolver_at_remote_breakout_pool_on_circuit())
    assert flow(rs, "dns/hq").verdict.value == "ok"
    assert owners(flow(rs, "dns/hq")) == {"breakout:dc-inet": 1.0}
    for key in ER_KEYS:
        r = flow(rs, key)
        assert r.verdict.value == "ok", key
        assert owners(r) == owners(r, "back") == {"circuit:c1": 1.0}
    r = flow(rs, "out/hq/8")
    assert (r.verdict.value, r.cause_key, share(r)) == ("dropped", "internet-nat-overlap", 1.0)
    assert owners(r) == {"breakout:dc-inet": 1.0} and owners(r, "back") == {"circuit:c1": 1.0}


# -- the emulation's sources -------------------------------------------------------------------


def test_emulated_users_never_connect_from_the_proxy_or_resolver_address() -> None:
    """flow-semantics "Flows": resolvers and proxies are counted with the users around them but
    never stand for them. At a proxy-only site the breakout lets those two out: a user
    connection opened from either address would pass where the users' are refused."""
    d = load(designs.pac_direct_without_routes(direct_internet=False)).design
    strata = emulated.strata(d, "hq")
    apart = {IPv4Address("10.190.0.1"), IPv4Address("10.190.255.10")}
    assert not any(s.piece.contains(a) and s.piece.size == 1 for s in strata for a in apart)
    assert abs(sum(s.weight for s in strata) - 1.0) < 1e-12
    covered = sum(s.piece.size for s in strata)
    assert covered == IPv4Network("10.190.0.0/16").num_addresses - len(apart)


def test_the_emulation_lists_the_dns_flows_the_model_judges() -> None:
    """A proxy's site and a server's site resolve too, with or without users of their own -
    unless the proxy has an egress of its own, and resolves by itself: both sides list the same
    DNS flows, so ``erplan emulate`` compares them rather than reporting the model's alone."""
    cases = [
        designs.pac_proxy_at_unscoped_site(),
        designs.proxy_chain(),
        designs.cloud_proxy(breakout_up=True),
        designs.static_nat_both_ways(),
        designs.server_behind_firewall_pool(),
        designs.resolver_at_remote_breakout_pool_on_circuit(),
    ]
    for data in cases:
        d = load(data).design
        model = {f.key for r in results(data) for f in r.flows if f.key.startswith("dns/")}
        ours = {f.key for f in emulated.outbound_flows(d, CATALOGS) if f.direction == "dns"}
        assert ours == model, data["name"]
    # dc has no users: its resolver answers for the proxy there (cases[0]), not for the last
    # proxy of the chain, which leaves by dc-inet of its own (cases[1]).
    for data, listed in ((cases[0], True), (cases[1], False)):
        keys = {f.key for f in emulated.outbound_flows(load(data).design, CATALOGS)}
        assert ("dns/dc" in keys) is listed, data["name"]


# -- inbound source NAT ------------------------------------------------------------------------


def test_one_inbound_pool_on_two_devices_at_one_site_names_the_shared_pool() -> None:
    """DESIGN "State": "two devices sharing one pool break each other's replies". Both entries
    do source-NAT: the cause is the pool they share, and the fix is a pool per entry, not the
    inbound source NAT they already have."""
    rs = results(designs.inbound_snat_two_devices_one_site())
    inbound = [r for r in rs if r.flow.direction.value == "inbound"]
    assert inbound
    for r in inbound:
        assert (r.verdict.value, r.cause_key, share(r)) == ("dropped", "shared-inbound-pool", 0.5)
        assert "10.255.9.0/28" in r.cause and "does not source-NAT" not in r.cause
        assert r.culprit[0] == "circuits" and r.culprit[2] == "inbound_snat_pool"
        assert owners(r) == {"circuit:c1": 0.5, "circuit:c2": 0.5}


def test_one_inbound_pool_on_two_devices_at_two_sites_names_the_shared_pool() -> None:
    r = next(
        r
        for r in results(designs_first.inbound_snat_two_devices())
        if r.flow.direction.value == "inbound"
    )
    assert (r.verdict.value, r.cause_key) == ("dropped", "shared-inbound-pool")


def test_the_shared_pool_names_the_entry_that_shares_it_not_the_first_listed() -> None:
    """As above, with a third entry listed first (c0, a pool of its own): a third of the
    connections (c1's or c2's, half of each) is dropped, and the cause names the entry that
    translates into the same pool, not c0."""
    data = designs.inbound_snat_two_devices_one_site()
    c0 = dict(data["circuits"]["c1"], peering_location="Chicago", devices=["nat0"])
    c0["inbound_snat_pool"] = "10.255.8.0/28"
    data["circuits"] = {"c0": c0, **data["circuits"]}
    data["devices"] = {"nat0": {"kind": "nat", "site": "dc"}, **data["devices"]}
    r = next(r for r in results(data) if r.flow.direction.value == "inbound")
    assert (r.verdict.value, r.cause_key, share(r)) == ("dropped", "shared-inbound-pool", 0.333333)
    assert r.culprit == ("circuits", "c1", "inbound_snat_pool")
    assert "into 10.255.9.0/28, which c2 translates into too" in r.cause


def test_a_dns_query_that_left_and_got_no_answer_back_is_a_blackhole_in_the_emulation() -> None:
    """The model judges the DNS flow as packets: a query out of a breakout that translates
    nothing (a static NAT there cannot use the pool) has no route back, a blackhole. The
    emulation classes its connections alike from what it saw: out by the breakout, nothing
    back, no drop. A flow whose name did not resolve stays unreachable."""
    r = flow(results(designs.static_nat_at_the_breakout()), "dns/dc")
    assert (r.verdict.value, r.cause_key, share(r)) == ("blackhole", "no-route-back", 1.0)
    lost = Connection(1, 0, 1.0, "10.204.0.2", "dns", stage="dns", forward=["breakout:dc-inet"])
    assert lost.classify() == "blackhole"
    unresolved = Connection(2, 0, 1.0, "10.204.0.2", "outbound", stage="dns")
    assert unresolved.classify() == "unreachable"
    pinned = Connection(3, 0, 1.0, "10.204.0.2", "dns", stage="dns", forward=["breakout:dc-inet"])
    pinned.drops.append(("internet", PINNED))
    assert pinned.classify() == "unreachable"


def test_a_server_at_a_proxy_only_site_goes_out_directly_where_users_may_not() -> None:
    """flow-semantics "Proxy-only sites": the site refuses its clients' direct connections,
    except from its proxies, resolvers and servers."""
    rs = results(designs.server_at_a_proxy_only_site())
    users = flow(rs, "out/hq/1")
    # The users are refused because hq takes no ExpressRoute routes (er_routes: false).
    assert (users.cause_key, users.culprit) == (
        "direct-not-propagated",
        ("sites", "hq", "er_routes"),
    )
    for key in ("srv/mx/1", "srv/mx/8"):
        r = flow(rs, key)
        assert r.verdict.value == "ok", key
        assert owners(r) == owners(r, "back") == {"breakout:hq-inet": 1.0}


def test_one_pool_on_two_circuits_with_a_link_down_fails_two_thirds() -> None:
    """Microsoft balances over every link left with the longest prefix (flow-semantics
    "Microsoft"): three links, one of them c1's, so two thirds of the replies reach c2."""
    rs = results(designs.shared_pool_one_link_down())
    for key in ER_KEYS:
        r = flow(rs, key)
        assert r.verdict.value == "dropped" and r.cause_key == "return-elsewhere", key
        assert share(r) == pytest.approx(2 / 3, abs=1e-6)
        assert owners(r) == pytest.approx({"circuit:c1": 1.0})
        back = owners(r, "back")
        assert back == pytest.approx({"circuit:c1": 1 / 3, "circuit:c2": 2 / 3}, abs=1e-6)
        assert {k[0] for k in edges(r)} == {"circuit:c1/secondary"}


def test_a_proxys_egress_across_a_site_with_routes_follows_that_sites_table() -> None:
    """Hop by hop (DESIGN "Flow semantics"): the proxy's policy route leads towards dc's
    breakout, but dc's router holds ExpressRoute routes and sends those names into c1."""
    rs = results(designs.proxy_egress_across_a_site_with_routes())
    for key in ER_KEYS:
        r = flow(rs, key)
        assert r.verdict.value == "ok", key
        assert owners(r) == owners(r, "back") == {"circuit:c1": 1.0}
    r = flow(rs, "out/hq/8")
    assert r.verdict.value == "ok"
    assert owners(r) == owners(r, "back") == {"breakout:dc-inet": 1.0}


def test_one_inbound_pool_at_a_circuit_and_a_breakout_names_the_shared_pool() -> None:
    """The pool is routed to the circuit's NAT device and the breakout's edge alike (one site,
    equal distance): half the replies of each entry reach the other (emulated alike)."""
    rs = results(designs.inbound_pool_on_a_circuit_and_a_breakout())
    inbound = [r for r in rs if r.flow.direction.value == "inbound"]
    assert {r.flow.kind for r in inbound} >= {"internet"}
    for r in inbound:
        assert (r.verdict.value, r.cause_key, share(r)) == ("dropped", "shared-inbound-pool", 0.5)
        assert r.culprit == ("services", "app", "inbound_snat")


def test_a_region_preferred_circuit_behind_a_site_without_routes_is_left_by_its_breakout() -> None:
    """Hop by hop: hq sends West Europe's prefixes towards c2, but c2's site dc keeps no
    ExpressRoute routes in its table and forwards them by its default route, out of dc's
    breakout (emulated alike); the rest still leaves by c1."""
    data = designs.region_preferred_behind_a_scoped_site()
    rs = results(data)
    east, west = _dynamics_ids(data)
    for key in (*ER_KEYS, f"out/hq/{east}"):
        r = flow(rs, key)
        assert r.verdict.value == "ok", key
        assert owners(r) == owners(r, "back") == {"circuit:c1": 1.0}, key
    r = flow(rs, f"out/hq/{west}")
    assert r.verdict.value == "ok"
    assert owners(r) == owners(r, "back") == {"breakout:dc-inet": 1.0}
    assert {"site:hq", "site:dc", "edge:dc-inet"} <= hop_nodes(r, "forward")
