"""Hand-written topologies for the substrate tests (no design, no engine)."""

from __future__ import annotations

from ipaddress import IPv4Address, IPv4Interface, IPv4Network

from erplan.emulate import nft
from erplan.emulate.topology import (
    BgpSpeaker,
    Link,
    Listener,
    Neighbor,
    Node,
    Origination,
    Route,
    Topology,
)

CUSTOMER_ASN = 65010
MSEE_ASN = 12076
CORE_ASN = 8075
USER = IPv4Address("10.1.0.10")
ENDPOINT = IPv4Address("52.96.0.10")
ENDPOINT_PREFIX = IPv4Network("52.96.0.0/24")
PORT = 443


def _net(s: str) -> IPv4Network:
    return IPv4Network(s)


def _if(s: str) -> IPv4Interface:
    return IPv4Interface(s)


def two_circuits(pools: tuple[str, str]) -> Topology:
    """The notes' experiment: a client, two SNAT+firewall edges, two Microsoft edges, one endpoint.

    ``pools`` are the two circuits' SNAT pools: equal for the shared-pool design.
    """
    links = [
        Link("client", "e1", _if("10.0.1.1/30"), "ce1", "in", _if("10.0.1.2/30")),
        Link("client", "e2", _if("10.0.2.1/30"), "ce2", "in", _if("10.0.2.2/30")),
        Link("ce1", "out", _if("192.0.2.1/30"), "ms1", "ce", _if("192.0.2.2/30")),
        Link("ce2", "out", _if("192.0.2.5/30"), "ms2", "ce", _if("192.0.2.6/30")),
        Link("ms1", "core", _if("198.51.100.1/30"), "ep", "m1", _if("198.51.100.2/30")),
        Link("ms2", "core", _if("198.51.100.5/30"), "ep", "m2", _if("198.51.100.6/30")),
    ]
    nodes = [
        Node(
            "client",
            "client",
            loopbacks=(IPv4Interface(f"{USER}/32"),),
            routes=(Route(_net("0.0.0.0/0"), via=(IPv4Address("10.0.1.2"),)),),
        )
    ]
    for i, pool_text in enumerate(pools, start=1):
        pool = _net(pool_text)
        ms_addr = IPv4Address(f"192.0.2.{4 * (i - 1) + 2}")
        spec = nft.NftSpec(
            snat=(nft.Snat("out", (_net("10.1.0.0/16"),), pool),),
            firewall=nft.Firewall(outer=("out",)),
            counters=nft.Counters(inner=("in",), outer=("out",)),
        )
        nodes.append(
            Node(
                f"ce{i}",
                "customer-edge",
                routes=(
                    Route(pool, blackhole=True),
                    Route(_net("10.1.0.0/16"), via=(IPv4Address(f"10.0.{i}.1"),)),
                ),
                nftables=nft.render(spec),
                bgp=BgpSpeaker(
                    CUSTOMER_ASN,
                    IPv4Address(f"10.255.0.{i}"),
                    neighbors=(Neighbor(ms_addr, MSEE_ASN, export=(pool,)),),
                    originate=(Origination(pool),),
                ),
            )
        )
        nodes.append(
            Node(
                f"ms{i}",
                "microsoft-edge",
                bgp=BgpSpeaker(
                    MSEE_ASN,
                    IPv4Address(f"10.255.1.{i}"),
                    neighbors=(
                        Neighbor(IPv4Address(f"192.0.2.{4 * (i - 1) + 1}"), CUSTOMER_ASN),
                        Neighbor(IPv4Address(f"198.51.100.{4 * (i - 1) + 2}"), CORE_ASN),
                    ),
                ),
            )
        )
    nodes.append(
        Node(
            "ep",
            "microsoft-core",
            loopbacks=(IPv4Interface(f"{ENDPOINT}/32"),),
            routes=(Route(ENDPOINT_PREFIX, blackhole=True),),
            listeners=(Listener(ENDPOINT, PORT),),
            bgp=BgpSpeaker(
                CORE_ASN,
                IPv4Address("10.255.2.1"),
                neighbors=(
                    Neighbor(IPv4Address("198.51.100.1"), MSEE_ASN),
                    Neighbor(IPv4Address("198.51.100.5"), MSEE_ASN),
                ),
                originate=(Origination(ENDPOINT_PREFIX),),
                maximum_paths=8,
                multipath_relax=True,
            ),
        )
    )
    return Topology(tuple(nodes), tuple(links))
