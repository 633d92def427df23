"""What to build: namespaces (nodes), veth links, routes, BGP speakers, nft rulesets, listeners.

Plain frozen data with no dependency on the rest of erplan, so a network can be described and
built without a design. Every value that reaches a command line or a router configuration is
typed (``ipaddress`` objects, integers) or checked against a narrow pattern here, at
construction: design names never reach the kernel or FRR, only generated short names do.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from ipaddress import IPv4Address, IPv4Interface, IPv4Network

# Node names become part of namespace names, FRR path spaces and file names.
_NODE_NAME = re.compile(r"^[a-z][a-z0-9]{0,11}$")
# Interface names stay under the kernel's 15-character limit.
_IF_NAME = re.compile(r"^[a-z][a-z0-9]{0,9}$")
# A standard BGP community, ASN:value.
_COMMUNITY = re.compile(r"^(\d{1,5}):(\d{1,5})$")
# A sysctl key below net.* (the only ones a namespace has of its own).
_SYSCTL = re.compile(r"^net(\.[A-Za-z0-9_]+)+$")

MAX_ASN = 4294967295


class TopologyError(ValueError):
    """A topology that cannot be built (a bad name, value or reference)."""


def check_node_name(name: str) -> str:
    if not _NODE_NAME.match(name):
        raise TopologyError(f"bad node name {name!r}: [a-z][a-z0-9]{{0,11}}")
    return name


def check_community(value: str) -> str:
    m = _COMMUNITY.match(value)
    if not m or int(m.group(1)) > 65535 or int(m.group(2)) > 65535:
        raise TopologyError(f"bad BGP community {value!r}: ASN:value, each 0-65535")
    return value


def _check_asn(asn: int) -> int:
    if not (isinstance(asn, int) and 1 <= asn <= MAX_ASN):
        raise TopologyError(f"bad ASN {asn!r}")
    return asn


@dataclass(frozen=True)
class Route:
    """A kernel route installed with iproute2: ECMP over ``via`` or a blackhole."""

    prefix: IPv4Network
    via: tuple[IPv4Address, ...] = ()
    blackhole: bool = False

    def __post_init__(self) -> None:
        if self.blackhole == bool(self.via):
            raise TopologyError(f"route {self.prefix}: either next hops or blackhole")


@dataclass(frozen=True)
class Neighbor:
    """An eBGP session and the policy applied on it (rendered as route maps)."""

    address: IPv4Address
    remote_as: int
    # Inbound: keep only routes carrying one of these communities (None: keep all).
    accept_communities: tuple[str, ...] | None = None
    # Inbound: local preference given to the routes learned here.
    local_preference: int | None = None
    # Inbound: local preference by community (first match wins), e.g. a circuit's tag.
    community_preference: tuple[tuple[str, int], ...] = ()
    # Inbound: community added to every route learned here (additive).
    tag_community: str | None = None
    # Outbound: send only these prefixes (None: everything the speaker has).
    export: tuple[IPv4Network, ...] | None = None
    # Outbound: AS-path prepend count per prefix, with ``prepend_asn`` (default: own ASN).
    prepend: tuple[tuple[IPv4Network, int], ...] = ()
    prepend_asn: int | None = None
    # Inbound: drop routes carrying any of these communities (route scope).
    reject_communities: tuple[str, ...] = ()
    # Inbound: remove these ASNs from learned paths (transparent hops such as firewalls,
    # which must not lengthen a path the design's IGP would not lengthen).
    strip_asns: tuple[int, ...] = ()
    default_originate: bool = False
    default_community: str | None = None  # community carried by the originated default
    remove_private_as: bool = False

    def __post_init__(self) -> None:
        _check_asn(self.remote_as)
        if self.prepend_asn is not None:
            _check_asn(self.prepend_asn)
        for c in (*(self.accept_communities or ()), *self.reject_communities):
            check_community(c)
        for a in self.strip_asns:
            _check_asn(a)
        for c, lp in self.community_preference:
            check_community(c)
            _check_pref(lp)
        for opt in (self.tag_community, self.default_community):
            if opt is not None:
                check_community(opt)
        if self.local_preference is not None:
            _check_pref(self.local_preference)
        for _, n in self.prepend:
            if not (isinstance(n, int) and 0 <= n <= 32):
                raise TopologyError(f"bad prepend count {n!r}")


def _check_pref(value: int) -> None:
    if not (isinstance(value, int) and 0 <= value <= MAX_ASN):
        raise TopologyError(f"bad local preference {value!r}")


@dataclass(frozen=True)
class Origination:
    """A prefix a speaker announces itself, with the communities it carries."""

    prefix: IPv4Network
    communities: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        for c in self.communities:
            check_community(c)


@dataclass(frozen=True)
class BgpSpeaker:
    asn: int
    router_id: IPv4Address
    neighbors: tuple[Neighbor, ...] = ()
    originate: tuple[Origination, ...] = ()
    maximum_paths: int = 1
    multipath_relax: bool = False

    def __post_init__(self) -> None:
        _check_asn(self.asn)
        if not 1 <= self.maximum_paths <= 64:
            raise TopologyError(f"bad maximum-paths {self.maximum_paths}")


@dataclass(frozen=True)
class Listener:
    """A TCP server (echoes one line, then closes) bound to ``address:port``."""

    address: IPv4Address
    port: int

    def __post_init__(self) -> None:
        if not 1 <= self.port <= 65535:
            raise TopologyError(f"bad port {self.port}")


@dataclass(frozen=True)
class Node:
    """One network namespace: a router, a stateful device, a NAT edge, a client or a server."""

    name: str
    role: str
    label: str = ""  # what it stands for in the design (display only)
    loopbacks: tuple[IPv4Interface, ...] = ()
    routes: tuple[Route, ...] = ()
    sysctls: tuple[tuple[str, str], ...] = ()
    bgp: BgpSpeaker | None = None
    nftables: str = ""  # a complete ruleset built by erplan.emulate.nft from typed values
    listeners: tuple[Listener, ...] = ()

    def __post_init__(self) -> None:
        check_node_name(self.name)
        for key, value in self.sysctls:
            if not _SYSCTL.match(key) or not re.match(r"^[0-9]{1,6}$", value):
                raise TopologyError(f"bad sysctl {key}={value}")


@dataclass(frozen=True)
class Link:
    """A veth pair created directly inside its two namespaces."""

    a: str
    a_if: str
    a_addr: IPv4Interface
    b: str
    b_if: str
    b_addr: IPv4Interface

    def __post_init__(self) -> None:
        for n in (self.a, self.b):
            check_node_name(n)
        for i in (self.a_if, self.b_if):
            if not _IF_NAME.match(i):
                raise TopologyError(f"bad interface name {i!r}")
        if self.a_addr.network != self.b_addr.network or self.a_addr.ip == self.b_addr.ip:
            raise TopologyError(f"link {self.a}-{self.b}: ends must share one subnet")


@dataclass(frozen=True)
class Topology:
    nodes: tuple[Node, ...]
    links: tuple[Link, ...] = ()
    notes: tuple[str, ...] = field(default=())

    def __post_init__(self) -> None:
        names = [n.name for n in self.nodes]
        if len(set(names)) != len(names):
            raise TopologyError("duplicate node names")
        known = set(names)
        seen_ifs: set[tuple[str, str]] = set()
        for link in self.links:
            for node, ifname in ((link.a, link.a_if), (link.b, link.b_if)):
                if node not in known:
                    raise TopologyError(f"link to unknown node {node}")
                if (node, ifname) in seen_ifs:
                    raise TopologyError(f"interface {node}/{ifname} used twice")
                seen_ifs.add((node, ifname))

    def node(self, name: str) -> Node:
        for n in self.nodes:
            if n.name == name:
                return n
        raise KeyError(name)

    def routers(self) -> list[Node]:
        return [n for n in self.nodes if n.bgp is not None]

    def interface_towards(self, node: str, peer: str) -> tuple[str, IPv4Interface, IPv4Interface]:
        """(local interface, local address, peer address) of the first link node—peer."""
        for link in self.links:
            if link.a == node and link.b == peer:
                return link.a_if, link.a_addr, link.b_addr
            if link.b == node and link.a == peer:
                return link.b_if, link.b_addr, link.a_addr
        raise KeyError(f"{node}-{peer}")
