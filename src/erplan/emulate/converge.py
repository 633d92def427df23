"""Waiting until OSPF, BGP and every kernel table of the emulated network are still.

The order: every OSPF adjacency of a WAN link that is up is Full; every BGP session that is not
shut down is Established (a session between loopbacks only once the IGP has a route to the
peer: two sites the WAN does not join can never talk); Microsoft's prefix limit is applied to
each link's session (FRR 8.4 checks it reliably only when configured, see docs/emulation.md);
then every router's kernel routes stay unchanged for a while.
"""

from __future__ import annotations

import json
import time
from typing import TYPE_CHECKING

from erplan.emulate.topology import Session

if TYPE_CHECKING:
    from erplan.emulate.netns import Network

POLL_S = 0.2
STILL_POLLS = 6  # unchanged this many times in a row (1.2 s)


def _json(text: str) -> dict[str, object]:
    try:
        data = json.loads(text or "{}")
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}


def ospf_full(net: Network, node: str) -> set[str]:
    """Interfaces of ``node`` with a Full OSPF neighbour."""
    data = _json(net.vtysh(node, "show ip ospf neighbor json", check=False))
    neighbors = data.get("neighbors", {})
    out: set[str] = set()
    if isinstance(neighbors, dict):
        for entries in neighbors.values():
            for e in entries if isinstance(entries, list) else [entries]:
                if isinstance(e, dict) and str(e.get("state", "")).startswith("Full"):
                    out.add(str(e.get("ifaceName", "")).split(":")[0])
    return out


def bgp_peers(net: Network, node: str) -> dict[str, str]:
    """Peer address -> state, as the router reports it."""
    data = _json(net.vtysh(node, "show bgp ipv4 unicast summary json", check=False))
    peers = data.get("peers", {})
    if not isinstance(peers, dict):
        return {}
    return {a: str(p.get("state", "")) for a, p in peers.items() if isinstance(p, dict)}


def _has_route(net: Network, node: str, address: str) -> bool:
    out = net.exec(node, ["ip", "route", "show", f"{address}/32"], check=False)
    return bool(out.strip())


def _fib(net: Network) -> str:
    # Every table: policy routes (a proxy's egress) are installed in tables of their own.
    show = ["ip", "route", "show", "table", "all"]
    parts = [net.exec(n.name, show, check=False) for n in net.topology.routers()]
    return "\n".join(parts)


def wait(net: Network, timeout: float, error: type[Exception]) -> None:
    deadline = time.monotonic() + timeout
    topo = net.topology
    pending = set(topo.adjacencies)
    while pending:
        for node in {n for n, _ in pending}:
            full = ospf_full(net, node)
            pending = {(n, i) for n, i in pending if n != node or i not in full}
        if not pending:
            break
        if time.monotonic() > deadline:
            raise error(f"OSPF adjacencies not Full within {timeout:.0f} s: {sorted(pending)}")
        time.sleep(POLL_S)
    _still(net, deadline, timeout, error)  # the IGP's routes first: loopback sessions need them
    waiting = list(topo.sessions)
    while waiting:
        states: dict[str, dict[str, str]] = {}
        still: list[Session] = []
        for s in waiting:
            if s.node not in states:
                states[s.node] = bgp_peers(net, s.node)
            if states[s.node].get(str(s.peer)) == "Established":
                continue
            if not s.direct and not _has_route(net, s.node, str(s.peer)):
                continue  # no IGP path between these sites: the session cannot come up
            still.append(s)
        waiting = still
        if not waiting:
            break
        if time.monotonic() > deadline:
            names = ", ".join(f"{s.node}->{s.peer}" for s in waiting)
            raise error(f"BGP sessions not established within {timeout:.0f} s: {names}")
        time.sleep(POLL_S)
    by_node: dict[tuple[str, int], list[str]] = {}
    for node, asn, peer, limit in topo.limited:
        by_node.setdefault((node, asn), []).append(f"neighbor {peer} maximum-prefix {limit} force")
    for (node, asn), lines in by_node.items():
        net.vtysh(
            node,
            "configure terminal",
            f"router bgp {asn}",
            "address-family ipv4 unicast",
            *lines,
        )
    _still(net, deadline, timeout, error)


def _still(net: Network, deadline: float, timeout: float, error: type[Exception]) -> None:
    last, still_polls = "", 0
    while still_polls < STILL_POLLS:
        time.sleep(POLL_S)
        snap = _fib(net)
        still_polls = still_polls + 1 if snap == last else 0
        last = snap
        if time.monotonic() > deadline:
            raise error(f"routes did not settle within {timeout:.0f} s")
