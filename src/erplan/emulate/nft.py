"""nftables rulesets for emulated nodes, rendered from typed parts.

One table (``inet erplan``) per namespace. Interface names are generated (checked in
topology.py), addresses are ``ipaddress`` objects, ports integers: nothing from a design file
is pasted into a rule. Chain names avoid nft keywords (``fwd`` is one in nft 1.0.6).

Every connection of a run has a destination port of its own in ``FLOW_PORTS``, so per-port
sets (an element per port seen) tell which edge each connection crossed each way, and which
node dropped it and why.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from ipaddress import IPv4Address, IPv4Network

from erplan.emulate.topology import check_if_name

FLOW_PORTS = (20000, 39999)
EPHEMERAL_PORTS = (40000, 60999)  # clients' own ports: never mistaken for a flow port
ECHO_PORT = 19999
DNS_PORT = 53

# Edge counters: a request (TCP SYN, or UDP towards a flow port) or a reply (SYN-ACK, UDP
# from a flow port), leaving or entering the customer network at this edge.
REQUEST_OUT = "req_out"
REPLY_IN = "rep_in"
REQUEST_IN = "req_in"
REPLY_OUT = "rep_out"
EDGE_SETS = (REQUEST_OUT, REPLY_IN, REQUEST_IN, REPLY_OUT)

# Why a node dropped a packet: no session (ct state invalid), a new connection from outside
# that nothing admits, a device that is down, Microsoft's source filter, a client of a proxied
# site going to the internet directly, a resolver's query that left by another breakout than
# the resolver egress its site names.
DROP_STATE = "drop_state"
DROP_NEW = "drop_new"
DROP_DOWN = "drop_down"
DROP_FILTER = "drop_filter"
DROP_CLIENT = "drop_client"
DROP_PINNED = "drop_pinned"
DROP_SETS = (DROP_STATE, DROP_NEW, DROP_DOWN, DROP_FILTER, DROP_CLIENT, DROP_PINNED)


@dataclass(frozen=True)
class Snat:
    """Source NAT of new connections leaving by ``oif`` (entering by ``iif`` when given)
    into one of ``slots`` at random."""

    oif: tuple[str, ...]
    slots: tuple[IPv4Address, ...]
    iif: tuple[str, ...] = ()


@dataclass(frozen=True)
class Dnat:
    """Destination NAT of ``public`` to ``internal`` for connections entering by ``iif``."""

    iif: tuple[str, ...]
    public: IPv4Address
    internal: IPv4Address


@dataclass(frozen=True)
class InboundSnat:
    """Source NAT into ``slots`` of connections entering by ``iif`` towards ``dest``."""

    iif: tuple[str, ...]
    dest: IPv4Address
    slots: tuple[IPv4Address, ...]


@dataclass(frozen=True)
class StaticNat:
    """Stateless one-to-one NAT applied to every packet, both ways."""

    public: IPv4Address
    internal: IPv4Address


@dataclass(frozen=True)
class SourceFilter:
    """Drops packets entering by ``iif`` whose source is outside ``allowed``."""

    iif: str
    allowed: tuple[IPv4Network, ...]


@dataclass(frozen=True)
class ClientFilter:
    """Drops new connections from ``clients`` (except ``exempt``) entering by ``iif``, unless
    they go ``towards`` a cloud proxy."""

    iif: tuple[str, ...]
    clients: tuple[IPv4Network, ...]
    exempt: tuple[IPv4Network, ...]
    towards: tuple[IPv4Network, ...] = ()


@dataclass(frozen=True)
class PinFilter:
    """Drops packets entering by ``iif`` (from one breakout) marked with any of ``marks``:
    queries whose site pinned them to another breakout."""

    iif: str
    marks: tuple[int, ...]

    def __post_init__(self) -> None:
        if not self.marks or not all(0 < m < 64 for m in self.marks):
            raise ValueError(f"bad DSCP marks {self.marks}")


@dataclass(frozen=True)
class Ruleset:
    edge_outside: tuple[str, ...] = ()  # count requests and replies on these interfaces
    stateful_inside: tuple[str, ...] | None = None  # stateful; these face the inside
    down: bool = False
    snat: tuple[Snat, ...] = ()
    dnat: tuple[Dnat, ...] = ()
    inbound_snat: tuple[InboundSnat, ...] = ()
    static_nat: tuple[StaticNat, ...] = ()
    source_filters: tuple[SourceFilter, ...] = ()
    client_filters: tuple[ClientFilter, ...] = ()
    pin_filters: tuple[PinFilter, ...] = ()
    redirect: bool = False  # connections to local flow ports go to the echo server
    # A cloud proxy: connections and datagrams to (address, flow port) go to its port.
    proxy_redirect: tuple[tuple[IPv4Address, int], ...] = ()
    dns_server: IPv4Address | None = None  # queries to local flow ports go to this DNS server
    notes: tuple[str, ...] = field(default=())

    def __post_init__(self) -> None:
        names = [*self.edge_outside, *(self.stateful_inside or ())]
        for group in (self.snat, self.dnat, self.inbound_snat, self.client_filters):
            for item in group:
                names += [*getattr(item, "iif", ()), *getattr(item, "oif", ())]
        names += [f.iif for f in self.source_filters]
        names += [f.iif for f in self.pin_filters]
        for n in names:
            check_if_name(n)

    @property
    def stateful(self) -> bool:
        return self.stateful_inside is not None


def _set(items: list[str]) -> str:
    return items[0] if len(items) == 1 else "{ " + ", ".join(items) + " }"


def _ifs(names: tuple[str, ...]) -> str:
    return _set([f'"{n}"' for n in names])


def _nets(nets: tuple[IPv4Network, ...]) -> str:
    return _set([str(n) for n in nets])


def _slots(slots: tuple[IPv4Address, ...]) -> str:
    if len(slots) == 1:
        return str(slots[0])
    pairs = ", ".join(f"{i} : {a}" for i, a in enumerate(slots))
    return f"numgen random mod {len(slots)} map {{ {pairs} }}"


PORTS = f"{FLOW_PORTS[0]}-{FLOW_PORTS[1]}"


def _note(name: str) -> list[str]:
    """Rules that count a dropped packet under its flow port, then drop it."""
    return [
        f"meta l4proto {{ tcp, udp }} th dport {PORTS} update @{name} {{ th dport }} drop",
        f"meta l4proto {{ tcp, udp }} th sport {PORTS} update @{name} {{ th sport }} drop",
    ]


def render(rs: Ruleset) -> str:
    """The complete ruleset text for ``nft -f`` (empty when there is nothing to do)."""
    if rs == Ruleset():
        return ""
    lines = ["table inet erplan {"]
    for name in (*EDGE_SETS, *DROP_SETS):
        # Presence only: a counter per element is allocated in the packet path from the
        # per-CPU atomic pool, which a burst of new ports empties (the element is then not
        # made and the packet passes uncounted); a plain element comes from the slab.
        lines.append(f"  set {name} {{ type inet_service; size 65535; flags dynamic; }}")
    lines += _raw(rs)
    if rs.edge_outside:
        out = _ifs(rs.edge_outside)
        lines += [
            "  chain count_in {",
            "    type filter hook prerouting priority -350; policy accept;",
            f"    iifname {out} tcp flags & (syn|ack) == syn tcp dport {PORTS} "
            f"update @{REQUEST_IN} {{ tcp dport }}",
            f"    iifname {out} tcp flags & (syn|ack) == syn|ack tcp sport {PORTS} "
            f"update @{REPLY_IN} {{ tcp sport }}",
            f"    iifname {out} udp dport {PORTS} update @{REQUEST_IN} {{ udp dport }}",
            f"    iifname {out} udp sport {PORTS} update @{REPLY_IN} {{ udp sport }}",
            "  }",
            "  chain count_out {",
            "    type filter hook postrouting priority 350; policy accept;",
            f"    oifname {out} tcp flags & (syn|ack) == syn tcp dport {PORTS} "
            f"update @{REQUEST_OUT} {{ tcp dport }}",
            f"    oifname {out} tcp flags & (syn|ack) == syn|ack tcp sport {PORTS} "
            f"update @{REPLY_OUT} {{ tcp sport }}",
            f"    oifname {out} udp dport {PORTS} update @{REQUEST_OUT} {{ udp dport }}",
            f"    oifname {out} udp sport {PORTS} update @{REPLY_OUT} {{ udp sport }}",
            "  }",
        ]
    if rs.source_filters:
        lines += ["  chain msee_filter {", "    type filter hook prerouting priority -200;"]
        for f in rs.source_filters:
            match = f'iifname "{f.iif}"'
            if f.allowed:
                match += f" ip saddr != {_nets(f.allowed)}"
            lines += [f"    {match} {rule}" for rule in _note(DROP_FILTER)]
            lines.append(f"    {match} drop")
        lines.append("  }")
    if rs.pin_filters:
        lines += ["  chain resolver_pins {", "    type filter hook prerouting priority -200;"]
        for p in rs.pin_filters:
            match = f'iifname "{p.iif}" ip dscp {_set([str(m) for m in p.marks])}'
            lines += [f"    {match} {rule}" for rule in _note(DROP_PINNED)]
            lines.append(f"    {match} drop")
        lines.append("  }")
    lines += _nat(rs)
    lines += _filter(rs)
    lines.append("}")
    return "\n".join(lines) + "\n"


def _raw(rs: Ruleset) -> list[str]:
    if not rs.static_nat:
        return []
    # A static NAT keeps no sessions: nothing it sees is tracked, and every packet is
    # rewritten on its own, whichever way it goes.
    lines = [
        "  chain static_raw {",
        "    type filter hook prerouting priority -300; policy accept;",
        "    notrack",
        "  }",
        "  chain static_map {",
        "    type filter hook prerouting priority -250; policy accept;",
    ]
    for s in rs.static_nat:
        lines.append(f"    ip daddr {s.public} ip daddr set {s.internal}")
        lines.append(f"    ip saddr {s.internal} ip saddr set {s.public}")
    lines.append("  }")
    return lines


def _nat(rs: Ruleset) -> list[str]:
    lines: list[str] = []
    if rs.dnat or rs.redirect or rs.dns_server or rs.proxy_redirect:
        lines += ["  chain nat_in {", "    type nat hook prerouting priority -100; policy accept;"]
        for d in rs.dnat:
            lines.append(f"    iifname {_ifs(d.iif)} ip daddr {d.public} dnat ip to {d.internal}")
        if rs.dns_server is not None:
            # To the server's own address (not redirected): a UDP reply leaves from it.
            lines.append(
                f"    ip daddr {rs.dns_server} udp dport {PORTS} "
                f"dnat ip to {rs.dns_server}:{DNS_PORT}"
            )
        for addr, port in rs.proxy_redirect:
            # To its own address (a redirect would take the incoming interface's).
            lines.append(
                f"    ip daddr {addr} meta l4proto {{ tcp, udp }} th dport {PORTS} "
                f"dnat ip to {addr}:{port}"
            )
        if rs.redirect:
            lines.append(
                f"    fib daddr type local meta l4proto {{ tcp, udp }} th dport {PORTS} "
                f"redirect to :{ECHO_PORT}"
            )
        lines.append("  }")
    if rs.snat or rs.inbound_snat:
        lines += ["  chain nat_out {", "    type nat hook postrouting priority 100; policy accept;"]
        for s in rs.inbound_snat:
            lines.append(
                f"    iifname {_ifs(s.iif)} ip daddr {s.dest} snat ip to {_slots(s.slots)}"
            )
        for n in rs.snat:
            where = f"oifname {_ifs(n.oif)}"
            if n.iif:
                where = f"iifname {_ifs(n.iif)} " + where
            lines.append(f"    {where} snat ip to {_slots(n.slots)}")
        lines.append("  }")
    return lines


def _later_udp(inside: tuple[str, ...]) -> list[str]:
    """A later UDP packet of a session whose reply this box never saw (the reply went another
    way) is dropped, as a stateful device drops the initiator's next packets; Linux would pass
    it as new (docs/emulation.md "UDP"). A session remembers (``ct mark``) the interface its
    first packet came in by: the same packet crossing the box again comes in by another one
    and passes, the initiator's next packet comes in by the same one."""
    lines: list[str] = []
    for n, name in enumerate(inside, 1):
        udp = f'iifname "{name}" meta l4proto udp ct state new'
        lines.append(f"    {udp} ct status ! confirmed ct mark set {n}")
        later = f"{udp} ct status confirmed ct mark {n}"
        lines += [f"    {later} {r}" for r in _note(DROP_STATE)]
        lines.append(f"    {later} drop")
    return lines


def _filter(rs: Ruleset) -> list[str]:
    if not (rs.down or rs.stateful or rs.client_filters):
        return []
    lines = ["  chain filter_fw {", "    type filter hook forward priority 0; policy accept;"]
    if rs.down:
        lines += [f"    {r}" for r in _note(DROP_DOWN)]
        lines += ["    drop", "  }"]
        return lines
    for f in rs.client_filters:
        match = f"iifname {_ifs(f.iif)} ct state new ip saddr {_nets(f.clients)}"
        if f.exempt:
            match += f" ip saddr != {_nets(f.exempt)}"
        if f.towards:
            match += f" ip daddr != {_nets(f.towards)}"
        lines += [f"    {match} {rule}" for rule in _note(DROP_CLIENT)]
        lines.append(f"    {match} drop")
    if rs.stateful_inside is not None:
        lines += [f"    ct state invalid {r}" for r in _note(DROP_STATE)]
        lines.append("    ct state invalid drop")
        lines += _later_udp(rs.stateful_inside)
        lines.append("    ct state established,related accept")
        # The first packet of a connection makes a session, from either side: for TCP that is
        # a SYN (anything else without a session is invalid, tcp_loose being off).
        lines.append("    meta l4proto { tcp, icmp } accept")
        if rs.stateful_inside:
            lines.append(f"    iifname {_ifs(rs.stateful_inside)} accept")
        # UDP from outside coming from a server's port is a reply this box never saw asked for.
        lines.append(f"    udp sport {PORTS} update @{DROP_STATE} {{ udp sport }} drop")
        lines.append(f"    udp sport {DNS_PORT} drop")
    lines.append("  }")
    return lines
