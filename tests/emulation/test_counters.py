"""The per-port edge counters under a burst: every connection of a run is counted at every edge
it crosses, however many start at once.

A counting set whose elements each carried a counter lost elements in a burst: the kernel
allocates an element's counter from the per-CPU atomic pool, in the packet path, and that pool
is refilled only by a worker in process context. Once it ran dry the element was not created
and the packet passed uncounted, so connections that completed were seen on no edge (bench/
README.md, "Figures: model and emulation compared"). The sets now record that a port was seen
and nothing else.
"""

from __future__ import annotations

import sys
from ipaddress import IPv4Address, IPv4Interface, IPv4Network

import pytest

from erplan.emulate import nft
from erplan.emulate.netns import build
from erplan.emulate.network import BASE_SYSCTLS
from erplan.emulate.run import read_sets
from erplan.emulate.topology import Link, Node, Route, Topology

pytestmark = pytest.mark.emulation

HOPS = 6  # edges in a row: each datagram makes an element at every one of them
PORTS = range(nft.FLOW_PORTS[0], nft.FLOW_PORTS[1] + 1)

# One datagram to each flow port, as fast as one process sends them.
BURST = """
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
for port in range(int(sys.argv[2]), int(sys.argv[3]) + 1):
    s.sendto(b"erplan", (sys.argv[1], port))
"""


def _line() -> Topology:
    """Nodes n0 .. nHOPS in a row; every node but the last counts what leaves it on the right."""
    nodes, links = [], []
    for i in range(HOPS + 1):
        right = IPv4Interface(f"10.251.{i}.1/30")
        routes = (Route(IPv4Network("0.0.0.0/0"), (IPv4Address(f"10.251.{i}.2"),)),)
        nodes.append(
            Node(
                f"n{i}",
                "internet",
                routes=routes if i < HOPS else (),
                sysctls=(*BASE_SYSCTLS, ("net.ipv4.ip_forward", "1")),
                nftables=nft.render(nft.Ruleset(edge_outside=("e1",))) if i < HOPS else "",
            )
        )
        if i < HOPS:
            links.append(
                Link(f"n{i}", "e1", right, f"n{i + 1}", "e0", IPv4Interface(f"10.251.{i}.2/30"))
            )
    return Topology(tuple(nodes), tuple(links))


def test_every_port_of_a_burst_is_counted_at_every_edge() -> None:
    with build(_line()) as net:
        last = f"10.251.{HOPS - 1}.2"
        net.exec(
            "n0",
            [sys.executable, "-c", BURST, last, str(PORTS[0]), str(PORTS[-1])],
            timeout=120,
        )
        for i in range(HOPS):
            seen = read_sets(net, f"n{i}")[nft.REQUEST_OUT]
            missing = [p for p in PORTS if p not in seen]
            assert not missing, f"n{i}: {len(missing)} of {len(PORTS)} ports not counted"
