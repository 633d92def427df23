"""How far each customer router is from each circuit, for BGP's ranking.

Per circuit the links whose session and wires are up; per router, how far it is by IGP from
each circuit's customer edge. Both depend on what is up, not on a route's filter or
communities, so they are worked out once per state (and per router).
"""

from __future__ import annotations

from array import array

from erplan.engine.igp import INF, Igp
from erplan.engine.network import Network
from erplan.engine.nodes import Kind
from erplan.facts import LINKS, session_up


def links_up(net: Network) -> dict[str, tuple[str, ...]]:
    """Per circuit, the links whose session is up and whose wires are."""
    design = net.design
    out: dict[str, tuple[str, ...]] = {}
    for name in design.circuits:
        usable = []
        for link in LINKS:
            lid = f"link:{name}/{link}"
            if (
                session_up(design, name, link)
                and net.wires[f"ce:{name}"][lid].up
                and net.wires[lid][f"msee:{name}/{link}"].up
            ):
                usable.append(lid)
        out[name] = tuple(usable)
    return out


class CircuitReach:
    def __init__(
        self,
        net: Network,
        igp: Igp,
        circuits: tuple[str, ...],
        up: dict[str, tuple[str, ...]] | None = None,
    ) -> None:
        """``up``: the usable links when known already (the same circuits and links up)."""
        self.net = net
        self.igp = igp
        self.circuits = circuits
        self.links_up = links_up(net) if up is None else up
        self._reach: dict[str, array[int]] = {}

    def of(self, router: str) -> array[int]:
        """Per circuit in the design's order, how far the router is from its customer edge
        by IGP: -1 for the router's own circuit, INF for one it cannot use (no usable link,
        unreachable). Kept flat: one 8-byte number per circuit (a tuple of rank and name per
        circuit took about 30 MB at 10,000 sites)."""
        got = self._reach.get(router)
        if got is not None:
            return got
        node = self.net.nodes[router]
        up = self.links_up
        got = array("q")
        for name in self.circuits:
            if not up[name]:
                got.append(INF)
            elif (node.kind is Kind.CE and node.name == name) or (
                node.kind is Kind.LINK and node.name == name and router in up[name]
            ):
                got.append(-1)
            else:
                got.append(min(self.igp.distance(router, f"ce:{name}"), INF))
        self._reach[router] = got
        return got
