"""What a NAT point does to the first packet of a connection and to its reply: a device's static
NAT both ways, source NAT into a pool's sub-ranges with their shares, destination NAT and
inbound source NAT as the trace shows them (docs/flow-semantics.md "Who translates", "State")."""

from __future__ import annotations

from ipaddress import IPv4Address, IPv4Network
from typing import Any

from _semantics import (
    circuit,
    edges,
    flow,
    inbound,
    one_site,
    owners,
    results,
    service,
    share,
    two_sites,
)
from erplan.engine.trace import Hop

PUBLIC = "20.2.3.59"
INTERNAL = "10.1.5.5"


def ip(text: str) -> int:
    return int(IPv4Address(text))


def _at(hops: tuple[Hop, ...], prefix: str) -> Hop:
    (hop,) = [h for h in hops if h.node.startswith(prefix)]
    return hop


def _static_server(**circuit_extra: Any) -> dict[str, Any]:
    """One site whose circuit has a static NAT device publishing mail (20.2.3.59 <-> 10.1.5.5),
    no pool; a server on the mail host opens connections to Exchange itself."""
    d = one_site(devices=["nat"], advertises=["20.2.3.0/24"], **circuit_extra)
    del d["circuits"]["us-er"]["snat_pool"]
    d["devices"] = {"nat": {"kind": "nat", "site": "us", "static_nat": True}}
    d["services"] = {"mail": service("us", PUBLIC, INTERNAL, ["us-er"])}
    d["servers"] = {"hub": {"site": "us", "address": INTERNAL, "connects_to": ["Exchange"]}}
    return d


def test_a_server_behind_static_nat_connects_from_its_published_address() -> None:
    """docs/design-format.md devices.static_nat: "applied both ways to every packet": the
    server's own connection leaves with its published address, which the circuit advertises,
    and its reply is translated back to the server at the same device."""
    r = flow(results(_static_server()), "srv/hub/1")
    assert r.verdict.value == "ok"
    assert owners(r, "forward") == {"circuit:us-er": 1.0}
    for b in r.trace.branches:
        assert b.back is not None
        out = _at(b.forward.hops, "device:nat@")
        assert (out.src_before, out.src, out.action) == (ip(INTERNAL), ip(PUBLIC), "static NAT")
        assert b.forward.hops[-1].src == ip(PUBLIC)
        back = _at(b.back.hops, "device:nat@")
        assert (back.dst_before, back.dst, back.action) == (ip(PUBLIC), ip(INTERNAL), "static NAT")
        assert b.back.hops[-1].dst == ip(INTERNAL)


def test_static_nat_translates_no_one_it_does_not_publish() -> None:
    """docs/design-format.md devices.static_nat: "it keeps no sessions, so it cannot translate
    into a pool": the users' sources cross it unchanged and Microsoft drops them."""
    r = flow(results(_static_server()), "out/us/1")
    assert r.verdict.value == "dropped"
    assert share(r) == 1.0
    assert r.cause_key == "source-filter"
    for b in r.trace.branches:
        hop = _at(b.forward.hops, "device:nat@")
        assert hop.src_before is None and hop.dst_before is None
        assert IPv4Address(hop.src) in IPv4Network("10.1.0.0/16")
        assert hop.action == ""  # a device that translates nothing has nothing to say


def _published_on_both(static: bool) -> dict[str, Any]:
    """mail is published by a NAT device on each circuit (the same mapping); eu-er advertises
    the published address more specifically, so Microsoft answers the server's own connections
    by eu-er, through the other device."""
    d = two_sites()
    d["sites"]["us"]["users"] = d["sites"]["eu"]["users"] = 0
    for c, dev in (("us-er", "nat-us"), ("eu-er", "nat-eu")):
        del d["circuits"][c]["snat_pool"]
        d["circuits"][c]["devices"] = [dev]
    d["circuits"]["us-er"]["advertises"] = ["20.2.3.0/24"]
    d["circuits"]["eu-er"]["advertises"] = ["20.2.3.0/25"]
    d["devices"] = {
        name: {"kind": "nat", "site": s, "static_nat": static}
        for name, s in (("nat-us", "us"), ("nat-eu", "eu"))
    }
    d["services"] = {"mail": service("us", PUBLIC, INTERNAL, ["us-er", "eu-er"])}
    d["servers"] = {"hub": {"site": "us", "address": INTERNAL, "connects_to": ["Exchange"]}}
    return d


def test_a_reply_through_another_devices_static_nat_works_asymmetrically() -> None:
    """flow-semantics "Who translates": static NAT keeps no sessions and applies its mappings
    to every packet: the reply entering by eu-er is translated back at nat-eu and reaches the
    server - asymmetric, working."""
    r = flow(results(_published_on_both(static=True)), "srv/hub/1")
    assert r.verdict.value == "asymmetric"
    assert r.share_affected == 0.0
    assert round(r.share_warned, 6) == 1.0
    assert owners(r, "forward") == {"circuit:us-er": 1.0}
    assert owners(r, "back") == {"circuit:eu-er": 1.0}
    for b in r.trace.branches:
        assert b.back is not None
        assert _at(b.forward.hops, "device:nat-us@").src == ip(PUBLIC)
        back = _at(b.back.hops, "device:nat-eu@")
        assert (back.dst_before, back.dst, back.action) == (ip(PUBLIC), ip(INTERNAL), "static NAT")
        assert b.back.hops[-1].dst == ip(INTERNAL)


def test_a_dynamic_nat_device_does_not_translate_a_servers_own_connections() -> None:
    """Without static_nat the mapping is destination NAT for connections that come in: the
    server's own connection keeps its private source, which Microsoft drops."""
    r = flow(results(_published_on_both(static=False)), "srv/hub/1")
    assert r.verdict.value == "dropped"
    assert share(r) == 1.0
    assert r.cause_key == "source-filter"
    for b in r.trace.branches:
        hop = _at(b.forward.hops, "device:nat-us@")
        assert (hop.src, hop.src_before, hop.action) == (ip(INTERNAL), None, "")


def test_a_connection_to_a_static_nat_mapping_is_translated_on_its_way_in() -> None:
    """Microsoft opens a connection to the published address through us-er's static NAT
    device: the device hop shows the destination translated to the server; a connection to an
    address the device does not publish crosses it untouched."""
    d = _static_server()
    d["sites"]["us"]["prefixes"].append("20.2.6.0/24")
    d["circuits"]["us-er"]["advertises"].append("20.2.6.0/24")
    d["services"]["web"] = service("us", "20.2.6.10", None, ["us-er"], fqdn="web.contoso.com")
    rs = results(d)
    r = inbound(rs, "mail")
    assert r.verdict.value == "ok"
    for b in r.trace.branches:
        hop = _at(b.forward.hops, "device:nat@")
        assert (hop.dst_before, hop.dst, hop.action) == (ip(PUBLIC), ip(INTERNAL), "static NAT")
        assert b.forward.hops[-1].dst == ip(INTERNAL)
    r = inbound(rs, "web")
    assert r.verdict.value == "ok"
    for b in r.trace.branches:
        hop = _at(b.forward.hops, "device:nat@")
        assert (hop.dst_before, hop.dst, hop.action) == (None, ip("20.2.6.10"), "")


# -- pools and their shares ------------------------------------------------------------------


def test_a_nat_device_pool_pulled_back_in_part_shares_by_addresses() -> None:
    """A NAT device translates into a /28 of which eu-er advertises the first /30 more
    specifically: that quarter of the connections comes back by eu-er (no state there, so
    asymmetric), the other three quarters by us-er; each branch names the sub-range."""
    d = two_sites()
    d["circuits"]["us-er"] = circuit("us", "New York", "20.2.2.0/28", devices=["nat"])
    d["circuits"]["eu-er"] = circuit("eu", "Amsterdam", None, advertises=["20.2.2.0/30"])
    d["devices"] = {"nat": {"kind": "nat", "site": "us"}}
    r = flow(results(d), "out/us/1")
    assert r.verdict.value == "asymmetric"
    assert round(r.share_warned, 6) == 0.25
    assert owners(r, "back") == {"circuit:eu-er": 0.25, "circuit:us-er": 0.75}
    per_range: dict[str, float] = {}
    for b in r.trace.branches:
        hop = _at(b.forward.hops, "device:nat@")
        assert hop.src_before is not None and IPv4Address(hop.src) in IPv4Network("20.2.2.0/28")
        per_range[hop.action] = per_range.get(hop.action, 0.0) + b.weight
    assert {k: round(v, 6) for k, v in per_range.items()} == {
        "source NAT into 20.2.2.0/30": 0.25,
        "source NAT into 20.2.2.4-20.2.2.15": 0.75,
    }


def test_one_nat_device_with_a_pool_per_link_translates_each_link_into_its_own() -> None:
    """docs/design-format.md circuits.links.snat_pool: "translated by the first device of kind
    nat in the link's devices": one device, two pools; each link carries half the connections
    and its replies come back to the pool's own link."""
    d = one_site(
        advertises=[],
        links={
            "primary": {
                "snat_pool": "20.2.2.0/29",
                "devices": ["nat"],
                "advertises": ["20.2.2.0/29"],
            },
            "secondary": {
                "snat_pool": "20.2.2.8/30",
                "devices": ["nat"],
                "advertises": ["20.2.2.8/30"],
            },
        },
    )
    del d["circuits"]["us-er"]["snat_pool"]
    d["devices"] = {"nat": {"kind": "nat", "site": "us"}}
    r = flow(results(d), "out/us/1")
    assert r.verdict.value == "ok"
    assert edges(r) == {
        ("circuit:us-er/primary", "circuit:us-er/primary", "ok"): 0.5,
        ("circuit:us-er/secondary", "circuit:us-er/secondary", "ok"): 0.5,
    }
    pools = {}
    for b in r.trace.branches:
        hop = _at(b.forward.hops, "device:nat@")
        pools[b.forward.edge] = (hop.action, hop.node)
    assert pools == {
        "circuit:us-er/primary": (
            "source NAT into 20.2.2.0/29",
            "device:nat@circuit:us-er/primary",
        ),
        "circuit:us-er/secondary": (
            "source NAT into 20.2.2.8/30",
            "device:nat@circuit:us-er/secondary",
        ),
    }


# -- destination NAT and inbound source NAT --------------------------------------------------


def _inbound(pool: str | None) -> dict[str, Any]:
    d = one_site()
    d["sites"]["us"]["users"] = 0
    d["circuits"]["us-er"]["advertises"].append("20.2.3.0/24")
    extra = {"inbound_snat": {"us-er": pool}} if pool else {}
    d["services"] = {"mail": service("us", PUBLIC, INTERNAL, ["us-er"], **extra)}
    return d


def test_inbound_destination_nat_then_source_nat_into_the_entry_pool() -> None:
    """guide 000 §7.4.2: the edge translates the published address to the server and the
    Microsoft source into the circuit's inbound pool; the reply comes back to the pool and is
    translated back to Microsoft's address at the same edge."""
    r = inbound(results(_inbound("10.255.1.0/28")), "mail")
    assert r.verdict.value == "ok"
    assert round(sum(b.weight for b in r.trace.branches), 6) == 1.0
    for b in r.trace.branches:
        hop = _at(b.forward.hops, "ce:us-er")
        assert hop.dst_before == ip(PUBLIC) and hop.dst == ip(INTERNAL)
        assert hop.src_before is not None and hop.src_before != hop.src
        assert IPv4Address(hop.src) in IPv4Network("10.255.1.0/28")
        assert f"destination NAT {PUBLIC} -> {INTERNAL} (mail)" in hop.action
        assert "inbound source NAT into 10.255.1.0/28" in hop.action
        assert b.forward.hops[-1].dst == ip(INTERNAL)
        assert b.back is not None
        assert b.back.hops[-1].src == ip(PUBLIC) and b.back.hops[-1].dst == hop.src_before


def test_inbound_destination_nat_without_a_pool_keeps_microsofts_source() -> None:
    r = inbound(results(_inbound(None)), "mail")
    assert r.verdict.value == "ok"
    for b in r.trace.branches:
        hop = _at(b.forward.hops, "ce:us-er")
        assert hop.src_before is None
        assert (hop.dst_before, hop.dst) == (ip(PUBLIC), ip(INTERNAL))
        assert hop.action.startswith(f"destination NAT {PUBLIC} -> {INTERNAL} (mail); ")
        assert "source NAT" not in hop.action


def test_a_connection_to_an_address_the_edge_does_not_translate_is_left_alone() -> None:
    """A service holding its public address itself (no internal_address) behind an edge with
    an outbound pool: the edge creates a session but translates nothing (guide 000 Figure 11)."""
    d = one_site()
    d["sites"]["us"]["users"] = 0
    d["sites"]["us"]["prefixes"].append("20.2.3.0/24")
    d["circuits"]["us-er"]["advertises"].append("20.2.3.0/24")
    d["services"] = {"mail": service("us", PUBLIC, None, ["us-er"])}
    r = inbound(results(d), "mail")
    assert r.verdict.value == "ok"
    for b in r.trace.branches:
        hop = _at(b.forward.hops, "ce:us-er")
        assert hop.src_before is None and hop.dst_before is None and hop.dst == ip(PUBLIC)
        # the edge says how it routes, nothing about translating
        assert hop.action == "internal route to hosts of us"
