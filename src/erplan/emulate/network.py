"""The design as a network to build: one namespace per box, links, routes and configurations.

Layout (docs/flow-semantics.md "The network"; docs/emulation.md for the details):

- per site: a **site router** (``s<i>``: OSPF over the WAN, iBGP full mesh between sites,
  route reflector for its circuits' and breakouts' edges) and a **hosts** namespace (``h<i>``)
  behind the site's devices holding every address of the site's prefixes;
- per named device: one namespace (``d<i>``) with a pair of interfaces per path it stands on and
  policy routing by input interface, so each path continues on its own side (conntrack shared);
- per circuit: a **customer edge** (``c<i>``) holding the circuit's BGP sessions to Microsoft
  (one per link, in the peer ASN), and per link a **link edge** (``l<i>p``/``l<i>s``) on the
  link's own /30 to Microsoft; per breakout a **breakout edge** (``b<i>``);
- **Microsoft** (``ms``, AS 12076) holding the front ends and initiators, and the **internet**
  (``in``) holding the geoDNS server and third-party hosts.

Routing sessions run over control links of their own; packets follow the data links through the
devices (BGP next hops point there), so nothing a device does can be bypassed; a device
that is down takes the customer routes across it down with it (``Devices.through``).
"""

from __future__ import annotations

import json
import zlib
from dataclasses import dataclass, field
from ipaddress import IPv4Address, IPv4Interface, IPv4Network
from typing import Any

from erplan.catalogs import Catalogs
from erplan.emulate import frr, nft
from erplan.emulate.addresses import (
    INFRA_CANDIDATES,
    INTERNET_CANDIDATES,
    Allocator,
    free_block,
    link_ends,
)
from erplan.emulate.flows import FlowSpec, all_flows, cloud_addresses, design_prefixes
from erplan.emulate.topology import (
    Daemon,
    Link,
    Node,
    Role,
    Route,
    RouteKind,
    Rule,
    Session,
    Topology,
    TopologyError,
)
from erplan.facts import MICROSOFT_ASN, tenant_catalogs
from erplan.model import Design

DEFAULT = IPv4Network("0.0.0.0/0")
MICROSOFT = "ms"
INTERNET = "in"
INTERNET_ASN = 64500
CUSTOMER_ASNS = (4200000000, 4200000001, 4200000002)
BREAKOUT_TAG = 64999  # community 64999:<n> marks the default route of breakout n
ER_COMMUNITIES = "^12076:"  # what Microsoft tags ExpressRoute routes with

BASE_SYSCTLS: tuple[tuple[str, str], ...] = (
    # Only state decides on asymmetric paths, never reverse-path filtering.
    ("net.ipv4.conf.all.rp_filter", "0"),
    ("net.ipv4.conf.default.rp_filter", "0"),
    # Hash on ports too, or every connection between two addresses takes one ECMP branch;
    # policy 3 (these fields) hashes every packet afresh with the node's own seed, where
    # policy 1 reuses the hash the sending socket put on the packet, so every router on the
    # way would make the same choice.
    ("net.ipv4.fib_multipath_hash_policy", "3"),
    ("net.ipv4.fib_multipath_hash_fields", "55"),  # 0x37: addresses, protocol, ports
    ("net.ipv4.ip_local_port_range", "40000 60999"),
    # A packet of a connection a stateful box never saw start is invalid, not picked up.
    ("net.netfilter.nf_conntrack_tcp_loose", "0"),
    # The kernel's default mask less time exceeded (bit 11) and destination unreachable
    # (bit 3): every packet that loops, and every datagram refused, is answered however many
    # are, so each sender learns it (the clients of one NAT address are one destination).
    ("net.ipv4.icmp_ratemask", "4112"),
)


class PlanError(ValueError):
    """The design cannot be built as a network (the reason names what)."""


@dataclass
class Draft:
    """A node while it is being planned."""

    name: str
    role: Role
    label: str
    loopbacks: list[IPv4Address] = field(default_factory=list)
    routes: list[Route] = field(default_factory=list)
    rules: list[Rule] = field(default_factory=list)
    forward: bool = True
    ruleset: dict[str, Any] = field(default_factory=dict)
    bgp: frr.Bgp | None = None
    ospf: frr.Ospf | None = None
    static: list[frr.StaticRoute] = field(default_factory=list)
    agent: dict[str, Any] = field(default_factory=dict)
    ifs: int = 0

    def add(self, key: str, *items: Any) -> None:
        """Append to a list-valued part of the node's nftables ruleset."""
        self.ruleset.setdefault(key, []).extend(items)

    def finish(self) -> Node:
        sysctls = [
            *BASE_SYSCTLS,
            ("net.ipv4.ip_forward", "1" if self.forward else "0"),
            # A seed of its own: with one seed everywhere, a router's ECMP choice repeats the
            # previous router's, and later hops never split what an earlier one sent them.
            ("net.ipv4.fib_multipath_hash_seed", str(zlib.crc32(self.name.encode()) | 1)),
        ]
        parts: dict[str, Any] = {
            k: tuple(v) if isinstance(v, list) else v for k, v in self.ruleset.items()
        }
        daemons: list[Daemon] = []
        if self.bgp is not None or self.ospf is not None or self.static:
            daemons.append(Daemon("zebra", frr.zebra_config(self.name)))
        if self.static:
            daemons.append(Daemon("staticd", frr.staticd_config(self.name, tuple(self.static))))
        if self.ospf is not None:
            daemons.append(Daemon("ospfd", frr.ospfd_config(self.name, self.ospf)))
        if self.bgp is not None:
            daemons.append(Daemon("bgpd", frr.bgpd_config(self.name, self.bgp)))
        return Node(
            self.name,
            self.role,
            self.label,
            loopbacks=tuple(self.loopbacks),
            routes=merge_routes(self.routes),
            rules=tuple(self.rules),
            sysctls=tuple(sysctls),
            nftables=nft.render(nft.Ruleset(**parts)),
            daemons=tuple(daemons),
            agent=json.dumps(self.agent, sort_keys=True) if self.agent else None,
        )


def merge_routes(routes: list[Route]) -> tuple[Route, ...]:
    """One route per prefix and table: the next hops of several (anycast owners, both links
    of a circuit) become one multipath route."""
    merged: dict[tuple[IPv4Network, int | None, RouteKind], list[IPv4Address]] = {}
    for r in routes:
        hops = merged.setdefault((r.prefix, r.table, r.kind), [])
        hops.extend(h for h in r.via if h not in hops)
    return tuple(Route(p, tuple(h), kind, t) for (p, t, kind), h in merged.items())


@dataclass(frozen=True)
class End:
    """One end of a link: the node, its interface and address, and the address across."""

    node: str
    ifname: str
    address: IPv4Address
    peer: IPv4Address


class Builder:
    """Accumulates nodes and links; hands out interface names and addresses."""

    def __init__(self, design: Design, catalogs: Catalogs) -> None:
        self.design = design
        self.catalogs = catalogs
        # A default route a design advertises (Microsoft refuses it) uses no address.
        taken = [p for p in design_prefixes(design) if p.prefixlen > 0]
        taken += _catalog_prefixes(catalogs)
        try:
            self.infra = free_block(INFRA_CANDIDATES, taken)
            internet = free_block(INTERNET_CANDIDATES, [*taken, self.infra])
        except ValueError as exc:
            raise PlanError(str(exc)) from exc
        self.alloc = Allocator(self.infra)
        hosts = internet.hosts()
        self.dns_server = next(hosts)
        self.third_party = next(hosts)
        self.internet_user = next(hosts)  # opens the inbound flows of internet users
        self.clouds = cloud_addresses(design, hosts)  # cloud proxy -> where it listens
        used = {c.peer_asn for c in design.circuits.values()}
        self.asn = next(a for a in CUSTOMER_ASNS if a not in used)
        self.drafts: dict[str, Draft] = {}
        self.links: list[Link] = []
        self.sessions: list[Session] = []
        self.adjacencies: list[tuple[str, str]] = []
        self.limited: list[tuple[str, int, IPv4Address, int]] = []
        self.notes: list[str] = []
        self.edges: dict[str, str] = {}  # node -> edge id (circuit:C/link, breakout:B)
        self.nat_nodes: set[str] = set()

    def node(self, name: str, role: Role, label: str) -> Draft:
        if name in self.drafts:
            raise TopologyError(f"node {name} planned twice")
        draft = Draft(name, role, label)
        self.drafts[name] = draft
        return draft

    def ifname(self, node: str, kind: str = "e") -> str:
        d = self.drafts[node]
        d.ifs += 1
        return f"{kind}{d.ifs - 1}"

    def link(
        self, a: str, b: str, subnet: IPv4Network | None = None, up: bool = True
    ) -> tuple[End, End]:
        """Join ``a`` and ``b`` with a veth pair (on ``subnet`` when given: ``a`` takes the
        customer end)."""
        net = subnet if subnet is not None else self.alloc.link()
        ia, ib = link_ends(net)
        a_if, b_if = self.ifname(a), self.ifname(b)
        self.links.append(
            Link(
                a,
                a_if,
                IPv4Interface(f"{ia}/{net.prefixlen}"),
                b,
                b_if,
                IPv4Interface(f"{ib}/{net.prefixlen}"),
                up,
            )
        )
        return End(a, a_if, ia, ib), End(b, b_if, ib, ia)

    def finish(self, flows: list[FlowSpec]) -> Topology:
        return Topology(
            nodes=tuple(d.finish() for d in self.drafts.values()),
            links=tuple(self.links),
            sessions=tuple(self.sessions),
            adjacencies=tuple(self.adjacencies),
            limited=tuple(self.limited),
            notes=tuple(self.notes),
        )


def _catalog_prefixes(catalogs: Catalogs) -> list[IPv4Network]:
    return [p for es in catalogs.endpoint_sets for p in es.ips]


@dataclass(frozen=True)
class Plan:
    """The network to build and what the run needs to probe and read it."""

    topology: Topology
    flows: tuple[FlowSpec, ...]
    edges: dict[str, str]  # node -> edge id
    hosts: dict[str, str]  # site -> the namespace of its hosts (clients, servers)
    site_routers: dict[str, str]  # site -> its router's node
    resolvers: dict[str, IPv4Address]  # site -> its resolver's address
    proxies: dict[IPv4Address, str]  # proxy address -> the site it runs at
    clouds: dict[IPv4Address, str]  # cloud proxy address -> its namespace on the internet
    labels: dict[str, str]  # node -> what it stands for
    nat_nodes: tuple[str, ...]  # nodes that translate (their sessions name NAT addresses)
    dns_server: IPv4Address
    third_party: IPv4Address
    notes: tuple[str, ...] = ()


def plan(design: Design, catalogs: Catalogs) -> Plan:
    """The network of ``design``, with every flow it implies."""
    from erplan.emulate import customer, policy, provider

    if any(c.peer_asn == MICROSOFT_ASN for c in design.circuits.values()):
        raise PlanError("a circuit's peer ASN is Microsoft's own (12076): no eBGP session")
    # The tenant's Dynamics 365 sets, with the prefixes the design gives, join the catalog.
    catalogs = tenant_catalogs(design, catalogs)
    b = Builder(design, catalogs)
    flows = all_flows(design, catalogs, b.internet_user, b.clouds)
    provider.start(b)
    layout = customer.build(b)
    policy.build(b, layout)
    provider.build(b, layout)
    topology = b.finish(flows)
    return Plan(
        topology=topology,
        flows=tuple(flows),
        edges=dict(b.edges),
        hosts=dict(layout.hosts),
        site_routers=dict(layout.site_routers),
        resolvers=dict(layout.resolvers),
        proxies={a: s.site for a, s in layout.proxies.items()},
        clouds=dict(layout.clouds),
        labels={n.name: n.label for n in topology.nodes},
        nat_nodes=tuple(sorted(b.nat_nodes)),
        dns_server=b.dns_server,
        third_party=b.third_party,
        notes=tuple(b.notes),
    )
