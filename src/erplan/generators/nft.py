"""nftables rulesets for the boxes that translate at a circuit's edge: the edge router itself
(beside its FRR configuration, same interface names) and each device of kind nat in front of
it. Checked by ``nft -c -f``.

Per box: destination NAT of the published addresses for connections entering from Microsoft,
inbound source NAT into the entry's pool, outbound source NAT into the circuit's (or link's)
pool, and the stateful rules that make a reply without a session a drop — the behaviour every
verdict of erplan assumes (docs/flow-semantics.md "State"). Only typed values reach the text.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from ipaddress import IPv4Address, IPv4Network

from erplan.generators.edge import ROUTER, CircuitEdge, Dnat, InboundSnat, Snat
from erplan.generators.frr import INSIDE, header, link_interface
from erplan.generators.safe import comment, ident
from erplan.model import LinkName

TABLE = "erplan"
# A NAT device stands between the site and the edge router: one interface each way.
DEVICE_INSIDE = "eth0"
DEVICE_OUTSIDE = "eth1"


@dataclass(frozen=True)
class Box:
    """One box's translations and the interfaces it reaches Microsoft by."""

    name: str  # ROUTER or device:NAME
    outer: dict[LinkName, str]  # link -> interface towards Microsoft
    inner: str
    own: tuple[IPv4Network, ...]  # the router's own link subnets: its BGP is never translated
    snat: tuple[Snat, ...]
    dnat: tuple[Dnat, ...]
    inbound: tuple[InboundSnat, ...]


def boxes(edge: CircuitEdge) -> list[Box]:
    """The edge router (when it translates: a router that does not keeps no state, as in
    the model) and each NAT device, in that order."""
    out = [
        Box(
            ROUTER,
            {s.link: link_interface(s) for s in edge.sessions},
            INSIDE,
            tuple(s.subnet for s in edge.sessions),
            edge.router_snat(),
            edge.router_dnat(),
            edge.router_inbound_snat(),
        )
    ]
    if not (out[0].snat or out[0].dnat or out[0].inbound):
        out = []
    # The provider configures its own devices: only the customer's get a ruleset.
    for dev in edge.customer_nat_devices():
        point = f"device:{dev}"
        out.append(
            Box(
                point,
                {s.link: DEVICE_OUTSIDE for s in edge.sessions},
                DEVICE_INSIDE,
                (),
                tuple(x for x in edge.snat if x.point == point),
                tuple(x for x in edge.dnat if x.point == point),
                tuple(x for x in edge.inbound_snat if x.point == point),
            )
        )
    return out


def _set(items: Iterable[str]) -> str:
    values = list(dict.fromkeys(items))
    return values[0] if len(values) == 1 else "{ " + ", ".join(values) + " }"


def _ifaces(names: Iterable[str]) -> str:
    return _set(f'"{n}"' for n in names)


def _ports(ports: tuple[int, ...]) -> str:
    return _set(str(int(p)) for p in ports)


def _pool(pool: IPv4Network) -> str:
    first, last = pool.network_address, pool.broadcast_address
    return str(first) if first == last else f"{first}-{last}"


def _addr(a: IPv4Address) -> str:
    return str(a)


def render_box(edge: CircuitEdge, box: Box, design_file: str) -> str:
    lines = ["#!/usr/sbin/nft -f", *header(edge, design_file, "nft", "#")]
    what = "the edge router" if box.name == ROUTER else f"NAT device {comment(box.name[7:])}"
    outer_all = tuple(box.outer.values())
    lines.append(
        f"# this ruleset: {what}; inside {box.inner}, towards Microsoft {', '.join(outer_all)}"
    )
    lines += [f"table inet {TABLE}", f"flush table inet {TABLE}", f"table inet {TABLE} {{"]
    lines += ["  chain dstnat {", "    type nat hook prerouting priority dstnat; policy accept;"]
    for d in box.dnat:
        lines.append(
            f"    iifname {_ifaces(outer_all)} ip daddr {_addr(d.public)} "
            f"tcp dport {_ports(d.ports)} dnat ip to {_addr(d.internal)}"
        )
    lines += ["  }", "  chain srcnat {"]
    lines.append("    type nat hook postrouting priority srcnat; policy accept;")
    for s in box.inbound:
        lines.append(
            f"    iifname {_ifaces(outer_all)} ip daddr {_addr(s.dest)} "
            f"tcp dport {_ports(s.ports)} snat ip to {_pool(s.pool)}"
        )
    for n in box.snat:
        oifs = _ifaces(box.outer[lk] for lk in n.links)
        own = f" ip saddr != {_set(str(p) for p in box.own)}" if box.own else ""
        lines.append(f"    oifname {oifs}{own} snat ip to {_pool(n.pool)}")
    lines += ["  }", "  chain filter_forward {"]
    lines += [
        "    type filter hook forward priority filter; policy accept;",
        "    ct state invalid drop",
        "    ct state established,related accept",
    ]
    for _, dest, ports in edge.entries:
        lines.append(
            f"    iifname {_ifaces(outer_all)} ct state new ip daddr {_addr(dest)} "
            f"tcp dport {_ports(ports)} accept"
        )
    # Nothing else may open a connection from Microsoft's side.
    lines.append(f"    iifname {_ifaces(outer_all)} ct state new drop")
    lines += ["  }", "}"]
    return "\n".join(lines) + "\n"


def render(edge: CircuitEdge, design_file: str) -> dict[str, str]:
    """``{file stem: ruleset}``: the router's under the circuit's name, devices' under theirs."""
    out: dict[str, str] = {}
    for box in boxes(edge):
        stem = edge.ident if box.name == ROUTER else f"{edge.ident}.{ident(box.name[7:])}"
        out[stem] = render_box(edge, box, design_file)
    return out
