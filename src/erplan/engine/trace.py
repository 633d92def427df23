"""The shape of an answer: Flow → FlowTrace → Branch (forward Path + return Path) → Hop.

A branch is one combination of choices (a source sub-range, a pool sub-range, an equal-cost
next hop at every router, there and back) with its share of the flow's connections; a flow's
branches form the DAG of every way its connections can go, flattened. Everything is immutable
and plain data, so outputs only render it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, NamedTuple
from urllib.parse import unquote

from erplan.engine.ranges import addr


class Direction(StrEnum):
    OUTBOUND = "outbound"
    INBOUND = "inbound"
    DNS = "dns"


class Disposition(StrEnum):
    """How one path ends."""

    DELIVERED = "delivered"
    DROPPED = "dropped"
    BLACKHOLE = "blackhole"
    UNREACHABLE = "unreachable"


class Outcome(StrEnum):
    """How one branch of a connection ends."""

    OK = "ok"
    ASYMMETRIC = "asymmetric"
    DROPPED = "dropped"
    BLACKHOLE = "blackhole"
    UNREACHABLE = "unreachable"

    @property
    def works(self) -> bool:
        return self in (Outcome.OK, Outcome.ASYMMETRIC)

    @property
    def rank(self) -> int:
        return _RANK[self]


_RANK = {
    Outcome.OK: 0,
    Outcome.ASYMMETRIC: 1,
    Outcome.DROPPED: 3,
    Outcome.BLACKHOLE: 3,
    Outcome.UNREACHABLE: 4,
}


class Hop(NamedTuple):
    """One node a packet reached, what happened there and the addresses it left with."""

    node: str
    label: str
    action: str
    src: int
    dst: int
    src_before: int | None = None  # set when this hop rewrote the source
    dst_before: int | None = None  # set when this hop rewrote the destination
    ms: float = 0.0  # one way, the leg that reached this hop (half its round trip)
    estimated: bool = False

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "node": self.node,
            "label": self.label,
            "action": self.action,
            "src": addr(self.src),
            "dst": addr(self.dst),
        }
        if self.src_before is not None:
            out["src_before"] = addr(self.src_before)
        if self.dst_before is not None:
            out["dst_before"] = addr(self.dst_before)
        if self.ms:
            out["ms"] = round(self.ms, 2)
            out["estimated"] = self.estimated
        return out


def edge_owner(edge: str | None) -> str | None:
    """The circuit or breakout of an edge: ``circuit:NAME/LINK`` -> ``circuit:NAME``,
    ``breakout:NAME`` as it is. A circuit's edge always names its link, and names may hold
    '/': the link is what follows the last one."""
    if edge is None or not edge.startswith("circuit:"):
        return edge
    return edge.rpartition("/")[0]


def device_node(name: str, where: str) -> str:
    """The node id of a device standing on the wire ``where`` (``site:S``, ``circuit:C``,
    ``circuit:C/LINK``, ``breakout:B``). Names may hold '@': the device's own '@' and '%' are
    escaped, so the first '@' always ends the name (``device_at`` reads it back)."""
    return f"device:{name.replace('%', '%25').replace('@', '%40')}@{where}"


def device_at(node: str) -> tuple[str, str]:
    """``device:NAME@WHERE`` -> (NAME, WHERE), the inverse of ``device_node``."""
    name, _, where = node.removeprefix("device:").partition("@")
    return unquote(name), where


class Path(NamedTuple):
    """One direction of one branch."""

    hops: tuple[Hop, ...]
    disposition: Disposition
    reason: str  # why it ends as it does, in plain words
    edge: str | None  # where it left (forward) or entered (return) the customer network
    culprit: tuple[str | int, ...] = ()  # the design object responsible when it fails
    cause: str = ""  # what ended it, as a key (no-session, source-filter, no-route, ...)
    ms: float = 0.0  # the sum of its hops
    estimated: bool = False  # some hop's figure is estimated

    def to_dict(self) -> dict[str, Any]:
        return {
            "disposition": self.disposition.value,
            "edge": self.edge,
            "cause": self.cause,
            "reason": self.reason,
            "ms": round(self.ms, 2),
            "hops": [h.to_dict() for h in self.hops],
        }


class Branch(NamedTuple):
    weight: float
    forward: Path
    back: Path | None
    outcome: Outcome
    reason: str
    culprit: tuple[str | int, ...] = ()
    ties: tuple[str, ...] = ()  # undecided ties the branch went through
    front_end: str | None = None  # the answer it connected to, when queries got several

    @property
    def ms(self) -> float:
        """Round trip: the forward legs one way plus the return legs the other way."""
        return self.forward.ms + (self.back.ms if self.back is not None else self.forward.ms)

    @property
    def estimated(self) -> bool:
        return self.forward.estimated or (self.back is not None and self.back.estimated)

    def summary(self) -> dict[str, Any]:
        out = {
            "weight": round(self.weight, 6),
            "forward_edge": self.forward.edge,
            "return_edge": self.back.edge if self.back is not None else None,
            "outcome": self.outcome.value,
        }
        if self.front_end is not None:
            out["front_end"] = self.front_end
        return out

    def to_dict(self) -> dict[str, Any]:
        out = self.summary()
        out["reason"] = self.reason
        out["latency_ms"] = round(self.ms, 2)
        out["forward"] = self.forward.to_dict()
        out["return"] = self.back.to_dict() if self.back is not None else None
        if self.ties:
            out["ties"] = list(self.ties)
        return out


class Flow(NamedTuple):
    """Who talks to what (docs/flow-semantics.md "Flows"). A tuple: a large design has hundreds
    of thousands, made in one pass."""

    key: str
    direction: Direction
    origin: str  # a site (outbound, DNS) or a service (inbound)
    port: int
    proto: str = "tcp"
    endpoint_set: int | None = None
    fqdn: str | None = None
    start: str = ""  # the site the connection starts at (a proxy's, for proxied flows)
    proxy: str | None = None  # the proxy's site, when the flow is proxied
    resolver: str | None = None  # the breakout where the flow's DNS query leaves
    front_end: str | None = None  # the front end geoDNS answered, or the initiator's
    destination: int = 0
    source: int | None = None  # inbound: the initiator's address
    express_route: bool = False  # the endpoint set is ExpressRoute-able
    third_party: bool = False  # served by a third party on the internet
    kind: str = "users"  # who opens it: users, server, dns, microsoft-365, microsoft, internet
    shares: tuple[tuple[int, float], ...] = ()  # inbound: initiator addresses and their shares
    # When the DNS queries leave by several breakouts: every front end geoDNS answers, with the
    # address the flow then connects to and the share of queries (front_end is the first).
    answers: tuple[tuple[str, int, float], ...] = ()


@dataclass(frozen=True)
class FlowTrace:
    """Every branch of one flow, with what went before it (DNS, the leg to the proxy)."""

    flow: Flow
    branches: tuple[Branch, ...]
    before: tuple[tuple[str, float, str], ...] = field(default=())  # (what, share failed, why)

    @property
    def share_affected(self) -> float:
        return sum(b.weight for b in self.branches if not b.outcome.works)

    @property
    def worst(self) -> Outcome:
        return max((b.outcome for b in self.branches), key=lambda o: o.rank)

    @property
    def ties(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(t for b in self.branches for t in b.ties))
