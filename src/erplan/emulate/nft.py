"""nftables rulesets for emulated nodes, from typed parts: NAT, stateful filtering, counters.

One table (``inet erplan``) per namespace. Interface names are generated (checked in
topology.py), addresses are ``ipaddress`` objects, ports integers: nothing from a design file
is pasted into a rule. Chain names avoid nft keywords (``fwd`` is one in nft 1.0.6).
"""

from __future__ import annotations

from dataclasses import dataclass
from ipaddress import IPv4Address, IPv4Network

# Counters an edge keeps so a probe can tell which edge carried a connection, each way.
SYN_OUT = "syn_out"  # a SYN entering from the inside (outbound connection leaving here)
SYNACK_IN = "synack_in"  # a SYN-ACK entering from the outside (outbound reply coming back here)
SYN_IN = "syn_in"  # a SYN entering from the outside (inbound connection entering here)
SYNACK_OUT = "synack_out"  # a SYN-ACK entering from the inside (inbound reply leaving here)
COUNTERS = (SYN_OUT, SYNACK_IN, SYN_IN, SYNACK_OUT)

BGP_PORT = 179


@dataclass(frozen=True)
class Snat:
    """Source NAT of traffic from ``sources`` leaving by ``oif`` into ``pool``."""

    oif: str
    sources: tuple[IPv4Network, ...]
    pool: IPv4Network


@dataclass(frozen=True)
class Dnat:
    """Destination NAT of ``public`` to ``internal`` for connections entering by ``iif``."""

    iif: str
    public: IPv4Address
    internal: IPv4Address
    ports: tuple[int, ...]


@dataclass(frozen=True)
class InboundSnat:
    """Source NAT into ``pool`` of connections entering by ``iif`` towards ``dest``."""

    iif: str
    dest: IPv4Address
    ports: tuple[int, ...]
    pool: IPv4Network


@dataclass(frozen=True)
class Firewall:
    """A stateful firewall: drops ``ct state invalid``; from ``outer`` admits only ``allow``."""

    outer: tuple[str, ...]
    allow: tuple[tuple[IPv4Address, tuple[int, ...]], ...] = ()


@dataclass(frozen=True)
class SourceFilter:
    """Drops forwarded packets entering by ``iif`` whose source is outside ``allowed``."""

    iif: str
    allowed: tuple[IPv4Network, ...]


@dataclass(frozen=True)
class Counters:
    inner: tuple[str, ...]
    outer: tuple[str, ...]


@dataclass(frozen=True)
class NftSpec:
    snat: tuple[Snat, ...] = ()
    dnat: tuple[Dnat, ...] = ()
    inbound_snat: tuple[InboundSnat, ...] = ()
    firewall: Firewall | None = None
    source_filters: tuple[SourceFilter, ...] = ()
    counters: Counters | None = None

    @property
    def empty(self) -> bool:
        return self == NftSpec()


def _set(items: list[str]) -> str:
    return items[0] if len(items) == 1 else "{ " + ", ".join(items) + " }"


def _ports(ports: tuple[int, ...]) -> str:
    return _set([str(int(p)) for p in ports])


def _pool(pool: IPv4Network) -> str:
    first, last = pool.network_address, pool.broadcast_address
    return str(first) if first == last else f"{first}-{last}"


def render(spec: NftSpec) -> str:
    """The complete ruleset text for ``nft -f``."""
    if spec.empty:
        return ""
    lines = ["table inet erplan {"]
    if spec.counters is not None:
        for name in COUNTERS:
            lines.append(f"  counter {name} {{ }}")
        inner = _set([f'"{i}"' for i in spec.counters.inner])
        outer = _set([f'"{i}"' for i in spec.counters.outer])
        lines += [
            "  chain countpre {",
            "    type filter hook prerouting priority -350; policy accept;",
            f"    iifname {inner} tcp dport != {BGP_PORT} tcp flags & (syn|ack) == syn "
            f'counter name "{SYN_OUT}"',
            f"    iifname {outer} tcp sport != {BGP_PORT} tcp flags & (syn|ack) == syn|ack "
            f'counter name "{SYNACK_IN}"',
            f"    iifname {outer} tcp dport != {BGP_PORT} tcp flags & (syn|ack) == syn "
            f'counter name "{SYN_IN}"',
            f"    iifname {inner} tcp sport != {BGP_PORT} tcp flags & (syn|ack) == syn|ack "
            f'counter name "{SYNACK_OUT}"',
            "  }",
        ]
    if spec.dnat:
        lines += ["  chain natpre {", "    type nat hook prerouting priority -100; policy accept;"]
        for d in spec.dnat:
            lines.append(
                f'    iifname "{d.iif}" ip daddr {d.public} tcp dport {_ports(d.ports)} '
                f"dnat ip to {d.internal}"
            )
        lines.append("  }")
    if spec.snat or spec.inbound_snat:
        lines += ["  chain natpost {", "    type nat hook postrouting priority 100; policy accept;"]
        for s in spec.inbound_snat:
            lines.append(
                f'    iifname "{s.iif}" ip daddr {s.dest} tcp dport {_ports(s.ports)} '
                f"snat ip to {_pool(s.pool)}"
            )
        for n in spec.snat:
            if not n.sources:
                continue
            srcs = _set([str(p) for p in n.sources])
            lines.append(f'    oifname "{n.oif}" ip saddr {srcs} snat ip to {_pool(n.pool)}')
        lines.append("  }")
    if spec.firewall is not None or spec.source_filters:
        lines += ["  chain filterfw {", "    type filter hook forward priority 0; policy accept;"]
        for f in spec.source_filters:
            if f.allowed:
                allowed = _set([str(p) for p in f.allowed])
                lines.append(f'    iifname "{f.iif}" ip saddr != {allowed} counter drop')
            else:
                lines.append(f'    iifname "{f.iif}" counter drop')
        fw = spec.firewall
        if fw is not None:
            outer = _set([f'"{i}"' for i in fw.outer])
            lines.append("    ct state invalid counter drop")
            lines.append("    ct state established,related accept")
            for addr, ports in fw.allow:
                lines.append(
                    f"    iifname {outer} ct state new ip daddr {addr} "
                    f"tcp dport {_ports(ports)} accept"
                )
            lines.append(f"    iifname {outer} ct state new counter drop")
        lines.append("  }")
    lines.append("}")
    return "\n".join(lines) + "\n"
