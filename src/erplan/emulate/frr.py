"""FRR configuration of one emulated router: zebra, ospfd and bgpd, one file each.

Only typed values reach the text: addresses and prefixes are ``ipaddress`` objects, ASNs and
preferences range-checked integers, communities ``ASN:value`` pairs checked here, and every
route-map, prefix-list and community-list name is generated. FRR 8.4 defaults that would hide
the behaviour under study are turned off (see docs/emulation.md): the eBGP policy requirement,
the network import check, the 120 s connect retry, the route-map delay timer. The builder
adds the ``log file`` line, which depends on the run.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from ipaddress import IPv4Address, IPv4Network
from typing import Literal

from erplan.emulate.topology import TopologyError, check_if_name

MAX_ASN = 4294967295
_COMMUNITY = re.compile(r"^(\d{1,5}):(\d{1,5})$")
_COMMUNITY_RE = re.compile(r"^\^?[0-9:.*^$]{1,32}$")  # an expanded community-list regex


def check_community(value: str) -> str:
    m = _COMMUNITY.match(value)
    if not m or int(m.group(1)) > 65535 or int(m.group(2)) > 65535:
        raise TopologyError(f"bad BGP community {value!r}: ASN:value, each 0-65535")
    return value


def check_asn(asn: int) -> int:
    if not (isinstance(asn, int) and 1 <= asn <= MAX_ASN):
        raise TopologyError(f"bad ASN {asn!r}")
    return asn


@dataclass(frozen=True)
class MapEntry:
    """One route-map entry: what it matches (all given conditions) and what it sets."""

    action: Literal["permit", "deny"] = "permit"
    prefixes: tuple[IPv4Network, ...] | None = None  # exact prefixes
    within: tuple[IPv4Network, ...] | None = None  # these prefixes and everything inside
    communities: tuple[str, ...] | None = None  # any of these
    community_regex: str | None = None
    local_preference: int | None = None
    next_hop: IPv4Address | None = None
    prepend: tuple[int, ...] = ()
    exclude_asns: tuple[int, ...] = ()
    add_communities: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        for c in (*(self.communities or ()), *self.add_communities):
            check_community(c)
        for asn in (*self.prepend, *self.exclude_asns):
            check_asn(asn)
        if self.community_regex is not None and not _COMMUNITY_RE.match(self.community_regex):
            raise TopologyError(f"bad community regex {self.community_regex!r}")
        if self.local_preference is not None and not 0 <= self.local_preference <= MAX_ASN:
            raise TopologyError(f"bad local preference {self.local_preference}")


DENY_ALL = (MapEntry("deny"),)


@dataclass(frozen=True)
class Neighbor:
    address: IPv4Address
    remote_as: int
    import_map: tuple[MapEntry, ...] = ()  # empty: accept everything unchanged
    export_map: tuple[MapEntry, ...] = ()
    update_source: str | None = None  # an interface name (sessions between loopbacks)
    local_as: int | None = None  # the ASN shown to this peer instead of ours
    rr_client: bool = False
    next_hop_self: bool = False  # also for reflected routes
    # Send every path this router may pass on, not only its best: each receiver then chooses
    # by its own policy (a site router's designated breakout), as in a full mesh of its edges.
    addpath_all: bool = False
    multihop: bool = False
    shutdown: bool = False
    soft_in: bool = False  # keep what the peer sent (the prefix limit counts filtered routes)

    def __post_init__(self) -> None:
        check_asn(self.remote_as)
        if self.local_as is not None:
            check_asn(self.local_as)
        if self.update_source is not None:
            check_if_name(self.update_source)


@dataclass(frozen=True)
class Bgp:
    asn: int
    router_id: IPv4Address
    neighbors: tuple[Neighbor, ...] = ()
    # Prefixes announced by this router, each with the communities it carries.
    networks: tuple[tuple[IPv4Network, tuple[str, ...]], ...] = ()
    maximum_paths: int = 64
    # Routes matching this regex are kept in BGP but not installed (route scope).
    fib_deny_community_regex: str | None = None

    def __post_init__(self) -> None:
        check_asn(self.asn)
        for _, communities in self.networks:
            for c in communities:
                check_community(c)
        if not 1 <= self.maximum_paths <= 64:
            raise TopologyError(f"bad maximum-paths {self.maximum_paths}")
        if self.fib_deny_community_regex is not None and not _COMMUNITY_RE.match(
            self.fib_deny_community_regex
        ):
            raise TopologyError("bad community regex")


@dataclass(frozen=True)
class OspfInterface:
    name: str
    cost: int
    passive: bool = False

    def __post_init__(self) -> None:
        check_if_name(self.name)
        if not 1 <= self.cost <= 65535:
            raise TopologyError(f"bad OSPF cost {self.cost}")


@dataclass(frozen=True)
class Ospf:
    router_id: IPv4Address
    interfaces: tuple[OspfInterface, ...]
    networks: tuple[IPv4Network, ...] = field(default=())


def zebra_config(hostname: str) -> str:
    return f"hostname {hostname}\n!\n"


REJECT_DISTANCE = 250  # a reject route is the last resort of its table


@dataclass(frozen=True)
class StaticRoute:
    """A route to ``prefix`` via ``via`` (resolved recursively by zebra) in kernel ``table``;
    ``via`` None: reject (ICMP unreachable), used only when nothing else is."""

    prefix: IPv4Network
    via: IPv4Address | None
    table: int


def staticd_config(hostname: str, routes: tuple[StaticRoute, ...]) -> str:
    out = [f"hostname {hostname}", "!"]
    for r in routes:
        via = str(r.via) if r.via is not None else f"reject {REJECT_DISTANCE}"
        out.append(f"ip route {r.prefix} {via} table {r.table}")
    return "\n".join([*out, "!"]) + "\n"


def ospfd_config(hostname: str, ospf: Ospf) -> str:
    out = [f"hostname {hostname}", "!"]
    for itf in ospf.interfaces:
        out.append(f"interface {itf.name}")
        if not itf.passive:
            out += [
                " ip ospf network point-to-point",
                " ip ospf hello-interval 1",
                " ip ospf dead-interval 4",
            ]
        out.append(f" ip ospf cost {itf.cost}")
        out.append("exit")
    out += [
        "router ospf",
        f" ospf router-id {ospf.router_id}",
        " timers throttle spf 0 50 200",
        # Originate and accept LSAs at once (the defaults hold a new router LSA up to 5 s).
        " timers throttle lsa all 0",
        " timers lsa min-arrival 0",
        # External (kernel) routes add their metric to the IGP distance: anycast prefixes go
        # to the nearest owner, with every tie.
        " redistribute kernel metric-type 1 metric 1",
        " maximum-paths 64",
    ]
    out += [f" passive-interface {i.name}" for i in ospf.interfaces if i.passive]
    out += [f" network {n} area 0" for n in ospf.networks]
    out += ["exit", "!"]
    return "\n".join(out) + "\n"


class _Policy:
    """Collects the prefix-lists, community-lists and route-maps of one bgpd config."""

    def __init__(self) -> None:
        self.lines: list[str] = []
        self._n = 0

    def _name(self, kind: str) -> str:
        self._n += 1
        return f"{kind}{self._n}"

    def route_map(self, name: str, entries: tuple[MapEntry, ...]) -> None:
        for seq, e in enumerate(entries, start=1):
            matches: list[str] = []
            if e.prefixes is not None or e.within is not None:
                pl = self._name("PL")
                rules = [f"permit {p}" for p in e.prefixes or ()]
                rules += [f"permit {p} le 32" for p in e.within or ()]
                if not rules:
                    rules = ["deny 0.0.0.0/0 le 32"]
                self.lines += [
                    f"ip prefix-list {pl} seq {5 * k} {r}" for k, r in enumerate(rules, 1)
                ]
                matches.append(f" match ip address prefix-list {pl}")
            if e.communities is not None:
                cl = self._name("CL")
                for c in e.communities or ("0:0",):
                    self.lines.append(f"bgp community-list standard {cl} permit {c}")
                matches.append(f" match community {cl}")
            if e.community_regex is not None:
                cl = self._name("CX")
                self.lines.append(f"bgp community-list expanded {cl} permit {e.community_regex}")
                matches.append(f" match community {cl}")
            self.lines.append(f"route-map {name} {e.action} {10 * seq}")
            self.lines += matches
            if e.local_preference is not None:
                self.lines.append(f" set local-preference {e.local_preference}")
            if e.next_hop is not None:
                self.lines.append(f" set ip next-hop {e.next_hop}")
            if e.prepend:
                self.lines.append(f" set as-path prepend {' '.join(map(str, e.prepend))}")
            if e.exclude_asns:
                self.lines.append(f" set as-path exclude {' '.join(map(str, e.exclude_asns))}")
            if e.add_communities:
                self.lines.append(f" set community {' '.join(e.add_communities)} additive")
        if not entries:
            self.lines.append(f"route-map {name} permit 10")


def bgpd_config(hostname: str, bgp: Bgp) -> str:
    policy = _Policy()
    body: list[str] = [
        f"router bgp {bgp.asn}",
        f" bgp router-id {bgp.router_id}",
        " no bgp ebgp-requires-policy",
        " no bgp network import-check",
        " no bgp default ipv4-unicast",
        # Paths of equal length from different neighbours are equal: Microsoft's ECMP over
        # every remaining link, the customer's over every tied circuit.
        " bgp bestpath as-path multipath-relax",
        " coalesce-time 50",
    ]
    for nb in bgp.neighbors:
        a = nb.address
        body.append(f" neighbor {a} remote-as {nb.remote_as}")
        body.append(f" neighbor {a} timers connect 1")
        body.append(f" neighbor {a} timers 5 30")
        body.append(f" neighbor {a} advertisement-interval 0")
        if nb.update_source is not None:
            body.append(f" neighbor {a} update-source {nb.update_source}")
        if nb.local_as is not None:
            body.append(f" neighbor {a} local-as {nb.local_as} no-prepend replace-as")
        if nb.multihop:
            body.append(f" neighbor {a} ebgp-multihop 255")
        if nb.shutdown:
            body.append(f" neighbor {a} shutdown")
    body += [" !", " address-family ipv4 unicast"]
    for k, (prefix, communities) in enumerate(bgp.networks):
        if communities:
            name = f"NET{k}"
            body.append(f"  network {prefix} route-map {name}")
            policy.route_map(name, (MapEntry(add_communities=communities),))
        else:
            body.append(f"  network {prefix}")
    body.append(f"  maximum-paths {bgp.maximum_paths}")
    body.append(f"  maximum-paths ibgp {bgp.maximum_paths}")
    if bgp.fib_deny_community_regex is not None:
        policy.route_map(
            "FIB",
            (MapEntry("deny", community_regex=bgp.fib_deny_community_regex), MapEntry()),
        )
        body.append("  table-map FIB")
    for i, nb in enumerate(bgp.neighbors):
        a = nb.address
        body.append(f"  neighbor {a} activate")
        body.append(f"  neighbor {a} send-community")
        if nb.rr_client:
            body.append(f"  neighbor {a} route-reflector-client")
        if nb.next_hop_self:
            body.append(f"  neighbor {a} next-hop-self force")
        if nb.soft_in:
            body.append(f"  neighbor {a} soft-reconfiguration inbound")
        if nb.addpath_all:
            body.append(f"  neighbor {a} addpath-tx-all-paths")
        policy.route_map(f"IN{i}", nb.import_map)
        policy.route_map(f"OUT{i}", nb.export_map)
        body.append(f"  neighbor {a} route-map IN{i} in")
        body.append(f"  neighbor {a} route-map OUT{i} out")
    body += [" exit-address-family", "exit", "!"]
    # Policy first: a route map defined after the session that names it is applied only when
    # the route-map delay timer fires.
    head = [
        "frr defaults traditional",
        f"hostname {hostname}",
        "bgp route-map delay-timer 0",
        "!",
    ]
    return "\n".join([*head, *policy.lines, "!", *body]) + "\n"
