"""What to build: namespaces (nodes), veth links, addresses, routes, rules, rulesets, daemons.

Plain frozen data with no dependency on a design, so a network can be described, rendered and
built on its own. Names that reach the kernel or FRR are generated and checked here (design
names never do); configurations are rendered from typed values by ``frr`` and ``nft``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from ipaddress import IPv4Address, IPv4Interface, IPv4Network
from typing import Literal

# Node names become part of namespace names, FRR path spaces and file names.
_NODE_NAME = re.compile(r"^[a-z][a-z0-9]{0,7}$")
# Interface names stay far below the kernel's 15-character limit.
_IF_NAME = re.compile(r"^[a-z][a-z0-9]{0,9}$")
# A sysctl key below net.* (the only ones a namespace has of its own).
_SYSCTL = re.compile(r"^net(\.[A-Za-z0-9_]+)+$")

Role = Literal[
    "site",
    "hosts",
    "device",
    "customer-edge",
    "link-edge",
    "breakout-edge",
    "microsoft",
    "internet",
    "cloud-proxy",
]
RouteKind = Literal["unicast", "local", "blackhole"]
DaemonName = Literal["zebra", "ospfd", "bgpd", "staticd"]


class TopologyError(ValueError):
    """A topology that cannot be built (a bad name, value or reference)."""


def check_node_name(name: str) -> str:
    if not _NODE_NAME.match(name):
        raise TopologyError(f"bad node name {name!r}: [a-z][a-z0-9]{{0,7}}")
    return name


def check_if_name(name: str) -> str:
    if not _IF_NAME.match(name):
        raise TopologyError(f"bad interface name {name!r}")
    return name


@dataclass(frozen=True, slots=True)
class Route:
    """A kernel route installed with iproute2 (``table`` None: the main table)."""

    prefix: IPv4Network
    via: tuple[IPv4Address, ...] = ()
    kind: RouteKind = "unicast"
    table: int | None = None

    def __post_init__(self) -> None:
        if (self.kind == "unicast") != bool(self.via):
            raise TopologyError(f"route {self.prefix}: next hops exactly for unicast routes")
        if self.table is not None and not 1 <= self.table < 250:
            raise TopologyError(f"bad routing table {self.table}")


@dataclass(frozen=True, slots=True)
class Rule:
    """Policy routing: packets entering by ``iif`` (or sent from ``source``) are routed with
    ``table`` (None: the main table; with ``suppress_default``, a default route found there
    does not count and the next rule decides)."""

    iif: str | None
    table: int | None
    source: IPv4Address | None = None
    suppress_default: bool = False

    def __post_init__(self) -> None:
        if self.iif is not None:
            check_if_name(self.iif)
        if self.iif is None and self.source is None:
            raise TopologyError("a rule matches an input interface or a source")
        if self.table is not None and not 1 <= self.table < 250:
            raise TopologyError(f"bad routing table {self.table}")


@dataclass(frozen=True, slots=True)
class Daemon:
    name: DaemonName
    config: str


@dataclass(frozen=True)
class Node:
    """One network namespace."""

    name: str
    role: Role
    label: str = ""  # what it stands for in the design (display only)
    loopbacks: tuple[IPv4Address, ...] = ()
    routes: tuple[Route, ...] = ()
    rules: tuple[Rule, ...] = ()
    sysctls: tuple[tuple[str, str], ...] = ()
    nftables: str = ""
    daemons: tuple[Daemon, ...] = ()
    agent: str | None = None  # JSON spec of the helper process (servers, resolver, proxy)

    def __post_init__(self) -> None:
        check_node_name(self.name)
        for key, value in self.sysctls:
            if not _SYSCTL.match(key) or not re.match(r"^[0-9 ]{1,16}$", value):
                raise TopologyError(f"bad sysctl {key}={value}")


@dataclass(frozen=True, slots=True)
class Link:
    """A veth pair created directly inside its two namespaces."""

    a: str
    a_if: str
    a_addr: IPv4Interface
    b: str
    b_if: str
    b_addr: IPv4Interface
    up: bool = True

    def __post_init__(self) -> None:
        for n in (self.a, self.b):
            check_node_name(n)
        for i in (self.a_if, self.b_if):
            check_if_name(i)
        if self.a_addr.network != self.b_addr.network or self.a_addr.ip == self.b_addr.ip:
            raise TopologyError(f"link {self.a}-{self.b}: ends must share one subnet")


@dataclass(frozen=True, slots=True)
class Session:
    """A BGP session the network should bring up (``node`` speaks to ``peer``)."""

    node: str
    peer: IPv4Address
    direct: bool  # over a link of its own (else over loopbacks, once the IGP has a route)


@dataclass(frozen=True)
class Topology:
    nodes: tuple[Node, ...]
    links: tuple[Link, ...] = ()
    sessions: tuple[Session, ...] = ()  # sessions expected up (not shut down)
    # OSPF adjacencies expected Full: (node, interface).
    adjacencies: tuple[tuple[str, str], ...] = ()
    # Sessions where a prefix limit is enforced once they are up: (node, its ASN, peer, limit).
    limited: tuple[tuple[str, int, IPv4Address, int], ...] = ()
    notes: tuple[str, ...] = field(default=())

    def __post_init__(self) -> None:
        names = [n.name for n in self.nodes]
        if len(set(names)) != len(names):
            raise TopologyError("duplicate node names")
        known = set(names)
        seen: set[tuple[str, str]] = set()
        for link in self.links:
            for node, ifname in ((link.a, link.a_if), (link.b, link.b_if)):
                if node not in known:
                    raise TopologyError(f"link to unknown node {node}")
                if (node, ifname) in seen:
                    raise TopologyError(f"interface {node}/{ifname} used twice")
                seen.add((node, ifname))

    def node(self, name: str) -> Node:
        for n in self.nodes:
            if n.name == name:
                return n
        raise KeyError(name)

    def routers(self) -> list[Node]:
        return [n for n in self.nodes if n.daemons]
