"""The emulation's renderers refuse values that would not be safe in a router config (no root)."""

from __future__ import annotations

from ipaddress import IPv4Address, IPv4Interface, IPv4Network

import pytest

from erplan.emulate import frr, nft
from erplan.emulate.topology import BgpSpeaker, Link, Neighbor, Node, Origination, TopologyError


@pytest.mark.parametrize("bad", ["12076:5010\nrouter bgp 1", "70000:1", "a:b", ""])
def test_bad_community_is_refused(bad: str) -> None:
    with pytest.raises(TopologyError):
        Neighbor(IPv4Address("192.0.2.1"), 12076, accept_communities=(bad,))


@pytest.mark.parametrize("bad", ["Site-US", "a b", "x" * 13, "1abc", "s;rm"])
def test_bad_node_name_is_refused(bad: str) -> None:
    with pytest.raises(TopologyError):
        Node(bad, "site")


def test_link_ends_must_share_a_subnet() -> None:
    with pytest.raises(TopologyError):
        Link("a", "e0", IPv4Interface("10.0.0.1/30"), "b", "e0", IPv4Interface("10.0.1.2/30"))


def test_bgp_config_has_policy_before_sessions_and_prepends() -> None:
    pool = IPv4Network("20.2.2.0/29")
    node = Node(
        "ce0",
        "customer-edge",
        bgp=BgpSpeaker(
            394500,
            IPv4Address("10.0.0.1"),
            neighbors=(
                Neighbor(
                    IPv4Address("192.0.2.2"),
                    12076,
                    accept_communities=("12076:5010",),
                    export=(pool,),
                    prepend=((pool, 3),),
                ),
            ),
            originate=(Origination(pool),),
        ),
    )
    text = frr.bgpd_config(node, "/tmp/x.log")
    assert text.index("route-map OUT0") < text.index("router bgp 394500")
    assert "set as-path prepend 394500 394500 394500" in text
    assert "no bgp ebgp-requires-policy" in text and "no bgp network import-check" in text
    assert "match community ACC0" in text


def test_nft_ruleset_translates_and_filters() -> None:
    spec = nft.NftSpec(
        snat=(nft.Snat("e1", (IPv4Network("10.1.0.0/16"),), IPv4Network("20.2.2.0/29")),),
        firewall=nft.Firewall(outer=("e1",)),
    )
    text = nft.render(spec)
    assert "snat ip to 20.2.2.0-20.2.2.7" in text
    assert "ct state invalid counter drop" in text
    assert "chain fwd " not in text  # a keyword in nft 1.0.6
