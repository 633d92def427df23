"""The packet walk hop by hop (engine/walk.py): a stateful device creates its session on the
first packet and must meet the reply, a translating router keeps one session per way out and
its pool's sub-ranges, loops end the walk (docs/flow-semantics.md "State", "Who translates")."""

from __future__ import annotations

from ipaddress import IPv4Address, IPv4Network
from typing import Any

import pytest

from _semantics import circuit, flow, inbound, one_site, owners, results, service, share, two_sites
from erplan.engine.trace import Hop, edge_owner

PUBLIC = "20.2.3.59"
INTERNAL = "10.1.5.5"


def ip(text: str) -> int:
    return int(IPv4Address(text))


def _at(hops: tuple[Hop, ...], prefix: str) -> list[Hop]:
    return [h for h in hops if h.node.startswith(prefix)]


def _firewalled(**circuit_extra: Any) -> dict[str, Any]:
    """One site whose circuit passes a stateful firewall (no NAT) before its NAT edge."""
    d = one_site(devices=["fw"], **circuit_extra)
    d["devices"] = {"fw": {"kind": "firewall", "site": "us"}}
    return d


def test_a_firewall_on_the_path_both_ways_creates_and_meets_its_session() -> None:
    """A firewall crossed by the request keeps a session and the reply meets it there."""
    r = flow(results(_firewalled()), "out/us/1")
    assert r.verdict.value == "ok"
    assert share(r) == 0.0
    assert owners(r, "forward") == {"circuit:us-er": 1.0}
    assert owners(r, "back") == {"circuit:us-er": 1.0}
    for b in r.trace.branches:
        assert b.back is not None
        assert (b.forward.hops[0].label, b.back.hops[0].label) == (
            "hosts of us",
            "Microsoft network",
        )
        (fw,) = _at(b.forward.hops, "device:fw@")
        assert (fw.label, fw.action) == ("firewall fw", "session created")
        assert len(_at(b.back.hops, "device:fw@")) == 1


def _chains() -> dict[str, Any]:
    """fw stands between the hosts and the router (with fw9) and again on both circuits of the
    site, which tie; on each circuit it is followed by a firewall, the nat
    device that translates into the circuit's pool, and another firewall."""
    d = one_site()
    d["circuits"]["us-er2"] = circuit("us", "New York", "20.2.2.8/29")
    d["sites"]["us"]["devices"] = ["fw", "fw9"]
    d["devices"] = {n: {"kind": "firewall", "site": "us"} for n in ("fw", "fw9")}
    for c in ("us-er", "us-er2"):
        d["circuits"][c]["devices"] = ["fw", f"fw0-{c}", f"nat-{c}", f"fw2-{c}"]
        d["devices"][f"fw0-{c}"] = {"kind": "firewall", "site": "us"}
        d["devices"][f"nat-{c}"] = {"kind": "nat", "site": "us"}
        d["devices"][f"fw2-{c}"] = {"kind": "firewall", "site": "us"}
    return d


def test_every_device_of_a_wire_is_crossed_in_order_and_one_device_keeps_one_session() -> None:
    """flow-semantics "The network": "a device named on several paths is one device with one
    session table": the request crossing fw again finds its session there; every device after
    it on the wire is crossed, the nat device translates and the firewall after it sees the
    pool address; the reply meets them all in the opposite order. Each tied circuit's branch
    shows its own devices only."""
    r = flow(results(_chains()), "out/us/1")
    assert r.verdict.value == "ok"
    assert share(r) == 0.0
    assert owners(r, "forward") == {"circuit:us-er": 0.5, "circuit:us-er2": 0.5}
    pools = {"us-er": ("20.2.2.0/29", ip("20.2.2.0")), "us-er2": ("20.2.2.8/29", ip("20.2.2.8"))}
    for b in r.trace.branches:
        assert b.back is not None
        owner = edge_owner(b.forward.edge)
        assert owner is not None and edge_owner(b.back.edge) == owner
        c = owner.split(":")[1]
        prefix, pool = pools[c]
        user = b.forward.hops[0].src
        assert IPv4Address(user) in IPv4Network("10.1.0.0/16")
        ms = b.forward.hops[-1].dst
        wire = f"@circuit:{c}"
        assert [
            (h.node, h.action, h.src, h.src_before, h.dst, h.dst_before)
            for h in b.forward.hops
            if h.node.startswith("device:")
        ] == [
            ("device:fw@site:us", "session created", user, None, ms, None),
            ("device:fw9@site:us", "session created", user, None, ms, None),
            (f"device:fw{wire}", "session already held", user, None, ms, None),
            (f"device:fw0-{c}{wire}", "session created", user, None, ms, None),
            (f"device:nat-{c}{wire}", f"source NAT into {prefix}", pool, user, ms, None),
            (f"device:fw2-{c}{wire}", "session created", pool, None, ms, None),
        ]
        assert [
            (h.node, h.action, h.src, h.src_before, h.dst, h.dst_before)
            for h in b.back.hops
            if h.node.startswith(("device:", "lan:"))
        ] == [
            (f"device:fw2-{c}{wire}", "", ms, None, pool, None),
            (f"device:nat-{c}{wire}", "translated back", ms, None, user, pool),
            (f"device:fw0-{c}{wire}", "", ms, None, user, None),
            (f"device:fw{wire}", "", ms, None, user, None),
            ("device:fw9@site:us", "", ms, None, user, None),
            ("device:fw@site:us", "", ms, None, user, None),
            ("lan:us", "", ms, None, user, None),
        ]


def _published_by_a_dynamic_and_a_static_nat() -> dict[str, Any]:
    """mail (20.2.3.59 -> 10.1.5.5 at us) is published on eu-er by nat-eu, which keeps
    sessions, and on us-er by nat-us, static NAT; eu-er advertises the address more
    specifically, so Microsoft's connections enter by eu-er, and us answers by its own
    circuit, where a stateless tap follows nat-us."""
    d = two_sites()
    d["sites"]["us"]["users"] = d["sites"]["eu"]["users"] = 0
    for c, dev in (("us-er", "nat-us"), ("eu-er", "nat-eu")):
        del d["circuits"][c]["snat_pool"]
        d["circuits"][c]["devices"] = [dev]
    d["circuits"]["us-er"]["devices"].append("tap")
    d["circuits"]["us-er"]["advertises"] = ["20.2.3.0/24"]
    d["circuits"]["eu-er"]["advertises"] = ["20.2.3.0/25"]
    d["devices"] = {
        "nat-us": {"kind": "nat", "site": "us", "static_nat": True},
        "nat-eu": {"kind": "nat", "site": "eu"},
        "tap": {"kind": "ids", "site": "us", "stateful": False},
    }
    d["services"] = {"mail": service("us", PUBLIC, INTERNAL, ["us-er", "eu-er"])}
    return d


def test_a_reply_translated_by_static_nat_elsewhere_bypasses_the_session_of_the_entry() -> None:
    """flow-semantics "State": the reply, translated back to the published address by nat-us,
    reaches Microsoft from the right address, but it bypasses nat-eu, whose session the
    request created: the connection breaks there, and nat-eu is the culprit."""
    r = inbound(results(_published_by_a_dynamic_and_a_static_nat()), "mail")
    assert r.verdict.value == "dropped"
    assert share(r) == 1.0
    assert owners(r, "forward") == {"circuit:eu-er": 1.0}
    assert owners(r, "back") == {"circuit:us-er": 1.0}
    for b in r.trace.branches:
        assert b.back is not None
        (entry,) = _at(b.forward.hops, "device:nat-eu@")
        assert (entry.src_before, entry.dst_before, entry.dst) == (None, ip(PUBLIC), ip(INTERNAL))
        assert [
            (h.node, h.action, h.src_before, h.src, h.dst_before)
            for h in b.back.hops
            if h.node.startswith("device:")
        ] == [
            ("device:nat-us@circuit:us-er", "static NAT", ip(INTERNAL), ip(PUBLIC), None),
            ("device:tap@circuit:us-er", "", None, ip(PUBLIC), None),
        ]
        assert (b.outcome.value, b.back.cause, b.culprit) == (
            "dropped",
            "bypass",
            ("devices", "nat-eu"),
        )
        assert b.reason == (
            "the reply bypasses nat nat-eu, which holds the connection's session: it drops "
            "the initiator's next packets"
        )


def test_a_reply_meeting_a_firewall_the_request_did_not_cross_stops_there() -> None:
    """flow-semantics "State": mail enters by eu-er; the server's reply leaves by us-er, whose
    firewall holds no session for it: dropped there, the firewall named as the culprit."""
    d = two_sites()
    d["sites"]["us"]["users"] = d["sites"]["eu"]["users"] = 0
    d["circuits"]["eu-er"]["advertises"].append("20.2.3.0/24")
    d["circuits"]["us-er"]["devices"] = ["fw"]
    d["devices"] = {"fw": {"kind": "firewall", "site": "us"}}
    d["services"] = {"mail": service("us", PUBLIC, INTERNAL, ["eu-er"])}
    r = inbound(results(d), "mail")
    assert r.verdict.value == "dropped"
    assert share(r) == 1.0
    why = "firewall fw holds no session for this connection: it did not see the request"
    for b in r.trace.branches:
        assert b.back is not None
        assert (b.outcome.value, b.back.cause, b.reason, b.culprit) == (
            "dropped",
            "no-session",
            why,
            ("devices", "fw"),
        )
        last = b.back.hops[-1]
        assert (last.node, last.action, last.src, last.dst) == (
            "device:fw@circuit:us-er",
            why,
            ip(INTERNAL),
            b.forward.hops[0].src,
        )


def _tied_entries(nat: str) -> dict[str, Any]:
    """mail is published on two tied circuits of one site, each translating it: by its own nat
    device (``devices``; ``static-a``: nat-a with static NAT) or by its customer edge
    (``edges``); two firewalls stand before the hosts."""
    d = one_site()
    del d["circuits"]["us-er"]
    d["sites"]["us"]["users"] = 0
    d["sites"]["us"]["devices"] = ["fw", "fw9"]
    d["devices"] = {n: {"kind": "firewall", "site": "us"} for n in ("fw", "fw9")}
    for c in ("a", "b"):
        d["circuits"][f"{c}-er"] = circuit("us", "New York", None, advertises=["20.2.3.0/24"])
        if nat != "edges":
            d["circuits"][f"{c}-er"]["devices"] = [f"nat-{c}"]
            static = nat == "static-a" and c == "a"
            d["devices"][f"nat-{c}"] = {"kind": "nat", "site": "us", "static_nat": static}
    d["services"] = {"mail": service("us", PUBLIC, INTERNAL, ["a-er", "b-er"])}
    return d


@pytest.mark.parametrize("nat", ["devices", "static-a", "edges"])
def test_each_tied_reply_meets_only_its_own_circuits_translation(nat: str) -> None:
    """flow-semantics "State": the reply ties between the circuits as the request did; by the
    circuit the request entered it is translated back; by the other one it meets a NAT that
    holds no session (dropped there) or, static, one that translates it and so bypasses the
    entry's session. Every branch's reply starts the same: hosts, firewalls, router."""
    r = inbound(results(_tied_entries(nat)), "mail")
    assert r.verdict.value == "dropped"
    assert share(r) == 0.5
    a, b = "circuit:a-er", "circuit:b-er"
    by: dict[tuple[str | None, str | None, str], float] = {}
    for br in r.trace.branches:
        assert br.back is not None
        fwd, back = edge_owner(br.forward.edge), edge_owner(br.back.edge)
        by[(fwd, back, br.outcome.value)] = by.get((fwd, back, br.outcome.value), 0.0) + br.weight
        assert [(h.node, h.action) for h in br.back.hops[:4]] == [
            ("lan:us", "default route to the site router"),
            ("device:fw@site:us", ""),
            ("device:fw9@site:us", ""),
            ("site:us", "ExpressRoute route via a-er, b-er"),
        ]
        translated = br.outcome.value != "dropped" or back is not None
        point = br.back.hops[4]
        assert (point.src_before, point.src, point.dst_before) == (
            (ip(INTERNAL), ip(PUBLIC), None) if translated else (None, ip(INTERNAL), None)
        )
    want = {(a, a, "ok"): 0.25, (b, b, "ok"): 0.25, (a, None, "dropped"): 0.25}
    if nat == "static-a":
        want[(b, a, "dropped")] = 0.25
    else:
        want[(b, None, "dropped")] = 0.25
    assert {k: round(v, 6) for k, v in by.items()} == want


def test_a_reply_pulled_back_from_inside_turns_at_the_nat_that_holds_its_session() -> None:
    """A nat device behind a stateless tap translates into a /28 of which eu-er advertises the
    first /30: replies to that quarter come back over the WAN and reach the nat device from the
    site's side, the side the request came from; translated back, they turn there and cross
    the tap again towards the hosts (asymmetric: no state on eu-er)."""
    d = two_sites()
    d["circuits"]["us-er"] = circuit("us", "New York", "20.2.2.0/28", devices=["tap", "nat"])
    d["circuits"]["eu-er"] = circuit("eu", "Amsterdam", None, advertises=["20.2.2.0/30"])
    d["devices"] = {
        "nat": {"kind": "nat", "site": "us"},
        "tap": {"kind": "ids", "site": "us", "stateful": False},
    }
    r = flow(results(d), "out/us/1")
    assert r.verdict.value == "asymmetric"
    assert round(r.share_warned, 6) == 0.25
    assert owners(r, "back") == {"circuit:eu-er": 0.25, "circuit:us-er": 0.75}
    for b in r.trace.branches:
        assert b.back is not None
        if edge_owner(b.back.edge) != "circuit:eu-er":
            continue
        user, pool = b.forward.hops[0].src, ip("20.2.2.0")
        assert [(h.node, h.action, h.dst, h.dst_before) for h in b.back.hops[-6:]] == [
            ("site:us", "internal route to nat nat", pool, None),
            ("device:tap@circuit:us-er", "", pool, None),
            ("device:nat@circuit:us-er", "translated back", user, pool),
            ("device:tap@circuit:us-er", "", user, None),
            ("site:us", "internal route to hosts of us", user, None),
            ("lan:us", "", user, None),
        ]


# -- loops --------------------------------------------------------------------------------------
# mail's DNS record is not its published address but another address of the breakout's
# advertised /24, which no NAT point translates: the internet sends it to the breakout, and the
# breakout has nowhere to deliver it.


def _misrecorded(record: str, nat_device: bool) -> dict[str, Any]:
    d = one_site()
    d["sites"]["us"]["users"] = 0
    if nat_device:
        d["breakouts"]["us-inet"]["devices"] = ["nat"]
        d["devices"] = {"nat": {"kind": "nat", "site": "us"}}
    d["services"] = {"mail": service("us", "20.2.4.59", INTERNAL, ["us-inet"], dns_record=record)}
    return d


def test_a_loop_through_a_translating_edge_is_a_blackhole_at_that_edge() -> None:
    """flow-semantics "Verdicts": blackhole covers "a loop". The breakout edge sends the
    address back to the internet (translated into its NAT address on the way out) and the
    internet returns it: the walk ends when the packet comes back with addresses it already
    had there."""
    r = inbound(results(_misrecorded("20.2.4.60", nat_device=False)), "mail", "internet")
    assert r.verdict.value == "blackhole"
    assert share(r) == 1.0
    # The walk ends at the edge where the loop shows; the verdict names what makes it: the
    # record (DESIGN.md "Inbound flow" 1: the record must lead to the service).
    assert (r.cause_key, r.culprit) == ("wrong-host", ("services", "mail", "dns_record"))
    why = "routing loop: the packet comes back to breakout us-inet"
    for b in r.trace.branches:
        assert (b.outcome.value, b.forward.cause, b.reason, b.culprit) == (
            "blackhole",
            "loop",
            why,
            ("breakouts", "us-inet"),
        )
        nodes = [h.node for h in b.forward.hops]
        assert nodes == ["internet", "edge:us-inet"] * 3
        assert b.forward.hops[-1].action.endswith(why)
        assert {h.dst for h in b.forward.hops} == {ip("20.2.4.60")}


def test_a_loop_through_a_nat_device_is_a_blackhole_at_that_device() -> None:
    """The DNS record is the breakout's NAT address, which the nat device translates into: the
    edge routes it inwards to the device, the site router outwards to it again; the device,
    which already holds the connection's session, is met a second time from the same side with
    the same addresses - a loop there."""
    r = inbound(results(_misrecorded("20.2.4.1", nat_device=True)), "mail", "internet")
    assert r.verdict.value == "blackhole"
    assert share(r) == 1.0
    assert (r.cause_key, r.culprit) == ("wrong-host", ("services", "mail", "dns_record"))
    why = "routing loop: the packet comes back to nat nat"
    dev = "device:nat@breakout:us-inet"
    for b in r.trace.branches:
        assert (b.outcome.value, b.forward.cause, b.reason, b.culprit) == (
            "blackhole",
            "loop",
            why,
            ("devices", "nat"),
        )
        assert [(h.node, h.action) for h in b.forward.hops[1:]] == [
            ("edge:us-inet", "internal route to nat nat"),
            (dev, ""),
            ("site:us", "internal route to nat nat"),
            (dev, "session already held"),
            ("edge:us-inet", "internal route to nat nat"),
            (dev, why),
        ]


# -- translating routers ------------------------------------------------------------------------


def _published_at_the_edges(eu_more_specific: bool) -> dict[str, Any]:
    """mail (at us) is published by both customer edges, which translate; eu-er may advertise
    the published address more specifically, drawing Microsoft's connections to it."""
    d = two_sites()
    d["sites"]["us"]["users"] = d["sites"]["eu"]["users"] = 0
    d["circuits"]["us-er"]["advertises"].append("20.2.3.0/24")
    if eu_more_specific:
        d["circuits"]["eu-er"]["advertises"].append("20.2.3.0/25")
    d["services"] = {"mail": service("us", PUBLIC, INTERNAL, ["us-er", "eu-er"])}
    return d


def test_a_customer_edge_translates_back_the_reply_of_a_connection_it_holds() -> None:
    """The reply leaves by the customer edge that translated the request: it is translated back
    there, from the server's address to the published one."""
    r = inbound(results(_published_at_the_edges(eu_more_specific=False)), "mail")
    assert r.verdict.value == "ok"
    assert share(r) == 0.0
    for b in r.trace.branches:
        assert b.back is not None
        (ce,) = _at(b.back.hops, "ce:us-er")
        assert (ce.action, ce.src_before, ce.src, ce.dst_before) == (
            "translated back; ExpressRoute route via us-er",
            ip(INTERNAL),
            ip(PUBLIC),
            None,
        )


def test_a_customer_edge_that_did_not_see_the_request_drops_the_reply() -> None:
    """flow-semantics "State": "a NAT point reverses a translation only for connections it
    holds a session for": the request enters by eu-er, the reply reaches us-er's edge, which
    has the same mapping but no session - dropped there, us-er the culprit."""
    r = inbound(results(_published_at_the_edges(eu_more_specific=True)), "mail")
    assert r.verdict.value == "dropped"
    assert share(r) == 1.0
    assert owners(r, "forward") == {"circuit:eu-er": 1.0}
    why = "customer edge us-er holds no session for this connection (the request did not cross it)"
    for b in r.trace.branches:
        assert b.back is not None
        assert (b.outcome.value, b.back.cause, b.reason, b.culprit) == (
            "dropped",
            "no-session",
            why,
            ("circuits", "us-er"),
        )
        last = b.back.hops[-1]
        assert (last.node, last.action, last.src) == ("ce:us-er", why, ip(INTERNAL))


def test_a_new_connection_to_an_edges_own_nat_address_ends_there() -> None:
    """The DNS record is the address the breakout edge itself translates into: a connection
    cannot be opened to it (no session is held for it, it is no host) - a blackhole at the
    edge, named by the address."""
    r = inbound(results(_misrecorded("20.2.4.1", nat_device=False)), "mail", "internet")
    assert r.verdict.value == "blackhole"
    assert share(r) == 1.0
    assert r.cause_key == "translated-address"
    why = "20.2.4.1 is a translated address of breakout us-inet, not a host"
    for b in r.trace.branches:
        assert (b.outcome.value, b.forward.cause, b.reason, b.culprit) == (
            "blackhole",
            "translated-address",
            why,
            ("breakouts", "us-inet"),
        )
        last = b.forward.hops[-1]
        assert (last.node, last.action, last.dst) == ("edge:us-inet", why, ip("20.2.4.1"))


def test_a_translating_edge_with_no_route_to_the_server_follows_its_default_route() -> None:
    """mail (at eu) is published on us-er only, and the WAN between the sites is down: after
    destination NAT the customer edge has no route to the server (no holder of eu's prefix is
    reachable, so the prefix is not in its table) and forwards by its default route, inwards,
    then out of us's breakout, and the internet has no route to the private address - a
    blackhole there; the flow's cause is the WAN link that is down."""
    d = two_sites()
    d["sites"]["us"]["users"] = d["sites"]["eu"]["users"] = 0
    d["wan"][0]["up"] = False
    d["circuits"]["us-er"]["advertises"].append("20.2.3.0/24")
    d["services"] = {"mail": service("eu", PUBLIC, "10.2.5.5", ["us-er"])}
    r = inbound(results(d), "mail")
    assert r.verdict.value == "blackhole"
    assert share(r) == 1.0
    assert (r.cause_key, r.culprit) == ("down", ("wan", 0, "up"))
    assert "customer edge us-er has no way on to 10.2.5.5" in r.cause
    for b in r.trace.branches:
        assert (b.outcome.value, b.forward.cause, b.reason) == (
            "blackhole",
            "no-route",
            "no breakout advertises this address",
        )
        nodes = [h.node for h in b.forward.hops]
        assert nodes[-4:] == ["ce:us-er", "site:us", "edge:us-inet", "internet"], nodes
        at_ce = b.forward.hops[-4]
        assert (at_ce.dst_before, at_ce.dst) == (ip(PUBLIC), ip("10.2.5.5"))
        assert at_ce.action == f"destination NAT {PUBLIC} -> 10.2.5.5 (mail); default route inwards"


def test_static_nat_on_a_reply_to_the_servers_own_connection_rewrites_only_its_destination() -> (
    None
):
    """devices.static_nat, "applied both ways to every packet": a server behind it connects to
    Exchange from its published address; Microsoft's reply comes back to that address and is
    translated to the server's, its source untouched."""
    d = one_site(devices=["nat"], advertises=["20.2.3.0/24"])
    del d["circuits"]["us-er"]["snat_pool"]
    d["devices"] = {"nat": {"kind": "nat", "site": "us", "static_nat": True}}
    d["services"] = {"mail": service("us", PUBLIC, INTERNAL, ["us-er"])}
    d["servers"] = {"hub": {"site": "us", "address": INTERNAL, "connects_to": ["Exchange"]}}
    r = flow(results(d), "srv/hub/1")
    assert r.verdict.value == "ok"
    for b in r.trace.branches:
        assert b.back is not None
        (back,) = _at(b.back.hops, "device:nat@")
        ms = b.forward.hops[-1].dst
        assert (back.action, back.src_before, back.src, back.dst_before, back.dst) == (
            "static NAT",
            None,
            ms,
            ip(PUBLIC),
            ip(INTERNAL),
        )


def test_tied_translating_edges_leave_the_shared_start_of_the_path_alone() -> None:
    """Two tied circuits whose customer edges translate into their pools: each branch shows
    the same way to the router (hosts, both firewalls) and its own edge's source NAT."""
    d = one_site()
    d["circuits"]["us-er2"] = circuit("us", "New York", "20.2.2.8/29")
    d["sites"]["us"]["devices"] = ["fw", "fw9"]
    d["devices"] = {n: {"kind": "firewall", "site": "us"} for n in ("fw", "fw9")}
    r = flow(results(d), "out/us/1")
    assert r.verdict.value == "ok"
    assert owners(r, "forward") == {"circuit:us-er": 0.5, "circuit:us-er2": 0.5}
    pools = {"circuit:us-er": "20.2.2.0/29", "circuit:us-er2": "20.2.2.8/29"}
    for b in r.trace.branches:
        owner = edge_owner(b.forward.edge)
        assert owner is not None
        assert [(h.node, h.action) for h in b.forward.hops[:4]] == [
            ("lan:us", "default route to the site router"),
            ("device:fw@site:us", "session created"),
            ("device:fw9@site:us", "session created"),
            ("site:us", "ExpressRoute route via us-er, us-er2"),
        ]
        (ce,) = _at(b.forward.hops, "ce:")
        assert ce.action.endswith(f"; source NAT into {pools[owner]}")


def test_an_inbound_pool_split_in_two_sub_ranges_weighs_each_by_its_size() -> None:
    """flow-semantics "Address ranges": the upper half of us-er's inbound source-NAT pool
    (10.255.1.8/29) is also a prefix of site eu, so the server's replies to it go to eu's
    hosts. The entry translates into each sub-range in its own branch, weighted by its size:
    the connections' weights add up to one and half of them are dropped."""
    d = two_sites()
    d["sites"]["us"]["users"] = d["sites"]["eu"]["users"] = 0
    d["circuits"]["us-er"]["advertises"].append("20.2.3.0/24")
    d["sites"]["eu"]["prefixes"].append("10.255.1.8/29")
    d["services"] = {
        "mail": service("us", PUBLIC, INTERNAL, ["us-er"], inbound_snat={"us-er": "10.255.1.0/28"})
    }
    r = inbound(results(d), "mail")
    assert r.verdict.value == "dropped"
    assert share(r) == 0.5
    assert (r.cause_key, r.culprit) == ("delivered-elsewhere", ("sites", "eu", "prefixes", 1))
    assert round(sum(b.weight for b in r.trace.branches), 9) == 1.0
    by_pool: dict[tuple[str, str], float] = {}
    for b in r.trace.branches:
        (edge,) = _at(b.forward.hops, "ce:us-er")
        assert (edge.dst_before, edge.dst) == (ip(PUBLIC), ip(INTERNAL))
        pool = edge.action.split("inbound source NAT into ")[1].split(";")[0]
        assert IPv4Address(edge.src) == IPv4Network(pool).network_address
        key = (pool, b.outcome.value)
        by_pool[key] = round(by_pool.get(key, 0.0) + b.weight, 9)
    assert by_pool == {("10.255.1.0/29", "ok"): 0.5, ("10.255.1.8/29", "dropped"): 0.5}


def test_a_translating_edge_cut_off_from_its_site_ends_the_request_with_its_own_words() -> None:
    """The firewall between us-er's customer edge and the site is down: after destination NAT
    the edge has no route on (not even its default route, inwards), a blackhole there; each
    branch and the edge's hop say so in the edge's words, while the flow's cause names the
    firewall."""
    d = two_sites()
    d["sites"]["us"]["users"] = d["sites"]["eu"]["users"] = 0
    d["circuits"]["us-er"]["advertises"].append("20.2.3.0/24")
    d["circuits"]["us-er"]["devices"] = ["fw"]
    d["devices"] = {"fw": {"kind": "firewall", "site": "us", "up": False}}
    d["services"] = {"mail": service("us", PUBLIC, INTERNAL, ["us-er"])}
    r = inbound(results(d), "mail")
    assert (r.verdict.value, share(r)) == ("blackhole", 1.0)
    assert (r.cause_key, r.culprit) == ("device-down", ("devices", "fw", "up"))
    why = "customer edge us-er: no default route"
    for b in r.trace.branches:
        assert (b.outcome.value, b.forward.cause, b.reason, b.culprit) == (
            "blackhole",
            "no-route",
            why,
            ("circuits", "us-er"),
        )
        last = b.forward.hops[-1]
        assert (last.node, last.dst_before, last.dst) == ("ce:us-er", ip(PUBLIC), ip(INTERNAL))
        assert last.action == f"destination NAT {PUBLIC} -> {INTERNAL} (mail); {why}"
