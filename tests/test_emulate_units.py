"""The emulation's own arithmetic and planning, checked without building anything (no root)."""

from __future__ import annotations

import ast
import json
import random
from fractions import Fraction
from ipaddress import IPv4Address, IPv4Network
from pathlib import Path

import pytest

from emulation import designs, designs_returns
from erplan.catalogs import MICROSOFT_INTERNET_BLOCK, load_catalogs
from erplan.emulate import costs, flows, frr, geodns, nft
from erplan.emulate.addresses import AddressRange, pool_slots, split_ranges, spread
from erplan.emulate.network import plan
from erplan.emulate.topology import Node, TopologyError
from erplan.load import load_design, load_mapping

ROOT = Path(__file__).resolve().parents[1]
CATALOGS = load_catalogs()
N = IPv4Network
A = IPv4Address
ALLOWED = {
    "erplan.model",
    "erplan.load",
    "erplan.catalogs",
    "erplan.facts",
    "erplan.facts_edges",
    "erplan.diagnostics",
}


def test_emulate_imports_nothing_from_the_engine_or_the_analyses() -> None:
    """The oracle reads the design and the catalogs only: never the flow engine's answers."""
    for path in sorted((ROOT / "src" / "erplan" / "emulate").rglob("*.py")):
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            names: list[str] = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
                if node.module == "erplan":
                    names = [f"erplan.{a.name}" for a in node.names]
            for name in names:
                if name == "erplan" or not name.startswith("erplan"):
                    continue
                top = ".".join(name.split(".")[:2])
                assert top == "erplan.emulate" or top in ALLOWED, f"{path.name} imports {name}"


# -- address ranges ---------------------------------------------------------------------------


def test_split_ranges_cuts_at_every_boundary_and_covers_exactly() -> None:
    pieces = split_ranges(
        [N("10.0.0.0/24")], [N("10.0.0.64/26"), N("10.0.0.200/32"), N("10.9.0.0/16")]
    )
    assert [str(p) for p in pieces] == [
        "10.0.0.0-10.0.0.63",
        "10.0.0.64-10.0.0.127",
        "10.0.0.128-10.0.0.199",
        "10.0.0.200",
        "10.0.0.201-10.0.0.255",
    ]
    assert sum(p.size for p in pieces) == 256


def test_split_ranges_merges_overlapping_blocks_and_ignores_covering_boundaries() -> None:
    pieces = split_ranges([N("10.0.0.0/25"), N("10.0.0.0/24")], [N("10.0.0.0/8")])
    assert pieces == [AddressRange(A("10.0.0.0"), A("10.0.0.255"))]


def test_no_piece_straddles_a_boundary() -> None:
    rng = random.Random(7)
    blocks = [N("10.1.0.0/20"), N("172.16.0.0/22")]
    bounds = [N(f"10.1.{rng.randrange(16)}.{rng.randrange(256)}/32") for _ in range(20)]
    bounds += [N("10.1.4.0/23"), N("172.16.1.128/25")]
    for piece in split_ranges(blocks, bounds):
        for b in bounds:
            inside = {piece.contains(b.network_address), piece.contains(b.broadcast_address)}
            first_in = b.network_address <= piece.first <= b.broadcast_address
            # Either the piece lies inside the boundary prefix or outside it entirely.
            assert first_in == (b.network_address <= piece.last <= b.broadcast_address), (piece, b)
            assert inside is not None


def test_spread_takes_distinct_addresses_of_the_piece_with_both_ends() -> None:
    piece = AddressRange(A("10.0.0.10"), A("10.0.0.20"))
    got = spread(piece, 5, random.Random(1))
    assert len(set(got)) == 5 and A("10.0.0.10") in got and A("10.0.0.20") in got
    assert all(piece.contains(a) for a in got)
    single = spread(AddressRange(A("10.0.0.1"), A("10.0.0.1")), 3, random.Random(1))
    assert single == [A("10.0.0.1")] * 3


def test_pool_slots_cover_a_small_pool_and_every_piece_of_a_large_one() -> None:
    assert pool_slots([N("20.0.0.0/29")], []) == [A(f"20.0.0.{i}") for i in range(8)]
    slots = pool_slots([N("20.0.0.0/16")], [N("20.0.7.7/32"), N("20.0.128.0/17")])
    assert len(slots) <= 260
    assert A("20.0.7.7") in slots  # the one-address piece gets a slot of its own
    upper = sum(1 for s in slots if s >= A("20.0.128.0"))
    assert 120 <= upper <= 136  # half the pool, about half the slots


# -- IGP costs --------------------------------------------------------------------------------


def _wan(*links: dict[str, object]) -> dict[str, object]:
    sites = {n: {"location": "New York"} for n in ("a", "b", "c")}
    return {"erplan": 1, "tenant": {"geography": "US"}, "sites": sites, "wan": list(links)}


def test_ospf_costs_are_the_design_figures_scaled_exactly() -> None:
    d = load_mapping(
        _wan(
            {"between": ["a", "b"], "latency_ms": 80},
            {"between": ["b", "c"], "latency_ms": 12.5},
            {"between": ["a", "c"], "latency_ms": 40, "cost": 67.5},
        ),
        catalogs=CATALOGS,
    ).design
    s = costs.ospf_costs(d, CATALOGS)
    assert s.exact and s.note() is None
    assert [c.ospf for c in s.costs] == [32, 5, 27]  # 80 : 12.5 : 67.5, divided by 2.5
    assert s.step == Fraction(5, 2)
    # Sums keep their ties: 80 = 67.5 + 12.5, so 32 = 27 + 5.
    assert s.costs[0].ospf == s.costs[2].ospf + s.costs[1].ospf


def test_ospf_costs_round_only_when_16_bits_cannot_hold_them_and_say_so() -> None:
    d = load_mapping(
        _wan(
            {"between": ["a", "b"], "latency_ms": 300}, {"between": ["b", "c"], "latency_ms": 0.001}
        ),
        catalogs=CATALOGS,
    ).design
    s = costs.ospf_costs(d, CATALOGS)
    assert not s.exact and s.note() is not None
    assert max(c.ospf for c in s.costs) == costs.OSPF_MAX_COST
    assert min(c.ospf for c in s.costs) >= 1


def test_a_zero_cost_cannot_be_an_ospf_cost() -> None:
    d = load_mapping(_wan({"between": ["a", "b"], "cost": 0}), catalogs=CATALOGS).design
    with pytest.raises(costs.CostError):
        costs.ospf_costs(d, CATALOGS)


# -- flows --------------------------------------------------------------------------------------


def test_flow_keys_follow_the_semantics() -> None:
    d = load_design(ROOT / "examples" / "g000-fig20-full-solution.yaml", CATALOGS).design
    keys = [f.key for f in flows.all_flows(d, CATALOGS)]
    assert "dns/us" in keys and "dns/eu" in keys
    assert "out/us/1" in keys and "out/eu/46" in keys
    assert "in/exchange-hybrid/Boydton/443" in keys
    sets = flows.tenant_sets(d, CATALOGS)
    implied = [suffix for es in sets for suffix, _, _ in flows.set_protocols(es)]
    assert len([k for k in keys if k.startswith("out/us/")]) == len(implied)
    assert len(implied) > len(sets)  # media and QUIC add ``/udp`` flows


def test_udp_flows_are_the_models_and_datagrams_of_a_proxied_one_leave_from_the_proxy() -> None:
    """Every outbound flow the model lists, UDP ones included, with the protocol it names; a
    proxied UDP flow is sent from the proxy's address, at the proxy's site."""
    from erplan.analyses.verdicts import verify

    loaded = load_design(ROOT / "examples" / "g000-fig05-fix2-us-proxy.yaml", CATALOGS)
    mine = {f.key: f for f in flows.all_flows(loaded.design, CATALOGS)}
    model = {str(f["key"]) for f in verify(loaded, CATALOGS).per_flow()}
    outbound = {k for k in model if k.startswith("out/")}
    assert outbound and outbound <= set(mine), sorted(outbound - set(mine))
    udp = [f for f in mine.values() if f.proto == "udp"]
    assert any(f.key.endswith("/udp") for f in udp) and any(f.endpoint_set == 11 for f in udp)
    assert all(f.key.endswith("/udp") or f.endpoint_set == 11 for f in udp)
    relayed = [f for f in udp if f.proxy_site is not None]
    assert relayed
    for f in relayed:
        assert [s.piece.first for s in f.strata] == [f.proxy_address], f.key


@pytest.mark.parametrize(
    "name",
    [
        "g001-inbound-mail-over-expressroute",
        "g001-other-microsoft-services",
        "g000-fig20-full-solution",
        "g001-servers-outbound",
    ],
)
def test_inbound_and_server_flows_are_those_the_semantics_list(name: str) -> None:
    """Every region running the initiator, other Microsoft services and internet users, and
    the servers' flows, as flow-semantics "Flows" lists them: the same keys as the model
    derives on its own."""
    from erplan.analyses.verdicts import verify

    loaded = load_design(ROOT / "examples" / f"{name}.yaml", CATALOGS)
    mine = {
        f.key
        for f in flows.all_flows(loaded.design, CATALOGS, A("198.51.100.3"))
        if f.direction == "inbound" or f.key.startswith("srv/")
    }
    model = {
        str(f["key"])
        for f in verify(loaded, CATALOGS).per_flow()
        if f["direction"] == "inbound" or str(f["key"]).startswith("srv/")
    }
    assert mine and mine == model


def test_smtp_from_exchange_online_protection_comes_half_from_outside_every_set() -> None:
    loaded = load_design(ROOT / "examples" / "g001-inbound-mail-over-expressroute.yaml", CATALOGS)
    by_key = {f.key: f for f in flows.all_flows(loaded.design, CATALOGS)}
    smtp = by_key["in/mail/Boydton/25"]
    assert [s.weight for s in smtp.strata] == [0.5, 0.5]
    inside, outside = (s.piece.first for s in smtp.strata)
    covered = [p for es in CATALOGS.endpoint_sets if es.express_route for p in es.ips]
    assert any(inside in p for p in covered)
    assert outside in MICROSOFT_INTERNET_BLOCK and not any(outside in p for p in covered)
    assert by_key["in/mail/internet/25"].problem  # no internet user address given


def test_pac_sends_only_sets_that_are_not_expressroute_able_to_the_proxy() -> None:
    d = load_design(ROOT / "examples" / "g001-sharepoint-outbound.yaml", CATALOGS).design
    for f in flows.all_flows(d, CATALOGS):
        if f.direction != "outbound" or d.sites[f.origin].proxy.mode.value != "pac":
            continue
        es = CATALOGS.endpoint_set(f.endpoint_set or 0)
        assert es is not None
        assert (f.proxy_site is not None) is (not es.express_route), f.key


def test_a_site_with_users_but_no_prefixes_cannot_be_emulated_and_says_why() -> None:
    d = load_mapping(
        {
            "erplan": 1,
            "tenant": {"geography": "US"},
            "sites": {"hq": {"location": "New York", "users": 5}},
        },
        catalogs=CATALOGS,
    ).design
    out = flows.all_flows(d, CATALOGS)
    assert out and all(f.problem and "no prefixes" in f.problem for f in out)


def test_pieces_of_a_site_are_weighted_by_their_addresses() -> None:
    d = load_mapping(designs.public_and_private(), catalogs=CATALOGS).design
    st = flows.strata(d, "hq")
    assert [s.weight for s in st] == [0.5, 0.5]
    assert flows.connections_per_stratum(st[0], 16) == 8
    tiny = flows.Stratum(AddressRange(A("10.0.0.1"), A("10.0.0.1")), 1e-5)
    assert flows.connections_per_stratum(tiny, 16) == flows.MIN_PER_PIECE


def test_geodns_answers_with_the_front_end_nearest_to_each_breakout() -> None:
    d = load_mapping(designs.distant_resolver(), catalogs=CATALOGS).design
    table, notes = geodns.geodns_table(d, CATALOGS, A("198.51.100.2"))
    by = {e.breakout: e for e in table}
    assert not notes
    assert by["us-inet"].front_end != by["eu-inet"].front_end
    name = flows.set_name(1)
    assert by["us-inet"].answers[name] != by["eu-inet"].answers[name]
    # Set 8 publishes names only and is Microsoft's: served from Microsoft's internet-only
    # block; a set the catalog marks as a third party's is the third-party host.
    assert by["us-inet"].answers[flows.set_name(8)] in MICROSOFT_INTERNET_BLOCK
    third = {es.id for es in CATALOGS.endpoint_sets if es.third_party}
    for es in flows.tenant_sets(d, CATALOGS):
        answer = by["us-inet"].answers[flows.set_name(es.id)]
        assert (answer == A("198.51.100.2")) == (es.id in third), es.id


def test_geodns_knows_a_breakout_that_does_not_translate_by_what_it_advertises() -> None:
    d = load_mapping(designs_returns.untranslated_breakout(), catalogs=CATALOGS).design
    table, _ = geodns.geodns_table(d, CATALOGS, A("198.51.100.2"))
    assert [(e.breakout, e.sources) for e in table] == [("hq-inet", (IPv4Network("20.77.0.0/24"),))]
    # A translating breakout's NAT range is asked first, whatever the design order; among
    # untranslated ones the longest advertisement wins.
    data = designs_returns.untranslated_breakout()
    data["breakouts"]["wide"] = {"site": "hq", "advertises": ["20.0.0.0/8"]}
    data["breakouts"]["nat"] = designs.breakout("hq", "20.77.0.9/32", "20.77.0.0/24")
    d = load_mapping(data, catalogs=CATALOGS).design
    table, _ = geodns.geodns_table(d, CATALOGS, A("198.51.100.2"))
    assert [e.breakout for e in table] == ["nat", "hq-inet", "wide"]


# -- renderers and plans ------------------------------------------------------------------------


@pytest.mark.parametrize("bad", ["12076:5010\nrouter bgp 1", "70000:1", "a:b", ""])
def test_bad_community_is_refused(bad: str) -> None:
    with pytest.raises(TopologyError):
        frr.MapEntry(communities=(bad,))


@pytest.mark.parametrize("bad", ["Site-US", "a b", "x" * 13, "1abc", "s;rm"])
def test_bad_node_name_is_refused(bad: str) -> None:
    with pytest.raises(TopologyError):
        Node(bad, "site")


def test_bgp_config_puts_policy_before_the_sessions() -> None:
    bgp = frr.Bgp(
        4200000000,
        A("10.0.0.1"),
        neighbors=(
            frr.Neighbor(
                A("10.0.0.2"),
                12076,
                export_map=(frr.MapEntry(prefixes=(N("20.0.0.0/29"),), prepend=(394500,) * 2),),
                local_as=394500,
            ),
        ),
        networks=((N("20.0.0.0/29"), ()),),
    )
    text = frr.bgpd_config("c0", bgp)
    assert text.index("route-map OUT0") < text.index("router bgp 4200000000")
    assert "set as-path prepend 394500 394500" in text
    assert "local-as 394500 no-prepend replace-as" in text
    assert "no bgp ebgp-requires-policy" in text and "maximum-paths 64" in text


def test_nft_ruleset_for_a_stateful_nat_point() -> None:
    text = nft.render(
        nft.Ruleset(
            edge_outside=("e1",),
            stateful_inside=("e0",),
            snat=(nft.Snat(("e1",), (A("20.0.0.1"), A("20.0.0.2"))),),
            dnat=(nft.Dnat(("e1",), A("20.2.2.59"), A("10.1.1.1")),),
        )
    )
    assert "ct state invalid" in text and "numgen random mod 2" in text
    assert 'iifname "e1" ip daddr 20.2.2.59 dnat ip to 10.1.1.1' in text
    assert "update @req_out { tcp dport }" in text
    # A later UDP packet whose reply this box never saw is dropped (Linux calls it new), when
    # it comes in where the session's first packet did (not the same packet crossing again).
    udp = 'iifname "e0" meta l4proto udp ct state new'
    assert f"{udp} ct status ! confirmed ct mark set 1" in text
    assert f"{udp} ct status confirmed ct mark 1 drop" in text


def test_nft_echo_takes_udp_and_the_dns_server_only_its_own_address() -> None:
    text = nft.render(nft.Ruleset(redirect=True, dns_server=A("198.18.0.53")))
    assert "meta l4proto { tcp, udp } th dport 20000-39999 redirect to :19999" in text
    assert "ip daddr 198.18.0.53 udp dport 20000-39999 dnat ip to 198.18.0.53:53" in text
    assert text.index("dnat ip to 198.18.0.53") < text.index("redirect to")


def test_plan_one_namespace_per_device_even_on_two_paths() -> None:
    d = load_mapping(
        designs.design(
            "shared firewall",
            {"hq": designs.site("New York", ["10.5.0.0/16"], devices=["fw"])},
            circuits={"c1": designs.circuit("hq", "New York", devices=["fw"])},
            devices={"fw": {"kind": "firewall", "site": "hq"}},
        ),
        catalogs=CATALOGS,
    ).design
    p = plan(d, CATALOGS)
    fw = [n for n in p.topology.nodes if n.role == "device"]
    assert len(fw) == 1
    # One pair of interfaces and one pair of tables per path.
    assert len(fw[0].rules) == 4 and len({r.table for r in fw[0].rules}) == 4
    assert "ct state invalid" in fw[0].nftables


def test_plan_scoped_site_keeps_expressroute_routes_out_of_its_table() -> None:
    d = load_mapping(designs.scoped_transit(), catalogs=CATALOGS).design
    p = plan(d, CATALOGS)
    branch = p.topology.node(p.site_routers["branch"])
    hub = p.topology.node(p.site_routers["hub"])
    bgpd = {n.name: next(x.config for x in n.daemons if x.name == "bgpd") for n in (branch, hub)}
    assert "table-map FIB" in bgpd[branch.name] and "table-map" not in bgpd[hub.name]


def test_plan_site_routers_send_every_path_to_each_other_and_only_to_each_other() -> None:
    """Each site router chooses among every breakout's default route by its own designation:
    the other site routers send it all their paths (add-path), edges only their best."""
    from emulation import designs_review4_routing as routing

    d = load_mapping(routing.breakouts_designated_crosswise(), catalogs=CATALOGS).design
    p = plan(d, CATALOGS)
    loopbacks = {p.topology.node(r).loopbacks[0] for r in p.site_routers.values()}
    for node in p.topology.nodes:
        bgpd = next((x.config for x in node.daemons if x.name == "bgpd"), "")
        sent_all = {
            IPv4Address(line.split()[1]) for line in bgpd.splitlines() if "addpath-tx" in line
        }
        if node.name in p.site_routers.values():
            assert sent_all == loopbacks - set(node.loopbacks), node.name
        else:
            assert not sent_all, node.name


def test_plan_uses_the_circuits_peer_subnets_and_shuts_down_a_link_that_is_down() -> None:
    data = designs.tie_working_broken()
    data["circuits"]["c1"].update(primary_subnet="20.51.8.0/30", links={"secondary": {"up": False}})
    d = load_mapping(data, catalogs=CATALOGS).design
    p = plan(d, CATALOGS)
    link = next(lk for lk in p.topology.links if lk.a == "l0p")
    assert str(link.a_addr) == "20.51.8.1/30" and str(link.b_addr) == "20.51.8.2/30"
    assert not next(lk for lk in p.topology.links if lk.a == "l0s" and lk.b == "ms").up
    ms = next(x.config for x in p.topology.node("ms").daemons if x.name == "bgpd")
    assert ms.count(" shutdown") == 1


def test_connections_per_flow_shrink_to_the_ports_a_run_has() -> None:
    from erplan.emulate.run import MAX_CONNECTIONS, fit_connections, total_connections

    d = load_design(ROOT / "examples" / "g000-fig16-shared-pool.yaml", CATALOGS).design
    p = plan(d, CATALOGS)
    assert fit_connections(p, 32) == 32
    fitted = fit_connections(p, 500)
    assert fitted < 500
    assert total_connections(p, fitted) <= MAX_CONNECTIONS < total_connections(p, fitted + 1)


def test_counting_sets_hold_plain_elements_and_are_read_either_way() -> None:
    from erplan.emulate.run import parse_sets

    text = nft.render(nft.Ruleset(edge_outside=("e1",)))
    # A counter per element is allocated in the packet path and lost in a burst.
    assert "counter" not in text and "set req_out { type inet_service" in text
    listing = {
        "nftables": [
            {"metainfo": {"version": "1.0.6"}},
            {"set": {"name": "req_out", "elem": [20000, 20007]}},
            {"set": {"name": "rep_in", "elem": [{"elem": {"val": 20001, "counter": {}}}]}},
            {"set": {"name": "drop_state"}},
        ]
    }
    sets = parse_sets(json.dumps(listing))
    assert sets == {"req_out": {20000, 20007}, "rep_in": {20001}, "drop_state": set()}
    assert parse_sets("") == {} and parse_sets("not json") == {}


def test_a_relay_header_names_where_the_rest_goes_and_nothing_else_passes() -> None:
    from erplan.emulate.udp import parse_relay, relay_header

    data = relay_header("52.112.0.9", 20001) + b"erplan 1\n"
    assert parse_relay(data) == (("52.112.0.9", 20001), b"erplan 1\n")
    for bad in (
        b"erplan 1\n",  # no header: not for the relay
        b"RELAY 52.112.0.9 20001",  # no end of header
        b"RELAY 52.112.0.999 20001\nx",
        b"RELAY 52.112.0.9 0\nx",
        b"RELAY 52.112.0.9 65536\nx",
        b"RELAY 52.112.0.9 -1\nx",
        b"RELAY name 20001\nx",
        b"RELAY 52.112.0.9 20001 more\nx",
        b"RELAY \xff 20001\nx",
    ):
        assert parse_relay(bad) is None, bad


def test_a_connection_that_looped_is_a_blackhole_a_name_that_did_not_resolve_is_not() -> None:
    from erplan.emulate.agent import LOOP_ERROR
    from erplan.emulate.results import Connection
    from erplan.emulate.sockets import LOOPED_ERROR

    for stage in ("connect", "echo", "next"):
        c = Connection(20000, 0, 1.0, "10.0.0.1", stage=stage, error=LOOPED_ERROR)
        assert c.classify() == "blackhole"
    # Its resolver's query looped: the flow's own request never left.
    c = Connection(20000, 0, 1.0, "10.0.0.1", stage="dns", error=LOOP_ERROR)
    assert c.classify() == "unreachable"
    c = Connection(20000, 0, 1.0, "10.0.0.1", "dns", stage="dns", error=LOOP_ERROR)
    assert c.classify() == "blackhole"
