"""State both ways, who owns a translation, and configuration per link
(docs/flow-semantics.md "Who translates", "State")."""

from __future__ import annotations

from ipaddress import IPv4Address
from typing import Any

import pytest

from _semantics import (
    breakout,
    circuit,
    design,
    edges,
    flow,
    inbound,
    one_site,
    owners,
    results,
    service,
    share,
    site,
    two_sites,
)

# -- state both ways -------------------------------------------------------------------------


def test_stateful_device_on_the_forward_path_only_drops_the_reply() -> None:
    """flow-semantics "State": "A later packet of the connection ... that reaches a stateful
    device or NAT point holding no session for it is dropped". Half the pool comes back by
    eu-er; on its way to us-er's NAT it meets us-er's firewall from the other side with the
    translated address, a connection the firewall never saw."""
    d = two_sites()
    d["circuits"]["eu-er"] = circuit("eu", "Amsterdam", None, advertises=["20.2.2.4/30"])
    d["circuits"]["us-er"]["devices"] = ["fw"]
    d["devices"] = {"fw": {"site": "us"}}
    r = flow(results(d), "out/us/1")
    assert r.verdict.value == "dropped"
    assert share(r) == 0.5
    assert owners(r, "back") == {"circuit:us-er": 0.5, "circuit:eu-er": 0.5}
    assert {k[2] for k in edges(r) if k[1] and k[1].startswith("circuit:eu-er")} == {"dropped"}


def _public_site(fw: bool) -> dict[str, Any]:
    """us uses a public prefix without NAT; eu-er advertises its lower half more specifically
    (and has no NAT): Microsoft returns that half by eu-er, which reaches us's hosts without
    crossing us-er's path."""
    d = two_sites()
    d["sites"]["us"]["prefixes"] = ["20.3.0.0/24"]
    d["circuits"]["us-er"] = circuit(
        "us", "New York", None, advertises=["20.3.0.0/24"], devices=["fw"] if fw else []
    )
    d["circuits"]["eu-er"] = circuit("eu", "Amsterdam", None, advertises=["20.3.0.0/25"])
    if fw:
        d["devices"] = {"fw": {"site": "us"}}
    return d


def test_asymmetric_return_through_no_state_is_a_warning() -> None:
    """flow-semantics "Verdicts": asymmetric - works, but the reply enters by another circuit,
    crossing no state."""
    r = flow(results(_public_site(fw=False)), "out/us/1")
    assert r.verdict.value == "asymmetric"
    assert r.share_affected == 0.0
    assert round(r.share_warned, 6) == 0.5
    assert r.cause_key == "return-elsewhere"
    assert r.culprit == ("circuits", "eu-er", "advertises", 0)


def test_reply_that_bypasses_the_firewall_that_saw_the_request_is_dropped() -> None:
    """flow-semantics "State": "A reply that bypasses a stateful device holding the
    connection's session breaks the connection too" - dropped, not "asymmetric but ok"."""
    r = flow(results(_public_site(fw=True)), "out/us/1")
    assert r.verdict.value == "dropped"
    assert share(r) == 0.5
    bypassed = [b for b in r.trace.branches if b.back is not None and b.back.cause == "bypass"]
    assert round(sum(b.weight for b in bypassed), 6) == 0.5
    assert {b.back.edge.split("/")[0] for b in bypassed if b.back and b.back.edge} == {
        "circuit:eu-er"
    }


def test_one_firewall_crossed_twice_each_way_is_not_bypassed() -> None:
    """flow-semantics "A device named on several paths is one device with one session table".
    fw stands between the hosts and the site router and again before the customer edge: the
    request crosses it twice, and so does the reply - nothing is bypassed."""
    d = one_site(devices=["fw"])
    d["sites"]["us"]["devices"] = ["fw"]
    d["devices"] = {"fw": {"site": "us"}}
    r = flow(results(d), "out/us/1")
    assert r.verdict.value == "ok"
    assert r.share_affected == 0.0


# -- who owns a translation ------------------------------------------------------------------


def _dnat_on_both(static: bool | None, stateful: bool = True) -> dict[str, Any]:
    """A US service published on both circuits (the same destination NAT at each); no inbound
    source NAT, so the server answers by its nearest circuit, us-er. With ``static`` set, each
    circuit's NAT point is a device of kind nat."""
    d = two_sites()
    d["sites"]["us"]["users"] = d["sites"]["eu"]["users"] = 0
    for c in ("us-er", "eu-er"):
        d["circuits"][c]["advertises"].append("20.2.3.0/24")
    d["services"] = {"mail": service("us", "20.2.3.59", "10.1.5.5", ["us-er", "eu-er"])}
    if static is not None:
        d["devices"] = {
            name: {"kind": "nat", "site": s, "static_nat": static, "stateful": stateful}
            for name, s in (("nat-us", "us"), ("nat-eu", "eu"))
        }
        for c, dev in (("us-er", "nat-us"), ("eu-er", "nat-eu")):
            d["circuits"][c]["devices"] = [dev]
            del d["circuits"][c]["snat_pool"]
    return d


@pytest.mark.parametrize("static", [None, False])
def test_same_destination_nat_on_two_edges_breaks_replies_by_the_other_edge(
    static: bool | None,
) -> None:
    """flow-semantics "State": "A NAT point reverses a translation only for connections it holds
    a session for". Microsoft enters by either circuit (four links, equal share); the replies
    all leave by us-er, whose NAT never saw the connections that entered by eu-er."""
    r = inbound(results(_dnat_on_both(static)), "mail")
    assert r.verdict.value == "dropped"
    assert share(r) == 0.5
    assert owners(r, "forward") == {"circuit:us-er": 0.5, "circuit:eu-er": 0.5}
    failed = {k[0].split("/")[0] for k in edges(r) if k[2] == "dropped" and k[0]}
    assert failed == {"circuit:eu-er"}


def test_static_nat_declared_stateless_gives_asymmetric_but_working() -> None:
    """flow-semantics "Who translates": "A device of kind nat with static_nat: true applies its
    destination-NAT mappings to every packet both ways, keeps no sessions": the replies of the
    eu-er entries are translated back at us-er's static NAT and work, asymmetric."""
    r = inbound(results(_dnat_on_both(static=True, stateful=False)), "mail")
    assert r.verdict.value == "asymmetric"
    assert r.share_affected == 0.0
    assert round(r.share_warned, 6) == 0.5
    assert owners(r, "back") == {"circuit:us-er": 1.0}


def test_static_nat_keeps_no_sessions_whatever_stateful_says() -> None:
    """docs/design-format.md devices.static_nat: "stateless one-to-one static NAT, applied both
    ways to every packet whatever path the connection took; it keeps no sessions". The same
    design as above without writing stateful: false: entries by us-er are symmetric and must
    work; entries by eu-er work asymmetrically."""
    r = inbound(results(_dnat_on_both(static=True)), "mail")
    assert r.share_affected == 0.0
    assert r.verdict.value == "asymmetric"


def _inbound_pools(us_pool: str, eu_pool: str) -> dict[str, Any]:
    d = _dnat_on_both(None)
    d["circuits"]["us-er"]["inbound_snat_pool"] = us_pool
    d["circuits"]["eu-er"]["inbound_snat_pool"] = eu_pool
    return d


def test_one_inbound_pool_on_two_edges_sends_replies_to_the_wrong_owner() -> None:
    """flow-semantics "State": "A pool belongs to the device that translates into it; the inside
    network routes the pool to that device, so two devices sharing one pool break each other's
    replies" (anycast: the nearest holder, us-er)."""
    r = inbound(results(_inbound_pools("10.255.1.0/28", "10.255.1.0/28")), "mail")
    assert r.verdict.value == "dropped"
    assert share(r) == 0.5
    failed = {k[0].split("/")[0] for k in edges(r) if k[2] == "dropped" and k[0]}
    assert failed == {"circuit:eu-er"}


def test_one_inbound_pool_per_edge_keeps_every_reply_on_its_entry() -> None:
    """guide 000 §7.4.2: "inbound connections initiated over different ExpressRoute circuits
    must be Source-NATted behind different, non-overlapping NAT pools"."""
    r = inbound(results(_inbound_pools("10.255.1.0/28", "10.255.2.0/28")), "mail")
    assert r.share_affected == 0.0
    for (fwd, back, _), _w in edges(r).items():
        assert fwd is not None and back is not None
        assert fwd.split("/")[0] == back.split("/")[0]


# -- configuration per link ------------------------------------------------------------------


def test_nat_per_link_into_one_pool_breaks_replies_on_the_other_link() -> None:
    """DESIGN.md: "NAT or stateful devices placed per link rather than before the split make
    even one circuit asymmetric"; Microsoft returns over either link: half broken."""
    d = one_site(
        links={"primary": {"snat_pool": "20.2.2.0/29"}, "secondary": {"snat_pool": "20.2.2.0/29"}}
    )
    del d["circuits"]["us-er"]["snat_pool"]
    r = flow(results(d), "out/us/1")
    assert r.verdict.value == "dropped"
    assert share(r) == 0.5
    assert r.cause_key == "link-split"
    assert edges(r) == {
        ("circuit:us-er/primary", "circuit:us-er/primary", "ok"): 0.25,
        ("circuit:us-er/primary", "circuit:us-er/secondary", "dropped"): 0.25,
        ("circuit:us-er/secondary", "circuit:us-er/primary", "dropped"): 0.25,
        ("circuit:us-er/secondary", "circuit:us-er/secondary", "ok"): 0.25,
    }


def test_a_pool_per_link_advertised_only_on_its_link_is_symmetric() -> None:
    """docs/design-format.md circuits.links: "anything stateful placed per link must see both
    directions of a flow": each link's own pool, advertised on that link only."""
    d = one_site(
        advertises=[],
        links={
            "primary": {"snat_pool": "20.2.2.0/29", "advertises": ["20.2.2.0/29"]},
            "secondary": {"snat_pool": "20.2.2.8/29", "advertises": ["20.2.2.8/29"]},
        },
    )
    del d["circuits"]["us-er"]["snat_pool"]
    r = flow(results(d), "out/us/1")
    assert r.verdict.value == "ok"
    assert edges(r) == {
        ("circuit:us-er/primary", "circuit:us-er/primary", "ok"): 0.5,
        ("circuit:us-er/secondary", "circuit:us-er/secondary", "ok"): 0.5,
    }


def test_nat_before_the_split_with_a_firewall_per_link_is_half_broken() -> None:
    """DESIGN.md "a circuit is two links": the firewall on the link the reply takes holds no
    session for half the connections."""
    d = one_site(links={"primary": {"devices": ["fw1"]}, "secondary": {"devices": ["fw2"]}})
    d["devices"] = {"fw1": {"site": "us"}, "fw2": {"site": "us"}}
    r = flow(results(d), "out/us/1")
    assert r.verdict.value == "dropped"
    assert share(r) == 0.5
    assert r.cause_key == "link-split"
    assert r.culprit == ("circuits", "us-er", "links")


def test_one_firewall_named_on_both_links_holds_one_session_table() -> None:
    """flow-semantics "A device named on several paths is one device with one session table"."""
    d = one_site(links={"primary": {"devices": ["fw"]}, "secondary": {"devices": ["fw"]}})
    d["devices"] = {"fw": {"site": "us"}}
    r = flow(results(d), "out/us/1")
    assert r.verdict.value == "ok"
    assert len(edges(r)) == 4


def _inbound_link_firewalls() -> dict[str, Any]:
    d = one_site(links={"primary": {"devices": ["fw1"]}, "secondary": {"devices": ["fw2"]}})
    d["sites"]["us"]["users"] = 0
    d["circuits"]["us-er"]["advertises"].append("20.2.3.0/24")
    d["devices"] = {"fw1": {"site": "us"}, "fw2": {"site": "us"}}
    d["services"] = {
        "mail": service(
            "us", "20.2.3.59", "10.1.5.5", ["us-er"], inbound_snat={"us-er": "10.255.1.0/28"}
        )
    }
    return d


def test_inbound_through_per_link_firewalls_is_half_broken() -> None:
    """flow-semantics: "A CE balances over both its links": the reply of an inbound connection
    leaves by either link; the other link's firewall never saw the request."""
    r = inbound(results(_inbound_link_firewalls()), "mail")
    assert r.verdict.value == "dropped"
    assert share(r) == 0.5


def test_inbound_per_link_state_is_named_as_a_link_split() -> None:
    """DESIGN.md "The finding names the cause": state kept per link (CAUSES 'link-split'), the
    same cause as for outbound connections through the same circuit."""
    r = inbound(results(_inbound_link_firewalls()), "mail")
    assert r.cause_key == "link-split"


def test_per_link_pool_on_one_link_only_leaves_the_other_link_untranslated() -> None:
    """docs/design-format.md circuits.snat_pool: "Without one (and without per-link pools),
    clients keep their own source address": the secondary link sends private sources, which
    Microsoft drops."""
    d = design(
        sites={"us": site("New York", "10.1.0.0/16", users=100)},
        breakouts={"us-inet": breakout("us", "20.2.4.1/32", "20.2.4.0/24")},
        circuits={
            "us-er": circuit(
                "us",
                "New York",
                None,
                advertises=["20.2.2.0/29"],
                links={"primary": {"snat_pool": "20.2.2.0/29"}},
            )
        },
    )
    r = flow(results(d), "out/us/1")
    assert r.verdict.value == "dropped"
    assert share(r) == 0.5
    assert r.cause_key == "source-filter"


def test_static_nat_translates_its_servers_own_connections_to_the_published_address() -> None:
    """flow-semantics "Who translates": a static NAT applies its mappings "to every packet both
    ways" - a connection the published server opens itself leaves from the published address
    (advertised on the circuit), not from its private one, and works; the users, whose pool
    a static NAT cannot translate into, are dropped by Microsoft's source filter."""
    d = one_site(devices=["snat"])
    d["circuits"]["us-er"]["advertises"].append("20.2.3.0/24")
    d["devices"] = {"snat": {"kind": "nat", "site": "us", "static_nat": True}}
    d["services"] = {"mail": service("us", "20.2.3.59", "10.1.5.5", ["us-er"])}
    d["servers"] = {"srv": {"site": "us", "address": "10.1.5.5", "connects_to": ["1"]}}
    rs = results(d)
    r = flow(rs, "srv/srv/1")
    assert r.verdict.value == "ok"
    assert owners(r, "forward") == owners(r, "back") == {"circuit:us-er": 1.0}
    published = int(IPv4Address("20.2.3.59"))
    for b in r.trace.branches:
        at_microsoft = [h for h in b.forward.hops if h.node.startswith("msee:")]
        assert at_microsoft and {h.src for h in at_microsoft} == {published}
    users = flow(rs, "out/us/1")
    assert (users.verdict.value, share(users), users.cause_key) == ("dropped", 1.0, "source-filter")
